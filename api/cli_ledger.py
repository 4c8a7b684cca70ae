"""`blocktrade ledger verify` and `blocktrade ledger status`.

``verify`` checks the ledger's own integrity (for the embedded ledger: hash chain,
signatures, world state replayed from the log) and then compares the database with the
ledger: every credit, escrow payment and shipment state, every examined presentation's
record (outcome, document hashes, findings hash, pack versions), and every outbox row the
ledger rejected. Each mismatch is one line. Exit codes: 0 all consistent, 1 mismatches,
3 bad settings, 4 database or ledger unreachable.

The lead adds ``COMMANDS`` to ``api.cli.main``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

import click
from sqlalchemy import func, select

from api.cli_common import EXIT_INPUT_ERROR
from api.cli_common import fail as _fail
from api.settings import Settings, SettingsError

EXIT_MISMATCH = 1
EXIT_UNREACHABLE = 4




@dataclass
class Comparison:
    checked: int = 0
    mismatches: list[str] = field(default_factory=list)
    pending: int = 0


def compare(db: Any, ledger: Any) -> Comparison:
    """The database against the ledger; every difference is one line in ``mismatches``."""
    from api.db.models import LetterOfCredit, Payment, Presentation, Shipment
    from api.db.models_ledger import LedgerEntity, LedgerOutbox
    from api.routes.lifecycle import examination_record

    result = Comparison()
    seen: set[tuple[str, str]] = set()
    with db.read() as session:
        pending_records = set(session.scalars(select(LedgerOutbox.resource_id).where(
            LedgerOutbox.status == "pending", LedgerOutbox.operation == "record")).all())
        result.pending = session.scalar(select(func.count()).select_from(LedgerOutbox)
                                        .where(LedgerOutbox.status == "pending")) or 0
        tables: list[tuple[str, Any]] = [
            ("lc", select(LetterOfCredit)),
            ("payment", select(Payment).where(Payment.payment_type == "escrow")),
            ("shipment", select(Shipment)),
        ]
        for contract, query in tables:
            for row in session.scalars(query):
                result.checked += 1
                seen.add((contract, row.id))
                entity = ledger.get(contract, row.id)
                if entity is None:
                    if contract == "lc" and row.status in ("draft", "issued", "amended") and row.blockchain_tx_id is None:
                        continue  # created before the ledger; put onto it on its next step
                    result.mismatches.append(f"{contract} {row.id}: database says {row.status}, not on the ledger")
                elif entity.state != row.status:
                    result.mismatches.append(f"{contract} {row.id}: database says {row.status}, "
                                             f"ledger says {entity.state}")
        for presentation in session.scalars(select(Presentation).where(Presentation.report.is_not(None))):
            result.checked += 1
            recorded = ledger.get_examination(presentation.id)
            if recorded is None:
                if presentation.id not in pending_records:
                    result.mismatches.append(f"presentation {presentation.id}: examined ({presentation.outcome}) "
                                             "but not recorded on the ledger")
                continue
            expected = examination_record(session, presentation)
            for name in ("outcome", "lc_id", "findings_hash", "document_hashes", "rule_pack_versions"):
                if recorded.get(name) != expected[name]:
                    result.mismatches.append(f"presentation {presentation.id}: {name} on the ledger "
                                             f"({json.dumps(recorded.get(name))}) differs from the database "
                                             f"({json.dumps(expected[name])})")
        for row in session.scalars(select(LedgerOutbox).where(LedgerOutbox.status == "rejected")
                                   .order_by(LedgerOutbox.seq)):
            result.mismatches.append(f"outbox {row.operation} for {row.resource_type} {row.resource_id} was "
                                     f"rejected by the ledger: {row.last_error}")
        if ledger.kind == "embedded":
            for entity in session.scalars(select(LedgerEntity).order_by(LedgerEntity.machine, LedgerEntity.entity_id)):
                contract = {"letter_of_credit": "lc"}.get(entity.machine, entity.machine)
                if contract in ("lc", "payment", "shipment") and (contract, entity.entity_id) not in seen:
                    result.mismatches.append(f"{contract} {entity.entity_id}: on the ledger ({entity.state}) "
                                             "but not in the database")
    return result


def _open() -> tuple[Any, Any]:
    from api.db.migrate import upgrade
    from api.db.session import Database
    from fabric.ledger import open_ledger

    try:
        settings = Settings.from_env()
    except SettingsError as err:
        _fail(str(err), EXIT_INPUT_ERROR)
    try:
        upgrade(settings.database_url)
        db = Database(settings.database_url)
    except Exception as err:
        _fail(f"database {settings.database_url.split('@')[-1]}: {type(err).__name__}: {err}", EXIT_UNREACHABLE)
    try:
        return db, open_ledger(db, settings.data_dir)
    except ValueError as err:
        _fail(str(err), EXIT_INPUT_ERROR)


@click.group("ledger")
def ledger_group() -> None:
    """The ledger (BLOCKTRADE_LEDGER=embedded|fabric): verify it against the database, show its status."""


@ledger_group.command("verify")
@click.option("--json", "as_json", is_flag=True, help="one JSON object instead of lines")
def verify(as_json: bool) -> None:
    """Check the ledger's integrity and report every mismatch between the database and the ledger."""
    from fabric.ledger import LedgerError

    db, ledger = _open()
    try:
        integrity = ledger.verify()
        comparison = compare(db, ledger)
    except LedgerError as err:
        _fail(f"ledger ({ledger.kind}): {err}", EXIT_UNREACHABLE)
    finally:
        ledger.close()
        db.dispose()
    problems = [*integrity.problems, *comparison.mismatches]
    if as_json:
        click.echo(json.dumps({"ledger": ledger.kind, "ok": not problems, "ledger_transactions": integrity.checked,
                               "rows_compared": comparison.checked, "outbox_pending": comparison.pending,
                               "head": integrity.head, "problems": problems}))
    else:
        for line in problems:
            click.echo(line)
        click.echo(f"{ledger.kind} ledger: {integrity.checked} transaction(s) checked, {comparison.checked} "
                   f"database row(s) compared, {comparison.pending} outbox row(s) pending, "
                   f"{len(problems)} problem(s)")
    sys.exit(EXIT_MISMATCH if problems else 0)


@ledger_group.command("status")
def status() -> None:
    """Which ledger, its head, and the outbox (pending, rejected, oldest pending error)."""
    from api.db.models_ledger import LedgerOutbox
    from fabric.ledger import LedgerError

    db, ledger = _open()
    try:
        info = ledger.status()
        with db.read() as session:
            counts = dict(session.execute(select(LedgerOutbox.status, func.count())
                                          .group_by(LedgerOutbox.status)).all())
            oldest = session.scalars(select(LedgerOutbox).where(LedgerOutbox.status == "pending")
                                     .order_by(LedgerOutbox.seq).limit(1)).first()
        info["outbox"] = {"pending": counts.get("pending", 0), "done": counts.get("done", 0),
                          "rejected": counts.get("rejected", 0),
                          "oldest_pending_error": oldest.last_error if oldest else None}
    except LedgerError as err:
        _fail(f"ledger ({ledger.kind}): {err}", EXIT_UNREACHABLE)
    finally:
        ledger.close()
        db.dispose()
    click.echo(json.dumps(info, indent=2, sort_keys=True))


COMMANDS: list[click.Command] = [ledger_group]
