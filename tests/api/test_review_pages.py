"""The review pages through the ASGI app: sign-in, cookies, CSRF, isolation, roles, actions."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pyotp
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import select

from api.db.models import AuditEntry, Finding
from engine.findings import Evidence, Report
from engine.findings import Finding as EngineFinding
from extractors.models import FileInfo
from tests.api.conftest import PASSWORD, Api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def real_pdf(marker: str) -> bytes:
    """A one-page PDF pdfium renders, with the fake examiner's marker after the end."""
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.drawString(72, 760, "BILL OF LADING  PORT OF LOADING: ANTWERP")
    page.save()
    return out.getvalue() + f"\n% {marker}\n".encode()


def hit_examiner(bundle_dir: Path, presented_on: dt.date | None, rules_paths: tuple[Path, ...]) -> Report:
    """A discrepancy with a box on page 1, and a screening hit (as the AML pack reports one)."""
    name = sorted(p.name for p in bundle_dir.iterdir() if p.suffix == ".pdf")[0]
    hit = {"role": "shipper", "document": "bill_of_lading", "field": "shipper", "query": "ACME TRADE LTD",
           "entry_id": "OFAC-SDN:42", "entry_name": "ACME TRADE", "matched_name": "ACME TRADE", "score": 0.84,
           "programs": ["SDGT"], "list_version": "v1", "list_version_label": "OFAC-SDN 2024-05-03", "decision": ""}
    findings = [
        EngineFinding(rule="ucp600.20a3.port-of-loading", severity="discrepancy", refs=["UCP600 20(a)(iii)"],
                      documents=["bill_of_lading"], message="Port of loading differs",
                      evidence=[Evidence(document="bill_of_lading", field="port_of_loading", value="ANTWERP",
                                         file=name, page=1, bbox=[72.0, 70.0, 300.0, 84.0])]),
        EngineFinding(rule="aml.sanctions.possible-match", severity="warning", refs=["FATF R.6"],
                      documents=["presentation"], message="Possible list match",
                      evidence=[Evidence(document="presentation", field="screening.hits[0]", value=hit)]),
    ]
    return Report(outcome="discrepant", findings=findings, packs={"ucp600": "1.0.0"},
                  documents=[FileInfo(file=name, type="bill_of_lading", pages=1)],
                  presented_on=presented_on.isoformat() if presented_on else None)


