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
        yield api
    client.app.state.service.db.dispose()  # type: ignore[attr-defined]


_counter = itertools.count()


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
    "amend lc": {**dict.fromkeys(USERS, 403), "bank_admin": 200, "foreign_bank_admin": 404},
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
