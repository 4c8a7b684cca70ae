"""The embedded ledger: the shared lifecycle vectors, idempotency, and tamper detection by verify."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from api.db.models import Base
from api.db.models_ledger import LedgerEntity, LedgerExamination, LedgerTransaction
from api.db.session import Database
from fabric.embedded import EmbeddedLedger, KeyStore
from fabric.ledger import MACHINE_CONTRACTS, LedgerRejected, decision_tx_id, open_ledger
from fabric.lifecycle import load_vectors

VECTORS = load_vectors()
LEDGER_TABLES = [LedgerTransaction.__table__, LedgerEntity.__table__, LedgerExamination.__table__]
H = {c: c * 64 for c in "abcdef0123456789"}
RECORD = {"presentation_id": "P-1", "lc_id": "LC-1", "document_hashes": [H["2"], H["1"]],
          "rule_pack_versions": {"ucp600": "1.0.0"}, "findings_hash": H["f"], "outcome": "compliant"}


def make_ledger(folder: Path) -> EmbeddedLedger:
    db = Database(f"sqlite:///{folder / 'ledger.db'}")
    Base.metadata.create_all(db.engine, tables=LEDGER_TABLES)
    return EmbeddedLedger(db, KeyStore(folder / "keys"))


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[EmbeddedLedger]:
    made = make_ledger(tmp_path)
    yield made
    made.db.dispose()


def run_step(ledger: EmbeddedLedger, step: dict[str, Any]) -> tuple[str, str]:
    """One vector step through the ledger interface: ("ok", state | "unchanged" | "decided") or ("error", text)."""
    try:
        if "record_examination" in step:
            receipt = ledger.record_examination(step["msp"], step["record_examination"])
            return "ok", "unchanged" if receipt.unchanged else receipt.state
        if "decide" in step:
            receipt = ledger.decide(step["msp"], step["decide"]["presentation_id"], step["decide"]["decision"])
            return "ok", "unchanged" if receipt.unchanged else "decided"
        # a fresh transaction id per step: vectors fire the same request twice on purpose
        receipt = ledger.submit(step["msp"], MACHINE_CONTRACTS.get(step["machine"], step["machine"]), step["id"], step["action"],
                                step.get("args"))
        return "ok", receipt.state
    except LedgerRejected as exc:
        return "error", exc.message


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_shared_vector_through_embedded_ledger(tmp_path: Path, vector: dict[str, Any]) -> None:
    ledger = make_ledger(tmp_path)
    try:
        for number, step in enumerate(vector["steps"]):
            before = ledger.status()["transactions"]
            kind, result = run_step(ledger, step)
            expect = step["expect"]
            if "error" in expect:
                assert (kind, result) == ("error", expect["error"]), f"step {number}: {step}"
                assert ledger.status()["transactions"] == before, f"step {number} wrote while failing"
            else:
                assert (kind, result) == ("ok", expect["state"]), f"step {number}: {step}"
        report = ledger.verify()
        assert report.ok, report.problems
        assert report.checked == ledger.status()["transactions"]
    finally:
        ledger.db.dispose()


def _issued_lc(ledger: EmbeddedLedger) -> None:
    ledger.submit("CorporateMSP", "lc", "LC-1", "create", {"terms_hash": H["a"]})
    ledger.submit("BankMSP", "lc", "LC-1", "issue")
    ledger.submit("CorporateMSP", "lc", "LC-1", "present_documents", {"presentation_id": "P-1"})


def test_same_transaction_id_twice_is_a_noop(ledger: EmbeddedLedger) -> None:
    first = ledger.submit("BankMSP", "lc", "LC-1", "create", {"terms_hash": H["a"]}, tx_id="t" * 64)
    again = ledger.submit("BankMSP", "lc", "LC-1", "create", {"terms_hash": H["a"]}, tx_id="t" * 64)
    assert (first.unchanged, again.unchanged) == (False, True)
    assert again.tx_id == first.tx_id and again.state == "draft"
    assert ledger.status()["transactions"] == 1
    with pytest.raises(LedgerRejected, match="already recorded with different content"):
        ledger.submit("BankMSP", "lc", "LC-1", "create", {"terms_hash": H["b"]}, tx_id="t" * 64)


def test_examination_record_has_deterministic_id_and_replays_once(ledger: EmbeddedLedger) -> None:
    _issued_lc(ledger)
    first = ledger.record_examination("BankMSP", RECORD)
    # the same record with its hashes in another order is the same transaction
    replay = ledger.record_examination("BankMSP", {**RECORD, "document_hashes": [H["1"], H["2"]]})
    assert first.state == "compliant" and not first.unchanged
    assert replay.unchanged and replay.tx_id == first.tx_id
    assert ledger.status()["transactions"] == 4
    stored = ledger.get_examination("P-1")
    assert stored is not None and stored["document_hashes"] == [H["1"], H["2"]] and stored["decisions"] == []
    with pytest.raises(LedgerRejected) as info:
        ledger.record_examination("BankMSP", {**RECORD, "outcome": "hold"})
    assert info.value.message == "examination of presentation P-1 is already recorded with different content"
    assert info.value.http_status == 409


def test_decision_replay_and_history(ledger: EmbeddedLedger) -> None:
    _issued_lc(ledger)
    ledger.record_examination("BankMSP", {**RECORD, "outcome": "discrepant"})
    decision = {"finding_hash": H["c"], "decision": "waive", "reviewer_hash": H["d"], "reason_hash": H["e"]}
    assert ledger.decide("BankMSP", "P-1", decision).state == "decided"
    again = ledger.decide("BankMSP", "P-1", decision)
    assert again.unchanged and again.tx_id == decision_tx_id("BankMSP", "P-1", decision)
    ledger.submit("BankMSP", "lc", "LC-1", "accept_waiver")
    history = ledger.history("lc", "LC-1")
    assert [t.action for t in history] == ["create", "issue", "present_documents", "record", "accept_waiver"]
    assert [t.msp for t in history][:2] == ["CorporateMSP", "BankMSP"]
    entity = ledger.get("lc", "LC-1")
    assert entity is not None and entity.state == "accepted" and entity.attrs["outcome"] == "discrepant"


def test_rejections_map_to_http_statuses(ledger: EmbeddedLedger) -> None:
    ledger.submit("BankMSP", "lc", "LC-1", "create", {"terms_hash": H["a"]})
    with pytest.raises(LedgerRejected) as forbidden:
        ledger.submit("LogisticsMSP", "lc", "LC-1", "issue")
    assert forbidden.value.http_status == 403
    assert forbidden.value.message == "organisation LogisticsMSP (logistics) may not issue letter_of_credit LC-1"
    with pytest.raises(LedgerRejected) as invalid:
        ledger.submit("BankMSP", "payment", "PAY-1", "block_funds", {"lc_id": "LC-1", "amount": "1,5",
                                                                    "currency": "USD"})
    assert invalid.value.http_status == 422
    with pytest.raises(LedgerRejected) as conflict:
        ledger.submit("BankMSP", "lc", "LC-1", "pay")
    assert (conflict.value.http_status, conflict.value.message) == (
        409, "letter_of_credit LC-1 cannot pay from state draft")
    with pytest.raises(LedgerRejected, match="unknown lifecycle escrow"):
        ledger.submit("BankMSP", "escrow", "E-1", "create")


def test_signing_keys_are_per_org_p256_and_private(ledger: EmbeddedLedger, tmp_path: Path) -> None:
    _issued_lc(ledger)
    files = sorted(p.name for p in (tmp_path / "keys").iterdir())
    assert files == ["BankMSP.pem", "CorporateMSP.pem"]
    for name in files:
        assert stat.S_IMODE((tmp_path / "keys" / name).stat().st_mode) == 0o600
    assert ledger.keys.private_key("BankMSP").curve.name == "secp256r1"
    with ledger.db.read() as s:
        key_ids = {r.msp: r.key_id for r in s.query(LedgerTransaction)}
    assert key_ids["BankMSP"] != key_ids["CorporateMSP"]


def _tamper(ledger: EmbeddedLedger, statement: Any) -> None:
    with ledger.db.write() as s:
        s.execute(statement)


def test_verify_reports_an_edited_payload(ledger: EmbeddedLedger) -> None:
    _issued_lc(ledger)
    payload = json.dumps({"action": "issue", "args": {}, "id": "LC-1", "machine": "letter_of_credit"})
    _tamper(ledger, update(LedgerTransaction).where(LedgerTransaction.seq == 2)
            .values(payload=payload.replace("issue", "cancel")))
    problems = ledger.verify().problems
    assert any("seq 2" in p and "entry_hash mismatch" in p for p in problems), problems
    assert any("seq 2" in p and "stored event differs" in p for p in problems), problems


def test_verify_reports_edited_world_state_and_deleted_rows(ledger: EmbeddedLedger) -> None:
    _issued_lc(ledger)
    assert ledger.verify().ok
    _tamper(ledger, update(LedgerEntity).where(LedgerEntity.entity_id == "LC-1").values(state="compliant"))
    problems = ledger.verify().problems
    assert problems == ["world state: lc LC-1 is compliant "
                        f'{{"presentation_id":"P-1","terms_hash":"{H["a"]}"}}, the log says documents_presented '
                        f'{{"presentation_id":"P-1","terms_hash":"{H["a"]}"}}']
    with ledger.db.write() as s:
        s.query(LedgerTransaction).filter(LedgerTransaction.seq == 2).delete()
    problems = ledger.verify().problems
    assert any("seq 3" in p and "expected seq 2" in p for p in problems), problems
    assert any("replaying the log rejects" in p for p in problems), problems


def test_verify_reports_a_signature_by_the_wrong_key(ledger: EmbeddedLedger) -> None:
    _issued_lc(ledger)
    # re-sign row 1 with the bank's key while it claims to be the corporate's transaction
    with ledger.db.read() as s:
        row = s.get(LedgerTransaction, 1)
        assert row is not None
        entry_hash = row.entry_hash
    key_id, signature = ledger.keys.sign("BankMSP", bytes.fromhex(entry_hash))
    _tamper(ledger, update(LedgerTransaction).where(LedgerTransaction.seq == 1).values(signature=signature))
    assert any("seq 1" in p and "signature does not verify" in p for p in ledger.verify().problems)
    _tamper(ledger, update(LedgerTransaction).where(LedgerTransaction.seq == 1).values(key_id=key_id))
    problems = ledger.verify().problems
    assert any("signed with the key of BankMSP, not of the submitter CorporateMSP" in p for p in problems)


def test_open_ledger_selects_by_environment(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        assert open_ledger(db, tmp_path, {}).kind == "embedded"
        assert open_ledger(db, tmp_path, {"BLOCKTRADE_LEDGER": "embedded"}).kind == "embedded"
        with pytest.raises(ValueError, match="BLOCKTRADE_LEDGER='besu': use one of embedded, fabric"):
            open_ledger(db, tmp_path, {"BLOCKTRADE_LEDGER": "besu"})
    finally:
        db.dispose()


def test_unreadable_key_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "BankMSP.pem").write_text("not a key")
    with pytest.raises(ValueError, match=r"BankMSP\.pem: cannot load the ledger signing key"):
        KeyStore(tmp_path / "keys").private_key("BankMSP")
