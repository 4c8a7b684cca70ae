"""Background jobs: the examination of a presentation runs here, not in the request.

Jobs are rows in the ``jobs`` table. A worker claims one by setting ``status=running``, a
fresh ``lease_token`` and ``locked_until``; when it finishes it writes the job's results
and marks the job done in ONE transaction, and only if its lease is still the current one.
So a worker killed mid-job (even ``kill -9``) leaves a running row whose lease runs out;
the next sweep puts it back in the queue, another worker runs it, and because results are
written only together with the lease check, nothing is recorded twice.

Three ways to run them (``BLOCKTRADE_JOB_MODE``):
- ``thread`` (default on SQLite): a thread pool in the API process.
- ``inline``: run in the request thread right after commit (tests, debugging).
- ``procrastinate`` (default on PostgreSQL): the API defers a procrastinate job and
  ``blocktrade worker`` processes run procrastinate's worker; the task leases the job here and
  calls ``execute`` (api.jobs_procrastinate).
- ``queue``: the API only enqueues; ``blocktrade worker`` processes on any number of machines
  claim jobs with ``FOR UPDATE SKIP LOCKED`` (the home-made queue, kept as a fallback).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from api import audit
from api.db.models import Document, Finding, Job, LetterOfCredit, Presentation
from api.db.types import utcnow

if TYPE_CHECKING:
    from api.context import ServiceContext
    from engine.findings import Report

log = logging.getLogger("blocktrade.jobs")

Apply = Callable[[Session], None]
"""Writes a job's results; called inside the transaction that marks the job succeeded."""


class PermanentJobError(Exception):
    """The job can never succeed (bad input): record the failure, do not retry."""


class Examiner(Protocol):
    def __call__(self, bundle_dir: Path, presented_on: dt.date | None, rules_paths: tuple[Path, ...]) -> Report: ...


_packs_cache: dict[tuple[Path, ...], Any] = {}
_packs_lock = threading.Lock()


def real_examiner(bundle_dir: Path, presented_on: dt.date | None, rules_paths: tuple[Path, ...]) -> Report:
    """The same calls as `blocktrade check` (api.examination), so the report is identical."""
    from api.examination import build_screener, examine_presentation
    from engine.packs import load_packs
    from extractors.bundle import load_bundle
    from extractors.errors import InputError

    with _packs_lock:  # packs and lists load once per process; restart workers to pick up new ones
        if rules_paths not in _packs_cache:
            ruleset = load_packs(list(rules_paths) or None)
            _packs_cache[rules_paths] = (ruleset, build_screener(ruleset))
        ruleset, screener = _packs_cache[rules_paths]
    try:
        presentation = load_bundle(bundle_dir, presented_on=presented_on)
    except InputError as err:
        raise PermanentJobError(str(err)) from err
    # A broken list store gives no screener: examine_presentation then tries once more, and the
    # engine holds the presentation if screening still cannot run.
    return examine_presentation(presentation, ruleset, screener)


# --------------------------------------------------------------------------- queue operations


def enqueue(session: Session, kind: str, payload: dict[str, Any], max_attempts: int) -> Job:
    job = Job(kind=kind, payload=payload, max_attempts=max_attempts, status="queued")
    session.add(job)
    session.flush()
    return job


def _lease(ctx: ServiceContext) -> dict[str, Any]:
    now = utcnow()
    return {
        "status": "running",
        "lease_token": str(uuid.uuid4()),
        "locked_by": f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}",
        "locked_until": now + dt.timedelta(seconds=ctx.settings.job_lease_seconds),
        "started_at": now,
    }


def claim(ctx: ServiceContext, job_id: str | None = None) -> tuple[str, str] | None:
    """Take one queued job (a given one, or the oldest due); returns (job id, lease token)."""
    with ctx.db.write() as session:
        query = select(Job).where(Job.status == "queued", Job.run_after <= utcnow())
        query = query.where(Job.id == job_id) if job_id else query.order_by(Job.run_after, Job.id)
        if ctx.db.is_postgresql:
            query = query.with_for_update(skip_locked=True)
        job = session.scalars(query.limit(1)).first()
        if job is None:
            return None
        return start_attempt(session, ctx, job)


def start_attempt(session: Session, ctx: ServiceContext, job: Job) -> tuple[str, str]:
    """Give ``job`` a fresh lease for a new attempt; returns (job id, lease token)."""
    lease = _lease(ctx)
    for key, value in lease.items():
        setattr(job, key, value)
    job.attempts += 1
    if job.kind == "examine":
        presentation = session.get(Presentation, job.payload["presentation_id"])
        if presentation is not None and presentation.status == "queued":
            presentation.status = "examining"
    return job.id, lease["lease_token"]


