"""Authorisation matrix: every endpoint × every role × party / non-party organisation.

The expected status of each cell is written out below, so a change of policy shows up as
a changed table in review. 403: the role may not do this at all; 404: the role may, but
the caller's organisation is not party to the credit (isolation hides its existence).
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import USERS, Api, Seed, fake_examiner, make_settings, pdf

PARTY_USERS = ("bank_admin", "bank_officer", "nominated_officer", "corporate_admin", "corporate_user",
               "applicant_admin", "auditor")
OUTSIDERS = ("nbfc_admin", "logistics_user", "foreign_bank_admin", "foreign_bank_officer",
             "foreign_corporate_admin", "foreign_auditor")
assert set(PARTY_USERS) | set(OUTSIDERS) == set(USERS)


@pytest.fixture(scope="module")
def matrix_api(template_db: tuple[Path, Seed], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    template, seed = template_db
    folder = tmp_path_factory.mktemp("matrix")
    shutil.copy(template, folder / "m.db")
    client = TestClient(create_app(make_settings(folder, folder / "m.db"), examiner=fake_examiner),
                        raise_server_exceptions=False)
    with client:
        api = Api(client, seed)
        submitted = api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT"))])
        assert submitted.status_code == 202
        api.presentation_id = submitted.json()["id"]  # type: ignore[attr-defined]
        findings = client.get(f"/api/v1/presentations/{api.presentation_id}/findings",  # type: ignore[attr-defined]
                              headers=api.headers("bank_officer")).json()
        api.finding_id = findings[0]["id"]  # type: ignore[attr-defined]
        # rows of the integration endpoints, owned by the issuing bank / under the seeded credit
        api.webhook_id = client.post("/api/v1/webhooks", headers=api.headers("bank_admin"),  # type: ignore[attr-defined]
                                     json={"url": WEBHOOK_URL}).json()["id"]
        api.kyc_id = client.post("/api/v1/kyc/verify", headers=api.headers("bank_officer"),  # type: ignore[attr-defined]
                                 json={"subject": "counterparty", "name": "Harbour Freight Ltd"}).json()["id"]
        api.document_id = upload_document(api)  # type: ignore[attr-defined]
        # ledger rows: escrow blocked by the issuing bank, a shipment booked by the beneficiary
        api.payment_id = client.post("/api/v1/payments/escrow", headers=api.headers("bank_officer"),  # type: ignore[attr-defined]
                                     json={"lc_id": seed.lc_id, "amount": "10.00", "currency": "USD"}).json()["id"]
        api.shipment_id = client.post("/api/v1/shipments", headers=api.headers("corporate_admin"),  # type: ignore[attr-defined]
                                      json={"lc_id": seed.lc_id, "carrier_id": seed.orgs["logistics"]}).json()["id"]
        # an invoice-financing request by the beneficiary to the seeded NBFC
        api.financing_id = client.post("/api/v1/financing", headers=api.headers("corporate_admin"),  # type: ignore[attr-defined]
                                       json=financing_body(api)).json()["id"]
        yield api
    client.app.state.service.db.dispose()  # type: ignore[attr-defined]


_counter = itertools.count()
WEBHOOK_URL = "https://hooks.example.invalid/blocktrade"


def upload_document(api: Api) -> str:
    response = api.client.post("/api/v1/documents", headers=api.headers("corporate_user"),
                               data={"lc_id": api.seed.lc_id}, files={"file": ("inv.pdf", pdf(f"doc {next(_counter)}"))})
    assert response.status_code == 201, response.text
    return response.json()["id"]  # type: ignore[no-any-return]


def financing_body(api: Api) -> dict[str, Any]:
    return {"lc_id": api.seed.lc_id, "invoice_document_id": api.document_id,  # type: ignore[attr-defined]
            "nbfc_id": api.seed.orgs["nbfc"], "amount": "5.00", "currency": "USD"}


def lc_body(api: Api, issuing: str, applicant: str) -> dict[str, Any]:
    return {"lc_number": f"LC-MATRIX-{next(_counter)}", "amount": "1000.00", "currency": "USD",
            "application_date": "2026-01-01", "expiry_date": "2026-12-31", "applicant_id": api.seed.orgs[applicant],
            "beneficiary_id": api.seed.orgs["beneficiary"], "issuing_bank_id": api.seed.orgs[issuing]}


Call = Callable[[Api, str], Any]

ENDPOINTS: dict[str, Call] = {
    "get lc": lambda a, u: a.client.get(f"/api/v1/lcs/{a.seed.lc_id}", headers=a.headers(u)),
    "amend lc": lambda a, u: a.client.post(f"/api/v1/lcs/{a.seed.lc_id}/amendments", headers=a.headers(u),
                                           json={"expiry_date": "2026-07-31", "reason": "extend expiry"}),
    "create lc as issuer": lambda a, u: a.client.post("/api/v1/lcs", headers=a.headers(u),
                                                      json=lc_body(a, "issuing", "applicant")),
    "submit presentation": lambda a, u: a.submit(u, [("a.pdf", pdf(f"by {u}"))]),
    "presentation status": lambda a, u: a.client.get(f"/api/v1/presentations/{a.presentation_id}",
                                                     headers=a.headers(u)),
    "presentation report": lambda a, u: a.client.get(f"/api/v1/presentations/{a.presentation_id}/report",
                                                     headers=a.headers(u)),
    "list findings": lambda a, u: a.client.get(f"/api/v1/presentations/{a.presentation_id}/findings",
                                               headers=a.headers(u)),
    "review finding": lambda a, u: a.client.post(
        f"/api/v1/presentations/{a.presentation_id}/findings/{a.finding_id}/review", headers=a.headers(u),
        json={"action": "confirm", "reason": "checked against the B/L"}),
    # accepting with an open discrepancy: an authorised caller gets 409, proving it passed the checks
    "decide": lambda a, u: a.client.post(f"/api/v1/presentations/{a.presentation_id}/decision",
                                         headers=a.headers(u), json={"decision": "accept", "reason": "try it"}),
    "audit trail": lambda a, u: a.client.get("/api/v1/audit", headers=a.headers(u)),
}

# endpoint -> user -> expected status
EXPECTED: dict[str, dict[str, int]] = {
    "get lc": {**dict.fromkeys(PARTY_USERS, 200), **dict.fromkeys(OUTSIDERS, 404)},
    # the fixture's discrepant presentation put the credit under examination on the ledger, where
    # the lifecycle forbids amending it: the issuing bank passes every check and gets that 409
    "amend lc": {**dict.fromkeys(USERS, 403), "bank_admin": 409, "foreign_bank_admin": 404},
    "create lc as issuer": {**dict.fromkeys(USERS, 403), "bank_admin": 201, "applicant_admin": 201},
    "submit presentation": {
        **dict.fromkeys(USERS, 403),
        "bank_admin": 202, "bank_officer": 202, "nominated_officer": 202, "corporate_admin": 202,
        "foreign_bank_admin": 404, "foreign_bank_officer": 404, "foreign_corporate_admin": 404,
    },
    "presentation status": {**dict.fromkeys(PARTY_USERS, 200), **dict.fromkeys(OUTSIDERS, 404)},
    "presentation report": {**dict.fromkeys(PARTY_USERS, 200), **dict.fromkeys(OUTSIDERS, 404)},
    "list findings": {**dict.fromkeys(PARTY_USERS, 200), **dict.fromkeys(OUTSIDERS, 404)},
    "review finding": {**dict.fromkeys(USERS, 403), "bank_admin": 200, "bank_officer": 200,
                       "nominated_officer": 200, "foreign_bank_admin": 404, "foreign_bank_officer": 404},
    "decide": {**dict.fromkeys(USERS, 403), "bank_admin": 409, "bank_officer": 409, "nominated_officer": 409,
               "foreign_bank_admin": 404, "foreign_bank_officer": 404},
    "audit trail": {**dict.fromkeys(USERS, 403), "bank_admin": 200, "auditor": 200, "foreign_auditor": 200,
                    "foreign_bank_admin": 200},
}

# --------------------------------------------------------------------------- integration endpoints

ENDPOINTS.update({
    "register webhook": lambda a, u: a.client.post("/api/v1/webhooks", headers=a.headers(u), json={"url": WEBHOOK_URL}),
    "list webhooks": lambda a, u: a.client.get("/api/v1/webhooks", headers=a.headers(u)),
    "get webhook": lambda a, u: a.client.get(f"/api/v1/webhooks/{a.webhook_id}", headers=a.headers(u)),
    "webhook deliveries": lambda a, u: a.client.get(f"/api/v1/webhooks/{a.webhook_id}/deliveries",
                                                    headers=a.headers(u)),
    "disable webhook": lambda a, u: a.client.delete(f"/api/v1/webhooks/{a.webhook_id}", headers=a.headers(u)),
    "send notification": lambda a, u: a.client.post("/api/v1/notifications", headers=a.headers(u),
                                                    json={"subject": "s", "body": "b"}),
    "notify a party of the credit": lambda a, u: a.client.post(
        "/api/v1/notifications", headers=a.headers(u),
        json={"subject": "s", "body": "b", "organization_id": a.seed.orgs["issuing"], "lc_id": a.seed.lc_id}),
    "notification history": lambda a, u: a.client.get("/api/v1/notifications", headers=a.headers(u)),
    "notification stream": lambda a, u: a.client.get("/api/v1/notifications/stream?timeout=0.05",
                                                     headers=a.headers(u)),
    "get preferences": lambda a, u: a.client.get("/api/v1/notifications/preferences", headers=a.headers(u)),
    "put preferences": lambda a, u: a.client.put("/api/v1/notifications/preferences", headers=a.headers(u),
                                                 json={"muted_categories": []}),
    "kyc verify": lambda a, u: a.client.post("/api/v1/kyc/verify", headers=a.headers(u),
                                             json={"subject": "counterparty", "name": "Harbour Freight Ltd"}),
    "kyc verify party organisation": lambda a, u: a.client.post(
        "/api/v1/kyc/verify", headers=a.headers(u),
        json={"subject": "organisation", "organization_id": a.seed.orgs["beneficiary"]}),
    "kyc list": lambda a, u: a.client.get("/api/v1/kyc", headers=a.headers(u)),
    "kyc status": lambda a, u: a.client.get(f"/api/v1/kyc/{a.kyc_id}", headers=a.headers(u)),
    "aml screen": lambda a, u: a.client.post("/api/v1/aml/screen", headers=a.headers(u), json={"name": "Northern Star"}),
    "compliance report": lambda a, u: a.client.get(f"/api/v1/compliance/presentations/{a.presentation_id}/report",
                                                   headers=a.headers(u)),
    "upload document": lambda a, u: a.client.post("/api/v1/documents", headers=a.headers(u),
                                                  data={"lc_id": a.seed.lc_id},
                                                  files={"file": ("d.pdf", pdf(f"upload by {u}"))}),
    "list documents": lambda a, u: a.client.get("/api/v1/documents", headers=a.headers(u)),
    "get document": lambda a, u: a.client.get(f"/api/v1/documents/{a.document_id}", headers=a.headers(u)),
    "document content": lambda a, u: a.client.get(f"/api/v1/documents/{a.document_id}/content", headers=a.headers(u)),
    "document signatures": lambda a, u: a.client.get(f"/api/v1/documents/{a.document_id}/signatures",
                                                     headers=a.headers(u)),
    # a fresh document per cell: an organisation signs a document once (a second time is 409)
    "sign document": lambda a, u: a.client.post(f"/api/v1/documents/{upload_document(a)}/sign", headers=a.headers(u)),
    "extraction templates": lambda a, u: a.client.get("/api/v1/documents/templates", headers=a.headers(u)),
})

WEBHOOK_ADMINS = ("bank_admin", "corporate_admin", "applicant_admin", "nbfc_admin", "foreign_bank_admin",
                  "foreign_corporate_admin")
KYC_VIEWERS = ("bank_admin", "bank_officer", "nominated_officer", "corporate_admin", "applicant_admin", "nbfc_admin",
               "auditor", "foreign_bank_admin", "foreign_bank_officer", "foreign_corporate_admin", "foreign_auditor")
SENDERS = tuple(u for u in USERS if u not in ("auditor", "foreign_auditor"))
every = dict.fromkeys(USERS, 200)
party_only = {**dict.fromkeys(PARTY_USERS, 200), **dict.fromkeys(OUTSIDERS, 404)}
issuing_webhook = {**dict.fromkeys(USERS, 403), **dict.fromkeys(WEBHOOK_ADMINS, 404), "bank_admin": 200}

EXPECTED.update({
    "register webhook": {**dict.fromkeys(USERS, 403), **dict.fromkeys(WEBHOOK_ADMINS, 201)},
    "list webhooks": {**dict.fromkeys(USERS, 403), **dict.fromkeys(WEBHOOK_ADMINS, 200)},
    "get webhook": issuing_webhook,
    "webhook deliveries": issuing_webhook,
    "disable webhook": issuing_webhook,
    "send notification": {**dict.fromkeys(USERS, 403), **dict.fromkeys(SENDERS, 201)},
    "notify a party of the credit": {**dict.fromkeys(USERS, 403), **{u: 201 for u in SENDERS if u in PARTY_USERS},
                                     **{u: 404 for u in SENDERS if u in OUTSIDERS}},
    "notification history": every,
    "notification stream": every,
    "get preferences": every,
    "put preferences": every,
    "kyc verify": {**dict.fromkeys(USERS, 403), **dict.fromkeys(
        ("bank_admin", "bank_officer", "nominated_officer", "nbfc_admin", "foreign_bank_admin",
         "foreign_bank_officer"), 201)},
    "kyc verify party organisation": {**dict.fromkeys(USERS, 403), "bank_admin": 201, "bank_officer": 201,
                                      "nominated_officer": 201, "nbfc_admin": 404, "foreign_bank_admin": 404,
                                      "foreign_bank_officer": 404},
    "kyc list": {**dict.fromkeys(USERS, 403), **dict.fromkeys(KYC_VIEWERS, 200)},
    "kyc status": {**dict.fromkeys(USERS, 403), **dict.fromkeys(KYC_VIEWERS, 404), "bank_admin": 200,
                   "bank_officer": 200, "auditor": 200},
    "aml screen": {**dict.fromkeys(USERS, 403), **dict.fromkeys(
        ("bank_admin", "bank_officer", "nominated_officer", "nbfc_admin", "auditor", "foreign_bank_admin",
         "foreign_bank_officer", "foreign_auditor"), 200)},
    "compliance report": {**dict.fromkeys(USERS, 403), **dict.fromkeys(
        ("bank_admin", "bank_officer", "nominated_officer", "corporate_admin", "applicant_admin", "auditor"), 200),
        **dict.fromkeys(("foreign_bank_admin", "foreign_bank_officer", "foreign_corporate_admin", "foreign_auditor"),
                        404)},
    "upload document": {**dict.fromkeys(USERS, 403), **dict.fromkeys(
        ("bank_admin", "bank_officer", "nominated_officer", "corporate_admin", "corporate_user", "applicant_admin"),
        201), **dict.fromkeys(("logistics_user", "foreign_bank_admin", "foreign_bank_officer",
                                "foreign_corporate_admin"), 404)},
    "list documents": every,
    "get document": party_only,
    "document content": party_only,
    "document signatures": party_only,
    "sign document": {**dict.fromkeys(USERS, 403), **dict.fromkeys(
        ("bank_admin", "bank_officer", "nominated_officer", "corporate_admin", "applicant_admin"), 201),
        **dict.fromkeys(("foreign_bank_admin", "foreign_bank_officer", "foreign_corporate_admin"), 404)},
    "extraction templates": every,
})

# --------------------------------------------------------------------------- ledger endpoints

ENDPOINTS.update({
    # issuing a credit issued long ago: the issuing bank passes every check and gets the lifecycle's 409
    "lc lifecycle action": lambda a, u: a.client.post(f"/api/v1/lcs/{a.seed.lc_id}/lifecycle/issue",
                                                      headers=a.headers(u), json={}),
    "lc ledger": lambda a, u: a.client.get(f"/api/v1/lcs/{a.seed.lc_id}/ledger", headers=a.headers(u)),
    "escrow create": lambda a, u: a.client.post("/api/v1/payments/escrow", headers=a.headers(u),
                                                json={"lc_id": a.seed.lc_id, "amount": "1.00", "currency": "USD"}),
    # returning funds of a live credit: the issuing bank passes every check and gets the lifecycle's 409
    "return payment": lambda a, u: a.client.post(f"/api/v1/payments/{a.payment_id}/return", headers=a.headers(u)),
    "payment status": lambda a, u: a.client.get(f"/api/v1/payments/{a.payment_id}", headers=a.headers(u)),
    "calculate fees": lambda a, u: a.client.post("/api/v1/payments/fees", headers=a.headers(u),
                                                 json={"amount": "1000.00", "currency": "EUR"}),
    "book shipment": lambda a, u: a.client.post("/api/v1/shipments", headers=a.headers(u),
                                                json={"lc_id": a.seed.lc_id, "carrier_id": a.seed.orgs["logistics"]}),
    # a location before departure: the carrier passes every check and gets the lifecycle's 409
    "shipment location": lambda a, u: a.client.post(f"/api/v1/shipments/{a.shipment_id}/locations",
                                                    headers=a.headers(u), json={"location": "SGSIN"}),
    "shipment status": lambda a, u: a.client.get(f"/api/v1/shipments/{a.shipment_id}", headers=a.headers(u)),
})

FOREIGN_BANKERS = ("foreign_bank_admin", "foreign_bank_officer")
EXPECTED.update({
    "lc lifecycle action": {**dict.fromkeys(USERS, 403), "bank_admin": 409, "bank_officer": 409,
                            **dict.fromkeys((*FOREIGN_BANKERS, "foreign_corporate_admin"), 404)},
    "lc ledger": party_only,
    "escrow create": {**dict.fromkeys(USERS, 403), "bank_admin": 201, "bank_officer": 201,
                      **dict.fromkeys(FOREIGN_BANKERS, 404)},
    "return payment": {**dict.fromkeys(USERS, 403), "bank_admin": 409, "bank_officer": 409,
                        **dict.fromkeys(FOREIGN_BANKERS, 404)},
    "payment status": {**dict.fromkeys(USERS, 404), **dict.fromkeys(PARTY_USERS, 200), "nbfc_admin": 403,
                       "logistics_user": 403},
    "calculate fees": {**dict.fromkeys(USERS, 200), "logistics_user": 403},
    "book shipment": {**dict.fromkeys(USERS, 403), "corporate_admin": 201, "corporate_user": 201,
                      "applicant_admin": 201, "logistics_user": 404, "foreign_corporate_admin": 404},
    "shipment location": {**dict.fromkeys(USERS, 403), "logistics_user": 409},
    "shipment status": {**dict.fromkeys(USERS, 404), **dict.fromkeys(PARTY_USERS, 200), "logistics_user": 200,
                        "nbfc_admin": 403},
})

# --------------------------------------------------------------------------- invoice financing, LC documents/approve

ENDPOINTS.update({
    "request financing": lambda a, u: a.client.post("/api/v1/financing", headers=a.headers(u),
                                                    json=financing_body(a)),
    # funding a request not yet approved: the NBFC passes every check and gets the lifecycle's 409
    "fund financing": lambda a, u: a.client.post(f"/api/v1/financing/{a.financing_id}/fund", headers=a.headers(u)),
    "financing status": lambda a, u: a.client.get(f"/api/v1/financing/{a.financing_id}", headers=a.headers(u)),
    "list financing": lambda a, u: a.client.get("/api/v1/financing", headers=a.headers(u)),
    "lc documents": lambda a, u: a.client.get(f"/api/v1/lcs/{a.seed.lc_id}/documents", headers=a.headers(u)),
    # approving a credit issued long ago: the issuing bank passes every check and gets the lifecycle's 409
    "approve lc": lambda a, u: a.client.post(f"/api/v1/lcs/{a.seed.lc_id}/approve", headers=a.headers(u), json={}),
})

FINANCING_VIEWERS = ("corporate_admin", "corporate_user", "applicant_admin", "nbfc_admin", "foreign_corporate_admin")
EXPECTED.update({
    "request financing": {**dict.fromkeys(USERS, 403), "corporate_admin": 201, "corporate_user": 201,
                          "applicant_admin": 201, "foreign_corporate_admin": 404},
    "fund financing": {**dict.fromkeys(USERS, 403), "nbfc_admin": 409},
    # the request is the beneficiary's and the NBFC's: other corporates may view financing, but not this one
    "financing status": {**dict.fromkeys(USERS, 403), **dict.fromkeys(FINANCING_VIEWERS, 404),
                         "corporate_admin": 200, "corporate_user": 200, "nbfc_admin": 200},
    "list financing": {**dict.fromkeys(USERS, 403), **dict.fromkeys(FINANCING_VIEWERS, 200)},
    "lc documents": party_only,
    "approve lc": EXPECTED["lc lifecycle action"],
})

CELLS = [(endpoint, user) for endpoint in ENDPOINTS for user in USERS]


@pytest.mark.parametrize(("endpoint", "user"), CELLS, ids=[f"{e}-{u}" for e, u in CELLS])
def test_cell(matrix_api: Api, endpoint: str, user: str) -> None:
    response = ENDPOINTS[endpoint](matrix_api, user)
    expected = EXPECTED[endpoint][user]
    assert response.status_code == expected, f"{endpoint} as {user}: {response.status_code} {response.text[:300]}"
    if expected >= 400:
        assert set(response.json()) == {"error"} and response.json()["error"]["code"]


@pytest.mark.parametrize("user", USERS)
def test_lists_show_only_credits_the_organisation_is_party_to(matrix_api: Api, user: str) -> None:
    listed = matrix_api.client.get("/api/v1/lcs?limit=200", headers=matrix_api.headers(user)).json()["items"]
    ids = {lc["id"] for lc in listed}
    assert (matrix_api.seed.lc_id in ids) == (user in PARTY_USERS)
    assert (matrix_api.seed.foreign_lc_id in ids) == user.startswith("foreign_")
    presentations = matrix_api.client.get("/api/v1/presentations?limit=200",
                                          headers=matrix_api.headers(user)).json()["items"]
    assert all(p["lc_id"] != matrix_api.seed.lc_id for p in presentations) == (user not in PARTY_USERS)


def test_audit_trail_is_isolated_by_organisation(matrix_api: Api) -> None:
    own = matrix_api.client.get("/api/v1/audit?limit=200", headers=matrix_api.headers("auditor")).json()["items"]
    foreign = matrix_api.client.get("/api/v1/audit?limit=200",
                                    headers=matrix_api.headers("foreign_auditor")).json()["items"]
    assert any(e["entity_id"] == matrix_api.seed.orgs["issuing"] for e in own)
    assert not any(e["entity_id"] in (matrix_api.seed.lc_id, matrix_api.presentation_id) for e in foreign)  # type: ignore[attr-defined]
