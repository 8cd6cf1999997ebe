"""The ``okr-sync`` command line."""
