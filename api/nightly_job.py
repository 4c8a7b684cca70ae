"""The nightly regulatory report as a periodic job of the service, and its archive.

Every day at ``BLOCKTRADE_NIGHTLY_AT`` (``HH:MM``, UTC; unset or ``off``: no schedule, so test
and one-off processes do not start writing reports)
the service writes the report of the day that ended for each bank organisation: the
examinations its officers examined (as issuing or nominated bank), from the service's own
database, through ``reports.nightly.nightly_report``. Each report is kept for good under
``<data dir>/reports/nightly/<organisation id>/<YYYY-MM-DD>/`` and listed by
``GET /api/v1/reports/nightly``. A report is written into a temporary folder and renamed into
place, so two API processes waking at the same minute cannot both publish one, and a missed
night (the service was down) is caught up at the next start.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from api import audit
from api.context import ServiceContext
from api.db.models import Decision, Finding, LetterOfCredit, Organisation, Presentation, ScreeningResult
from api.db.session import Database
from api.db.types import utcnow
from api.review.data import hits_of, place_of_presentation
from api.settings import SettingsError
from engine.findings import Report

log = logging.getLogger("blocktrade.nightly")

NIGHTLY_AT_ENV = "BLOCKTRADE_NIGHTLY_AT"
ALL_ORGANISATIONS = "all"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


def nightly_time(env: dict[str, str] | None = None) -> dt.time | None:
    """The configured time of day (UTC); None when the job is not scheduled."""
    raw = (os.environ if env is None else env).get(NIGHTLY_AT_ENV, "").strip()
    if not raw or raw.lower() == "off":
        return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise SettingsError(f"environment variable {NIGHTLY_AT_ENV}={raw!r}: use HH:MM (UTC, 00:00-23:59) or off")
    return dt.time(int(match.group(1)), int(match.group(2)))


def archive_root(ctx: ServiceContext) -> Path:
    return ctx.settings.data_dir / "reports" / "nightly"


# --------------------------------------------------------------------------- records from the database


def records_for(db: Database, day: dt.date, organization_id: str | None = None) -> list[dict[str, Any]]:
    """The ``ExaminationRecord``s of ``day`` (by examination time, UTC) as dicts; with an
    organisation, only presentations it examines (issuing or nominated bank of the credit)."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
    end = start + dt.timedelta(days=1)
    query = (select(Presentation, LetterOfCredit).join(LetterOfCredit, LetterOfCredit.id == Presentation.lc_id)
             .where(Presentation.examined_at >= start, Presentation.examined_at < end,
                    Presentation.report.is_not(None)))
    if organization_id:
        query = query.where(or_(LetterOfCredit.issuing_bank_id == organization_id,
                                LetterOfCredit.nominated_bank_id == organization_id))
    records: list[dict[str, Any]] = []
    with db.read() as session:
        rows = session.execute(query.order_by(Presentation.examined_at, Presentation.id)).all()
        ids = [p.id for p, _lc in rows]
        findings: dict[str, list[Finding]] = {}
        decisions: dict[str, Decision] = {}
        dispositions: dict[tuple[str, str, str], str] = {}
        for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
            for finding in session.scalars(select(Finding).where(Finding.presentation_id.in_(chunk))
                                           .order_by(Finding.ordinal)):
                findings.setdefault(finding.presentation_id, []).append(finding)
            for decision in session.scalars(select(Decision).where(Decision.presentation_id.in_(chunk))):
                decisions[decision.presentation_id] = decision
            for result in session.scalars(select(ScreeningResult).where(ScreeningResult.presentation_id.in_(chunk))):
                dispositions[(result.presentation_id or "", result.query, result.list_entry_id or "")] = \
                    result.disposition
    for presentation, lc in rows:
        report = Report.model_validate(presentation.report)
        decision = decisions.get(presentation.id)
        hits = hits_of(report)
        records.append({
            "id": presentation.id,
            "lc_number": lc.lc_number,
            "place": place_of_presentation(lc),
            "presented_on": presentation.presented_on,
            "received_at": presentation.created_at,
            "examined_at": presentation.examined_at,
            "decided_at": decision.created_at if decision else None,
            "outcome": report.outcome,
            "decision": decision.decision if decision else None,
            "findings": [{"rule": f.rule, "severity": f.severity, "refs": list(f.refs), "hold": f.hold,
                          "decision": {"waived": "waive", "confirmed": "confirm"}.get(f.review_status)}
                         for f in findings.get(presentation.id, [])],
            "screening_hits": [{"query": h.query, "entry_id": h.entry_id, "score": min(1.0, max(0.0, h.score)),
                                "list_version": h.list_version,
                                "disposition": dispositions.get((presentation.id, h.query, h.entry_id), "pending")
                                if dispositions.get((presentation.id, h.query, h.entry_id)) in
                                ("true_positive", "false_positive") else "pending"}
                               for h in hits],
            "list_versions": sorted({h.list_version for h in hits if h.list_version}),
            "packs": dict(report.packs),
        })
    return records


# --------------------------------------------------------------------------- writing and the archive


