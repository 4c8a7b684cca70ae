"""Persistence: SQLAlchemy 2 models (one metadata for the app and Alembic) and sessions."""

# every module that declares tables on models.Base is imported here, so the one metadata
# that Alembic (api/migrations/env.py) compares against holds all of them
from api.db import models_integrations, models_ledger  # noqa: F401
