"""The ledger outbox: what the database has committed and the ledger still has to record.

A row is added in the same database transaction as the change it records (an examination
result, a reviewer decision, a lifecycle step taken by the examination flow), so a change
cannot commit without its ledger write being owed. The dispatcher then sends the rows in
order: each row's ``tx_key`` is deterministic and the ledger answers a resent transaction
as a replay, so a row sent twice (a crash between the ledger's answer and our commit) is
recorded once. While the ledger is unavailable, rows wait with exponential back-off; a row
the ledger rejects for good is marked ``rejected`` with the lifecycle's exact message.

For the embedded ledger the ledger write and the outbox update happen in one database
transaction (inside a savepoint, so a failed write leaves nothing half-done).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models_ledger import LedgerOutbox
from api.db.session import Database
from api.db.types import utcnow
from fabric.ledger import (
    Ledger,
    LedgerRejected,
    LedgerUnavailable,
    Receipt,
    decision_tx_id,
    examination_tx_id,
    transaction_id,
)

log = logging.getLogger("blocktrade.outbox")

OPERATIONS = ("fire", "record", "decide")

Prepare = Callable[[Session, LedgerOutbox, Ledger], None]
"""Runs before a row is sent (e.g. put a credit created before the ledger existed onto it)."""
Mirror = Callable[[Session, LedgerOutbox, Receipt], None]
"""Runs in the transaction that marks a row done: mirror the ledger's answer into the database."""


def tx_key_for(operation: str, msp: str, payload: dict[str, Any], resource_type: str, resource_id: str) -> str:
    if operation == "record":
        return examination_tx_id(msp, payload["record"])
    if operation == "decide":
        return decision_tx_id(msp, payload["presentation_id"], payload["decision"])
    if operation == "fire":
        # one lifecycle step per resource (e.g. present_documents for presentation P): stable on retries
        return transaction_id("fire", msp, {**payload, "resource": f"{resource_type}:{resource_id}"})
    raise ValueError(f"unknown outbox operation {operation!r}: use one of {', '.join(OPERATIONS)}")


def enqueue(session: Session, *, operation: str, msp: str, payload: dict[str, Any], resource_type: str,
            resource_id: str) -> LedgerOutbox:
    """Owe the ledger one transaction, in the caller's transaction. Enqueuing the same
    transaction twice returns the first row (the tx_key is unique)."""
    key = tx_key_for(operation, msp, payload, resource_type, resource_id)
    with session.no_autoflush:
        existing = session.scalar(select(LedgerOutbox).where(LedgerOutbox.tx_key == key))
        if existing is None:
            existing = next((o for o in session.new if isinstance(o, LedgerOutbox) and o.tx_key == key), None)
    if existing is not None:
        return existing
    row = LedgerOutbox(tx_key=key, operation=operation, msp=msp, payload=payload, resource_type=resource_type,
                       resource_id=resource_id, status="pending", attempts=0, next_attempt_at=utcnow())
    session.add(row)
    session.info["ledger_outbox_added"] = True
    return row


def send(ledger: Ledger, row: LedgerOutbox, session: Session | None) -> Receipt:
    """One outbox row to the ledger, as the ledger interface call it stands for."""
    p = row.payload
    if row.operation == "fire":
        return ledger.submit(row.msp, p["contract"], p["id"], p["action"], p.get("args") or {}, tx_id=row.tx_key,
                             session=session)
    if row.operation == "record":
        return ledger.record_examination(row.msp, p["record"], session=session)
    if row.operation == "decide":
        return ledger.decide(row.msp, p["presentation_id"], p["decision"], session=session)
    raise LedgerRejected("unknown_operation", f"outbox row {row.id}: unknown operation {row.operation}")


@dataclass
class DispatchStats:
    sent: int = 0
    replayed: int = 0
    rejected: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


