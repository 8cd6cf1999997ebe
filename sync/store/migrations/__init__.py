"""Alembic migrations of the state store (run programmatically by ``okr_sync.store.database.migrate``)."""
