"""The audit trail: every state change with who, when, old and new values, hash-chained.

Each row's ``row_hash`` is sha256 over the previous row's hash and the row's own canonical
JSON (sequence number, entity, action, values, actor, time). Editing, inserting or deleting
a past row breaks the chain at that row, which ``verify`` reports. Deleting the newest rows
cannot be seen from the table alone; anchoring the head hash on the ledger covers that.

Appends are serialised: ``prev_hash`` is unique (a second writer that read the same head
fails instead of forking the chain), SQLite write transactions start with BEGIN IMMEDIATE,
and on PostgreSQL an advisory transaction lock is taken before reading the head.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.db.models import AuditEntry, new_id
from api.db.types import utcnow

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 0x424C4B54  # "BLKT": the advisory lock id guarding the chain head


def jsonable(value: Any) -> Any:
    """Values as they will be stored and hashed: JSON types only, deterministic."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    raise TypeError(f"audit value of type {type(value).__name__} cannot be recorded")


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_digest(prev_hash: str, entry: AuditEntry) -> str:
    body = {
        "seq": entry.seq,
        "id": entry.id,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "action": entry.action,
        "old_values": entry.old_values,
        "new_values": entry.new_values,
        "user_id": entry.user_id,
        "actor": entry.actor,
        "organization_id": entry.organization_id,
        "blockchain_tx_id": entry.blockchain_tx_id,
        "created_at": _timestamp(entry.created_at),
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def record(
    session: Session,
    *,
    entity_type: str,
    entity_id: str,
    action: str,
    actor: str,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    user_id: str | None = None,
    organization_id: str | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits or rolls back with the change)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_AUDIT_LOCK})
    head = session.execute(
        select(AuditEntry.seq, AuditEntry.row_hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    prev_hash, seq = (head.row_hash, head.seq + 1) if head else (GENESIS, 1)
    entry = AuditEntry(
        seq=seq,
        id=new_id(),
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        old_values=jsonable(old),
        new_values=jsonable(new),
        user_id=user_id,
        actor=actor,
        organization_id=organization_id,
        created_at=utcnow(),
        prev_hash=prev_hash,
    )
    entry.row_hash = row_digest(prev_hash, entry)
    session.add(entry)
    session.flush()
    return entry


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values differ: (old values, new values)."""
    keys = [k for k in after if jsonable(before.get(k)) != jsonable(after.get(k))]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


@dataclass
class VerifyResult:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    head: str = GENESIS

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, batch: int = 1000) -> VerifyResult:
    """Recompute the chain from the first row; report every row whose link or hash is wrong."""
    result = VerifyResult()
    prev_hash = GENESIS
    expected_seq = 1
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch))
    for entry in rows.scalars():
        result.checked += 1
        if entry.seq != expected_seq:
            result.problems.append(f"seq {entry.seq}: expected seq {expected_seq} (a row was deleted or inserted)")
        if entry.prev_hash != prev_hash:
            result.problems.append(
                f"seq {entry.seq}: prev_hash does not match the hash of the row before (chain broken)"
            )
        actual = row_digest(entry.prev_hash, entry)
        if actual != entry.row_hash:
            result.problems.append(
                f"seq {entry.seq}: row_hash mismatch, the row was changed after it was written "
                f"({entry.entity_type} {entry.entity_id} {entry.action})"
            )
        prev_hash = entry.row_hash
        expected_seq = entry.seq + 1
    result.head = prev_hash
    return result
