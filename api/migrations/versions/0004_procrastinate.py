"""procrastinate: the task queue's tables and functions, on PostgreSQL only

procrastinate's own schema (version pinned with the package: procrastinate 3.10.0) is
installed into a PostgreSQL schema of its own, ``procrastinate``, so our models keep the
default schema to themselves (the model/migration comparison sees only ours) and the queue
can be upgraded or dropped as one unit. procrastinate's connections put that schema first on
their ``search_path`` (api.jobs_procrastinate). SQLite has no procrastinate: nothing to do.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_SCHEMA = "procrastinate"


def _run_script(bind: Any, script: str) -> None:
    """Straight to psycopg with no parameters, so '%' signs and several statements go through as
    written (SQLAlchemy would hand psycopg an empty parameter list, making '%' a placeholder)."""
    with bind.connection.dbapi_connection.cursor() as cursor:
        cursor.execute(script)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    saved_path = bind.exec_driver_sql("SHOW search_path").scalar_one()
    bind.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {QUEUE_SCHEMA}")
    # unqualified names in procrastinate's script land in its own schema; the path is restored
    # below so later migrations in this transaction create their tables where they always did
    bind.exec_driver_sql(f"SET LOCAL search_path TO {QUEUE_SCHEMA}")
    _run_script(bind, SchemaManager.get_schema())
    # procrastinate's functions and triggers name its tables unqualified: pin their search path,
    # so they work whatever path the caller has (our own connections have just "public")
    _run_script(bind, f"""
        DO $$
        DECLARE fn regprocedure;
        BEGIN
            FOR fn IN SELECT p.oid::regprocedure FROM pg_proc p
                       WHERE p.pronamespace = '{QUEUE_SCHEMA}'::regnamespace
            LOOP
                EXECUTE format('ALTER FUNCTION %s SET search_path = {QUEUE_SCHEMA}, public', fn);
            END LOOP;
        END $$""")
    bind.exec_driver_sql("SELECT set_config('search_path', %s, true)", (saved_path,))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql(f"DROP SCHEMA IF EXISTS {QUEUE_SCHEMA} CASCADE")
