"""Benchmarks of okr-sync against the sandbox (`make bench`, `python -m bench.run`)."""
