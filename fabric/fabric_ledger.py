"""The ledger interface on a Fabric network: the chaincode through our Gateway client.

Transactions map to the chaincode's functions (fabric/README.md): ``<contract>:Fire(id,
action, argsJSON)`` and ``<contract>:Get(id)`` for lc/payment/shipment/financing/kyc;
``examination:Record(recordJSON)``, ``examination:Decide(presentationID, decisionJSON)``,
``examination:Get(presentationID)``, ``examination:SpecVersion()``. Each organisation
submits with its own identity (an MSP folder per MSP id).

Idempotency: Record and Decide answer an identical replay with ``{"unchanged":true}``. Fire
is not idempotent in the chaincode, so a resent Fire (after a lost answer) that the
chaincode rejects as ``already_exists``/``bad_transition`` is checked against the ledger:
if the entity already stands where this transition would have put it, with its arguments
recorded, the resend is a replay. Rejections keep the chaincode's exact lifecycle message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fabric.gateway import CommitError, ConnectionProfile, Gateway, GatewayError, Identity
from fabric.ledger import (
    MACHINE_CONTRACTS,
    Ledger,
    LedgerRejected,
    LedgerTx,
    LedgerUnavailable,
    Receipt,
    VerifyReport,
    contract_machine,
    examination_tx_id,
    normalised_record,
    plain,
    transaction_id,
)
from fabric.lifecycle import Entity, LifecycleSpec, canonical_json, load_spec

# what the peer and the Gateway put in front of the chaincode's own error text
_PREFIX = re.compile(r"^(?:.*chaincode response \d+, |.*transaction returned with failure: )")
_OUTAGES = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "ABORTED", "CANCELLED"})


def message_patterns(spec: LifecycleSpec) -> list[tuple[str, re.Pattern[str]]]:
    """Each message template of the spec as a regex, most specific (longest) first."""
    patterns = []
    for code, template in spec.messages.items():
        parts = re.split(r"\{[a-z_]+\}", template)
        patterns.append((code, re.compile("^(" + "(?:.+?)".join(re.escape(p) for p in parts) + ")$")))
    for machine in spec.machines.values():
        for transition in machine.transitions.values():
            for guard in transition.guards:
                parts = re.split(r"\{[a-z_]+\}", guard.message)
                patterns.append(("guard", re.compile("^(" + "(?:.+?)".join(re.escape(p) for p in parts) + ")$")))
    return sorted(patterns, key=lambda p: -len(p[1].pattern))


class FabricLedger(Ledger):
    kind = "fabric"

    def __init__(self, profile: ConnectionProfile, identities: Mapping[str, Identity],
                 spec: LifecycleSpec | None = None) -> None:
        if not identities:
            raise ValueError("the Fabric ledger needs at least one identity (MSP folder)")
        self.profile = profile
        self.spec = spec or load_spec()
        self.gateways = {msp: Gateway(profile, identity) for msp, identity in identities.items()}
        self._patterns = message_patterns(self.spec)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FabricLedger:
        """BLOCKTRADE_FABRIC_PROFILE: connection profile JSON; BLOCKTRADE_FABRIC_IDENTITIES: a folder
        with one MSP folder (signcerts/, keystore/) per MSP id, named by the MSP id."""
        profile_path = env.get("BLOCKTRADE_FABRIC_PROFILE")
        folder = env.get("BLOCKTRADE_FABRIC_IDENTITIES")
        if not profile_path or not folder:
            raise ValueError("BLOCKTRADE_LEDGER=fabric needs BLOCKTRADE_FABRIC_PROFILE (connection profile JSON) "
                             "and BLOCKTRADE_FABRIC_IDENTITIES (a folder of MSP folders named by MSP id)")
        root = Path(folder)
        if not root.is_dir():
            raise ValueError(f"BLOCKTRADE_FABRIC_IDENTITIES={folder}: not a folder")
        identities = {d.name: Identity.from_msp_folder(d.name, d) for d in sorted(root.iterdir()) if d.is_dir()}
        return cls(ConnectionProfile.load(Path(profile_path)), identities)

    def close(self) -> None:
        for gateway in self.gateways.values():
            gateway.close()

    # ----------------------------------------------------------------- plumbing

    def _gateway(self, msp: str) -> Gateway:
        gateway = self.gateways.get(msp) or (next(iter(self.gateways.values())) if msp == "*" else None)
        if gateway is None:
            raise LedgerRejected("unknown_msp", self.spec.messages["unknown_msp"].replace("{msp}", msp))
        return gateway

    def _translate(self, exc: Exception) -> Exception:
        if isinstance(exc, CommitError):
            return LedgerUnavailable(str(exc))  # e.g. an MVCC conflict: the same request may be resent
        if isinstance(exc, GatewayError):
            for text in (exc.message, *exc.details):
                for code, pattern in self._patterns:
                    found = pattern.search(_PREFIX.sub("", text.strip()))
                    if found:
                        return LedgerRejected(code, found.group(1))
            if exc.status in _OUTAGES:
                return LedgerUnavailable(str(exc))
            return LedgerRejected("chaincode_error", exc.message or str(exc))
        return exc

    def _submit(self, msp: str, function: str, *args: str) -> tuple[Any, str, int]:
        try:
            result = self._gateway(msp).submit(function, *args)
        except (GatewayError, CommitError) as exc:
            raise self._translate(exc) from None
        return (json.loads(result.result) if result.result else {}), result.tx_id, result.block_number

    def _evaluate(self, function: str, *args: str, msp: str = "*") -> Any:
        try:
            payload = self._gateway(msp).evaluate(function, *args)
        except GatewayError as exc:
            translated = self._translate(exc)
            if isinstance(translated, LedgerRejected) and translated.code in ("not_found", "record_not_found"):
                return None
            raise translated from None
        return json.loads(payload) if payload else None

    # ----------------------------------------------------------------- the interface

    def submit(self, msp: str, contract: str, entity_id: str, action: str, args: Mapping[str, str] | None = None,
               *, tx_id: str | None = None, session: Any = None) -> Receipt:
        machine = contract_machine(contract)
        clean = dict(sorted(plain(args or {}).items()))
        key = tx_id or transaction_id("fire", msp, {"machine": machine, "id": entity_id, "action": action,
                                                    "args": clean})
        try:
            body, fabric_tx, block = self._submit(msp, f"{MACHINE_CONTRACTS[machine]}:Fire", entity_id, action,
                                                  canonical_json(clean))
        except LedgerRejected as exc:
            if tx_id is not None and exc.code in ("already_exists", "bad_transition") and \
                    self._already_applied(machine, entity_id, action, clean):
                entity = self.get(contract, entity_id)
                return Receipt(key, entity.state if entity else "", True, {})
            raise
        state = str(body.get("state", "")) if isinstance(body, dict) else ""
        return Receipt(key, state, False, {"fabric_tx_id": fabric_tx, **(body if isinstance(body, dict) else {})},
                       block)

    def _already_applied(self, machine: str, entity_id: str, action: str, args: Mapping[str, str]) -> bool:
        transition = self.spec.machines[machine].transitions.get(action)
        entity = self.get(machine, entity_id)
        if transition is None or entity is None:
            return False
        target = transition.target or args.get(transition.target_argument or "", "")
        return entity.state == target and all(entity.attrs.get(k) == args[k] for k in transition.record if k in args)

    def record_examination(self, msp: str, record: Mapping[str, Any], *, session: Any = None) -> Receipt:
        clean = normalised_record(record)
        key = examination_tx_id(msp, clean)
        body, fabric_tx, block = self._submit(msp, "examination:Record", canonical_json(plain(clean)))
        unchanged = isinstance(body, dict) and body.get("unchanged") is True
        lc = self.get("lc", str(clean.get("lc_id", ""))) if unchanged else None
        state = lc.state if lc else str(body.get("lc_state", "")) if isinstance(body, dict) else ""
        return Receipt(key, state, unchanged, {"fabric_tx_id": fabric_tx}, block)

    def decide(self, msp: str, presentation_id: str, decision: Mapping[str, str], *, session: Any = None) -> Receipt:
        from fabric.ledger import decision_tx_id

        key = decision_tx_id(msp, presentation_id, decision)
        body, fabric_tx, block = self._submit(msp, "examination:Decide", presentation_id,
                                              canonical_json(plain(decision)))
        unchanged = isinstance(body, dict) and body.get("unchanged") is True
        return Receipt(key, "decided", unchanged, {"fabric_tx_id": fabric_tx}, block)

    def get(self, contract: str, entity_id: str, *, session: Any = None) -> Entity | None:
        machine = contract_machine(contract)
        body = self._evaluate(f"{MACHINE_CONTRACTS[machine]}:Get", entity_id)
        if not isinstance(body, dict):
            return None
        return Entity(machine, entity_id, str(body.get("state", "")),
                      {str(k): str(v) for k, v in (body.get("attrs") or {}).items()})

    def get_examination(self, presentation_id: str, *, session: Any = None) -> dict[str, Any] | None:
        body = self._evaluate("examination:Get", presentation_id)
        return body if isinstance(body, dict) else None

    def history(self, contract: str, entity_id: str) -> list[LedgerTx]:
        # the chaincode has no history query yet; the event stream (Gateway.events) carries it
        return []

    def verify(self) -> VerifyReport:
        report = VerifyReport(ledger=self.kind)
        deployed = self._evaluate("examination:SpecVersion")
        report.checked = 1
        version = deployed.get("version") if isinstance(deployed, dict) else deployed
        if str(version) != self.spec.version:
            report.problems.append(f"the chaincode enforces lifecycle {version}, this service {self.spec.version}")
        return report

    def status(self) -> dict[str, Any]:
        return {"ledger": self.kind, "endpoint": self.profile.endpoint, "channel": self.profile.channel,
                "chaincode": self.profile.chaincode, "identities": sorted(self.gateways),
                "spec_version": self.spec.version}
