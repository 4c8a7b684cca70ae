"""The embedded ledger: an append-only, hash-chained, signed log in the application database.

Every accepted transaction becomes one ``ledger_transactions`` row whose ``entry_hash`` is
sha256(prev_hash ‖ canonical JSON of the row) and whose signature is ECDSA P-256 over
SHA-256 (DER, low-S, as Fabric signs) by the submitting organisation's key. Each
organisation (MSP id) has its own key, generated on first use into
``$BLOCKTRADE_DATA_DIR/ledger-keys/<MSP>.pem`` (mode 0600); verification uses the public
keys derived from those files, never keys stored in the database that it checks.

The lifecycle is enforced by fabric.lifecycle.Lifecycle — the same specification and test
vectors as the chaincode — reading the world state tables (``ledger_entities``,
``ledger_examinations``). ``verify`` replays the whole log through the lifecycle from an
empty state and compares: a changed payload, a forged or reordered row, a broken link, a
bad signature or a world-state row edited behind the log's back are all reported.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from api.db.models_ledger import LedgerEntity, LedgerExamination, LedgerTransaction
from api.db.session import Database
from api.db.types import utcnow
from fabric.gateway import low_s
from fabric.ledger import (
    MACHINE_CONTRACTS,
    Ledger,
    LedgerRejected,
    LedgerTx,
    Receipt,
    VerifyReport,
    contract_machine,
    decision_tx_id,
    examination_tx_id,
    normalised_record,
    plain,
    transaction_id,
)
from fabric.lifecycle import Entity, Lifecycle, LifecycleError, MemoryState, Outcome, canonical_json

GENESIS = "0" * 64
_PG_LEDGER_LOCK = 0x424C4C47  # "BLLG": advisory lock serialising ledger appends on PostgreSQL


# --------------------------------------------------------------------------- keys


class KeyStore:
    """One ECDSA P-256 signing key per MSP id, as PEM files in a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._keys: dict[str, ec.EllipticCurvePrivateKey] = {}

    def _path(self, msp: str) -> Path:
        if not msp.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"MSP id {msp!r} cannot name a key file")
        return self.folder / f"{msp}.pem"

    def private_key(self, msp: str) -> ec.EllipticCurvePrivateKey:
        if msp in self._keys:
            return self._keys[msp]
        path = self._path(msp)
        if not path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            # O_EXCL: two processes generating at once keep the first key, never a mix
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as out:
                    out.write(pem)
        try:
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: cannot load the ledger signing key: {exc}") from None
        if not isinstance(loaded, ec.EllipticCurvePrivateKey) or loaded.curve.name != "secp256r1":
            raise ValueError(f"{path}: the ledger signing key must be ECDSA P-256")
        self._keys[msp] = loaded
        return loaded

    @staticmethod
    def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
        der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return hashlib.sha256(der).hexdigest()

    def sign(self, msp: str, message: bytes) -> tuple[str, str]:
        """(key id, hex DER low-S signature)."""
        key = self.private_key(msp)
        signature = low_s(key.sign(message, ec.ECDSA(hashes.SHA256())))
        return self.key_id(key.public_key()), signature.hex()

    def public_keys(self) -> dict[str, tuple[str, ec.EllipticCurvePublicKey]]:
        """key id -> (MSP id, public key) for every key file in the folder."""
        found: dict[str, tuple[str, ec.EllipticCurvePublicKey]] = {}
        if not self.folder.is_dir():
            return found
        for path in sorted(self.folder.glob("*.pem")):
            key = self.private_key(path.stem)
            found[self.key_id(key.public_key())] = (path.stem, key.public_key())
        return found


# --------------------------------------------------------------------------- state over a session


