"""The Fabric ledger's mapping onto the chaincode, without a network: a stub stands in for the Gateway."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fabric.fabric_ledger import FabricLedger
from fabric.gateway import ConnectionProfile, GatewayError, SubmitResult
from fabric.ledger import LedgerRejected, LedgerUnavailable


class StubGateway:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self.answers: dict[str, Any] = {}

    def _answer(self, function: str) -> Any:
        answer = self.answers.get(function)
        if isinstance(answer, list):
            answer = answer.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def submit(self, function: str, *args: str) -> SubmitResult:
        self.calls.append((function, args))
        return SubmitResult("fabric-tx", json.dumps(self._answer(function)).encode(), 7)

    def evaluate(self, function: str, *args: str) -> bytes:
        self.calls.append((function, args))
        return json.dumps(self._answer(function)).encode()

    def close(self) -> None: ...


def make(stub: StubGateway) -> FabricLedger:
    # built without __init__: it would open gRPC channels to a peer
    ledger = FabricLedger.__new__(FabricLedger)
    from fabric.fabric_ledger import message_patterns
    from fabric.lifecycle import load_spec

    ledger.profile = ConnectionProfile(endpoint="127.0.0.1:7051")
    ledger.spec = load_spec()
    ledger.gateways = {"BankMSP": stub}  # type: ignore[dict-item]
    ledger._patterns = message_patterns(ledger.spec)
    return ledger


def test_fire_maps_to_contract_function() -> None:
    stub = StubGateway()
    stub.answers["lc:Fire"] = {"state": "issued", "id": "LC-1"}
    receipt = make(stub).submit("BankMSP", "lc", "LC-1", "issue")
    assert stub.calls == [("lc:Fire", ("LC-1", "issue", "{}"))]
    assert (receipt.state, receipt.unchanged, receipt.position) == ("issued", False, 7)


def test_chaincode_rejection_keeps_the_exact_message() -> None:
    stub = StubGateway()
    stub.answers["payment:Fire"] = GatewayError(
        "endorse", "ABORTED", "failed to endorse transaction",
        ["BankMSP@peer0: chaincode response 500, payment PAY-1 cannot be released: letter_of_credit LC-1 is under hold"])
    with pytest.raises(LedgerRejected) as info:
        make(stub).submit("BankMSP", "payment", "PAY-1", "release")
    assert info.value.message == "payment PAY-1 cannot be released: letter_of_credit LC-1 is under hold"
    assert info.value.http_status == 409


def test_outage_is_unavailable_and_unknown_identity_is_rejected() -> None:
    stub = StubGateway()
    stub.answers["lc:Fire"] = GatewayError("endorse", "UNAVAILABLE", "connection refused")
    ledger = make(stub)
    with pytest.raises(LedgerUnavailable):
        ledger.submit("BankMSP", "lc", "LC-1", "issue")
    with pytest.raises(LedgerRejected) as info:
        ledger.submit("LogisticsMSP", "lc", "LC-1", "issue")
    assert info.value.code == "unknown_msp"


def test_resent_fire_already_applied_is_a_replay() -> None:
    stub = StubGateway()
    stub.answers["lc:Fire"] = GatewayError("endorse", "ABORTED", "chaincode response 500, "
                                           "letter_of_credit LC-1 cannot present_documents from state "
                                           "documents_presented")
    stub.answers["lc:Get"] = {"state": "documents_presented", "attrs": {"presentation_id": "P-1"}}
    receipt = make(stub).submit("BankMSP", "lc", "LC-1", "present_documents", {"presentation_id": "P-1"},
                                tx_id="k" * 64)
    assert receipt.unchanged and receipt.state == "documents_presented" and receipt.tx_id == "k" * 64
    # the same rejection for a different presentation is a real conflict
    stub.answers["lc:Get"] = {"state": "documents_presented", "attrs": {"presentation_id": "P-0"}}
    with pytest.raises(LedgerRejected, match="cannot present_documents from state documents_presented"):
        make(stub).submit("BankMSP", "lc", "LC-1", "present_documents", {"presentation_id": "P-1"}, tx_id="k" * 64)


def test_record_replay_answer_is_unchanged() -> None:
    stub = StubGateway()
    stub.answers["examination:Record"] = {"unchanged": True}
    stub.answers["lc:Get"] = {"state": "compliant", "attrs": {}}
    record = {"presentation_id": "P-1", "lc_id": "LC-1", "document_hashes": ["2" * 64, "1" * 64],
              "rule_pack_versions": {"ucp600": "1.0.0"}, "findings_hash": "f" * 64, "outcome": "compliant"}
    receipt = make(stub).record_examination("BankMSP", record)
    assert receipt.unchanged and receipt.state == "compliant"
    sent = json.loads(stub.calls[0][1][0])
    assert sent["document_hashes"] == ["1" * 64, "2" * 64]


def test_missing_configuration_names_the_variables() -> None:
    with pytest.raises(ValueError, match="BLOCKTRADE_FABRIC_PROFILE"):
        FabricLedger.from_env({"BLOCKTRADE_LEDGER": "fabric"})