class Dispatcher:
    """Sends due outbox rows in order. Safe to run in several threads or processes at once:
    a row is claimed inside a write transaction (SKIP LOCKED on PostgreSQL, the database
    write lock on SQLite) and finished in that same transaction."""

    def __init__(self, db: Database, ledger: Ledger, *, prepare: Prepare | None = None, mirror: Mirror | None = None,
                 base_delay: float = 0.5, max_delay: float = 300.0) -> None:
        self.db = db
        self.ledger = ledger
        self.prepare = prepare
        self.mirror = mirror
        self.base_delay = base_delay
        self.max_delay = max_delay

    def backoff(self, attempts: int) -> float:
        return min(self.max_delay, self.base_delay * 2 ** max(0, attempts - 1))

    def dispatch_once(self, limit: int = 100) -> DispatchStats:
        """Send up to ``limit`` due rows; stops at the first outage (later rows would fail too,
        and sending them out of order could make the ledger reject a step that needs an earlier one)."""
        stats = DispatchStats()
        for _ in range(limit):
            result = self._one()
            if result is None:
                break
            setattr(stats, result, getattr(stats, result) + 1)
            if result == "deferred":
                break
        return stats

    def _one(self) -> str | None:
        if self.ledger.kind == "embedded":
            return self._one_local()
        return self._one_remote()

    def _due_head(self, session: Session, lock: bool) -> LedgerOutbox | None:
        query = select(LedgerOutbox).where(LedgerOutbox.status == "pending").order_by(LedgerOutbox.seq).limit(1)
        if lock and self.db.is_postgresql:
            query = query.with_for_update(skip_locked=True)
        row = session.scalars(query).first()
        if row is None or row.next_attempt_at > utcnow():
            return None  # empty, or the head is backing off: later rows must not overtake it
        return row

    def _failed(self, row: LedgerOutbox, exc: Exception) -> str:
        now = utcnow()
        if isinstance(exc, LedgerRejected):
            row.status, row.last_error, row.done_at = "rejected", exc.message, now
            log.warning("ledger rejected outbox row %s (%s): %s", row.id, row.operation, exc.message)
            return "rejected"
        row.last_error = f"{type(exc).__name__}: {exc}"
        row.next_attempt_at = now + dt.timedelta(seconds=self.backoff(row.attempts))
        if not isinstance(exc, LedgerUnavailable):
            log.warning("outbox row %s: ledger write failed, will retry: %s", row.id, row.last_error)
        return "deferred"

    def _done(self, session: Session, row: LedgerOutbox, receipt: Receipt) -> str:
        row.status, row.ledger_tx_id, row.done_at, row.last_error = "done", receipt.tx_id, utcnow(), None
        if self.mirror is not None:
            self.mirror(session, row, receipt)
        return "replayed" if receipt.unchanged else "sent"

    def _one_local(self) -> str | None:
        """The embedded ledger: ledger write and outbox update in ONE database transaction."""
        with self.db.write() as session:
            row = self._due_head(session, lock=True)
            if row is None:
                return None
            row.attempts += 1
            try:
                with session.begin_nested():  # a failed write leaves nothing of itself behind
                    if self.prepare is not None:
                        self.prepare(session, row, self.ledger)
                    receipt = send(self.ledger, row, session)
            except Exception as exc:
                return self._failed(row, exc)
            return self._done(session, row, receipt)

    def _one_remote(self) -> str | None:
        """A remote ledger: no database lock is held while the ledger answers. If the process
        dies after the ledger wrote and before we commit, the resend is answered as a replay."""
        with self.db.read() as session:
            row = self._due_head(session, lock=False)
            if row is None:
                return None
            row_id = row.id
            try:
                if self.prepare is not None:
                    self.prepare(session, row, self.ledger)
                receipt: Receipt | None = send(self.ledger, row, None)
                failure: Exception | None = None
            except Exception as exc:
                receipt, failure = None, exc
        with self.db.write() as session:
            current = session.scalars(select(LedgerOutbox).where(LedgerOutbox.id == row_id)).one()
            if current.status != "pending":
                return "replayed"  # another dispatcher finished it meanwhile
            current.attempts += 1
            if receipt is None:
                return self._failed(current, failure or LedgerUnavailable("the ledger gave no answer"))
            return self._done(session, current, receipt)

    def pending(self) -> int:
        with self.db.read() as session:
            return len(session.scalars(select(LedgerOutbox.seq).where(LedgerOutbox.status == "pending")).all())


class OutboxWorker:
    """Runs a dispatcher: in a background thread (``thread``), or in the caller's thread right
    after a commit that added rows (``inline``: tests and single-request debugging)."""

    def __init__(self, dispatcher: Dispatcher, mode: str = "thread", poll_seconds: float = 1.0) -> None:
        if mode not in ("thread", "inline", "off"):
            raise ValueError(f"outbox worker mode {mode!r}: use thread, inline or off")
        self.dispatcher = dispatcher
        self.mode = mode
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._inline_lock = threading.Lock()

    def start(self) -> None:
        if self.mode != "thread" or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="blocktrade-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def wake(self) -> None:
        if self.mode == "inline":
            # a commit inside a dispatch (the mirror) must not dispatch again from within
            if self._inline_lock.acquire(blocking=False):
                try:
                    self.dispatcher.dispatch_once()
                except Exception:
                    log.exception("outbox dispatch failed")
                finally:
                    self._inline_lock.release()
        else:
            self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                stats = self.dispatcher.dispatch_once()
                busy = stats.sent + stats.replayed + stats.rejected > 0 and not stats.deferred
            except Exception:  # the database went away for a moment: keep the dispatcher alive
                log.exception("outbox dispatch failed")
                busy = False
            if not busy:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
