"""okr-sync: mapping."""