def recover_stale(ctx: ServiceContext) -> int:
    """Jobs whose worker died (lease ran out) go back to the queue, or fail after max attempts."""
    now = utcnow()
    with ctx.db.write() as session:
        stale = session.scalars(
            select(Job).where(Job.status == "running", Job.locked_until < now).with_for_update(skip_locked=True)
            if ctx.db.is_postgresql
            else select(Job).where(Job.status == "running", Job.locked_until < now)
        ).all()
        for job in stale:
            job.lease_token, job.locked_by, job.locked_until = None, None, None
            job.last_error = f"worker lease expired at attempt {job.attempts}"
            if job.attempts >= job.max_attempts:
                _fail(session, job, job.last_error)
            else:
                job.status = "queued"
        return len(stale)


def _fail(session: Session, job: Job, message: str) -> None:
    job.status, job.finished_at, job.last_error = "failed", utcnow(), message
    if job.kind == "examine":
        presentation = session.get(Presentation, job.payload["presentation_id"])
        if presentation is not None and presentation.status in ("queued", "examining"):
            presentation.status, presentation.error = "failed", message
            audit.record(session, entity_type="presentation", entity_id=presentation.id, action="examination_failed",
                         actor="system:worker", new={"status": "failed", "error": message},
                         organization_id=presentation.organization_id)


def execute(ctx: ServiceContext, job_id: str, lease_token: str) -> str:
    """Run a claimed job; returns its final status for this attempt (succeeded/queued/failed/lost)."""
    with ctx.db.read() as session:
        job = session.get(Job, job_id)
        assert job is not None
        kind, payload = job.kind, dict(job.payload)
    handler = HANDLERS.get(kind)
    apply: Apply | None = None
    error: str | None = None
    permanent = False
    try:
        if handler is None:
            raise PermanentJobError(f"no handler for job kind {kind!r}")
        apply = handler(ctx, payload)
    except PermanentJobError as err:
        error, permanent = str(err), True
    except Exception as err:
        log.exception("job %s (%s) failed", job_id, kind)
        error = f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=5)}"
    with ctx.db.write() as session:
        query = select(Job).where(Job.id == job_id)
        if ctx.db.is_postgresql:
            query = query.with_for_update()
        job = session.scalars(query).one()
        if job.status != "running" or job.lease_token != lease_token:
            log.warning("job %s: lease lost (another worker took it); results discarded", job_id)
            return "lost"
        job.lease_token, job.locked_until = None, None
        if apply is not None:
            apply(session)
            job.status, job.finished_at, job.last_error = "succeeded", utcnow(), None
        elif permanent or job.attempts >= job.max_attempts:
            _fail(session, job, error or "failed")
        else:
            job.status, job.last_error = "queued", error
            job.run_after = utcnow() + dt.timedelta(seconds=min(300, 5 * 2 ** job.attempts))
        return job.status


def run_next(ctx: ServiceContext) -> str | None:
    """One step of a worker: recover stale jobs, claim the next one, run it."""
    recover_stale(ctx)
    claimed = claim(ctx)
    if claimed is None:
        return None
    return execute(ctx, *claimed)


def worker_loop(ctx: ServiceContext, stop: threading.Event, poll_seconds: float = 1.0) -> None:
    log.info("worker started on %s", ctx.settings.database_url.split("@")[-1])
    while not stop.is_set():
        try:
            if run_next(ctx) is None:
                stop.wait(poll_seconds)
        except Exception:  # the database went away for a moment: keep the worker alive
            log.exception("worker step failed")
            stop.wait(poll_seconds)


# --------------------------------------------------------------------------- runners


class JobRunner:
    """Starts jobs after their enqueuing transaction committed."""

    def __init__(self, ctx_getter: Callable[[], ServiceContext]) -> None:
        self._ctx = ctx_getter

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def submitted(self, job_id: str) -> None:
        """Called after commit; queue mode does nothing (workers poll)."""


class InlineJobRunner(JobRunner):
    def submitted(self, job_id: str) -> None:
        ctx = self._ctx()
        claimed = claim(ctx, job_id)
        if claimed:
            execute(ctx, *claimed)