def sign_in(api: Api, user_key: str) -> str:
    """Sign in through the page; returns the CSRF token of the next page."""
    client = api.client
    form = client.get("/review/login")
    token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
    data = {"email": api.seed.users[user_key], "password": PASSWORD, "csrf_token": token}
    if user_key in api.seed.totp:
        data["otp"] = pyotp.TOTP(api.seed.totp[user_key]).now()
    answer = client.post("/review/login", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    queue = client.get("/review/queue")
    assert queue.status_code == 200
    return CSRF.search(queue.text).group(1)  # type: ignore[union-attr]


def submit(api: Api, marker: str = "DISCREPANT", presented_on: str | None = None) -> str:
    form = {"presented_on": presented_on} if presented_on else {}
    answer = api.submit("corporate_admin", [("bl.pdf", real_pdf(marker))], **form)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def test_sign_in_sets_httponly_strict_cookies_and_checks_the_login_csrf(api: Api) -> None:
    form = api.client.get("/review/login")
    assert form.status_code == 200
    assert "default-src 'none'" in form.headers["content-security-policy"]
    # without the token of the form: refused, no session
    refused = api.client.post("/review/login", data={"email": api.seed.users["corporate_user"],
                                                     "password": PASSWORD, "csrf_token": "forged"},
                              follow_redirects=False)
    assert refused.status_code == 403
    assert "bt_review_access" not in refused.headers.get("set-cookie", "")
    token = CSRF.search(refused.text).group(1)  # the refused form comes back with a fresh token  # type: ignore[union-attr]
    answer = api.client.post("/review/login", data={"email": api.seed.users["corporate_user"], "password": PASSWORD,
                                                    "csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/review/queue"
    cookies = [c for c in answer.headers.get_list("set-cookie") if c.startswith("bt_review_access=")]
    assert cookies and "HttpOnly" in cookies[0] and "SameSite=strict" in cookies[0] and "Path=/review" in cookies[0]


def test_officers_need_the_totp_code(api: Api) -> None:
    form = api.client.get("/review/login")
    token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
    base = {"email": api.seed.users["bank_officer"], "password": PASSWORD, "csrf_token": token}
    without = api.client.post("/review/login", data=base, follow_redirects=False)
    assert without.status_code == 401 and "TOTP" in without.text
    fresh = CSRF.search(without.text).group(1)  # type: ignore[union-attr]
    wrong = api.client.post("/review/login", data={**base, "otp": "123456", "csrf_token": fresh},
                            follow_redirects=False)
    assert wrong.status_code == 401
    assert api.client.get("/review/queue", follow_redirects=False).status_code == 303  # still signed out


def test_queue_shows_own_presentations_by_deadline_and_marks_overdue(api: Api) -> None:
    late = submit(api, presented_on="2026-01-05")
    recent = submit(api, presented_on=dt.date.today().isoformat())
    sign_in(api, "bank_officer")
    page = api.client.get("/review/queue").text
    assert page.index(late) < page.index(recent)  # earliest deadline first
    rows = re.findall(r'<tr class="([^"]*)" data-testid="queue-row" data-id="([^"]+)"', page)
    assert dict((i, c) for c, i in rows) == {late: "overdue", recent: ""}
    assert "2026-01-12" in page  # 5 banking days after Monday 5 January 2026 (weekends skipped)

    api.client.cookies.clear()
    sign_in(api, "foreign_bank_officer")
    foreign = api.client.get("/review/queue").text
    assert late not in foreign and 'data-testid="queue-empty"' in foreign


def test_foreign_organisation_gets_404_for_the_view_and_the_page_images(api_factory: Any) -> None:
    api: Api = api_factory(examiner=hit_examiner)
    presentation_id = submit(api)
    sign_in(api, "bank_officer")
    view = api.client.get(f"/review/presentations/{presentation_id}")
    assert view.status_code == 200
    image_url = re.search(r'src="(/review/presentations/[^"]+\.png)"', view.text).group(1)  # type: ignore[union-attr]
    own = api.client.get(image_url)
    assert own.status_code == 200 and own.content.startswith(b"\x89PNG")
    assert 'data-testid="evidence-box"' in view.text  # the boxed value over the page

    api.client.cookies.clear()
    sign_in(api, "foreign_bank_officer")
    assert api.client.get(f"/review/presentations/{presentation_id}").status_code == 404
    assert api.client.get(image_url).status_code == 404
    assert api.client.get(f"/review/presentations/{presentation_id}/report.pdf").status_code == 404
    api.client.cookies.clear()
    assert api.client.get(image_url).status_code == 401  # no session at all


def test_waive_needs_csrf_a_reason_and_is_audited(api: Api) -> None:
    presentation_id = submit(api)
    token = sign_in(api, "bank_officer")
    with api.ctx.db.read() as session:
        finding = session.scalar(select(Finding).where(Finding.presentation_id == presentation_id,
                                                       Finding.severity == "discrepancy"))
    url = f"/review/presentations/{presentation_id}/findings/{finding.id}"
    forged = api.client.post(url, data={"action": "waive", "reason": "looks fine"}, follow_redirects=False)
    assert forged.status_code == 403
    no_reason = api.client.post(url, data={"action": "waive", "reason": "", "csrf_token": token},
                                follow_redirects=False)
    assert no_reason.status_code == 422
    with api.ctx.db.read() as session:
        assert session.get(Finding, finding.id).review_status == "open"
    done = api.client.post(url, data={"action": "waive", "reason": "Port agreed by the applicant",
                                      "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    with api.ctx.db.read() as session:
        row = session.get(Finding, finding.id)
        assert (row.review_status, row.review_reason) == ("waived", "Port agreed by the applicant")
        entry = session.scalar(select(AuditEntry).where(AuditEntry.entity_id == finding.id,
                                                        AuditEntry.action == "waive"))
        assert entry is not None and entry.new_values["review_reason"] == "Port agreed by the applicant"
    # the presentation is still reviewable; a second decision now goes to the API's state rules
    accepted = api.client.post(f"/review/presentations/{presentation_id}/decision",
                               data={"decision": "accept", "reason": "all waived", "csrf_token": token},
                               follow_redirects=False)
    assert accepted.status_code == 303
    again = api.client.post(url, data={"action": "confirm", "reason": "too late", "csrf_token": token})
    assert again.status_code == 409 and "accepted" in again.text


def test_a_hold_cannot_be_waived_from_the_page(api: Api) -> None:
    presentation_id = submit(api, marker="HOLD")
    token = sign_in(api, "bank_officer")
    with api.ctx.db.read() as session:
        hold = session.scalar(select(Finding).where(Finding.presentation_id == presentation_id, Finding.hold))
    answer = api.client.post(f"/review/presentations/{presentation_id}/findings/{hold.id}",
                             data={"action": "waive", "reason": "trust me", "csrf_token": token})
    assert answer.status_code == 409 and "cannot be waived" in answer.text


def test_roles_without_review_rights_see_no_forms_and_are_refused(api: Api) -> None:
    presentation_id = submit(api)
    token = sign_in(api, "corporate_user")
    view = api.client.get(f"/review/presentations/{presentation_id}").text
    assert 'data-testid="review-form"' not in view and 'data-testid="decision-form"' not in view
    with api.ctx.db.read() as session:
        finding = session.scalar(select(Finding).where(Finding.presentation_id == presentation_id))
    answer = api.client.post(f"/review/presentations/{presentation_id}/findings/{finding.id}",
                             data={"action": "waive", "reason": "please", "csrf_token": token})
    assert answer.status_code == 403


def test_screening_hit_verdicts_page_and_json(api_factory: Any) -> None:
    api: Api = api_factory(examiner=hit_examiner)
    presentation_id = submit(api)
    body = {"query": "ACME TRADE LTD", "entry_id": "OFAC-SDN:42", "verdict": "false_positive",
            "reason": "Different company, other country"}
    url = f"/api/v1/presentations/{presentation_id}/screening-hits"
    assert api.client.post(url, json=body, headers=api.headers("corporate_admin")).status_code == 403
    assert api.client.post(url, json=body, headers=api.headers("foreign_bank_officer")).status_code == 404
    unknown = api.client.post(url, json={**body, "entry_id": "OFAC-SDN:1"}, headers=api.headers("bank_officer"))
    assert unknown.status_code == 404
    marked = api.client.post(url, json=body, headers=api.headers("bank_officer"))
    assert marked.status_code == 200, marked.text
    assert marked.json()["disposition"] == "false_positive"

    token = sign_in(api, "bank_admin")
    view = api.client.get(f"/review/presentations/{presentation_id}").text
    assert "false positive" in view and "Different company, other country" in view
    flipped = api.client.post(f"/review/presentations/{presentation_id}/hits", follow_redirects=False,
                              data={"query": "ACME TRADE LTD", "entry_id": "OFAC-SDN:42",
                                    "verdict": "true_positive", "reason": "Same address", "csrf_token": token})
    assert flipped.status_code == 303
    with api.ctx.db.read() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "screening_result")
                                       .order_by(AuditEntry.seq)))
    assert actions == ["false_positive", "true_positive"]
