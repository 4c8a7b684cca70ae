"""The examiner's review page end to end, in headless Chromium (Debian ``chromium`` driven by
Playwright) against a real uvicorn on 127.0.0.1 and a presentation examined by the real engine.

An officer signs in with password + TOTP, finds the presentation in the queue (overdue: it was
presented in June), sees the evidence boxes on the document pages, waives one discrepancy
with a reason, confirms another, refuses, and gets the MT734. A bank officer of another
organisation gets 404 for the same page and its page images. Screenshots of the queue, the
presentation and the MT734 go to docs/screenshots/.

These tests FAIL (never skip) when chromium or Playwright is missing: install them with
``apt-get install chromium`` and ``pip install playwright==1.65.2``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from api.db.migrate import upgrade
from api.db.models import LetterOfCredit
from api.db.session import Database
from tests.api.conftest import PASSWORD, Seed, seed_database
from tests.fixtures.generator import generate_presentation, read_expected
from tests.fixtures.scenarios import BY_NAME

pytestmark = pytest.mark.slow  # registered marker; CI runs the whole suite, this included

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = Path(os.environ.get("BLOCKTRADE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
JWT_SECRET = "review-e2e-secret-" + "y" * 40
SCENARIO = "multi_late_and_overdrawn"  # three discrepancies, two of them boxed on a page


# --------------------------------------------------------------------------- a real service


@dataclass
class ReviewService:
    """A uvicorn process with a migrated, seeded database and examined presentations."""

    base_url: str
    seed: Seed
    folder: Path
    process: subprocess.Popen[bytes]
    presentations: dict[str, str] = field(default_factory=dict)  # name -> id
    lc_number: str = ""

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{base_url}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"uvicorn did not become ready:\n{log.read_text(errors='replace')[-3000:]}")


def start_review_service(folder: Path, *, extra_presentations: bool = True) -> ReviewService:
    """Migrate and seed a SQLite database, start uvicorn on it, and present a generated
    discrepant bundle (examined by the real engine, inline) under a credit of the seed's banks."""
    folder.mkdir(parents=True, exist_ok=True)
    data_dir = folder / "var"
    url = f"sqlite:///{folder / 'blocktrade.db'}"
    upgrade(url)
    database = Database(url)
    seed = seed_database(database)

    bundle = generate_presentation(folder / "bundles", BY_NAME[SCENARIO], 2026)
    expected = read_expected(bundle)
    files = sorted(bundle.iterdir())
    with database.write() as session:
        lc = LetterOfCredit(lc_number=expected["lc"]["number"], amount=Decimal("100000.00"), currency="USD",
                            application_date=dt.date(2026, 1, 5),
                            expiry_date=dt.date(2099, 12, 31), status="issued",
                            applicant_id=seed.orgs["applicant"], beneficiary_id=seed.orgs["beneficiary"],
                            issuing_bank_id=seed.orgs["issuing"], nominated_bank_id=seed.orgs["nominated"],
                            terms={"place_of_presentation": "LONDON"})
        session.add(lc)
        session.flush()
        lc_id = lc.id
    database.dispose()

    port = _free_port()
    env = {**os.environ, "BLOCKTRADE_DATABASE_URL": url, "BLOCKTRADE_DATA_DIR": str(data_dir),
           "BLOCKTRADE_JWT_SECRET": JWT_SECRET, "BLOCKTRADE_JOB_MODE": "inline", "OMP_THREAD_LIMIT": "1",
           "PYTHONPATH": str(REPO)}
    env.pop("BLOCKTRADE_NIGHTLY_AT", None)
    log = folder / "uvicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    service = ReviewService(base_url, seed, folder, process, lc_number=expected["lc"]["number"])
    try:
        _wait_ready(base_url, process, log)
        with httpx.Client(base_url=base_url, timeout=300) as client:
            token = client.post("/api/v1/auth/token", data={"username": seed.users["corporate_admin"],
                                                            "password": PASSWORD}).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            uploads = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in files]
            presentations = {"june": {}}  # presented on the bundle's date (June): overdue by now
            if extra_presentations:
                presentations["today"] = {"presented_on": dt.datetime.now(dt.UTC).date().isoformat()}
            for name, form in presentations.items():
                answer = client.post("/api/v1/presentations", data={"lc_id": lc_id, **form}, files=uploads,
                                     headers=headers)
                assert answer.status_code == 202, answer.text
                service.presentations[name] = answer.json()["id"]
                status = client.get(answer.json()["status_url"], headers=headers).json()
                assert status["status"] == "examined", status
    except BaseException:
        service.stop()
        raise
    return service


