"""The state store: what okr-sync remembers between cycles (SQLite or PostgreSQL)."""
