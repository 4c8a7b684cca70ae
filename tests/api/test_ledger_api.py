"""Lifecycle operations through the ledger: LC actions, escrow and release, shipments, and the
examination outcome reaching the ledger through the outbox."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from api.db.models import LetterOfCredit
from api.db.models_ledger import LedgerOutbox
from api.routes.lifecycle import ledger_service
from api.routes.payments import calculate_fees
from tests.api.conftest import Api, pdf

PROOF = "d" * 64


def outbox(api: Api) -> list[LedgerOutbox]:
    with api.ctx.db.read() as session:
        return list(session.scalars(select(LedgerOutbox).order_by(LedgerOutbox.seq)))


def lc_state(api: Api) -> str | None:
    entity = ledger_service(api.ctx).ledger.get("lc", api.seed.lc_id)
    return entity.state if entity else None


def examined(api: Api, marker: str) -> str:
    response = api.submit("corporate_admin", [("a.pdf", pdf(marker))])
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def escrow(api: Api, amount: str = "1000.00") -> Any:
    return api.client.post("/api/v1/payments/escrow", headers=api.headers("bank_officer"),
                           json={"lc_id": api.seed.lc_id, "amount": amount, "currency": "USD"})


def test_examination_outcome_reaches_the_ledger_once(api: Api) -> None:
    presentation_id = examined(api, "DISCREPANT")
    rows = outbox(api)
    assert [(r.operation, r.status) for r in rows] == [("fire", "done"), ("record", "done")]
    assert lc_state(api) == "discrepant"
    record = ledger_service(api.ctx).ledger.get_examination(presentation_id)
    assert record is not None and record["outcome"] == "discrepant" and record["rule_pack_versions"] == {
        "ucp600": "1.0.0"}
    with api.ctx.db.read() as session:
        lc = session.get(LetterOfCredit, api.seed.lc_id)
        assert lc is not None and lc.status == "discrepant"  # the database follows the ledger
    # a second dispatch finds nothing to send
    assert ledger_service(api.ctx).dispatcher.dispatch_once().sent == 0
    history = api.client.get(f"/api/v1/lcs/{api.seed.lc_id}/ledger", headers=api.headers("corporate_user"))
    assert history.status_code == 200
    assert [t["action"] for t in history.json()["history"]] == ["create", "issue", "present_documents", "record"]


def test_release_needs_a_compliant_or_waived_examination(api: Api) -> None:
    presentation_id = examined(api, "DISCREPANT")
    created = escrow(api)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "blocked" and created.json()["amount"] == "1000.00"
    payment_id = created.json()["id"]
    refused = api.client.post(f"/api/v1/payments/{payment_id}/release", headers=api.headers("bank_officer"))
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == (
        f"payment {payment_id} cannot be released: letter_of_credit {api.seed.lc_id} has no compliant or "
        "waived examination (state discrepant)")
    # waive the discrepancy, accept: the ledger fires accept_waiver, and release is allowed
    findings = api.client.get(f"/api/v1/presentations/{presentation_id}/findings",
                              headers=api.headers("bank_officer")).json()
    for finding in findings:
        if finding["severity"] == "discrepancy":
            reviewed = api.client.post(f"/api/v1/presentations/{presentation_id}/findings/{finding['id']}/review",
                                       headers=api.headers("bank_officer"),
                                       json={"action": "waive", "reason": "applicant agreed"})
            assert reviewed.status_code == 200
    decided = api.client.post(f"/api/v1/presentations/{presentation_id}/decision", headers=api.headers("bank_officer"),
                              json={"decision": "accept", "reason": "discrepancy waived"})
    assert decided.status_code == 201, decided.text
    assert lc_state(api) == "accepted"
    record = ledger_service(api.ctx).ledger.get_examination(presentation_id)
    assert record is not None and [d["decision"] for d in record["decisions"]] == ["waive"]
    released = api.client.post(f"/api/v1/payments/{payment_id}/release", headers=api.headers("bank_officer"))
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    again = api.client.post(f"/api/v1/payments/{payment_id}/release", headers=api.headers("bank_officer"))
    assert again.status_code == 409
    assert again.json()["error"]["message"] == f"payment {payment_id} cannot release from state released"
    shown = api.client.get(f"/api/v1/payments/{payment_id}", headers=api.headers("corporate_user")).json()
    assert [t["action"] for t in shown["ledger"]["history"]] == ["block_funds", "release"]


def test_release_under_hold_is_refused_and_funds_return_after_refusal(api: Api) -> None:
    created = escrow(api)  # blocked while the credit is issued
    assert created.status_code == 201, created.text
    payment_id = created.json()["id"]
    presentation_id = examined(api, "HOLD")
    assert lc_state(api) == "hold"
    held = api.client.post(f"/api/v1/payments/{payment_id}/release", headers=api.headers("bank_officer"))
    assert held.status_code == 409
    assert held.json()["error"]["message"] == (
        f"payment {payment_id} cannot be released: letter_of_credit {api.seed.lc_id} is under hold")
    early_return = api.client.post(f"/api/v1/payments/{payment_id}/return", headers=api.headers("bank_officer"))
    assert early_return.status_code == 409
    assert early_return.json()["error"]["message"] == (
        f"payment {payment_id} cannot be returned while letter_of_credit {api.seed.lc_id} is hold")
    refused = api.client.post(f"/api/v1/presentations/{presentation_id}/decision",
                              headers=api.headers("bank_officer"), json={"decision": "refuse", "reason": "sanctions"})
    assert refused.status_code == 201, refused.text
    assert lc_state(api) == "refused"
    returned = api.client.post(f"/api/v1/payments/{payment_id}/return", headers=api.headers("bank_officer"))
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    # a corporate may not move money, a foreign bank does not see the payment
    assert api.client.post(f"/api/v1/payments/{payment_id}/release",
                           headers=api.headers("corporate_admin")).status_code == 403
    assert api.client.get(f"/api/v1/payments/{payment_id}",
                          headers=api.headers("foreign_bank_admin")).status_code == 404


def test_lc_lifecycle_actions_and_forbidden_transitions(api: Api) -> None:
    pay = api.client.post(f"/api/v1/lcs/{api.seed.lc_id}/lifecycle/pay", headers=api.headers("bank_admin"), json={})
    assert pay.status_code == 409
    assert pay.json()["error"]["message"] == f"letter_of_credit {api.seed.lc_id} cannot pay from state issued"
    assert pay.json()["error"]["details"] == {"lifecycle_code": "bad_transition"}
    unknown = api.client.post(f"/api/v1/lcs/{api.seed.lc_id}/lifecycle/teleport", headers=api.headers("bank_admin"),
                              json={})
    assert unknown.status_code == 404
    nominated = api.client.post(f"/api/v1/lcs/{api.seed.lc_id}/lifecycle/cancel",
                                headers=api.headers("nominated_officer"), json={})
    assert nominated.status_code == 403 and nominated.json()["error"]["code"] == "not_issuing_bank"
    cancelled = api.client.post(f"/api/v1/lcs/{api.seed.lc_id}/lifecycle/cancel", headers=api.headers("bank_admin"),
                                json={"reason": "applicant withdrew"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    got = api.client.get(f"/api/v1/lcs/{api.seed.lc_id}", headers=api.headers("corporate_user")).json()
    assert got["status"] == "cancelled"


def test_shipment_booked_tracked_and_delivered(api: Api) -> None:
    booked = api.client.post("/api/v1/shipments", headers=api.headers("corporate_admin"),
                             json={"lc_id": api.seed.lc_id, "carrier_id": api.seed.orgs["logistics"],
                                   "port_of_loading": "NLRTM", "port_of_discharge": "CNSHA"})
    assert booked.status_code == 201, booked.text
    shipment_id = booked.json()["id"]
    base = f"/api/v1/shipments/{shipment_id}"
    early = api.client.post(f"{base}/locations", headers=api.headers("logistics_user"), json={"location": "SGSIN"})
    assert early.status_code == 409
    assert early.json()["error"]["message"] == f"shipment {shipment_id} cannot update_location from state booked"
    assert api.client.post(f"{base}/depart", headers=api.headers("logistics_user"),
                           json={"location": "NLRTM"}).json()["status"] == "in_transit"
    moved = api.client.post(f"{base}/locations", headers=api.headers("logistics_user"),
                            json={"location": "SGSIN", "geofence_alert": True})
    assert moved.status_code == 200 and moved.json()["last_location"]["geofence_alert"] is True
    bad = api.client.post(f"{base}/locations", headers=api.headers("logistics_user"), json={"location": "Sing"})
    assert bad.status_code == 422
    done = api.client.post(f"{base}/delivered", headers=api.headers("logistics_user"),
                           json={"location": "CNSHA", "proof_hash": PROOF})
    assert done.status_code == 200 and done.json()["status"] == "delivered"
    shown = api.client.get(base, headers=api.headers("applicant_admin")).json()
    assert shown["ledger"]["attrs"]["proof_hash"] == PROOF
    assert api.client.get(base, headers=api.headers("foreign_corporate_admin")).status_code == 404


def test_fees_are_exact_decimals(api: Api) -> None:
    quote = api.client.post("/api/v1/payments/fees", headers=api.headers("corporate_user"),
                            json={"amount": "125000.00", "currency": "USD", "validity_days": 180,
                                  "discrepant_presentations": 1}).json()
    assert [(line["fee"], line["amount"]) for line in quote["lines"]] == [
        ("issuance", "312.50"), ("payment", "125.00"), ("discrepancy", "75.00")]
    assert quote["total"] == "512.50"
    assert calculate_fees(Decimal("1000"), "JPY", 30, 0).total == Decimal("150")
    assert calculate_fees(Decimal("0.10"), "KWD", 1, 0).lines[0].amount == Decimal("100.000")
    rejected = api.client.post("/api/v1/payments/fees", headers=api.headers("corporate_user"),
                               json={"amount": 125000.5, "currency": "USD"})
    assert rejected.status_code == 422
