"""Tables of the ledger: the embedded ledger's log and world state, and the outbox.

The embedded ledger (``BLOCKTRADE_LEDGER=embedded``) keeps an append-only, hash-chained,
signed log (``ledger_transactions``) plus the world state the log produces
(``ledger_entities``, ``ledger_examinations``); the state tables are a cache that
``blocktrade ledger verify`` rebuilds from the log and compares. The outbox
(``ledger_outbox``) holds what the service still has to write to whichever ledger is
configured; a row is added in the same database transaction as the change it records.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models import Base, new_id
from api.db.types import UtcDateTime, utcnow


class LedgerTransaction(Base):
    """One accepted ledger transaction. ``entry_hash`` = sha256(prev_hash + canonical body),
    ``signature`` = ECDSA P-256 (low-S, DER, hex) by the submitting organisation's key over
    the entry hash. ``prev_hash`` is unique, so two writers cannot both extend the same head."""

    __tablename__ = "ledger_transactions"
    __table_args__ = (Index("idx_ledger_tx_entity", "machine", "entity_id"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tx_id: Mapped[str] = mapped_column(String(64), unique=True)  # deterministic: sha256 of the request
    kind: Mapped[str] = mapped_column(String(20))  # fire | record | decide
    machine: Mapped[str] = mapped_column(String(40))  # lifecycle machine, or "examination"
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(50))
    msp: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON of the request
    event: Mapped[str] = mapped_column(Text)  # canonical JSON of what happened
    created_at: Mapped[str] = mapped_column(String(32))  # ISO text: hashed as stored
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64))  # sha256 of the signer's public key (DER)
    signature: Mapped[str] = mapped_column(Text)


class LedgerEntity(Base):
    """Current state of one lifecycle entity (LC, payment, shipment, financing, KYC)."""

    __tablename__ = "ledger_entities"

    machine: Mapped[str] = mapped_column(String(40), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(40))
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON)
    last_seq: Mapped[int] = mapped_column(Integer)


class LedgerExamination(Base):
    """The examination record of one presentation (hashes, pack versions, outcome, decisions)."""

    __tablename__ = "ledger_examinations"

    presentation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    last_seq: Mapped[int] = mapped_column(Integer)


class LedgerOutbox(Base):
    """One write the ledger still owes us (or has acknowledged).

    status: pending (to send; ``next_attempt_at`` says when) | done (the ledger has it,
    ``ledger_tx_id`` names the transaction) | rejected (the ledger refused it for good, with
    the lifecycle's exact message in ``last_error``). ``tx_key`` is deterministic, unique,
    and is the ledger transaction id, so a resend is recognised as a replay."""

    __tablename__ = "ledger_outbox"
    __table_args__ = (Index("idx_ledger_outbox_status_due", "status", "next_attempt_at"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    tx_key: Mapped[str] = mapped_column(String(64), unique=True)
    operation: Mapped[str] = mapped_column(String(20))  # fire | record | decide
    msp: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    resource_type: Mapped[str] = mapped_column(String(40))  # what the row mirrors: presentation, finding, …
    resource_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    ledger_tx_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
