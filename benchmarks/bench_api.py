"""Service benchmarks (issue 5): submission acknowledgement and GET of a finished report.

    .venv/bin/python -m benchmarks.bench_api [--database-url URL] [--runs 30] [--requests 3000] [--concurrency 8]

Starts `uvicorn api.app:create_app` in a subprocess on a fresh database (SQLite in a temp
folder by default; give a PostgreSQL URL to measure production mode), signs in, then
1. posts a six-PDF bundle --runs times and reports the median/p95 time to the 202;
2. loads one finished report with --concurrency client threads on loopback and reports
   requests per second (with wrk when installed: `apt-get install wrk`). Jobs run in queue mode with no worker during (1), so only the
   acknowledgement is timed; the report for (2) is written by one worker step.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import httpx

PASSWORD = "benchmark password 1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(url: str) -> tuple[str, str]:
    from api.auth.service import create_organisation, create_user
    from api.db.models import LetterOfCredit
    from api.db.session import Database

    db = Database(url)
    with db.write() as session:
        bank = create_organisation(session, name="Bench Bank", org_type="bank", country_code="DE")
        corp = create_organisation(session, name="Bench Exporter", org_type="corporate", country_code="CN")
        email = f"bench-{uuid.uuid4().hex[:6]}@example.test"
        create_user(session, organization_id=corp.id, email=email, password=PASSWORD, role="corporate_admin")
        lc = LetterOfCredit(lc_number=f"LC-BENCH-{uuid.uuid4().hex[:6]}", amount=Decimal("100000.00"),
                            currency="USD", application_date=dt.date(2026, 1, 1), expiry_date=dt.date(2026, 12, 31),
                            status="issued", applicant_id=corp.id, beneficiary_id=corp.id, issuing_bank_id=bank.id)
        session.add(lc)
        session.flush()
        lc_id = lc.id
    db.dispose()
    return email, lc_id


def canned_examiner(bundle_dir: Path, presented_on: Any, rules_paths: Any) -> Any:
    from engine.findings import Finding, Report
    from extractors.models import FileInfo

    findings = [Finding(rule=f"ucp600.bench.{i}", severity="discrepancy", refs=["UCP600 14(d)"],
                        documents=["commercial_invoice"], message="benchmark finding") for i in range(5)]
    return Report(outcome="discrepant", findings=findings,
                  documents=[FileInfo(file=p.name, type="commercial_invoice", pages=1) for p in bundle_dir.iterdir()])


@click.command()
@click.option("--database-url", default=None, help="PostgreSQL URL (default: a temporary SQLite file)")
@click.option("--runs", default=30, show_default=True)
@click.option("--requests", "total_requests", default=3000, show_default=True)
@click.option("--concurrency", default=8, show_default=True)
@click.option("--server-workers", default=1, show_default=True, help="uvicorn processes (PostgreSQL only)")
def main(database_url: str | None, runs: int, total_requests: int, concurrency: int, server_workers: int) -> None:
    from api import jobs
    from api.app import build_context
    from api.db.migrate import upgrade
    from api.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="bench-api-"))
    url = database_url or f"sqlite:///{work / 'bench.db'}"
    upgrade(url)
    email, lc_id = seed(url)
    port = free_port()
    env = {**os.environ, "BLOCKTRADE_DATABASE_URL": url, "BLOCKTRADE_DATA_DIR": str(work / "var"),
           "BLOCKTRADE_JOB_MODE": "queue", "BLOCKTRADE_JWT_SECRET": "bench-" + "s" * 40}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(port),
                               "--workers", str(server_workers), "--log-level", "warning", "--no-access-log"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(200):
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            token = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD}).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            pdf_bytes = [b"%PDF-1.4\n" + os.urandom(40_000) + b"\n%%EOF\n" for _ in range(6)]
            timings = []
            first_id = ""
            for run in range(runs):
                files = [("files", (f"doc{i}-{run}.pdf", body + str(run).encode(), "application/pdf"))
                         for i, body in enumerate(pdf_bytes)]
                start = time.perf_counter()
                response = client.post("/api/v1/presentations", data={"lc_id": lc_id}, files=files, headers=headers)
                timings.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 202, response.text
                first_id = first_id or response.json()["id"]
            timings.sort()
            click.echo(f"backend: {url.split('://')[0]}")
            click.echo(f"submission of six PDFs (40 KB each), {runs} runs: median {statistics.median(timings):.1f} ms,"
                       f" p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms")

            ctx = build_context(Settings.from_env(env), examiner=canned_examiner)
            while jobs.run_next(ctx) is not None:
                pass
            report_url = f"/api/v1/presentations/{first_id}/report"
            assert client.get(report_url, headers=headers).status_code == 200

        if shutil.which("wrk"):
            # wrk (Debian package) is a C load generator: it leaves the CPU to the server
            result = subprocess.run(["wrk", "-t2", f"-c{concurrency * 2}", "-d10s", "-H",
                                     f"Authorization: Bearer {token['access_token']}", base + report_url],
                                    capture_output=True, text=True, check=True)
            rps = next(line for line in result.stdout.splitlines() if line.startswith("Requests/sec"))
            non2xx = [line.strip() for line in result.stdout.splitlines() if "Non-2xx" in line]
            click.echo(f"GET finished report with wrk (10 s, {concurrency * 2} connections): {rps.split()[-1]} req/s"
                       f"{'; ' + non2xx[0] if non2xx else ''}")
            return
        per_thread = total_requests // concurrency
        errors: list[int] = []

        def load() -> None:
            with httpx.Client(base_url=base, timeout=30) as own:
                for _ in range(per_thread):
                    status = own.get(report_url, headers=headers).status_code
                    if status != 200:
                        errors.append(status)

        threads = [threading.Thread(target=load) for _ in range(concurrency)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        done = per_thread * concurrency
        click.echo(f"GET finished report: {done} requests, {concurrency} threads, {done / elapsed:.0f} req/s,"
                   f" {len(errors)} errors (one uvicorn process; client shares the 2 cores)")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
