"""Presentations: submit a bundle, follow its examination, review findings, decide."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Query, Request, Response, Security, UploadFile
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from api import audit, jobs
from api.auth.deps import CurrentPrincipal, Service, api_key_scheme, current_principal, oauth2_scheme
from api.auth.principal import Principal
from api.context import service
from api.db.models import Decision, Document, Finding, IdempotencyKey, LetterOfCredit, Presentation
from api.db.types import utcnow
from api.errors import ApiError, not_found
from api.intake import Stager
from api.routes.common import MAX_PAGE, get_lc, get_presentation, lc_visible_to, paginate
from api.schemas import (
    DecisionIn,
    DecisionOut,
    FindingOut,
    FindingReview,
    Page,
    PresentationAccepted,
    PresentationOut,
)

router = APIRouter(prefix="/presentations", tags=["presentations"])

REPORT_READY = ("examined", "accepted", "refused")


def _urls(presentation_id: str) -> dict[str, str]:
    base = f"/api/v1/presentations/{presentation_id}"
    return {"status_url": base, "report_url": f"{base}/report"}


def _examining_bank(principal: Principal, lc: LetterOfCredit) -> None:
    if principal.organization_id not in (lc.issuing_bank_id, lc.nominated_bank_id):
        raise ApiError(403, "not_examining_bank",
                       "only the issuing or nominated bank reviews and decides on a presentation")


@router.post("", response_model=PresentationAccepted, status_code=202,
             summary="Present documents under a credit (multipart files or one zip)",
             responses={202: {"headers": {"Location": {"schema": {"type": "string"}}}}})
def submit(
    response: Response,
    principal: CurrentPrincipal,
    ctx: Service,
    lc_id: Annotated[str, Form(min_length=1, max_length=36)],
    files: Annotated[list[UploadFile], File(description="the bundle: the credit (MT700) and the documents, or one .zip")],
    presented_on: Annotated[dt.date | None, Form(description="date of presentation, YYYY-MM-DD")] = None,
    idempotency_key: Annotated[str | None, Header(max_length=255, pattern=r"^[\x21-\x7e]+$")] = None,
) -> PresentationAccepted:
    principal.require("presentation:submit")
    with ctx.db.read() as session:
        lc = get_lc(session, principal, lc_id)
        if principal.organization_id not in (lc.beneficiary_id, lc.nominated_bank_id, lc.advising_bank_id,
                                             lc.issuing_bank_id):
            raise ApiError(403, "not_presenter", "the beneficiary or a bank of the credit presents documents")
        if lc.status in ("draft", "cancelled", "expired", "paid"):
            raise ApiError(409, "lc_not_open", f"the credit is {lc.status}; documents cannot be presented")
        lc_number = lc.lc_number
    if not files:
        raise ApiError(422, "empty_bundle", "the bundle holds no files")

    with tempfile.TemporaryDirectory(prefix="blocktrade-upload-") as folder:
        stager = Stager(ctx.settings, Path(folder))
        zips: list[tuple[Path, str]] = []
        for upload in files:
            staged = stager.add_stream(upload.filename or "", upload.file.read, upload.filename or "upload")
            if isinstance(staged, Path) and staged.exists():
                zips.append((staged, upload.filename or "upload.zip"))
        if zips:
            if len(files) != 1:
                raise ApiError(422, "zip_with_other_files", "send either one .zip or the files themselves, not both")
            stager.add_zip(*zips[0])
        if not stager.files:
            raise ApiError(422, "empty_bundle", "the bundle holds no usable files")
        digests = {name: ctx.storage.put_file(staged.path) for name, staged in stager.files.items()}
        staged_files = dict(stager.files)

    manifest = "\n".join(f"{name}\t{digest}" for name, digest in sorted(digests.items()))
    bundle_sha = hashlib.sha256(manifest.encode()).hexdigest()
    request_sha = hashlib.sha256(f"{lc_id}\n{presented_on}\n{manifest}".encode()).hexdigest()

    if idempotency_key:
        existing = _replay(ctx, principal, idempotency_key, request_sha)
        if existing:
            response.headers["Location"] = _urls(existing.id)["status_url"]
            return PresentationAccepted(id=existing.id, status=existing.status, **_urls(existing.id))

    try:
        with ctx.db.write() as session:
            presentation = Presentation(lc_id=lc_id, organization_id=principal.organization_id,
                                        submitted_by=principal.actor, status="queued", presented_on=presented_on,
                                        bundle_sha256=bundle_sha)
            session.add(presentation)
            session.flush()
            for name, staged in staged_files.items():
                session.add(Document(lc_id=lc_id, presentation_id=presentation.id, file_name=name,
                                     content_type=staged.content_type, size=staged.size, file_hash=digests[name],
                                     file_url=f"sha256:{digests[name]}", submitted_by=principal.actor))
            job = jobs.enqueue(session, "examine", {"presentation_id": presentation.id},
                               ctx.settings.job_max_attempts)
            if idempotency_key:
                session.add(IdempotencyKey(principal=principal.actor, key=idempotency_key, request_sha256=request_sha,
                                           resource_type="presentation", resource_id=presentation.id))
                session.flush()
            audit.record(session, entity_type="presentation", entity_id=presentation.id, action="submit",
                         actor=principal.actor, user_id=principal.user_id, organization_id=principal.organization_id,
                         new={"lc_id": lc_id, "lc_number": lc_number, "bundle_sha256": bundle_sha,
                              "files": digests, "presented_on": presented_on})
            presentation_id, job_id = presentation.id, job.id
    except IntegrityError:
        # a concurrent retry with the same key won the race: answer as it was answered
        if idempotency_key:
            existing = _replay(ctx, principal, idempotency_key, request_sha)
            if existing:
                response.headers["Location"] = _urls(existing.id)["status_url"]
                return PresentationAccepted(id=existing.id, status=existing.status, **_urls(existing.id))
        raise
    ctx.jobs.submitted(job_id)
    with ctx.db.read() as session:
        status = session.scalar(select(Presentation.status).where(Presentation.id == presentation_id)) or "queued"
    response.headers["Location"] = _urls(presentation_id)["status_url"]
    return PresentationAccepted(id=presentation_id, status=status, **_urls(presentation_id))


def _replay(ctx: Any, principal: Principal, key: str, request_sha: str) -> Presentation | None:
    with ctx.db.read() as session:
        row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.principal == principal.actor,
                                                          IdempotencyKey.key == key))
        if row is None:
            return None
        if row.request_sha256 != request_sha:
            raise ApiError(422, "idempotency_key_reused",
                           "this Idempotency-Key was used for a different request; use a new key")
        return session.get(Presentation, row.resource_id)


def _out(session: Any, presentation: Presentation) -> PresentationOut:
    docs = session.scalars(select(Document).where(Document.presentation_id == presentation.id)
                           .order_by(Document.file_name)).all()
    decision = session.scalar(select(Decision).where(Decision.presentation_id == presentation.id))
    return PresentationOut(
        id=presentation.id, lc_id=presentation.lc_id, status=presentation.status,  # type: ignore[arg-type]
        outcome=presentation.outcome,  # type: ignore[arg-type]
        presented_on=presentation.presented_on, error=presentation.error,
        documents=[{"id": d.id, "file": d.file_name, "sha256": d.file_hash, "size": d.size,
                    "content_type": d.content_type, "type": d.document_type} for d in docs],
        created_at=presentation.created_at, examined_at=presentation.examined_at,
        decision={"decision": decision.decision, "reason": decision.reason, "decided_by": decision.decided_by,
                  "created_at": decision.created_at.isoformat()} if decision else None,
        report_url=_urls(presentation.id)["report_url"] if presentation.status in REPORT_READY else None,
    )


@router.get("", response_model=Page[PresentationOut], summary="Presentations under credits you are party to")
def list_presentations(
    principal: CurrentPrincipal,
    ctx: Service,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    lc_id: Annotated[str | None, Query(max_length=36)] = None,
) -> Page[PresentationOut]:
    principal.require("presentation:view")
    query = select(Presentation).join(LetterOfCredit, LetterOfCredit.id == Presentation.lc_id).where(
        lc_visible_to(principal))
    if lc_id:
        query = query.where(Presentation.lc_id == lc_id)
    with ctx.db.read() as session:
        rows, next_cursor = paginate(session, query, Presentation, cursor, limit)
        return Page[PresentationOut](items=[_out(session, r) for r in rows], next_cursor=next_cursor)


@router.get("/{presentation_id}", response_model=PresentationOut, summary="Status of a presentation")
def status(presentation_id: str, principal: CurrentPrincipal, ctx: Service) -> PresentationOut:
    principal.require("presentation:view")
    with ctx.db.read() as session:
        presentation, _lc = get_presentation(session, principal, presentation_id)
        return _out(session, presentation)


@dataclass(frozen=True)
class ReportRead:
    parties: frozenset[str]  # the credit's party organisations: who may read it
    status: str
    body: bytes | None  # the report as JSON bytes; None while there is no finished report
    error: str | None = None


# Finished reports, serialised once. A report is written once, when the examination is
# recorded, and never changes afterwards (reviews and the decision live in other rows), and a
# credit's parties are fixed at issue, so an entry never goes stale. Per process, bounded.
_REPORT_CACHE_MAX = 4096
_report_cache: OrderedDict[str, ReportRead] = OrderedDict()
_report_cache_lock = threading.Lock()


def _cached_report(presentation_id: str) -> ReportRead | None:
    with _report_cache_lock:
        entry = _report_cache.get(presentation_id)
        if entry is not None:
            _report_cache.move_to_end(presentation_id)
        return entry


def _load_report(ctx: Any, presentation_id: str) -> ReportRead | None:
    """One query for the report and the credit's parties; a finished report is cached."""
    with ctx.db.read() as session:
        row = session.execute(
            select(Presentation.status, Presentation.report, Presentation.error, LetterOfCredit.applicant_id,
                   LetterOfCredit.beneficiary_id, LetterOfCredit.issuing_bank_id, LetterOfCredit.advising_bank_id,
                   LetterOfCredit.nominated_bank_id)
            .join(LetterOfCredit, LetterOfCredit.id == Presentation.lc_id)
            .where(Presentation.id == presentation_id)
        ).first()
    if row is None:
        return None
    parties = frozenset(org for org in row[3:] if org)
    if row[0] not in REPORT_READY or row[1] is None:
        return ReportRead(parties, row[0], None, row[2])
    # stored as produced by the engine: serialised as it is, not re-validated through a model
    body = json.dumps(row[1], ensure_ascii=False, separators=(",", ":")).encode()
    entry = ReportRead(parties, row[0], body)
    with _report_cache_lock:
        _report_cache[presentation_id] = entry
        while len(_report_cache) > _REPORT_CACHE_MAX:
            _report_cache.popitem(last=False)
    return entry


