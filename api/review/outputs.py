"""The signed discrepancy report (HTML/PDF) and the MT734 of a stored presentation.

Both are built by ``reports/`` from what the service stored: the examination result, the
bundle's files (for the credit's terms and the page crops), the reviewers' decisions on each
finding and their verdicts on screening hits. Signed reports are cached on disk under a key
that covers everything they show, so a report is rendered once per state of the review.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import select

from api.auth.principal import Principal
from api.context import ServiceContext
from api.db.models import Decision, Document, Finding, Presentation
from api.errors import ApiError
from api.jobs import materialise_bundle
from api.review.data import Hit, hits_with_dispositions, place_of_presentation
from api.routes.common import get_presentation
from engine.findings import Report
from extractors.models import Presentation as BundlePresentation
from reports.inputs import ReportInputError, ReviewerDecision, ScreeningHit, ScreeningResult, finding_file
from reports.page_images import FileSource

READY = ("examined", "accepted", "refused")
ReportKind = Literal["html", "pdf"]


@dataclass
class StoredExamination:
    """One presentation as stored, with everything the report builders need."""

    presentation: Presentation
    report: Report
    documents: list[Document]
    findings: list[Finding]
    decision: Decision | None
    hits: list[Hit]
    place: str | None
    lc_number: str


def load(ctx: ServiceContext, principal: Principal, presentation_id: str) -> StoredExamination:
    """The stored examination; 404 for a foreign or unknown id, 409 while not examined."""
    principal.require("presentation:view")
    with ctx.db.read() as session:
        presentation, lc = get_presentation(session, principal, presentation_id)
        if presentation.status not in READY or presentation.report is None:
            raise ApiError(409, "report_not_ready", f"the presentation is {presentation.status}; no report yet",
                           {"status": presentation.status, "error": presentation.error})
        report = Report.model_validate(presentation.report)
        documents = list(session.scalars(select(Document).where(Document.presentation_id == presentation_id)))
        findings = list(session.scalars(select(Finding).where(Finding.presentation_id == presentation_id)
                                        .order_by(Finding.ordinal)))
        decision = session.scalar(select(Decision).where(Decision.presentation_id == presentation_id))
        hits = hits_with_dispositions(session, presentation_id, report)
    return StoredExamination(presentation, report, documents, findings, decision, hits,
                             place_of_presentation(lc), lc.lc_number)


# --------------------------------------------------------------------------- inputs of the builders


def reviewer_decisions(stored: StoredExamination, *, refusal_confirms_open: bool = False) -> list[ReviewerDecision]:
    """Each reviewed finding as a ReviewerDecision. With ``refusal_confirms_open`` (an MT734 of
    a refused presentation), a discrepancy still open at the refusal counts as confirmed by the
    refusal: the API refuses on every discrepancy not waived (UCP 600 16(c)(ii))."""
    out = []
    for row in stored.findings:
        engine_finding = stored.report.findings[row.ordinal] if row.ordinal < len(stored.report.findings) else None
        file = finding_file(engine_finding) if engine_finding else None
        if row.review_status in ("waived", "confirmed") and row.reviewed_by and row.reviewed_at:
            out.append(ReviewerDecision(rule=row.rule, action="waive" if row.review_status == "waived" else "confirm",
                                        reason=row.review_reason or "(no reason recorded)", who=row.reviewed_by,
                                        when=row.reviewed_at, file=file))
        elif (refusal_confirms_open and stored.decision is not None and stored.decision.decision == "refuse"
              and row.severity == "discrepancy" and not row.hold):
            out.append(ReviewerDecision(rule=row.rule, action="confirm",
                                        reason=f"refused with the presentation: {stored.decision.reason}",
                                        who=stored.decision.decided_by, when=stored.decision.created_at, file=file))
    return out


def screening_results(stored: StoredExamination) -> list[ScreeningResult]:
    by_query: dict[str, ScreeningResult] = {}
    for hit in stored.hits:
        result = by_query.setdefault(hit.query, ScreeningResult(query=hit.query, role=hit.role, type=""))
        result.matches.append(ScreeningHit(
            id=hit.entry_id, name=hit.entry_name, score=hit.score, list_version=hit.list_version,
            programs=hit.programs, matched_name=hit.matched_name or None,
            disposition=hit.disposition if hit.disposition in ("true_positive", "false_positive") else "pending",
            decided_by=hit.decided_by, reason=hit.reason))
        if hit.list_version and hit.list_version not in result.list_versions:
            result.list_versions.append(hit.list_version)
    return list(by_query.values())


_bundle_cache: OrderedDict[str, BundlePresentation] = OrderedDict()
_bundle_lock = threading.Lock()


def bundle_presentation(ctx: ServiceContext, stored: StoredExamination) -> BundlePresentation:
    """The bundle read again (the credit's terms, documents); cached by bundle hash and date."""
    from extractors.bundle import load_bundle
    from extractors.errors import InputError

    row = stored.presentation
    key = f"{row.bundle_sha256}:{row.presented_on}"
    with _bundle_lock:
        if key in _bundle_cache:
            return _bundle_cache[key]
    with tempfile.TemporaryDirectory(prefix="blocktrade-review-") as folder:
        try:
            materialise_bundle(ctx, row, stored.documents, Path(folder))
            loaded = load_bundle(Path(folder), presented_on=row.presented_on)
        except InputError as err:
            raise ApiError(422, "bundle_unreadable", f"the stored bundle cannot be read again: {err}") from None
        except OSError as err:
            raise ApiError(422, "bundle_missing", f"a stored file of the bundle is missing: {err}") from None
    with _bundle_lock:
        _bundle_cache[key] = loaded
        while len(_bundle_cache) > 32:
            _bundle_cache.popitem(last=False)
    return loaded


def _file_source(ctx: ServiceContext, documents: list[Document]) -> FileSource:
    by_name = {d.file_name: d.file_hash for d in documents}

    def read(name: str) -> bytes | None:
        digest = by_name.get(name)
        if digest is None:
            return None
        path = ctx.storage.path_of(digest)
        return path.read_bytes() if path.is_file() else None

    return read


# --------------------------------------------------------------------------- the discrepancy report


def _state_key(stored: StoredExamination) -> str:
    state = {
        "report": stored.presentation.report,
        "findings": [(f.id, f.review_status, f.review_reason, f.reviewed_by, str(f.reviewed_at))
                     for f in stored.findings],
        "hits": [(h.query, h.entry_id, h.disposition, h.reason) for h in stored.hits],
        "decision": (stored.decision.decision, stored.decision.reason, str(stored.decision.created_at))
        if stored.decision else None,
        "status": stored.presentation.status,
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()[:24]


_render_lock = threading.Lock()


def discrepancy_report(ctx: ServiceContext, principal: Principal, presentation_id: str, kind: ReportKind) -> bytes:
    """The signed report (the bytes `blocktrade report verify` checks)."""
    from reports.discrepancy import DiscrepancyReportInput, write_discrepancy_report
    from reports.signing import SignatureError, load_or_create_signing_key

    stored = load(ctx, principal, presentation_id)
    folder = ctx.settings.data_dir / "reports" / "discrepancy" / presentation_id
    target = folder / f"{_state_key(stored)}.{kind}"
    if target.is_file():
        return target.read_bytes()
    data = DiscrepancyReportInput(
        stored.report, presentation=bundle_presentation(ctx, stored), files=_file_source(ctx, stored.documents),
        screening=screening_results(stored), decisions=reviewer_decisions(stored),
        place_of_presentation=stored.place, bundle_name=f"presentation {presentation_id}",
        status=stored.presentation.status,
    )
    # one render at a time: WeasyPrint is CPU-bound and two identical renders would race on the file
    with _render_lock:
        if target.is_file():
            return target.read_bytes()
        try:
            key = load_or_create_signing_key(ctx.settings.data_dir / "keys")
            partial = folder / f".{target.name}.{threading.get_ident()}.tmp{target.suffix}"
            write_discrepancy_report(data, partial, key=key)
            partial.replace(target)
        except (ReportInputError, SignatureError) as err:
            raise ApiError(422, "report_not_renderable", str(err)) from None
    return target.read_bytes()


# --------------------------------------------------------------------------- MT734


def mt734_text(ctx: ServiceContext, principal: Principal, presentation_id: str) -> str:
    """The advice of refusal of a refused presentation; 409 before a refusal or on a hold."""
    from reports.swift_out import SwiftOutputError, mt734

    stored = load(ctx, principal, presentation_id)
    if stored.presentation.status != "refused" or stored.decision is None:
        raise ApiError(409, "not_refused", f"the presentation is {stored.presentation.status}; an MT734 advises "
                       "a refusal", {"status": stored.presentation.status})
    bundle = bundle_presentation(ctx, stored)
    refused_on = stored.decision.created_at.astimezone(dt.UTC).date()
    try:
        message = mt734(stored.report, bundle, decisions=reviewer_decisions(stored, refusal_confirms_open=True),
                        utilisation_date=bundle.presented_on or refused_on)
    except SwiftOutputError as err:
        raise ApiError(409, "no_mt734", f"no MT734 for this presentation: {err}") from None
    return message.text()
