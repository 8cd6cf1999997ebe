"""The hand-written analysis that ``docs/benchmarks.md`` shows under the targets (kept here so a rerun of
``make bench`` regenerates the page without losing it)."""

ANALYSIS = """
(analysis pending)
"""