def write_report(ctx: ServiceContext, day: dt.date, out_dir: Path, organization_id: str | None = None) -> Path:
    """Write the report of ``day`` into ``out_dir`` (the CLI's path: no archive, no audit)."""
    from reports.nightly import nightly_report
    from reports.signing import load_or_create_signing_key

    records = records_for(ctx.db, day, organization_id)
    key = load_or_create_signing_key(ctx.settings.data_dir / "keys")
    return nightly_report(records, day, out_dir, key=key).pdf


def archive_folder(ctx: ServiceContext, organization_id: str, day: dt.date) -> Path:
    return archive_root(ctx) / organization_id / day.isoformat()


def run_nightly(ctx: ServiceContext, day: dt.date, organization_id: str) -> tuple[Path, bool]:
    """Archive the report of ``day`` for one organisation; (folder, True when written now).
    A report already archived is kept as it is: a published regulatory report never changes."""
    final = archive_folder(ctx, organization_id, day)
    if final.is_dir():
        return final, False
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{day.isoformat()}-", dir=final.parent))
    try:
        write_report(ctx, day, staging, organization_id)
        try:
            staging.rename(final)
        except OSError:
            if final.is_dir():  # another process published it first
                return final, False
            raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    with ctx.db.write() as session:
        audit.record(session, entity_type="nightly_report", entity_id=f"{organization_id}:{day.isoformat()}",
                     action="generate", actor="system:nightly", organization_id=organization_id,
                     new={"day": day, "files": sorted(p.name for p in final.iterdir())})
    return final, True


def bank_organisations(ctx: ServiceContext) -> list[str]:
    with ctx.db.read() as session:
        return list(session.scalars(select(Organisation.id).where(Organisation.type == "bank")
                                    .order_by(Organisation.id)))


def run_for_banks(ctx: ServiceContext, day: dt.date) -> list[Path]:
    """The report of ``day`` for every bank organisation; one failing does not stop the others."""
    written = []
    for organization_id in bank_organisations(ctx):
        try:
            folder, created = run_nightly(ctx, day, organization_id)
        except Exception:
            log.exception("nightly report of %s for organisation %s failed", day, organization_id)
            continue
        if created:
            written.append(folder)
    return written


@dataclass(frozen=True)
class ArchivedReport:
    day: dt.date
    files: list[str]
    generated_at: dt.datetime


def list_reports(ctx: ServiceContext, organization_id: str) -> list[ArchivedReport]:
    folder = archive_root(ctx) / organization_id
    if not folder.is_dir():
        return []
    out = []
    for day_dir in folder.iterdir():
        try:
            day = dt.date.fromisoformat(day_dir.name)
        except ValueError:
            continue  # a staging folder or a stray file
        if not day_dir.is_dir():
            continue
        files = sorted(p.name for p in day_dir.iterdir() if p.is_file())
        stamp = dt.datetime.fromtimestamp(day_dir.stat().st_mtime, dt.UTC)
        out.append(ArchivedReport(day, files, stamp))
    return sorted(out, key=lambda r: r.day, reverse=True)


def report_file(ctx: ServiceContext, organization_id: str, day: dt.date, name: str) -> Path | None:
    """A file of an archived report, or None; names are checked so no path leaves the folder."""
    if not _SAFE_NAME.fullmatch(name):
        return None
    path = archive_folder(ctx, organization_id, day) / name
    return path if path.is_file() else None


# --------------------------------------------------------------------------- the schedule


def next_run(now: dt.datetime, at: dt.time) -> dt.datetime:
    today_at = dt.datetime.combine(now.date(), at, tzinfo=dt.UTC)
    return today_at if today_at > now else today_at + dt.timedelta(days=1)


def due_day(now: dt.datetime, at: dt.time) -> dt.date:
    """The day whose report is due at ``now``: yesterday once today's run time has passed."""
    today_at = dt.datetime.combine(now.date(), at, tzinfo=dt.UTC)
    return now.date() - dt.timedelta(days=1 if now >= today_at else 2)


class NightlyScheduler:
    """A daemon thread that runs the nightly report at the configured time (and catches up)."""

    def __init__(self, ctx: ServiceContext, at: dt.time | None,
                 clock: Callable[[], dt.datetime] = utcnow,
                 run: Callable[[ServiceContext, dt.date], Iterable[Path]] = run_for_banks) -> None:
        self.ctx, self.at, self.clock, self.run = ctx, at, clock, run
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.at is None or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="blocktrade-nightly", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def run_due(self) -> list[Path]:
        """Write the report that is due now if it is missing (the catch-up after downtime)."""
        assert self.at is not None
        return list(self.run(self.ctx, due_day(self.clock(), self.at)))

    def _loop(self) -> None:
        assert self.at is not None
        while not self._stop.is_set():
            try:
                self.run_due()
            except Exception:  # the database went away for a moment: try again at the next run
                log.exception("nightly report run failed")
            wait = (next_run(self.clock(), self.at) - self.clock()).total_seconds()
            self._stop.wait(max(1.0, wait))


def scheduler_for(ctx: ServiceContext) -> NightlyScheduler:
    if ctx.settings.job_mode == "procrastinate":
        # procrastinate workers run it as a periodic task (api.jobs_procrastinate); the API does not
        return NightlyScheduler(ctx, None)
    return NightlyScheduler(ctx, nightly_time())
