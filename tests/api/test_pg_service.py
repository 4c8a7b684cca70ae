"""Integration tests on a real PostgreSQL server (scripts/postgres.sh start).

Collected only when BLOCKTRADE_PG is set; they then FAIL without BLOCKTRADE_TEST_DATABASE_URL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from api import audit, jobs
from api.app import create_app
from api.db.migrate import upgrade
from api.db.models import AuditEntry, Base, Finding, Job, Presentation
from api.db.session import Database, make_engine
from tests.api.conftest import JWT_SECRET, Api, fake_examiner, pdf, seed_database

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    base = os.environ.get("BLOCKTRADE_TEST_DATABASE_URL")
    if not base:
        pytest.fail("BLOCKTRADE_PG is set but BLOCKTRADE_TEST_DATABASE_URL is missing; "
                    "start a server with scripts/postgres.sh start and export its URL")
    name = f"bt_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def pg_api(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    db = Database(pg_url)
    seed = seed_database(db)
    db.dispose()
    from api.settings import Settings

    data_dir = tmp_path_factory.mktemp("pgdata")
    settings = Settings(database_url=pg_url, data_dir=data_dir, jwt_secret=JWT_SECRET, job_mode="queue")
    client = TestClient(create_app(settings, examiner=fake_examiner), raise_server_exceptions=False)
    with client:
        yield Api(client, seed)
    client.app.state.service.db.dispose()  # type: ignore[attr-defined]


def test_migration_matches_the_models_on_postgresql(pg_url: str) -> None:
    db = Database(pg_url)
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    db.dispose()


def test_submission_is_queued_and_a_worker_examines_it(pg_api: Api) -> None:
    response = pg_api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT"))])
    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert jobs.run_next(pg_api.ctx) == "succeeded"
    report = pg_api.client.get(response.json()["report_url"], headers=pg_api.headers("bank_officer"))
    assert report.status_code == 200 and report.json()["outcome"] == "discrepant"


def test_concurrent_workers_run_each_job_exactly_once(pg_api: Api) -> None:
    ids = [pg_api.submit("corporate_admin", [("a.pdf", pdf(f"DISCREPANT {i}"))]).json()["id"] for i in range(6)]
    stop = threading.Event()
    threads = [threading.Thread(target=jobs.worker_loop, args=(pg_api.ctx, stop, 0.05)) for _ in range(3)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            with pg_api.ctx.db.read() as session:
                pending = session.scalar(select(func.count()).select_from(Presentation)
                                         .where(Presentation.id.in_(ids), Presentation.status != "examined"))
            if pending == 0:
                break
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    with pg_api.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Presentation)
                              .where(Presentation.id.in_(ids), Presentation.status == "examined")) == 6
        for pid in ids:
            assert session.scalar(select(func.count()).select_from(Finding)
                                  .where(Finding.presentation_id == pid)) == 2
            assert session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.entity_id == pid, AuditEntry.action == "examined")) == 1
        assert audit.verify(session).ok


def test_a_worker_killed_mid_job_is_retried_and_nothing_is_recorded_twice(pg_api: Api, tmp_path: Path) -> None:
    pid = pg_api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT killed"))]).json()["id"]
    marker = tmp_path / "started"
    env = {**os.environ, "BLOCKTRADE_DATABASE_URL": pg_api.ctx.settings.database_url,
           "BLOCKTRADE_DATA_DIR": str(pg_api.ctx.settings.data_dir), "BLOCKTRADE_JOB_MODE": "queue",
           "BLOCKTRADE_JOB_LEASE_SECONDS": "2"}
    worker: Any = subprocess.Popen([sys.executable, "-m", "tests.api.slow_worker", str(marker)], cwd=REPO, env=env)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.05)
        assert marker.exists(), "the worker never started the job"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    with pg_api.ctx.db.read() as session:
        job = session.scalars(select(Job).where(Job.payload["presentation_id"].as_string() == pid)).one()
        assert job.status == "running" and job.attempts == 1
    # once the dead worker's lease runs out, the next worker step takes the job over
    deadline = time.monotonic() + 30
    outcome = None
    while time.monotonic() < deadline:
        outcome = jobs.run_next(pg_api.ctx)
        if outcome is not None:
            break
        time.sleep(0.2)
    assert outcome == "succeeded"
    with pg_api.ctx.db.read() as session:
        job = session.get(Job, job.id)
        assert job is not None and job.status == "succeeded" and job.attempts == 2
        assert session.get(Presentation, pid).status == "examined"  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(Finding).where(Finding.presentation_id == pid)) == 2
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity_id == pid, AuditEntry.action == "examined")) == 1


def test_authorisation_holds_on_postgresql(pg_api: Api) -> None:
    assert pg_api.client.get(f"/api/v1/lcs/{pg_api.seed.lc_id}",
                             headers=pg_api.headers("foreign_bank_admin")).status_code == 404
    assert pg_api.client.get(f"/api/v1/lcs/{pg_api.seed.lc_id}",
                             headers=pg_api.headers("corporate_user")).status_code == 200
