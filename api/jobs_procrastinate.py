"""Examination jobs on PostgreSQL through procrastinate (``BLOCKTRADE_JOB_MODE=procrastinate``).

Our ``jobs`` table stays the record of each job (status, attempts, lease, error) and the only
place results are fenced: a procrastinate task takes the job's lease and runs the same
``api.jobs.execute`` as every other mode, so a report, its findings and the ``examined`` audit
entry are written in ONE transaction together with the lease check, once.

procrastinate carries the work between processes:
- the API defers one ``blocktrade.examine`` job per submission after the submission commits,
  with the presentation id as its ``queueing_lock`` (never two waiting jobs for one
  presentation: a repeated defer is refused) and as its ``lock`` (never two running);
- ``blocktrade worker`` runs procrastinate's worker, which beats a heartbeat into
  ``procrastinate_workers``;
- ``blocktrade.recover`` (periodic, every 10 s, and once at every worker start) puts the
  jobs of workers that stopped beating (``kill -9``, a lost machine) back in the queue, and
  defers any queued job of ours that has no procrastinate job (the API died between its commit
  and its defer). A retried job takes the lease over from the dead attempt; if the dead worker
  was only slow, its late result finds its lease gone and is discarded;
- ``blocktrade.nightly_report`` (periodic, at ``BLOCKTRADE_NIGHTLY_AT``) writes the nightly
  report; procrastinate defers each tick once however many workers run.

procrastinate's tables live in the PostgreSQL schema ``procrastinate``, created by our Alembic
migration 0004; its connections put that schema first on their search path.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import procrastinate
from procrastinate import exceptions as procrastinate_errors
from procrastinate.jobs import Job as QueueJob
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from api import jobs
from api.db.models import Job
from api.db.types import utcnow

if TYPE_CHECKING:
    from api.context import ServiceContext

log = logging.getLogger("blocktrade.jobs.procrastinate")

QUEUE_SCHEMA = "procrastinate"  # the PostgreSQL schema of migration 0004
EXAMINE_TASK = "blocktrade.examine"
RECOVER_TASK = "blocktrade.recover"
NIGHTLY_TASK = "blocktrade.nightly_report"
RECOVER_CRON = "* * * * * */10"  # croniter's sixth field is seconds: every 10 s
ORPHAN_GRACE_SECONDS = 30  # a queued job younger than this may still be being deferred by the API
INFRASTRUCTURE_RETRIES = 10  # the database went away mid-task: retry this often, then give up


class ExaminationRetry(Exception):
    """The attempt failed in a way that may pass (our table set run_after): run again then."""

    def __init__(self, job_id: str, run_after: dt.datetime) -> None:
        super().__init__(f"job {job_id} is due again at {run_after.isoformat()}")
        self.run_after = run_after


class ExaminationRetryStrategy(BaseRetryStrategy):
    """Retry when our table says so, at its run_after; retry infrastructure errors with back-off.

    Attempts are counted in our ``jobs`` table (``execute`` fails the job after max attempts),
    so procrastinate never gives up on a job that our table still wants run.
    """

    def get_retry_decision(self, *, exception: BaseException, job: QueueJob) -> RetryDecision | None:
        if isinstance(exception, ExaminationRetry):
            return RetryDecision(retry_at=exception.run_after)
        if job.attempts >= INFRASTRUCTURE_RETRIES:
            return None
        return RetryDecision(retry_in={"seconds": min(300, 2 ** job.attempts)})


def connector_options(database_url: str) -> dict[str, Any]:
    """psycopg pool arguments for our SQLAlchemy URL, with procrastinate's schema on the path."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"procrastinate needs PostgreSQL; the database is {url.get_backend_name()}")
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return {"conninfo": conninfo, "kwargs": {"options": f"-c search_path={QUEUE_SCHEMA},public"}}


def take_lease(ctx: ServiceContext, job_id: str) -> tuple[str, str] | None:
    """Lease the job for this procrastinate attempt; None when there is nothing left to do.

    procrastinate's ``lock`` lets one attempt per presentation run at a time, so a job of ours
    still ``running`` belongs to an attempt procrastinate has given up on (its worker stopped
    beating): it is taken over, and counts as a failed attempt of its own.
    """
    with ctx.db.write() as session:
        job = session.scalars(select(Job).where(Job.id == job_id).with_for_update()).first()
        if job is None:
            log.error("procrastinate job for unknown job %s: dropped", job_id)
            return None
        if job.status not in ("queued", "running"):
            return None  # finished by an earlier attempt
        if job.status == "running" and job.attempts >= job.max_attempts:
            jobs._fail(session, job, f"worker stopped (no heartbeat) at attempt {job.attempts}")
            return None
        return jobs.start_attempt(session, ctx, job)


def run_examination(ctx: ServiceContext, job_id: str) -> str:
    """The body of the procrastinate task: lease, then the shared ``execute``."""
    claimed = take_lease(ctx, job_id)
    if claimed is None:
        return "skipped"
    status = jobs.execute(ctx, *claimed)
    if status == "queued":
        with ctx.db.read() as session:
            job = session.get(Job, job_id)
            run_after = job.run_after if job is not None else utcnow()
        raise ExaminationRetry(job_id, run_after)
    return status


