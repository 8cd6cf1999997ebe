"""okr-sync: sandbox."""
