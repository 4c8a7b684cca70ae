"""Invoice financing through the ledger, and the credit's documents / approve endpoints."""

from __future__ import annotations

import hashlib
from typing import Any

from api.auth import service as auth_service
from api.db.models import AuditEntry
from tests.api.conftest import PASSWORD, Api, pdf


def upload_invoice(api: Api, marker: str = "invoice") -> tuple[str, str]:
    body = pdf(marker)
    response = api.client.post("/api/v1/documents", headers=api.headers("corporate_user"),
                               data={"lc_id": api.seed.lc_id}, files={"file": ("invoice.pdf", body)})
    assert response.status_code == 201, response.text
    return response.json()["id"], hashlib.sha256(body).hexdigest()


def request_body(api: Api, document_id: str, **overrides: Any) -> dict[str, Any]:
    body = {"lc_id": api.seed.lc_id, "invoice_document_id": document_id, "nbfc_id": api.seed.orgs["nbfc"],
            "amount": "80000.00", "currency": "USD"}
    body.update(overrides)
    return body


def step(api: Api, financing_id: str, action: str, user: str = "nbfc_admin") -> Any:
    return api.client.post(f"/api/v1/financing/{financing_id}/{action}", headers=api.headers(user),
                           json={"reason": f"{action} by {user}"})


def test_request_approve_fund_repay_follows_the_ledger(api: Api) -> None:
    document_id, invoice_hash = upload_invoice(api)
    created = api.client.post("/api/v1/financing", headers=api.headers("corporate_admin"),
                              json=request_body(api, document_id))
    assert created.status_code == 201, created.text
    financing = created.json()
    assert financing["status"] == "requested" and financing["amount"] == "80000.00"
    assert financing["corporate_id"] == api.seed.orgs["beneficiary"] and financing["nbfc_id"] == api.seed.orgs["nbfc"]
    for action, state in (("approve", "approved"), ("fund", "funded"), ("repay", "repaid")):
        moved = step(api, financing["id"], action)
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == state
    shown = api.client.get(f"/api/v1/financing/{financing['id']}", headers=api.headers("corporate_user")).json()
    assert shown["financing"]["status"] == "repaid"
    assert shown["ledger"]["state"] == "repaid"
    assert shown["ledger"]["attrs"]["invoice_hash"] == invoice_hash  # the ledger keeps the hash only
    assert [t["action"] for t in shown["ledger"]["history"]] == ["request", "approve", "fund", "repay"]
    with api.ctx.db.read() as session:
        actions = [e.action for e in session.query(AuditEntry).filter_by(entity_type="financing",
                                                                       entity_id=financing["id"])]
    assert actions == ["request", "approve", "fund", "repay"]


def test_a_forbidden_transition_is_409_with_the_lifecycle_message(api: Api) -> None:
    document_id, _ = upload_invoice(api)
    financing_id = api.client.post("/api/v1/financing", headers=api.headers("corporate_admin"),
                                   json=request_body(api, document_id)).json()["id"]
    early = step(api, financing_id, "fund")
    assert early.status_code == 409
    error = early.json()["error"]
    assert error["code"] == "ledger_rejected"
    assert error["message"] == f"invoice_financing {financing_id} cannot fund from state requested"
    assert step(api, financing_id, "reject").json()["status"] == "rejected"
    assert step(api, financing_id, "approve").status_code == 409  # rejected is final
    shown = api.client.get(f"/api/v1/financing/{financing_id}", headers=api.headers("nbfc_admin")).json()
    assert shown["financing"]["status"] == "rejected"


def test_only_the_parties_of_a_request_see_it(api: Api) -> None:
    document_id, _ = upload_invoice(api)
    financing_id = api.client.post("/api/v1/financing", headers=api.headers("corporate_admin"),
                                   json=request_body(api, document_id)).json()["id"]
    # a second NBFC, not asked: it gets 404 for the request and cannot move it
    with api.ctx.db.write() as session:
        other = auth_service.create_organisation(session, name="Other NBFC", org_type="nbfc", country_code="IN")
        auth_service.create_user(session, organization_id=other.id, email="other-nbfc@example.test",
                                 password=PASSWORD, role="nbfc_admin")
    token = api.client.post("/api/v1/auth/token", data={"username": "other-nbfc@example.test",
                                                         "password": PASSWORD}).json()["access_token"]
    other_headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get(f"/api/v1/financing/{financing_id}", headers=other_headers).status_code == 404
    assert api.client.post(f"/api/v1/financing/{financing_id}/approve", headers=other_headers).status_code == 404
    assert api.client.get("/api/v1/financing", headers=other_headers).json()["items"] == []
    # the applicant is a party of the credit but did not ask: 404 too
    assert api.client.get(f"/api/v1/financing/{financing_id}",
                          headers=api.headers("applicant_admin")).status_code == 404
    # nor through the payments routes, whose table the requests share
    assert api.client.get(f"/api/v1/payments/{financing_id}",
                          headers=api.headers("applicant_admin")).status_code == 404
    # the requesting corporate may not approve its own request
    assert step(api, financing_id, "approve", user="corporate_admin").status_code == 403


