"""Submitting bundles, the examination job, the report, review and decision."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from typing import Any

from sqlalchemy import func, select

from api.db.models import Document, Finding, Job, Presentation
from tests.api.conftest import Api, pdf


def code(response: Any) -> str:
    return response.json()["error"]["code"]


def count(api: Api, model: Any) -> int:
    with api.ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_submit_gives_202_and_the_report_is_the_check_json(api: Api) -> None:
    lc_text = b"{1:F01BANKDEFFAXXX}{4:\n:20:LC-TEST-001\n-}"
    response = api.submit("corporate_admin", [("credit.txt", lc_text), ("a.pdf", pdf("DISCREPANT"))],
                          presented_on="2026-03-20")
    assert response.status_code == 202, response.text
    body = response.json()
    assert response.headers["Location"] == body["status_url"] == f"/api/v1/presentations/{body['id']}"
    status = api.client.get(body["status_url"], headers=api.headers("corporate_admin")).json()
    assert status["status"] == "examined" and status["outcome"] == "discrepant"
    assert status["presented_on"] == "2026-03-20"
    assert {d["file"]: d["sha256"] for d in status["documents"]}["a.pdf"] == hashlib.sha256(pdf("DISCREPANT")).hexdigest()
    report = api.client.get(body["report_url"], headers=api.headers("bank_officer"))
    assert report.status_code == 200
    assert report.json()["outcome"] == "discrepant"
    assert [f["rule"] for f in report.json()["findings"]] == ["ucp600.20a3.port-of-loading",
                                                             "ucp600.18b.invoice-amount"]
    assert {d["file"] for d in report.json()["documents"]} == {"credit.txt", "a.pdf"}


def test_stored_files_are_content_addressed(api: Api) -> None:
    body = pdf("stored")
    api.submit("corporate_admin", [("x.pdf", body)])
    digest = hashlib.sha256(body).hexdigest()
    path = api.ctx.storage.path_of(digest)
    assert path.read_bytes() == body
    assert path.parent.parent.name == digest[:2]


def test_zip_bundle_is_unpacked(api: Api) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bundle/invoice.pdf", pdf())
        archive.writestr("bundle/bl.pdf", pdf("DISCREPANT"))
        archive.writestr("__MACOSX/._bl.pdf", b"junk")
    response = api.submit("corporate_admin", [("bundle.zip", buffer.getvalue())])
    assert response.status_code == 202, response.text
    status = api.client.get(response.json()["status_url"], headers=api.headers("corporate_admin")).json()
    assert sorted(d["file"] for d in status["documents"]) == ["bl.pdf", "invoice.pdf"]
    assert status["outcome"] == "discrepant"


def test_idempotency_key_returns_the_same_presentation(api: Api) -> None:
    files = [("a.pdf", pdf("one"))]
    first = api.submit("corporate_admin", files, headers={"Idempotency-Key": "k-1"})
    again = api.submit("corporate_admin", files, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert count(api, Presentation) == 1 and count(api, Job) == 1
    different = api.submit("corporate_admin", [("a.pdf", pdf("two"))], headers={"Idempotency-Key": "k-1"})
    assert different.status_code == 422 and code(different) == "idempotency_key_reused"
    assert count(api, Presentation) == 1


def test_failed_examination_is_retried_then_recorded_as_failed(api_factory: Any) -> None:
    api = api_factory(job_max_attempts=2)
    response = api.submit("corporate_admin", [("a.pdf", pdf("CRASH"))])
    assert response.status_code == 202
    pid = response.json()["id"]
    with api.ctx.db.read() as session:
        job = session.scalars(select(Job)).one()
        assert job.status == "queued" and job.attempts == 1 and "crashed" in (job.last_error or "")
    from api import jobs as job_module

    # make the retry due now and run it the way a worker would
    with api.ctx.db.write() as session:
        session.scalars(select(Job)).one().run_after = job_module.utcnow()
    assert job_module.run_next(api.ctx) == "failed"
    status = api.client.get(f"/api/v1/presentations/{pid}", headers=api.headers("corporate_admin")).json()
    assert status["status"] == "failed" and "crashed" in status["error"]
    report = api.client.get(f"/api/v1/presentations/{pid}/report", headers=api.headers("corporate_admin"))
    assert report.status_code == 409 and code(report) == "report_not_ready"


def test_thread_runner_completes_the_job(api_factory: Any) -> None:
    api = api_factory(job_mode="thread")
    response = api.submit("corporate_admin", [("a.pdf", pdf())])
    assert response.status_code == 202
    deadline = time.monotonic() + 30
    status = ""
    while time.monotonic() < deadline:
        status = api.client.get(response.json()["status_url"], headers=api.headers("corporate_admin")).json()["status"]
        if status not in ("queued", "examining"):
            break
        time.sleep(0.05)
    assert status == "examined"


def test_review_and_decision_flow(api: Api) -> None:
    pid = api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT"))]).json()["id"]
    officer = api.headers("bank_officer")
    findings = api.client.get(f"/api/v1/presentations/{pid}/findings", headers=officer).json()
    discrepancy = next(f for f in findings if f["severity"] == "discrepancy")
    early = api.client.post(f"/api/v1/presentations/{pid}/decision", json={"decision": "accept", "reason": "all fine"},
                            headers=officer)
    assert early.status_code == 409 and code(early) == "discrepancies_not_waived"
    waived = api.client.post(f"/api/v1/presentations/{pid}/findings/{discrepancy['id']}/review",
                             json={"action": "waive", "reason": "applicant waiver received"}, headers=officer)
    assert waived.status_code == 200 and waived.json()["review_status"] == "waived"
    decided = api.client.post(f"/api/v1/presentations/{pid}/decision",
                              json={"decision": "accept", "reason": "discrepancy waived"}, headers=officer)
    assert decided.status_code == 201, decided.text
    status = api.client.get(f"/api/v1/presentations/{pid}", headers=officer).json()
    assert status["status"] == "accepted" and status["decision"]["decision"] == "accept"
    twice = api.client.post(f"/api/v1/presentations/{pid}/decision",
                            json={"decision": "refuse", "reason": "changed my mind"}, headers=officer)
    assert twice.status_code == 409


def test_a_hold_cannot_be_waived_or_accepted(api: Api) -> None:
    pid = api.submit("corporate_admin", [("a.pdf", pdf("HOLD"))]).json()["id"]
    officer = api.headers("bank_officer")
    hold = api.client.get(f"/api/v1/presentations/{pid}/findings", headers=officer).json()[0]
    assert hold["hold"] is True
    waive = api.client.post(f"/api/v1/presentations/{pid}/findings/{hold['id']}/review",
                            json={"action": "waive", "reason": "looks fine"}, headers=officer)
    assert waive.status_code == 409 and code(waive) == "hold_cannot_be_waived"
    accept = api.client.post(f"/api/v1/presentations/{pid}/decision",
                             json={"decision": "accept", "reason": "all fine"}, headers=officer)
    assert accept.status_code == 409 and code(accept) == "hold"
    refuse = api.client.post(f"/api/v1/presentations/{pid}/decision",
                             json={"decision": "refuse", "reason": "sanctions hit"}, headers=officer)
    assert refuse.status_code == 201


def test_findings_are_recorded_once_per_examination(api: Api) -> None:
    from api import jobs as job_module

    pid = api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT"))]).json()["id"]
    # a second worker that somehow holds a stale lease must not record again
    with api.ctx.db.read() as session:
        job_id = session.scalars(select(Job.id)).one()
    assert job_module.execute(api.ctx, job_id, "stale-lease-token") == "lost"
    with api.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Finding)
                              .where(Finding.presentation_id == pid)) == 2
    assert count(api, Document) == 1


def test_list_presentations_pages_with_a_cursor(api: Api) -> None:
    for i in range(3):
        assert api.submit("corporate_admin", [("a.pdf", pdf(f"n{i}"))]).status_code == 202
    headers = api.headers("corporate_user")
    page1 = api.client.get("/api/v1/presentations?limit=2", headers=headers).json()
    assert len(page1["items"]) == 2 and page1["next_cursor"]
    page2 = api.client.get(f"/api/v1/presentations?limit=2&cursor={page1['next_cursor']}", headers=headers).json()
    assert len(page2["items"]) == 1 and page2["next_cursor"] is None
    ids = [p["id"] for p in page1["items"] + page2["items"]]
    assert len(set(ids)) == 3
    bad = api.client.get("/api/v1/presentations?cursor=garbage", headers=headers)
    assert bad.status_code == 400 and code(bad) == "invalid_cursor"
