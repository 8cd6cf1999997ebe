"""okr-sync: config."""