def test_bad_requests_name_the_field(api: Api) -> None:
    document_id, _ = upload_invoice(api)
    headers = api.headers("corporate_admin")
    cases = {
        "nbfc_id": request_body(api, document_id, nbfc_id=api.seed.orgs["logistics"]),
        "currency": request_body(api, document_id, currency="EUR"),
        "amount": request_body(api, document_id, amount="125000.01"),
        "invoice_document_id": request_body(api, "00000000-0000-0000-0000-000000000000"),
    }
    for field_name, body in cases.items():
        response = api.client.post("/api/v1/financing", headers=headers, json=body)
        assert response.status_code == 422, (field_name, response.text)
        assert response.json()["error"]["details"]["field"] == field_name
    float_amount = api.client.post("/api/v1/financing", headers=headers,
                                   json=request_body(api, document_id, amount=80000.5))
    assert float_amount.status_code == 422
    assert api.client.get("/api/v1/financing", headers=headers).json()["items"] == []  # nothing half-written


def test_the_list_is_cursor_paginated(api: Api) -> None:
    document_id, _ = upload_invoice(api)
    made = [api.client.post("/api/v1/financing", headers=api.headers("corporate_admin"),
                            json=request_body(api, document_id, amount=f"{n}.00")).json()["id"] for n in (1, 2, 3)]
    first = api.client.get("/api/v1/financing?limit=2", headers=api.headers("nbfc_admin")).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = api.client.get(f"/api/v1/financing?limit=2&cursor={first['next_cursor']}",
                            headers=api.headers("nbfc_admin")).json()
    assert second["next_cursor"] is None
    assert [f["id"] for f in first["items"] + second["items"]] == made


# --------------------------------------------------------------------------- the credit's documents and approve


def test_lc_documents_lists_the_presented_files_with_type_hash_and_pages(api: Api) -> None:
    body = pdf("presented invoice")
    submitted = api.submit("corporate_admin", [("inv.pdf", body)])
    assert submitted.status_code == 202
    upload_invoice(api, "not presented")  # a loose upload is not part of any presentation
    listed = api.client.get(f"/api/v1/lcs/{api.seed.lc_id}/documents", headers=api.headers("bank_officer"))
    assert listed.status_code == 200
    [doc] = listed.json()
    assert doc["file"] == "inv.pdf" and doc["presentation_id"] == submitted.json()["id"]
    assert doc["sha256"] == hashlib.sha256(body).hexdigest()
    assert doc["type"] == "commercial_invoice" and doc["pages"] == 1  # what the (fake) examiner read
    foreign = api.client.get(f"/api/v1/lcs/{api.seed.lc_id}/documents", headers=api.headers("foreign_bank_admin"))
    assert foreign.status_code == 404


def test_approve_issues_a_drafted_credit_once(api: Api) -> None:
    drafted = api.client.post("/api/v1/lcs", headers=api.headers("applicant_admin"), json={
        "lc_number": "LC-APPROVE-1", "amount": "5000.00", "currency": "USD", "application_date": "2026-02-01",
        "expiry_date": "2026-08-01", "applicant_id": api.seed.orgs["applicant"],
        "beneficiary_id": api.seed.orgs["beneficiary"], "issuing_bank_id": api.seed.orgs["issuing"]})
    assert drafted.status_code == 201 and drafted.json()["status"] == "draft"
    lc_id = drafted.json()["id"]
    assert api.client.post(f"/api/v1/lcs/{lc_id}/approve", headers=api.headers("applicant_admin"),
                           json={}).status_code == 403
    approved = api.client.post(f"/api/v1/lcs/{lc_id}/approve", headers=api.headers("bank_admin"),
                               json={"reason": "applicant's limit checked"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["action"] == "issue" and approved.json()["state"] == "issued"
    assert api.client.get(f"/api/v1/lcs/{lc_id}", headers=api.headers("bank_admin")).json()["status"] == "issued"
    again = api.client.post(f"/api/v1/lcs/{lc_id}/approve", headers=api.headers("bank_admin"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "ledger_rejected"