def orphaned_jobs(ctx: ServiceContext, older_than_seconds: int = ORPHAN_GRACE_SECONDS) -> list[tuple[str, str]]:
    """Our unfinished examine jobs that no waiting or running procrastinate job will run."""
    cutoff = utcnow() - dt.timedelta(seconds=older_than_seconds)
    with ctx.db.read() as session:
        rows = session.execute(text(
            f"""SELECT j.id, j.payload->>'presentation_id' FROM jobs j
                 WHERE j.kind = 'examine' AND j.status IN ('queued', 'running') AND j.created_at < :cutoff
                   AND NOT EXISTS (SELECT 1 FROM {QUEUE_SCHEMA}.procrastinate_jobs q
                                    WHERE q.task_name = :task AND q.args->>'job_id' = j.id
                                      AND q.status IN ('todo', 'doing'))"""
        ), {"cutoff": cutoff, "task": EXAMINE_TASK}).all()
    return [(row[0], row[1]) for row in rows]


class QueueApp:
    """The procrastinate App of one process, with our tasks bound to its service context."""

    def __init__(self, ctx_getter: Callable[[], ServiceContext]) -> None:
        self._ctx = ctx_getter
        settings = ctx_getter().settings
        self.settings = settings
        self.app = procrastinate.App(connector=procrastinate.PsycopgConnector(
            **connector_options(settings.database_url), min_size=1, max_size=max(4, settings.job_threads + 3)))
        self._register()

    def _register(self) -> None:
        from api.nightly_job import nightly_time

        @self.app.task(name=EXAMINE_TASK, retry=ExaminationRetryStrategy())
        def examine(job_id: str) -> str:
            return run_examination(self._ctx(), job_id)

        @self.app.periodic(cron=RECOVER_CRON, periodic_id="recover")
        @self.app.task(name=RECOVER_TASK, queueing_lock=RECOVER_TASK)
        async def recover(timestamp: int) -> int:
            return await self.recover_async()

        self.examine_task = examine
        at = nightly_time()
        if at is not None:
            @self.app.periodic(cron=f"{at.minute} {at.hour} * * *", periodic_id="nightly")
            @self.app.task(name=NIGHTLY_TASK, queueing_lock=NIGHTLY_TASK)
            def nightly_report(timestamp: int) -> int:
                return len(self.run_nightly())

    def run_nightly(self) -> list[Any]:
        """The nightly report that is due now, if not yet published (also the start-up catch-up)."""
        from api.nightly_job import due_day, nightly_time, run_for_banks

        at = nightly_time()
        if at is None:
            return []
        return list(run_for_banks(self._ctx(), due_day(utcnow(), at)))

    # ------------------------------------------------------------------ deferring

    def defer_examination(self, job_id: str, presentation_id: str) -> bool:
        """Defer (sync); False when a job for this presentation is already waiting."""
        try:
            self.examine_task.configure(lock=presentation_id, queueing_lock=presentation_id).defer(job_id=job_id)
        except procrastinate_errors.AlreadyEnqueued:
            log.info("presentation %s already has a waiting examination job", presentation_id)
            return False
        return True

    async def defer_examination_async(self, job_id: str, presentation_id: str) -> bool:
        try:
            await self.examine_task.configure(lock=presentation_id, queueing_lock=presentation_id).defer_async(
                job_id=job_id)
        except procrastinate_errors.AlreadyEnqueued:
            return False
        return True

    # ------------------------------------------------------------------ recovery

    async def retry_stalled_async(self) -> int:
        """Put the running jobs of workers silent for job_stalled_seconds back in the queue."""
        stalled = await self.app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=self.settings.job_stalled_seconds)
        count = 0
        for job in stalled:
            log.warning("procrastinate job %s (%s) lost its worker: retrying", job.id, job.task_name)
            await self.app.job_manager.retry_job(job)
            count += 1
        return count

    async def recover_async(self) -> int:
        count = await self.retry_stalled_async()
        for job_id, presentation_id in await asyncio.to_thread(orphaned_jobs, self._ctx()):
            log.warning("job %s had no procrastinate job: deferring it", job_id)
            count += await self.defer_examination_async(job_id, presentation_id)
        return count

    # ------------------------------------------------------------------ the worker

    async def run_worker_async(self, *, once: bool = False) -> None:
        """``blocktrade worker``: recover first, then work (until a signal, or until idle if once)."""
        async with self.app.open_async():
            await self.recover_async()
            await asyncio.to_thread(self.run_nightly)  # catch up on a night missed while down
            await self.app.run_worker_async(
                name=f"{socket.gethostname()}:{os.getpid()}",
                concurrency=self.settings.job_threads,
                wait=not once,
                update_heartbeat_interval=float(self.settings.job_heartbeat_seconds),
                stalled_worker_timeout=float(self.settings.job_stalled_seconds),
                fetch_job_polling_interval=0.5 if once else 5.0,
            )


class ProcrastinateJobRunner(jobs.JobRunner):
    """The API side: defers an examination once its submission has committed."""

    def __init__(self, ctx_getter: Callable[[], ServiceContext]) -> None:
        super().__init__(ctx_getter)
        self._queue: QueueApp | None = None

    def start(self) -> None:
        self._queue = QueueApp(self._ctx)
        self._queue.app.open()

    def stop(self) -> None:
        if self._queue is not None:
            self._queue.app.close()
            self._queue = None

    def submitted(self, job_id: str) -> None:
        if self._queue is None:
            raise RuntimeError("job runner is not started")
        with self._ctx().db.read() as session:
            job = session.get(Job, job_id)
            if job is None:
                raise RuntimeError(f"job {job_id} does not exist")
            presentation_id = str(job.payload["presentation_id"])
        try:
            self._queue.defer_examination(job_id, presentation_id)
        except Exception:
            # the submission is committed and answered 202 either way: the workers' recovery
            # sweep defers jobs that have no procrastinate job
            log.exception("job %s could not be deferred now; the recovery sweep will defer it", job_id)