def sign_in_code(seed: Seed, user_key: str) -> str:
    """A TOTP code not used yet: the service refuses a code of an already used time step."""
    totp = pyotp.TOTP(seed.totp[user_key])
    return totp.now()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReviewService]:
    running = start_review_service(tmp_path_factory.mktemp("review-e2e"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser_factory() -> Iterator[Any]:
    # Fail, not skip: a missing browser must not turn this suite green while testing nothing.
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} not found: apt-get install chromium (or set BLOCKTRADE_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is not installed: pip install playwright==1.65.2")
    profiles: list[str] = []
    contexts: list[Any] = []
    with sync_playwright() as playwright:

        def new_context() -> Any:
            profile = tempfile.mkdtemp(prefix="blocktrade-chromium-")  # a fresh user-data-dir each time
            profiles.append(profile)
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1400, "height": 1000})
            contexts.append(context)
            return context

        yield new_context
        for context in contexts:
            context.close()
    for profile in profiles:
        shutil.rmtree(profile, ignore_errors=True)


def _sign_in(page: Any, service: ReviewService, user_key: str, otp: str | None = None) -> None:
    page.goto(f"{service.base_url}/review/queue")
    assert "/review/login" in page.url  # not signed in yet: sent to the sign-in form
    page.fill("input[name=email]", service.seed.users[user_key])
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=otp]", otp if otp is not None else sign_in_code(service.seed, user_key))
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def _wait_images(page: Any) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('img[data-testid=page-image]')]"
        ".filter(i => { const r = i.getBoundingClientRect(); return r.height > 0 && r.top < innerHeight; })"
        ".every(i => i.complete && i.naturalWidth > 0)")


# --------------------------------------------------------------------------- tests


