"""okr-sync: connectors."""
