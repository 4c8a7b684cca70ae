"""Examination jobs through procrastinate on a real PostgreSQL server.

Like test_pg_*.py these need BLOCKTRADE_PG=1 and BLOCKTRADE_TEST_DATABASE_URL (scripts/postgres.sh
start); without BLOCKTRADE_PG the tests below are not defined, so nothing is collected.
Run as a script, this module is the worker process the kill -9 test kills:
    python -m tests.api.test_procrastinate_pg MARKER_FILE   (settings from BLOCKTRADE_* variables)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from api import audit
from api.app import build_context, create_app
from api.db.models import AuditEntry, Finding, Job, Presentation
from api.db.session import Database
from api.jobs_procrastinate import EXAMINE_TASK, QUEUE_SCHEMA, QueueApp
from api.settings import Settings
from tests.api.conftest import JWT_SECRET, Api, fake_examiner, pdf, seed_database

REPO = Path(__file__).resolve().parents[2]


def _queue_rows(ctx: Any, presentation_id: str) -> list[tuple[str, int]]:
    """(status, attempts) of the procrastinate jobs of one presentation."""
    with ctx.db.read() as session:
        rows = session.execute(text(
            f"SELECT status, attempts FROM {QUEUE_SCHEMA}.procrastinate_jobs "
            "WHERE task_name = :task AND lock = :pid ORDER BY id"), {"task": EXAMINE_TASK, "pid": presentation_id})
        return [(str(r[0]), int(r[1])) for r in rows]


def _recorded_once(ctx: Any, presentation_id: str) -> None:
    with ctx.db.read() as session:
        assert session.get(Presentation, presentation_id).status == "examined"  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(Finding)
                              .where(Finding.presentation_id == presentation_id)) == 2
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity_id == presentation_id, AuditEntry.action == "examined")) == 1
        assert audit.verify(session).ok


def _work_once(ctx: Any) -> None:
    asyncio.run(QueueApp(lambda: ctx).run_worker_async(once=True))


if os.environ.get("BLOCKTRADE_PG"):
    from tests.api.test_pg_service import pg_url  # noqa: F401  (the fixture: a fresh migrated database)

    pytestmark = pytest.mark.integration

    @pytest.fixture(scope="module")
    def pq_api(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:  # noqa: F811
        db = Database(pg_url)
        seed = seed_database(db)
        db.dispose()
        from fastapi.testclient import TestClient

        settings = Settings(database_url=pg_url, data_dir=tmp_path_factory.mktemp("pqdata"), jwt_secret=JWT_SECRET,
                            job_mode="procrastinate", job_heartbeat_seconds=1, job_stalled_seconds=2)
        client = TestClient(create_app(settings, examiner=fake_examiner), raise_server_exceptions=False)
        with client:
            yield Api(client, seed)
        client.app.state.service.db.dispose()  # type: ignore[attr-defined]

    def test_queue_tables_live_in_their_own_schema(pq_api: Api) -> None:
        with pq_api.ctx.db.read() as session:
            schemas = set(session.scalars(text(
                "SELECT table_schema FROM information_schema.tables WHERE table_name = 'procrastinate_jobs'")))
        assert schemas == {QUEUE_SCHEMA}

    def test_a_submission_is_deferred_once_and_a_worker_examines_it(pq_api: Api) -> None:
        response = pq_api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT"))])
        assert response.status_code == 202, response.text
        pid = response.json()["id"]
        assert _queue_rows(pq_api.ctx, pid) == [("todo", 0)]
        with pq_api.ctx.db.read() as session:
            job_id = session.scalars(select(Job.id).where(Job.payload["presentation_id"].as_string() == pid)).one()
        # deferring again (a retried hand-off) is refused by the queueing lock
        assert pq_api.ctx.jobs._queue.defer_examination(job_id, pid) is False
        assert len(_queue_rows(pq_api.ctx, pid)) == 1
        _work_once(pq_api.ctx)
        assert _queue_rows(pq_api.ctx, pid) == [("succeeded", 1)]
        _recorded_once(pq_api.ctx, pid)
        report = pq_api.client.get(response.json()["report_url"], headers=pq_api.headers("bank_officer"))
        assert report.status_code == 200 and report.json()["outcome"] == "discrepant"

    def test_a_retried_submission_with_its_idempotency_key_enqueues_nothing_more(pq_api: Api) -> None:
        headers = {"Idempotency-Key": "pq-retry-1"}
        first = pq_api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT idem"))], headers=headers)
        second = pq_api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT idem"))], headers=headers)
        assert first.status_code == second.status_code == 202
        assert first.json()["id"] == second.json()["id"]
        assert _queue_rows(pq_api.ctx, first.json()["id"]) == [("todo", 0)]
        _work_once(pq_api.ctx)
        _recorded_once(pq_api.ctx, first.json()["id"])

    def test_a_job_the_api_never_deferred_is_found_and_run(pq_api: Api) -> None:
        pid = pq_api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT orphan"))]).json()["id"]
        with pq_api.ctx.db.write() as session:  # as if the API died between its commit and its defer
            session.execute(text(f"DELETE FROM {QUEUE_SCHEMA}.procrastinate_jobs WHERE lock = :pid"), {"pid": pid})
            session.execute(update(Job).where(Job.payload["presentation_id"].as_string() == pid)
                            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)))
        _work_once(pq_api.ctx)
        _recorded_once(pq_api.ctx, pid)

    def test_a_worker_killed_mid_examination_is_retried_by_another_and_nothing_is_recorded_twice(
            pq_api: Api, tmp_path: Path) -> None:
        pid = pq_api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT killed"))]).json()["id"]
        marker = tmp_path / "started"
        settings = pq_api.ctx.settings
        env = {**os.environ, "BLOCKTRADE_DATABASE_URL": settings.database_url,
               "BLOCKTRADE_DATA_DIR": str(settings.data_dir), "BLOCKTRADE_JOB_MODE": "procrastinate",
               "BLOCKTRADE_JOB_HEARTBEAT_SECONDS": "1", "BLOCKTRADE_JOB_STALLED_SECONDS": "2"}
        worker: Any = subprocess.Popen([sys.executable, "-m", "tests.api.test_procrastinate_pg", str(marker)],
                                       cwd=REPO, env=env)
        try:
            deadline = time.monotonic() + 60
            while not marker.exists() and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.05)
            assert marker.exists(), "the worker never started the job"
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        assert _queue_rows(pq_api.ctx, pid) == [("doing", 0)]
        with pq_api.ctx.db.read() as session:
            job = session.scalars(select(Job).where(Job.payload["presentation_id"].as_string() == pid)).one()
            assert job.status == "running" and job.attempts == 1
        # the dead worker's heartbeat goes stale; the next worker's recovery puts its job back
        queue = QueueApp(lambda: pq_api.ctx)

        async def stalled_count() -> int:
            async with queue.app.open_async():
                return len(await queue.app.job_manager.get_stalled_jobs(
                    seconds_since_heartbeat=settings.job_stalled_seconds))

        deadline = time.monotonic() + 30
        while asyncio.run(stalled_count()) == 0 and time.monotonic() < deadline:
            time.sleep(0.5)
        _work_once(pq_api.ctx)
        assert [status for status, _attempts in _queue_rows(pq_api.ctx, pid)] == ["succeeded"]
        with pq_api.ctx.db.read() as session:
            job = session.get(Job, job.id)
            assert job is not None and job.status == "succeeded" and job.attempts == 2
        _recorded_once(pq_api.ctx, pid)


def _hanging_worker(marker: Path) -> None:
    def hanging_examiner(*_args: Any) -> Any:
        marker.write_text("started")
        time.sleep(3600)  # killed long before this ends

    ctx = build_context(Settings.from_env(), examiner=hanging_examiner)
    asyncio.run(QueueApp(lambda: ctx).run_worker_async())


if __name__ == "__main__":
    _hanging_worker(Path(sys.argv[1]))