def test_an_officer_reviews_and_refuses_in_the_browser(service: ReviewService, browser_factory: Any) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser_factory().new_page()

    # a wrong TOTP code is refused on the page, with the API's message
    _sign_in(page, service, "bank_officer", otp="000000")
    assert "/review/login" in page.url
    assert "TOTP code is wrong" in page.inner_text("[data-testid=login-error]")

    _sign_in(page, service, "bank_officer")
    assert page.url.endswith("/review/queue"), page.url
    assert page.inner_text("[data-testid=who]") == service.seed.users["bank_officer"]
    cookies = {c["name"]: c for c in page.context.cookies()}
    session_cookie = cookies["bt_review_access"]
    assert session_cookie["httpOnly"] and session_cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # nothing of the session is readable by script

    # the queue: both presentations, earliest deadline first, the June one overdue
    rows = page.locator("[data-testid=queue-row]")
    assert rows.count() == 2
    june, today = service.presentations["june"], service.presentations["today"]
    assert [rows.nth(i).get_attribute("data-id") for i in range(2)] == [june, today]
    assert "overdue" in (rows.nth(0).get_attribute("class") or "")
    assert rows.nth(0).locator("[data-testid=overdue]").count() == 1
    assert rows.nth(1).locator("[data-testid=overdue]").count() == 0
    assert "GB-LON" in rows.nth(0).inner_text()  # the London calendar of the place of presentation
    page.screenshot(path=str(SCREENSHOTS / "review-queue.png"), full_page=True)

    # the presentation: findings with citations, page images with the evidence boxed
    rows.nth(0).locator("a").click()
    page.wait_for_url(f"**/review/presentations/{june}")
    _wait_images(page)
    findings = page.locator("[data-testid=finding]")
    rules = [findings.nth(i).get_attribute("data-rule") for i in range(findings.count())]
    assert {"ucp600.18b.invoice-amount", "ucp600.44c.latest-shipment", "ucp600.draft.amount"} <= set(rules)
    assert "UCP600 18(b)" in page.inner_text("[data-rule='ucp600.18b.invoice-amount']")
    boxes = page.locator("[data-testid=evidence-box]")
    assert boxes.count() >= 2
    first_box = boxes.first.bounding_box()
    assert first_box is not None and first_box["width"] > 5 and first_box["height"] > 5
    assert boxes.first.is_visible()
    page.screenshot(path=str(SCREENSHOTS / "review-presentation.png"), full_page=False)

    # waive one finding (a reason is required) and confirm another
    invoice = page.locator("[data-rule='ucp600.18b.invoice-amount']")
    invoice.locator("input[name=reason]").fill("Applicant agreed to the overdrawn invoice")
    invoice.locator("button[value=waive]").click()
    page.wait_for_url("**done=waived")
    assert page.locator("[data-rule='ucp600.18b.invoice-amount'] [data-testid=review-status]").inner_text() == "waived"
    draft = page.locator("[data-rule='ucp600.draft.amount']")
    draft.locator("input[name=reason]").fill("Draft amount differs from the invoice")
    draft.locator("button[value=confirm]").click()
    page.wait_for_url("**done=confirmed")
    assert page.locator("[data-rule='ucp600.draft.amount'] [data-testid=review-status]").inner_text() == "confirmed"

    # refuse: the MT734 is shown with the discrepancies not waived
    page.fill("[data-testid=decision-form] input[name=reason]", "Discrepant documents, see MT734")
    page.click("[data-testid=decision-form] button[value=refuse]")
    page.wait_for_url("**done=refused")
    mt734 = page.inner_text("[data-testid=mt734]")
    assert ":77J:" in mt734 and ":77B:/HOLD/" in mt734
    assert f":20:{service.lc_number}" in mt734
    assert "DRAFT" in mt734.upper()
    page.locator("[data-testid=mt734]").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "review-mt734.png"), full_page=False)

    # the same through the service's record: the review actions are audited
    with httpx.Client(base_url=service.base_url, timeout=60) as client:
        token = client.post("/api/v1/auth/token", data={"username": service.seed.users["auditor"],
                                                        "password": PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        found = client.get(f"/api/v1/presentations/{june}/findings", headers=headers).json()
        by_rule = {f["rule"]: f for f in found}
        assert by_rule["ucp600.18b.invoice-amount"]["review_status"] == "waived"
        assert by_rule["ucp600.draft.amount"]["review_status"] == "confirmed"
        assert client.get(f"/api/v1/presentations/{june}", headers=headers).json()["status"] == "refused"
        download = client.get(f"/api/v1/presentations/{june}/mt734", headers=headers)
        assert download.status_code == 200 and download.text == mt734


def test_a_foreign_organisation_gets_404_on_the_page_and_its_images(service: ReviewService,
                                                                      browser_factory: Any) -> None:
    page = browser_factory().new_page()
    _sign_in(page, service, "foreign_bank_officer")
    assert page.url.endswith("/review/queue")
    assert page.locator("[data-testid=queue-row]").count() == 0
    june = service.presentations["june"]
    answer = page.goto(f"{service.base_url}/review/presentations/{june}")
    assert answer is not None and answer.status == 404
    assert "not found" in page.inner_text("[data-testid=error-status]")
    with httpx.Client(base_url=service.base_url) as client:
        # the page image URL of a real document of that presentation, asked with the foreign session
        ids = client.post("/api/v1/auth/token", data={"username": service.seed.users["corporate_admin"],
                                                      "password": PASSWORD}).json()["access_token"]
        documents = client.get(f"/api/v1/presentations/{june}", headers={"Authorization": f"Bearer {ids}"}).json()
    pdf_id = next(d["id"] for d in documents["documents"] if d["file"].endswith(".pdf"))
    image = page.goto(f"{service.base_url}/review/presentations/{june}/documents/{pdf_id}/pages/1.png")
    assert image is not None and image.status == 404
