"""okr-sync: sync."""
