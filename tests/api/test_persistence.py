"""The migration matches the models; money and times survive a round trip exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from api.db.migrate import upgrade
from api.db.models import Base, LetterOfCredit
from api.db.session import Database

SEED_TABLES = {"organisations", "users", "letters_of_credit", "documents", "payments", "audit_trail"}
SERVICE_TABLES = {"presentations", "findings", "screening_results", "decisions", "shipments", "jobs",
                  "api_keys", "idempotency_keys", "refresh_tokens"}


def test_migration_creates_every_table_and_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    db = Database(url)
    with db.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.dispose()
    assert tables >= SEED_TABLES | SERVICE_TABLES
    assert diff == []


def test_money_is_exact_and_timestamps_are_utc(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    db = Database(url)
    from api.auth.service import create_organisation

    with db.write() as session:
        bank = create_organisation(session, name="B", org_type="bank", country_code="DE")
        corp = create_organisation(session, name="C", org_type="corporate", country_code="DE")
        lc = LetterOfCredit(lc_number="X1", amount=Decimal("9999999999999.99"), currency="USD",
                            application_date=dt.date(2026, 1, 1), expiry_date=dt.date(2026, 2, 1),
                            applicant_id=corp.id, beneficiary_id=corp.id, issuing_bank_id=bank.id)
        session.add(lc)
        session.flush()
        lc_id = lc.id
    with db.read() as session:
        stored = session.get(LetterOfCredit, lc_id)
        assert stored is not None
        assert stored.amount == Decimal("9999999999999.99")
        assert stored.created_at.tzinfo is not None and stored.created_at.utcoffset() == dt.timedelta(0)
    db.dispose()
