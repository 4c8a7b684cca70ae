"""The ledger interface the service talks to, whichever ledger is behind it.

Two implementations, chosen by ``BLOCKTRADE_LEDGER``:

- ``embedded`` (default): fabric.embedded.EmbeddedLedger, an append-only, hash-chained,
  ECDSA-P-256-signed log in the application database that enforces the lifecycle with
  fabric.lifecycle.Lifecycle;
- ``fabric``: fabric.fabric_ledger.FabricLedger, the chaincode on a Fabric network through
  our Gateway client; the chaincode enforces the same lifecycle file.

Operations take the caller's MSP id (the organisation acting) and are idempotent: every
transaction has a deterministic id (``tx_id``), and sending the same transaction again is
answered with ``Receipt(unchanged=True)`` instead of a second write. Rejections carry the
lifecycle specification's exact message.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fabric.lifecycle import Entity, LifecycleError, canonical_json

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.orm import Session

    from api.db.session import Database

# chaincode contract name -> lifecycle machine (fabric/README.md, "Chaincode interface")
CONTRACTS: dict[str, str] = {
    "lc": "letter_of_credit",
    "payment": "payment",
    "shipment": "shipment",
    "financing": "invoice_financing",
    "kyc": "kyc",
}
MACHINE_CONTRACTS: dict[str, str] = {machine: contract for contract, machine in CONTRACTS.items()}

LEDGER_KINDS = ("embedded", "fabric")

# Which rejections are the caller's fault in which way. Everything not listed is a conflict
# with the entity's current state (409).
_FORBIDDEN_CODES = frozenset({"forbidden_org", "unknown_msp"})
_INVALID_CODES = frozenset({
    "unknown_machine", "unknown_action", "bad_id", "unknown_argument", "missing_argument", "bad_argument",
    "bad_choice", "record_not_object", "record_field_missing", "record_field_unknown", "record_field_invalid",
    "record_field_type", "record_field_empty", "decision_not_object", "decision_field_missing",
    "decision_field_unknown", "decision_field_invalid", "decision_field_type",
})


class LedgerError(Exception):
    """Base of the ledger's failures."""


class LedgerRejected(LedgerError):
    """The ledger refused the transaction for good. ``message`` is the lifecycle's exact text."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @classmethod
    def from_lifecycle(cls, error: LifecycleError) -> LedgerRejected:
        return cls(error.code, error.message)

    @property
    def http_status(self) -> int:
        if self.code in _FORBIDDEN_CODES:
            return 403
        if self.code in _INVALID_CODES:
            return 422
        return 409


class LedgerUnavailable(LedgerError):
    """The ledger could not be reached or did not answer in time; the same request may be retried."""


def contract_machine(contract: str) -> str:
    """The lifecycle machine of a contract name (``lc``); a machine's own name is accepted too."""
    machine = CONTRACTS.get(contract) or (contract if contract in MACHINE_CONTRACTS else None)
    if machine is None:
        raise LedgerRejected("unknown_machine", f"unknown lifecycle {contract}")
    return machine


def transaction_id(operation: str, msp: str, payload: Mapping[str, Any]) -> str:
    """The deterministic id of a ledger transaction: sha256 over its canonical content."""
    return hashlib.sha256(canonical_json({"op": operation, "msp": msp, "payload": payload}).encode()).hexdigest()


@dataclass(frozen=True)
class Receipt:
    """What the ledger answered: the transaction id, the entity's resulting state, and whether
    the transaction was a replay of one already recorded (``unchanged``: nothing written)."""

    tx_id: str
    state: str
    unchanged: bool = False
    event: dict[str, Any] = field(default_factory=dict)
    position: int | None = None  # embedded: log sequence number; fabric: block number


@dataclass(frozen=True)
class LedgerTx:
    """One transaction of an entity's history."""

    tx_id: str
    kind: str
    action: str
    msp: str
    event: dict[str, Any]
    created_at: str
    position: int | None = None


@dataclass
class VerifyReport:
    ledger: str
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    head: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


class Ledger(ABC):
    """What the service needs of a ledger. ``session``: the embedded ledger writes in the
    caller's database transaction when one is given (so the change and its ledger entry
    commit or roll back together); a remote ledger ignores it."""

    kind: str = ""

    @abstractmethod
    def submit(self, msp: str, contract: str, entity_id: str, action: str, args: Mapping[str, str] | None = None,
               *, tx_id: str | None = None, session: Session | None = None) -> Receipt:
        """Fire one lifecycle transition of ``contract`` (lc, payment, shipment, financing, kyc)."""

    @abstractmethod
    def record_examination(self, msp: str, record: Mapping[str, Any], *,
                           session: Session | None = None) -> Receipt:
        """Record an examination outcome: presentation id, LC id, document hashes, rule-pack
        versions, findings hash, outcome. Moves the credit to the outcome's state."""

    @abstractmethod
    def decide(self, msp: str, presentation_id: str, decision: Mapping[str, str], *,
               session: Session | None = None) -> Receipt:
        """Append a reviewer decision (finding hash, waive/confirm, reviewer and reason hashes)."""

    @abstractmethod
    def get(self, contract: str, entity_id: str, *, session: Session | None = None) -> Entity | None:
        """Current state of one entity, or None."""

    @abstractmethod
    def get_examination(self, presentation_id: str, *, session: Session | None = None) -> dict[str, Any] | None:
        """The examination record with its decisions, or None."""

    @abstractmethod
    def history(self, contract: str, entity_id: str) -> list[LedgerTx]:
        """Every transaction of one entity, oldest first."""

    @abstractmethod
    def verify(self) -> VerifyReport:
        """Check the ledger's own integrity (chain, signatures, state)."""

    @abstractmethod
    def status(self) -> dict[str, Any]:
        """A short description for ``blocktrade ledger status`` and /ready."""

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release connections."""


def normalised_record(record: Any) -> Any:
    """The record as the ledger stores it (document hashes sorted); other values pass through
    unchanged so the lifecycle can reject them with its own message."""
    if not isinstance(record, Mapping):
        return record
    clean = dict(record)
    hashes = clean.get("document_hashes")
    if isinstance(hashes, list) and all(isinstance(h, str) for h in hashes):
        clean["document_hashes"] = sorted(hashes)
    return clean


def examination_tx_id(msp: str, record: Any) -> str:
    clean = normalised_record(record)
    return transaction_id("record", msp, {"record": plain(clean)})


def plain(value: Any) -> Any:
    """A request value as JSON can carry it; a malformed one is kept for the lifecycle to reject."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def decision_tx_id(msp: str, presentation_id: str, decision: Any) -> str:
    return transaction_id("decide", msp, {"presentation_id": presentation_id, "decision": plain(decision)})


def open_ledger(db: Database, data_dir: Path, env: Mapping[str, str] | None = None) -> Ledger:
    """The ledger ``BLOCKTRADE_LEDGER`` names (default embedded); configuration errors name the variable."""
    env = os.environ if env is None else env
    kind = env.get("BLOCKTRADE_LEDGER") or "embedded"
    if kind == "embedded":
        from fabric.embedded import EmbeddedLedger, KeyStore

        return EmbeddedLedger(db, KeyStore(data_dir / "ledger-keys"))
    if kind == "fabric":
        from fabric.fabric_ledger import FabricLedger

        return FabricLedger.from_env(env)
    raise ValueError(f"environment variable BLOCKTRADE_LEDGER={kind!r}: use one of {', '.join(LEDGER_KINDS)}")
