"""KYC verify/status, the AML screen endpoint and the compliance report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.conftest import Api, pdf


def verify(api: Api, user: str, **body: Any) -> Any:
    return api.client.post("/api/v1/kyc/verify", headers=api.headers(user), json=body)


def test_counterparty_on_the_list_goes_to_review_with_the_list_version(api: Api) -> None:
    response = verify(api, "bank_officer", subject="counterparty", name="Nordvik Marine Trading Co Ltd")
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["status"] == "review"
    assert record["screening"]["matches"][0]["id"] == "SAMPLE:9000002"
    versions = record["screening"]["list_versions"]
    assert versions and versions[0]["source"] == "SAMPLE"
    assert record["screening"]["matches"][0]["list_version"] == versions[0]["version_id"]
    status = api.client.get(f"/api/v1/kyc/{record['id']}", headers=api.headers("auditor"))
    assert status.status_code == 200 and status.json()["status"] == "review"


def test_known_organisation_is_screened_by_its_registered_name(api: Api) -> None:
    response = verify(api, "bank_officer", subject="organisation", organization_id=api.seed.orgs["beneficiary"])
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Beneficiary Org"
    assert response.json()["status"] == "cleared" and response.json()["screening"]["matches"] == []
    # an organisation that shares no credit with the caller is not revealed
    stranger = verify(api, "bank_officer", subject="organisation", organization_id=api.seed.orgs["foreign_corp"])
    assert stranger.status_code == 404 and stranger.json()["error"]["code"] == "not_found"


def test_records_are_isolated_and_listed_with_a_cursor(api: Api) -> None:
    ids = [verify(api, "bank_officer", subject="counterparty", name=f"Harbour Freight {n}").json()["id"]
           for n in range(3)]
    page = api.client.get("/api/v1/kyc?limit=2", headers=api.headers("bank_admin")).json()
    rest = api.client.get(f"/api/v1/kyc?limit=2&cursor={page['next_cursor']}", headers=api.headers("bank_admin")).json()
    assert [r["id"] for r in page["items"] + rest["items"]] == ids
    foreign = api.client.get(f"/api/v1/kyc/{ids[0]}", headers=api.headers("foreign_bank_admin"))
    assert foreign.status_code == 404
    assert api.client.get("/api/v1/kyc", headers=api.headers("foreign_bank_admin")).json()["items"] == []


def test_subject_fields_are_checked(api: Api) -> None:
    both = verify(api, "bank_officer", subject="counterparty", name="X", organization_id=api.seed.orgs["issuing"])
    assert both.status_code == 422 and both.json()["error"]["code"] == "validation_error"
    neither = verify(api, "bank_officer", subject="organisation")
    assert neither.status_code == 422


def test_screening_unavailable_fails_closed_and_records_nothing(api: Api) -> None:
    sanctions = Path(api.ctx.settings.data_dir) / "sanctions"
    sanctions.mkdir(parents=True)
    (sanctions / "active.json").write_text("{not json")
    response = verify(api, "bank_officer", subject="counterparty", name="Harmless Trading Ltd")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "screening_unavailable"
    assert "active.json" in response.json()["error"]["message"]
    assert api.client.get("/api/v1/kyc", headers=api.headers("bank_officer")).json()["items"] == []
    screen = api.client.post("/api/v1/aml/screen", headers=api.headers("bank_officer"),
                             json={"name": "Harmless Trading Ltd"})
    assert screen.status_code == 503


def test_aml_screen_returns_matches_with_list_versions(api: Api) -> None:
    response = api.client.post("/api/v1/aml/screen", headers=api.headers("bank_officer"),
                               json={"name": "Northern Star", "type": "vessel"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["matches"][0]["id"] == "SAMPLE:9000004" and body["matches"][0]["score"] >= body["threshold"]
    assert body["list_versions"][0]["label"].startswith("SAMPLE ")
    clean = api.client.post("/api/v1/aml/screen", headers=api.headers("bank_officer"),
                            json={"name": "Completely Unrelated Bakery", "type": "entity"})
    assert clean.json()["matches"] == []
    no_letters = api.client.post("/api/v1/aml/screen", headers=api.headers("bank_officer"), json={"name": "!!!"})
    assert no_letters.status_code == 422 and no_letters.json()["error"]["code"] == "invalid_name"
    corporate = api.client.post("/api/v1/aml/screen", headers=api.headers("corporate_admin"), json={"name": "X"})
    assert corporate.status_code == 403


def test_compliance_report_summarises_findings_and_reviews(api: Api) -> None:
    submitted = api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT HOLD"))]).json()
    url = f"/api/v1/compliance/presentations/{submitted['id']}/report"
    findings = api.client.get(f"/api/v1/presentations/{submitted['id']}/findings",
                              headers=api.headers("bank_officer")).json()
    warning = next(f for f in findings if f["severity"] == "warning")
    reviewed = api.client.post(f"/api/v1/presentations/{submitted['id']}/findings/{warning['id']}/review",
                               headers=api.headers("bank_officer"), json={"action": "confirm", "reason": "checked"})
    assert reviewed.status_code == 200
    summary = api.client.get(url, headers=api.headers("auditor")).json()
    assert summary["outcome"] == "hold"
    assert summary["counts"]["by_severity"] == {"discrepancy": 2, "warning": 1}
    assert summary["counts"]["by_review"] == {"open": 2, "confirmed": 1}
    assert summary["holds"] == ["aml.sanctions.party"]
    assert summary["open_discrepancies"] == ["ucp600.20a3.port-of-loading", "aml.sanctions.party"]
    assert summary["counts"]["by_ref"]["UCP600 20(a)(iii)"] == 1
    html = api.client.get(url + "?format=html", headers=api.headers("auditor"))
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "ucp600.20a3.port-of-loading" in html.text
    assert api.client.get(url, headers=api.headers("foreign_auditor")).status_code == 404
    assert api.client.get(url, headers=api.headers("corporate_user")).status_code == 403


def test_compliance_report_before_examination_is_a_409(api_factory: Any) -> None:
    api = api_factory(job_mode="queue")  # nothing runs the job
    submitted = api.submit("corporate_admin", [("a.pdf", pdf())]).json()
    response = api.client.get(f"/api/v1/compliance/presentations/{submitted['id']}/report",
                              headers=api.headers("bank_officer"))
    assert response.status_code == 409 and response.json()["error"]["code"] == "report_not_ready"
