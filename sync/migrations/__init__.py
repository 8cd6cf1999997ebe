"""Alembic migrations of the state store (run programmatically by ``sync.store_engine.migrate``)."""