@router.get("/{presentation_id}/report", summary="The examination report (the JSON of `blocktrade check --json`)",
            response_class=Response, responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}})
async def report(
    presentation_id: str,
    request: Request,
    bearer: Annotated[str | None, Security(oauth2_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
) -> Response:
    # The hottest read of the API, so it runs on the event loop: the caller is authenticated in
    # one worker-thread hop (the shared dependencies would take two, a sync route one more), and
    # a finished report is served from its cached bytes without a database round trip.
    ctx = service(request)
    principal = await run_in_threadpool(current_principal, request, ctx, bearer, api_key)
    principal.require("presentation:view")
    entry = _cached_report(presentation_id) or await run_in_threadpool(_load_report, ctx, presentation_id)
    if entry is None or principal.organization_id not in entry.parties:
        raise not_found("presentation", presentation_id)
    if entry.body is None:
        raise ApiError(409, "report_not_ready", f"the presentation is {entry.status}; no report yet",
                       {"status": entry.status, "error": entry.error})
    return Response(entry.body, media_type="application/json")


@router.get("/{presentation_id}/findings", response_model=list[FindingOut])
def findings(presentation_id: str, principal: CurrentPrincipal, ctx: Service) -> list[FindingOut]:
    principal.require("presentation:view")
    with ctx.db.read() as session:
        get_presentation(session, principal, presentation_id)
        rows = session.scalars(select(Finding).where(Finding.presentation_id == presentation_id)
                               .order_by(Finding.ordinal)).all()
        return [FindingOut.model_validate(r, from_attributes=True) for r in rows]


@router.post("/{presentation_id}/findings/{finding_id}/review", response_model=FindingOut,
             summary="Waive or confirm a finding, with a reason")
def review(presentation_id: str, finding_id: str, body: FindingReview, principal: CurrentPrincipal,
           ctx: Service) -> FindingOut:
    principal.require("finding:review")
    with ctx.db.write() as session:
        presentation, lc = get_presentation(session, principal, presentation_id)
        _examining_bank(principal, lc)
        finding = session.get(Finding, finding_id)
        if finding is None or finding.presentation_id != presentation_id:
            raise not_found("finding", finding_id)
        if presentation.status != "examined":
            raise ApiError(409, "not_reviewable", f"the presentation is {presentation.status}; findings are "
                           "reviewed between examination and decision", {"status": presentation.status})
        if body.action == "waive" and finding.hold:
            raise ApiError(409, "hold_cannot_be_waived",
                           "a sanctions/AML hold cannot be waived; it is cleared by compliance, not by review")
        before = {"review_status": finding.review_status, "review_reason": finding.review_reason}
        finding.review_status = "waived" if body.action == "waive" else "confirmed"
        finding.review_reason, finding.reviewed_by, finding.reviewed_at = body.reason, principal.actor, utcnow()
        audit.record(session, entity_type="finding", entity_id=finding.id, action=body.action,
                     actor=principal.actor, user_id=principal.user_id, organization_id=principal.organization_id,
                     old=before, new={"review_status": finding.review_status, "review_reason": body.reason,
                                      "presentation_id": presentation_id, "rule": finding.rule})
        session.flush()
        return FindingOut.model_validate(finding, from_attributes=True)


@router.post("/{presentation_id}/decision", response_model=DecisionOut, status_code=201,
             summary="Accept or refuse the presentation")
def decide(presentation_id: str, body: DecisionIn, principal: CurrentPrincipal, ctx: Service) -> DecisionOut:
    principal.require("presentation:decide")
    with ctx.db.write() as session:
        presentation, lc = get_presentation(session, principal, presentation_id)
        _examining_bank(principal, lc)
        if presentation.status != "examined":
            raise ApiError(409, "not_decidable", f"the presentation is {presentation.status}",
                           {"status": presentation.status})
        rows = session.scalars(select(Finding).where(Finding.presentation_id == presentation_id)).all()
        holds = [f.rule for f in rows if f.hold]
        open_discrepancies = [f.rule for f in rows if f.severity == "discrepancy" and f.review_status != "waived"]
        if body.decision == "accept":
            if holds or presentation.outcome == "hold":
                raise ApiError(409, "hold", "the presentation is on hold (sanctions/AML); it cannot be accepted",
                               {"rules": holds})
            if open_discrepancies:
                raise ApiError(409, "discrepancies_not_waived",
                               "accepting needs every discrepancy waived", {"rules": open_discrepancies})
        elif not open_discrepancies and not holds:
            raise ApiError(409, "nothing_to_refuse",
                           "a refusal states the discrepancies (UCP 600 16(c)); none is open", {})
        decision = Decision(presentation_id=presentation_id, decision=body.decision, reason=body.reason,
                            decided_by=principal.actor, created_at=utcnow())
        session.add(decision)
        before = presentation.status
        presentation.status = "accepted" if body.decision == "accept" else "refused"
        audit.record(session, entity_type="presentation", entity_id=presentation_id, action=body.decision,
                     actor=principal.actor, user_id=principal.user_id, organization_id=principal.organization_id,
                     old={"status": before}, new={"status": presentation.status, "reason": body.reason,
                                                  "open_discrepancies": open_discrepancies})
        try:
            session.flush()
        except IntegrityError:
            raise ApiError(409, "already_decided", "a decision on this presentation exists") from None
        return DecisionOut(presentation_id=presentation_id, decision=decision.decision, reason=decision.reason,
                           decided_by=decision.decided_by, created_at=decision.created_at)