class ThreadJobRunner(JobRunner):
    def __init__(self, ctx_getter: Callable[[], ServiceContext], threads: int) -> None:
        super().__init__(ctx_getter)
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None

    def start(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="blocktrade-job")
        ctx = self._ctx()
        recover_stale(ctx)  # the previous process may have died mid-job
        with ctx.db.read() as session:
            pending = session.scalars(select(Job.id).where(Job.status == "queued")).all()
        for job_id in pending:
            self.submitted(job_id)

    def stop(self) -> None:
        if self._pool:
            self._pool.shutdown(wait=True)
            self._pool = None

    def submitted(self, job_id: str) -> None:
        if self._pool is None:
            raise RuntimeError("job runner is not started")
        self._pool.submit(self._run, job_id)

    def _run(self, job_id: str) -> None:
        ctx = self._ctx()
        try:
            claimed = claim(ctx, job_id)
            if claimed and execute(ctx, *claimed) == "queued" and self._pool is not None:
                # a retry: wait out the back-off in a timer, not in a pool thread
                with ctx.db.read() as session:
                    job = session.get(Job, job_id)
                    delay = max(0.0, (job.run_after - utcnow()).total_seconds()) if job else 0.0
                timer = threading.Timer(delay, self.submitted, args=(job_id,))
                timer.daemon = True
                timer.start()
        except Exception:
            log.exception("job %s crashed in the runner", job_id)


def make_runner(mode: str, ctx_getter: Callable[[], ServiceContext], threads: int) -> JobRunner:
    if mode == "inline":
        return InlineJobRunner(ctx_getter)
    if mode == "thread":
        return ThreadJobRunner(ctx_getter, threads)
    if mode == "procrastinate":
        from api.jobs_procrastinate import ProcrastinateJobRunner

        return ProcrastinateJobRunner(ctx_getter)
    return JobRunner(ctx_getter)


# --------------------------------------------------------------------------- the examination job


def materialise_bundle(ctx: ServiceContext, presentation: Presentation, documents: list[Document],
                       target: Path) -> None:
    for doc in documents:
        with ctx.storage.open(doc.file_hash) as src, (target / doc.file_name).open("wb") as dst:
            shutil.copyfileobj(src, dst)
    if presentation.presented_on and not (target / "presentation.json").exists():
        (target / "presentation.json").write_text(json.dumps({"presented_on": presentation.presented_on.isoformat()}))


def examine_presentation(ctx: ServiceContext, payload: dict[str, Any]) -> Apply:
    presentation_id = payload["presentation_id"]
    with ctx.db.read() as session:
        presentation = session.get(Presentation, presentation_id)
        if presentation is None:
            raise PermanentJobError(f"presentation {presentation_id} does not exist")
        lc = session.get(LetterOfCredit, presentation.lc_id)
        documents = list(session.scalars(select(Document).where(Document.presentation_id == presentation_id)))
    assert lc is not None
    with tempfile.TemporaryDirectory(prefix="blocktrade-bundle-") as folder:
        bundle_dir = Path(folder)
        materialise_bundle(ctx, presentation, documents, bundle_dir)
        report = (ctx.examiner or real_examiner)(bundle_dir, presentation.presented_on, ctx.settings.rules_paths)
    if report.lc_number and report.lc_number.strip().upper() != lc.lc_number.strip().upper():
        raise PermanentJobError(
            f"the credit in the bundle is {report.lc_number}, but the presentation was made under {lc.lc_number}"
        )
    contract = report.contract_json()
    types_by_file = {d.file: d.type for d in report.documents}

    def apply(session: Session) -> None:
        row = session.get(Presentation, presentation_id)
        assert row is not None
        if row.report is not None:  # defensive: an earlier attempt already recorded it
            return
        before = {"status": row.status, "outcome": row.outcome}
        row.report, row.outcome, row.status, row.examined_at, row.error = (
            contract, report.outcome, "examined", utcnow(), None)
        for ordinal, finding in enumerate(report.findings):
            session.add(Finding(
                presentation_id=presentation_id, ordinal=ordinal, rule=finding.rule, severity=finding.severity,
                hold=finding.hold, refs=list(finding.refs), documents=list(finding.documents),
                message=finding.message, evidence=[e.model_dump(mode="json") for e in finding.evidence],
            ))
        session.execute(update(Document).where(Document.presentation_id == presentation_id,
                                               or_(Document.document_type.is_(None), Document.status == "pending"))
                        .values(status="examined"))
        for doc in documents:
            if types_by_file.get(doc.file_name):
                session.execute(update(Document).where(Document.id == doc.id)
                                .values(document_type=types_by_file[doc.file_name]))
        audit.record(session, entity_type="presentation", entity_id=presentation_id, action="examined",
                     actor="system:worker", old=before,
                     new={"status": "examined", "outcome": report.outcome, "findings": len(report.findings),
                          "packs": report.packs},
                     organization_id=row.organization_id)

    return apply


HANDLERS: dict[str, Callable[[ServiceContext, dict[str, Any]], Apply]] = {"examine": examine_presentation}
