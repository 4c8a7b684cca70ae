"""Persistence: SQLAlchemy 2 models (one metadata for the app and Alembic) and sessions."""
