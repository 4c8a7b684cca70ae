"""Report endpoints: the signed discrepancy report, the MT734, and the nightly report archive."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from api import nightly_job
from api.jobs import real_examiner
from api.settings import SettingsError
from reports.signing import load_public_key, verify_report
from tests.api.conftest import Api, pdf
from tests.fixtures.generator import generate_presentation, read_expected
from tests.fixtures.scenarios import BY_NAME

REPO = Path(__file__).resolve().parents[2]


def present_generated(api: Api, tmp_path: Path, scenario: str) -> str:
    """Present a generated bundle under a new credit with its number; examined by the real engine."""
    bundle = generate_presentation(tmp_path / "bundles", BY_NAME[scenario], 2026)
    number = read_expected(bundle)["lc"]["number"]
    body = {"lc_number": number, "amount": "100000.00", "currency": "USD", "application_date": "2020-01-01",
            "expiry_date": "2099-12-31", "applicant_id": api.seed.orgs["applicant"],
            "beneficiary_id": api.seed.orgs["beneficiary"], "issuing_bank_id": api.seed.orgs["issuing"],
            "nominated_bank_id": api.seed.orgs["nominated"]}
    created = api.client.post("/api/v1/lcs", json=body, headers=api.headers("bank_admin"))
    assert created.status_code == 201, created.text
    answer = api.submit("corporate_admin", [(p.name, p.read_bytes()) for p in sorted(bundle.iterdir())],
                        lc_id=created.json()["id"])
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def test_signed_reports_and_the_mt734_of_a_refusal(api_factory: Any, tmp_path: Path) -> None:
    api: Api = api_factory(examiner=real_examiner)
    presentation_id = present_generated(api, tmp_path, "multi_late_and_overdrawn")
    base = f"/api/v1/presentations/{presentation_id}"
    officer = api.headers("bank_officer")

    pdf_answer = api.client.get(f"{base}/report.pdf", headers=api.headers("corporate_user"))
    assert pdf_answer.status_code == 200 and pdf_answer.headers["content-type"] == "application/pdf"
    saved = tmp_path / "report.pdf"
    saved.write_bytes(pdf_answer.content)
    key = load_public_key(api.ctx.settings.data_dir / "keys" / "report-signing.pub.pem")
    assert verify_report(saved, key).valid
    tampered = tmp_path / "tampered.pdf"
    body = bytearray(pdf_answer.content)
    body[len(body) // 3] ^= 0x01  # one bit of the rendered report changed
    tampered.write_bytes(bytes(body))
    assert not verify_report(tampered, key).valid

    html = api.client.get(f"{base}/report.html", headers=officer)
    assert html.status_code == 200 and "ucp600.draft.amount" in html.text
    assert api.client.get(f"{base}/report.pdf", headers=api.headers("foreign_bank_admin")).status_code == 404
    assert api.client.get(f"{base}/mt734", headers=api.headers("foreign_bank_admin")).status_code == 404

    before = api.client.get(f"{base}/mt734", headers=officer)
    assert before.status_code == 409 and before.json()["error"]["code"] == "not_refused"

    findings = {f["rule"]: f for f in api.client.get(f"{base}/findings", headers=officer).json()}
    waived = api.client.post(f"{base}/findings/{findings['ucp600.18b.invoice-amount']['id']}/review",
                             json={"action": "waive", "reason": "Applicant accepts the invoice"}, headers=officer)
    assert waived.status_code == 200, waived.text
    refused = api.client.post(f"{base}/decision", json={"decision": "refuse", "reason": "Late shipment"},
                              headers=officer)
    assert refused.status_code == 201, refused.text
    mt734 = api.client.get(f"{base}/mt734", headers=officer)
    assert mt734.status_code == 200, mt734.text
    text = mt734.text
    assert ":77J:" in text and ":77B:/HOLD/" in text
    # the waived discrepancy is not advised; the two still open at the refusal are
    narrative = text.split(":77J:")[1].split(":77B:")[0]
    assert re.findall(r"^(\d+)\. ", narrative, re.M) == ["1", "2"]
    assert "PLUS TOLERANCE" not in " ".join(narrative.split())  # the invoice finding's wording
    assert "44C" in text and "DRAFT AMOUNT" in text

    # the report now shows the decisions: a new signed file, not the cached one
    after = api.client.get(f"{base}/report.html", headers=officer)
    assert after.text != html.text and "Applicant accepts the invoice" in after.text


def test_reports_of_an_unexamined_presentation_are_409(api: Api) -> None:
    answer = api.submit("corporate_admin", [("a.pdf", pdf("CRASH"))])
    base = f"/api/v1/presentations/{answer.json()['id']}"
    for suffix in ("report.pdf", "report.html", "mt734"):
        got = api.client.get(f"{base}/{suffix}", headers=api.headers("bank_officer"))
        assert got.status_code == 409 and got.json()["error"]["code"] == "report_not_ready", suffix


def test_nightly_reports_are_archived_per_bank_and_served_to_auditors(api: Api) -> None:
    presentation_id = api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT"))]).json()["id"]
    day = dt.datetime.now(dt.UTC).date()
    records = nightly_job.records_for(api.ctx.db, day, api.seed.orgs["issuing"])
    assert [r["id"] for r in records] == [presentation_id]
    assert records[0]["findings"][0]["rule"] == "ucp600.20a3.port-of-loading"
    assert nightly_job.records_for(api.ctx.db, day, api.seed.orgs["foreign_bank"]) == []

    folder, created = nightly_job.run_nightly(api.ctx, day, api.seed.orgs["issuing"])
    assert created and (folder / f"nightly-{day.isoformat()}.pdf").is_file()
    assert nightly_job.run_nightly(api.ctx, day, api.seed.orgs["issuing"]) == (folder, False)  # kept as published

    listing = api.client.get("/api/v1/reports/nightly", headers=api.headers("auditor"))
    assert listing.status_code == 200
    [entry] = listing.json()
    assert entry["day"] == day.isoformat() and f"nightly-{day.isoformat()}.pdf" in entry["files"]
    csv_url = entry["urls"][f"nightly-{day.isoformat()}-examinations.csv"]
    csv = api.client.get(csv_url, headers=api.headers("bank_admin"))
    assert csv.status_code == 200 and presentation_id in csv.text

    assert api.client.get("/api/v1/reports/nightly", headers=api.headers("corporate_admin")).status_code == 403
    assert api.client.get("/api/v1/reports/nightly", headers=api.headers("foreign_auditor")).json() == []
    assert api.client.get(csv_url, headers=api.headers("foreign_auditor")).status_code == 404
    base = f"/api/v1/reports/nightly/{day.isoformat()}"
    assert api.client.get(f"{base}/..%2F..%2Fkeys", headers=api.headers("auditor")).status_code == 404
    assert api.client.get("/api/v1/reports/nightly/yesterday/x.pdf",
                          headers=api.headers("auditor")).status_code == 422


def test_the_scheduler_reports_the_day_that_ended_and_catches_up(api: Api) -> None:
    at = dt.time(1, 30)
    before_run = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)
    after_run = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)
    assert nightly_job.due_day(after_run, at) == dt.date(2026, 3, 9)
    assert nightly_job.due_day(before_run, at) == dt.date(2026, 3, 8)
    assert nightly_job.next_run(before_run, at) == dt.datetime(2026, 3, 10, 1, 30, tzinfo=dt.UTC)
    assert nightly_job.next_run(after_run, at) == dt.datetime(2026, 3, 11, 1, 30, tzinfo=dt.UTC)

    asked: list[dt.date] = []

    def run(_ctx: Any, day: dt.date) -> list[Path]:
        asked.append(day)
        return []

    scheduler = nightly_job.NightlyScheduler(api.ctx, at, clock=lambda: after_run, run=run)
    scheduler.run_due()
    assert asked == [dt.date(2026, 3, 9)]

    # an empty day still gives a report, for every bank
    written = nightly_job.run_for_banks(api.ctx, dt.date(2026, 3, 9))
    assert len(written) == 3 and all(p.name == "2026-03-09" for p in written)


def test_nightly_time_setting_fails_closed() -> None:
    assert nightly_job.nightly_time({}) is None
    assert nightly_job.nightly_time({"BLOCKTRADE_NIGHTLY_AT": "off"}) is None
    assert nightly_job.nightly_time({"BLOCKTRADE_NIGHTLY_AT": "02:15"}) == dt.time(2, 15)
    with pytest.raises(SettingsError, match="BLOCKTRADE_NIGHTLY_AT"):
        nightly_job.nightly_time({"BLOCKTRADE_NIGHTLY_AT": "25:00"})


def test_cli_nightly_reads_the_service_database(api: Api, tmp_path: Path) -> None:
    presentation_id = api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT"))]).json()["id"]
    day = dt.datetime.now(dt.UTC).date().isoformat()
    env = {**os.environ, "BLOCKTRADE_DATABASE_URL": api.ctx.settings.database_url,
           "BLOCKTRADE_DATA_DIR": str(api.ctx.settings.data_dir), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "api.cli", "report", "nightly", "--date", day, "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "1 examination(s)" in done.stdout
    assert presentation_id in (tmp_path / "out" / f"nightly-{day}-examinations.csv").read_text()

    missing = subprocess.run([sys.executable, "-m", "api.cli", "report", "nightly", "--date", day, "--out",
                              str(tmp_path / "out2")], capture_output=True, text=True, cwd=REPO, timeout=300,
                             env={**env, "BLOCKTRADE_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"})
    assert missing.returncode == 3 and "no service database" in missing.stderr