class SessionState:
    """The lifecycle's view of the world state, read through the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_entity(self, machine: str, entity_id: str) -> Entity | None:
        row = self.session.get(LedgerEntity, (machine, entity_id))
        return Entity(row.machine, row.entity_id, row.state, dict(row.attrs)) if row else None

    def get_record(self, presentation_id: str) -> dict[str, Any] | None:
        row = self.session.get(LedgerExamination, presentation_id)
        return json.loads(canonical_json(row.record)) if row else None


def entry_digest(prev_hash: str, row: LedgerTransaction) -> str:
    body = {
        "seq": row.seq, "tx_id": row.tx_id, "kind": row.kind, "machine": row.machine, "entity_id": row.entity_id,
        "action": row.action, "msp": row.msp, "payload": row.payload, "event": row.event,
        "created_at": row.created_at, "key_id": row.key_id,
    }
    return hashlib.sha256((prev_hash + canonical_json(body)).encode()).hexdigest()


# --------------------------------------------------------------------------- the ledger


class EmbeddedLedger(Ledger):
    kind = "embedded"

    def __init__(self, db: Database, keys: KeyStore, lifecycle: Lifecycle | None = None) -> None:
        self.db = db
        self.keys = keys
        self.lifecycle = lifecycle or Lifecycle()

    @contextmanager
    def _session(self, session: Session | None) -> Iterator[Session]:
        if session is not None:
            yield session
        else:
            with self.db.write() as own:
                yield own

    def _lock(self, session: Session) -> None:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LEDGER_LOCK})

    def _replayed(self, session: Session, tx_id: str, payload: str) -> Receipt | None:
        prior = session.scalar(select(LedgerTransaction).where(LedgerTransaction.tx_id == tx_id))
        if prior is None:
            return None
        if prior.payload != payload:
            raise LedgerRejected("tx_conflict", f"transaction {tx_id} is already recorded with different content")
        event = json.loads(prior.event)
        return Receipt(tx_id, event.get("to") or event.get("lc_state") or "decided", True, event, prior.seq)

    def _append(self, session: Session, *, tx_id: str, kind: str, machine: str, entity_id: str, action: str,
                msp: str, payload: str, outcome: Outcome) -> LedgerTransaction:
        head = session.execute(select(LedgerTransaction.seq, LedgerTransaction.entry_hash)
                               .order_by(LedgerTransaction.seq.desc()).limit(1)).first()
        prev_hash, seq = (head.entry_hash, head.seq + 1) if head else (GENESIS, 1)
        row = LedgerTransaction(seq=seq, tx_id=tx_id, kind=kind, machine=machine, entity_id=entity_id,
                                action=action, msp=msp, payload=payload, event=canonical_json(outcome.event or {}),
                                created_at=utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ"), prev_hash=prev_hash,
                                entry_hash="", key_id="", signature="")
        row.key_id = KeyStore.key_id(self.keys.private_key(msp).public_key())
        row.entry_hash = entry_digest(prev_hash, row)
        _key_id, row.signature = self.keys.sign(msp, bytes.fromhex(row.entry_hash))
        session.add(row)
        for entity in outcome.entities:
            current = session.get(LedgerEntity, (entity.machine, entity.id))
            if current is None:
                session.add(LedgerEntity(machine=entity.machine, entity_id=entity.id, state=entity.state,
                                         attrs=dict(entity.attrs), last_seq=seq))
            else:
                current.state, current.attrs, current.last_seq = entity.state, dict(entity.attrs), seq
        if outcome.record is not None:
            pid = outcome.record["presentation_id"]
            existing = session.get(LedgerExamination, pid)
            if existing is None:
                session.add(LedgerExamination(presentation_id=pid, record=outcome.record, last_seq=seq))
            else:
                existing.record, existing.last_seq = outcome.record, seq
        session.flush()
        return row

    # ----------------------------------------------------------------- writes

    def submit(self, msp: str, contract: str, entity_id: str, action: str, args: Mapping[str, str] | None = None,
               *, tx_id: str | None = None, session: Session | None = None) -> Receipt:
        machine = contract_machine(contract)
        clean_args = dict(sorted(plain(args or {}).items())) if isinstance(args, Mapping | None) else args
        request = {"machine": machine, "id": entity_id, "action": action, "args": clean_args}
        payload = canonical_json(request)
        with self._session(session) as s:
            self._lock(s)
            if tx_id is None:
                # the n-th transaction of this entity: a resend of the same request is a replay
                count = s.scalar(select(func.count()).select_from(LedgerTransaction).where(
                    LedgerTransaction.machine == machine, LedgerTransaction.entity_id == entity_id)) or 0
                tx_id = transaction_id("fire", msp, {**request, "n": count})
            replay = self._replayed(s, tx_id, payload)
            if replay is not None:
                return replay
            try:
                outcome = self.lifecycle.fire(SessionState(s), msp, machine, entity_id, action, clean_args)
            except LifecycleError as exc:
                raise LedgerRejected.from_lifecycle(exc) from None
            row = self._append(s, tx_id=tx_id, kind="fire", machine=machine, entity_id=entity_id, action=action,
                               msp=msp, payload=payload, outcome=outcome)
            return Receipt(tx_id, outcome.entities[0].state, False, outcome.event or {}, row.seq)

    def record_examination(self, msp: str, record: Mapping[str, Any], *,
                           session: Session | None = None) -> Receipt:
        clean = normalised_record(record)
        tx_id = examination_tx_id(msp, clean)
        payload = canonical_json({"record": plain(clean)})
        with self._session(session) as s:
            self._lock(s)
            replay = self._replayed(s, tx_id, payload)
            if replay is not None:
                return replay
            try:
                outcome = self.lifecycle.record_examination(SessionState(s), msp, clean)
            except LifecycleError as exc:
                raise LedgerRejected.from_lifecycle(exc) from None
            pid = str(clean.get("presentation_id"))
            if outcome.unchanged:
                entity = SessionState(s).get_entity("letter_of_credit", str(clean.get("lc_id")))
                return Receipt(tx_id, entity.state if entity else "", True, {})
            row = self._append(s, tx_id=tx_id, kind="record", machine="examination", entity_id=pid,
                               action="record", msp=msp, payload=payload, outcome=outcome)
            return Receipt(tx_id, outcome.entities[0].state, False, outcome.event or {}, row.seq)

    def decide(self, msp: str, presentation_id: str, decision: Mapping[str, str], *,
               session: Session | None = None) -> Receipt:
        tx_id = decision_tx_id(msp, presentation_id, decision)
        payload = canonical_json({"presentation_id": presentation_id, "decision": plain(decision)})
        with self._session(session) as s:
            self._lock(s)
            replay = self._replayed(s, tx_id, payload)
            if replay is not None:
                return replay
            try:
                outcome = self.lifecycle.decide(SessionState(s), msp, presentation_id, plain(decision))
            except LifecycleError as exc:
                raise LedgerRejected.from_lifecycle(exc) from None
            if outcome.unchanged:
                return Receipt(tx_id, "decided", True, {})
            row = self._append(s, tx_id=tx_id, kind="decide", machine="examination", entity_id=presentation_id,
                               action="decide", msp=msp, payload=payload, outcome=outcome)
            return Receipt(tx_id, "decided", False, outcome.event or {}, row.seq)

    # ----------------------------------------------------------------- reads

    @contextmanager
    def _reader(self, session: Session | None) -> Iterator[Session]:
        if session is not None:
            yield session
        else:
            with self.db.read() as own:
                yield own

    def get(self, contract: str, entity_id: str, *, session: Session | None = None) -> Entity | None:
        with self._reader(session) as s:
            return SessionState(s).get_entity(contract_machine(contract), entity_id)

    def get_examination(self, presentation_id: str, *, session: Session | None = None) -> dict[str, Any] | None:
        with self._reader(session) as s:
            return SessionState(s).get_record(presentation_id)

    def history(self, contract: str, entity_id: str) -> list[LedgerTx]:
        machine = contract_machine(contract)
        with self.db.read() as s:
            rows = s.scalars(select(LedgerTransaction).where(LedgerTransaction.machine == machine,
                                                             LedgerTransaction.entity_id == entity_id)
                             .order_by(LedgerTransaction.seq)).all()
            if machine == "letter_of_credit":
                # an examination moves the credit too: its records belong to the credit's history
                recorded = s.scalars(select(LedgerTransaction).where(LedgerTransaction.kind == "record")
                                     .order_by(LedgerTransaction.seq)).all()
                rows = sorted([*rows, *(r for r in recorded if json.loads(r.event).get("lc_id") == entity_id)],
                              key=lambda r: r.seq)
            return [LedgerTx(r.tx_id, r.kind, r.action, r.msp, json.loads(r.event), r.created_at, r.seq)
                    for r in rows]

    def status(self) -> dict[str, Any]:
        with self.db.read() as s:
            head = s.execute(select(LedgerTransaction.seq, LedgerTransaction.entry_hash)
                             .order_by(LedgerTransaction.seq.desc()).limit(1)).first()
            entities = s.scalar(select(func.count()).select_from(LedgerEntity)) or 0
            records = s.scalar(select(func.count()).select_from(LedgerExamination)) or 0
        return {"ledger": self.kind, "spec_version": self.lifecycle.spec.version,
                "transactions": head.seq if head else 0, "head": head.entry_hash if head else GENESIS,
                "entities": entities, "examinations": records, "signature": "ECDSA P-256 / SHA-256, per-org keys",
                "keys": str(self.keys.folder)}

    # ----------------------------------------------------------------- verification

    def verify(self, batch: int = 1000) -> VerifyReport:
        report = VerifyReport(ledger=self.kind, head=GENESIS)
        keys = self.keys.public_keys()
        replayed = MemoryState()
        prev_hash, expected_seq = GENESIS, 1
        with self.db.read() as s:
            rows = s.execute(select(LedgerTransaction).order_by(LedgerTransaction.seq).execution_options(
                yield_per=batch)).scalars()
            for row in rows:
                report.checked += 1
                where = f"ledger seq {row.seq} ({row.machine} {row.entity_id} {row.action})"
                if row.seq != expected_seq:
                    report.problems.append(f"{where}: expected seq {expected_seq} (a row was deleted or inserted)")
                if row.prev_hash != prev_hash:
                    report.problems.append(f"{where}: prev_hash does not link to the row before (chain broken)")
                if entry_digest(row.prev_hash, row) != row.entry_hash:
                    report.problems.append(f"{where}: entry_hash mismatch, the row was changed after it was written")
                self._check_signature(report, keys, row, where)
                self._replay(report, replayed, row, where)
                prev_hash, expected_seq = row.entry_hash, row.seq + 1
            report.head = prev_hash
            self._compare_state(report, replayed, s)
        return report

    def _check_signature(self, report: VerifyReport, keys: dict[str, tuple[str, ec.EllipticCurvePublicKey]],
                         row: LedgerTransaction, where: str) -> None:
        known = keys.get(row.key_id)
        if known is None:
            report.problems.append(f"{where}: signed by unknown key {row.key_id[:16]}…")
            return
        signer, public_key = known
        if signer != row.msp:
            report.problems.append(f"{where}: signed with the key of {signer}, not of the submitter {row.msp}")
        try:
            public_key.verify(bytes.fromhex(row.signature), bytes.fromhex(row.entry_hash), ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            report.problems.append(f"{where}: signature does not verify")

    def _replay(self, report: VerifyReport, state: MemoryState, row: LedgerTransaction, where: str) -> None:
        try:
            payload = json.loads(row.payload)
            if row.kind == "fire":
                outcome = self.lifecycle.fire(state, row.msp, payload["machine"], payload["id"], payload["action"],
                                              payload["args"])
            elif row.kind == "record":
                outcome = self.lifecycle.record_examination(state, row.msp, payload["record"])
            elif row.kind == "decide":
                outcome = self.lifecycle.decide(state, row.msp, payload["presentation_id"], payload["decision"])
            else:
                report.problems.append(f"{where}: unknown transaction kind {row.kind}")
                return
        except LifecycleError as exc:
            report.problems.append(f"{where}: replaying the log rejects this transaction: {exc.message}")
            return
        except (ValueError, KeyError, TypeError) as exc:
            report.problems.append(f"{where}: payload is not a valid request ({exc})")
            return
        if canonical_json(outcome.event or {}) != row.event:
            report.problems.append(f"{where}: stored event differs from what the transaction produces")
        state.apply(outcome)

    def _compare_state(self, report: VerifyReport, replayed: MemoryState, s: Session) -> None:
        stored = {(r.machine, r.entity_id): r for r in s.scalars(select(LedgerEntity))}
        for key, entity in sorted(replayed.entities.items()):
            row = stored.pop(key, None)
            name = f"{MACHINE_CONTRACTS.get(key[0], key[0])} {key[1]}"
            if row is None:
                report.problems.append(f"world state: {name} is missing (the log says {entity.state})")
            elif row.state != entity.state or dict(row.attrs) != entity.attrs:
                report.problems.append(f"world state: {name} is {row.state} {canonical_json(row.attrs)}, "
                                       f"the log says {entity.state} {canonical_json(entity.attrs)}")
        for key in sorted(stored):
            report.problems.append(f"world state: {key[0]} {key[1]} exists but no transaction created it")
        records = {r.presentation_id: r.record for r in s.scalars(select(LedgerExamination))}
        for pid, record in sorted(replayed.records.items()):
            found = records.pop(pid, None)
            if found is None or canonical_json(found) != canonical_json(record):
                report.problems.append(f"world state: examination of presentation {pid} differs from the log")
        for pid in sorted(records):
            report.problems.append(f"world state: examination of presentation {pid} exists but was never recorded")
