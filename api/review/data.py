"""What the review pages and the report endpoints read: the queue, one presentation with its
pages and evidence boxes, screening hits and their dispositions.

Organisation isolation is the API's (``lc_visible_to`` / ``get_presentation``): a presentation
of a credit the caller's organisation is not party to is "not found", the same answer as for
an id that does not exist, here and on every page image.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import audit
from api.auth.principal import Principal
from api.context import ServiceContext
from api.db.models import (
    AuditEntry,
    Decision,
    Document,
    Finding,
    LetterOfCredit,
    Presentation,
    ScreeningResult,
    User,
)
from api.db.types import utcnow
from api.errors import ApiError, not_found
from api.routes.common import get_presentation, lc_visible_to
from engine.findings import Evidence, Report
from extractors.pdf_text import PDFIUM_LOCK
from reports.banking_days import ExaminationDeadline, examination_deadline
from reports.discrepancy import value_text, where_text
from reports.ucp import article_label, ucp_article

OPEN_STATUSES = ("queued", "examining", "examined")
PAGE_SCALE = 1.5  # 108 dpi: legible on screen, ~150 KB per A4 page
MAX_PAGES_SHOWN = 20  # per document; a 200-page annex is not examined page by page here
Verdict = str  # "true_positive" | "false_positive"
VERDICTS = ("true_positive", "false_positive")


# --------------------------------------------------------------------------- places and deadlines


def place_of_presentation(lc: LetterOfCredit) -> str | None:
    """Where the documents are presented, as the credit's terms record it (31D's place)."""
    terms = lc.terms or {}
    for key in ("place_of_presentation", "expiry_place", "place_of_expiry"):
        value = terms.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def presented_day(presentation: Presentation) -> dt.date:
    """The day of presentation: as given at submission, else as the bundle states it
    (presentation.json, kept in the examination result), else the day it was received."""
    if presentation.presented_on:
        return presentation.presented_on
    stated = (presentation.report or {}).get("presented_on")
    if isinstance(stated, str):
        try:
            return dt.date.fromisoformat(stated)
        except ValueError:
            pass  # a malformed date in a stored report: fall back to the day of receipt
    return presentation.created_at.astimezone(dt.UTC).date()


def deadline_of(presentation: Presentation, lc: LetterOfCredit) -> ExaminationDeadline:
    return examination_deadline(presented_day(presentation), place_of_presentation(lc))


# --------------------------------------------------------------------------- the queue


@dataclass(frozen=True)
class QueueRow:
    id: str
    lc_number: str
    status: str
    outcome: str | None
    presented_on: dt.date
    deadline: ExaminationDeadline
    days_left: int
    overdue: bool
    open_discrepancies: int
    decision: str | None


def queue(ctx: ServiceContext, principal: Principal, today: dt.date | None = None) -> list[QueueRow]:
    """Presentations under credits the caller's organisation is party to, earliest deadline first."""
    principal.require("presentation:view")
    today = today or utcnow().date()
    with ctx.db.read() as session:
        rows = session.execute(
            select(Presentation, LetterOfCredit)
            .join(LetterOfCredit, LetterOfCredit.id == Presentation.lc_id)
            .where(lc_visible_to(principal))
        ).all()
        ids = [p.id for p, _lc in rows]
        open_counts: dict[str, int] = {}
        decisions: dict[str, str] = {}
        if ids:
            for presentation_id, severity, hold, review_status in session.execute(
                select(Finding.presentation_id, Finding.severity, Finding.hold, Finding.review_status)
                .where(Finding.presentation_id.in_(ids))
            ):
                if (severity == "discrepancy" or hold) and review_status == "open":
                    open_counts[presentation_id] = open_counts.get(presentation_id, 0) + 1
            decisions = dict(session.execute(
                select(Decision.presentation_id, Decision.decision).where(Decision.presentation_id.in_(ids))).all())
    out = []
    for presentation, lc in rows:
        deadline = deadline_of(presentation, lc)
        days_left = deadline.days_left(today)
        out.append(QueueRow(
            id=presentation.id, lc_number=lc.lc_number, status=presentation.status, outcome=presentation.outcome,
            presented_on=presented_day(presentation), deadline=deadline, days_left=days_left,
            overdue=presentation.status in OPEN_STATUSES and days_left < 0,
            open_discrepancies=open_counts.get(presentation.id, 0), decision=decisions.get(presentation.id),
        ))
    # decided ones sink below the open ones: the queue is a to-do list first
    out.sort(key=lambda r: (r.status not in OPEN_STATUSES, r.deadline.deadline, r.presented_on, r.id))
    return out


# --------------------------------------------------------------------------- document pages


@dataclass(frozen=True)
class PageInfo:
    number: int
    width_pt: float
    height_pt: float


def _pdf_pages(path: Path) -> list[PageInfo]:
    with PDFIUM_LOCK:  # pdfium is not thread-safe (extractors/pdf_text.py)
        return _pdf_pages_unlocked(path=path)


def _pdf_pages_unlocked(path: Path) -> list[PageInfo]:
    pdf = pdfium.PdfDocument(path)
    try:
        return [PageInfo(i + 1, *pdf.get_page_size(i)) for i in range(min(len(pdf), MAX_PAGES_SHOWN))]
    finally:
        pdf.close()


def _image_pages(path: Path) -> list[PageInfo]:
    with Image.open(path) as image:
        dpi = float(image.info.get("dpi", (72, 72))[0] or 72)
        pages = []
        for index in range(min(getattr(image, "n_frames", 1), MAX_PAGES_SHOWN)):
            image.seek(index)
            pages.append(PageInfo(index + 1, image.width * 72.0 / dpi, image.height * 72.0 / dpi))
        return pages


def _kind(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")):
        return "image"
    return "text"


_pages_cache: OrderedDict[str, list[PageInfo]] = OrderedDict()
_pages_lock = threading.Lock()


def document_pages(ctx: ServiceContext, document: Document) -> list[PageInfo]:
    """The pages of a stored PDF or image (none for the MT700 text); cached by content hash."""
    with _pages_lock:
        if document.file_hash in _pages_cache:
            return _pages_cache[document.file_hash]
    path = ctx.storage.path_of(document.file_hash)
    try:
        kind = _kind(path)
        pages = _pdf_pages(path) if kind == "pdf" else _image_pages(path) if kind == "image" else []
    except (OSError, pdfium.PdfiumError, UnidentifiedImageError, EOFError):
        pages = []  # the view says "no page image" for this document instead of failing
    with _pages_lock:
        _pages_cache[document.file_hash] = pages
        while len(_pages_cache) > 512:
            _pages_cache.popitem(last=False)
    return pages


def page_image(ctx: ServiceContext, principal: Principal, presentation_id: str, document_id: str,
               page: int) -> bytes:
    """PNG of one page of a presented document; 404 unless the caller may see the presentation."""
    principal.require("presentation:view")
    with ctx.db.read() as session:
        get_presentation(session, principal, presentation_id)
        document = session.get(Document, document_id)
        if document is None or document.presentation_id != presentation_id:
            raise not_found("document", document_id)
        file_hash = document.file_hash
    cache = ctx.settings.data_dir / "review-pages" / f"{file_hash}-{page}.png"
    if cache.is_file():
        return cache.read_bytes()
    path = ctx.storage.path_of(file_hash)
    if not path.is_file():
        raise ApiError(404, "page_not_available", f"the stored file of document {document_id} is missing")
    png = _render(path, page, document_id)
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(f".{threading.get_ident()}.tmp")
    partial.write_bytes(png)
    partial.replace(cache)
    return png


def _render(path: Path, page: int, document_id: str) -> bytes:
    with PDFIUM_LOCK:  # pdfium is not thread-safe (extractors/pdf_text.py)
        return _render_page_unlocked(path=path, page=page, document_id=document_id)


def _render_page_unlocked(path: Path, page: int, document_id: str) -> bytes:
    out = io.BytesIO()
    try:
        if _kind(path) == "pdf":
            pdf = pdfium.PdfDocument(path)
            try:
                if not 1 <= page <= len(pdf):
                    raise not_found("page", f"{page} of document {document_id}")
                image = pdf[page - 1].render(scale=PAGE_SCALE).to_pil().convert("RGB")
            finally:
                pdf.close()
        else:
            with Image.open(path) as source:
                if not 1 <= page <= getattr(source, "n_frames", 1):
                    raise not_found("page", f"{page} of document {document_id}")
                source.seek(page - 1)
                image = source.convert("RGB")
    except (OSError, pdfium.PdfiumError, UnidentifiedImageError, EOFError) as err:
        raise ApiError(422, "page_not_renderable", f"page {page} of document {document_id} does not render: {err}") \
            from None
    image.save(out, format="PNG")
    return out.getvalue()


# --------------------------------------------------------------------------- screening hits


@dataclass
class Hit:
    """One list match found by the examination's screening, with the reviewer's disposition."""

    query: str
    entry_id: str
    entry_name: str
    matched_name: str
    score: float
    role: str
    document: str
    programs: list[str]
    list_version: str
    rule: str
    severity: str
    disposition: str = "pending"  # pending | true_positive | false_positive
    decided_by: str | None = None
    reason: str | None = None
    result_id: str | None = None


def hits_of(report: Report) -> list[Hit]:
    """The screening hits the AML pack reported (each finding's evidence carries the hit)."""
    seen: dict[tuple[str, str], Hit] = {}
    for finding in report.findings:
        for evidence in finding.evidence:
            value = evidence.value
            if not isinstance(value, dict) or not value.get("entry_id") or "score" not in value:
                continue
            key = (str(value.get("query", "")), str(value["entry_id"]))
            if key in seen:
                continue
            seen[key] = Hit(
                query=key[0], entry_id=key[1], entry_name=str(value.get("entry_name", "")),
                matched_name=str(value.get("matched_name") or ""), score=float(value.get("score") or 0.0),
                role=str(value.get("role", "")), document=str(value.get("document", "")),
                programs=[str(p) for p in value.get("programs") or []],
                list_version=str(value.get("list_version_label") or value.get("list_version") or ""),
                rule=finding.rule, severity="hold" if finding.hold else finding.severity,
            )
    return list(seen.values())


def hits_with_dispositions(session: Session, presentation_id: str, report: Report | None) -> list[Hit]:
    if report is None:
        return []
    hits = hits_of(report)
    rows = {(r.query, r.list_entry_id): r for r in session.scalars(
        select(ScreeningResult).where(ScreeningResult.presentation_id == presentation_id))}
    latest: dict[str, dict[str, Any]] = {}
    if rows:
        for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "screening_result",
                                     AuditEntry.entity_id.in_([r.id for r in rows.values()]))
            .order_by(AuditEntry.seq)
        ):
            latest[entry.entity_id] = {"actor": entry.actor, **(entry.new_values or {})}
    for hit in hits:
        row = rows.get((hit.query, hit.entry_id))
        if row is not None:
            hit.disposition, hit.result_id = row.disposition, row.id
            hit.decided_by = latest.get(row.id, {}).get("actor")
            hit.reason = latest.get(row.id, {}).get("reason")
    return hits


def mark_hit(ctx: ServiceContext, principal: Principal, presentation_id: str, query: str, entry_id: str,
             verdict: str, reason: str) -> Hit:
    """Record a reviewer's true/false-positive verdict on one screening hit (audited).

    The same roles as reviewing a finding (TOTP-verified officers of the examining bank). The
    verdict is recorded against this presentation; a hold stays a hold for this examination
    (no waiver cures it) and compliance clears it through the sanctions decision store."""
    principal.require("finding:review")
    if verdict not in VERDICTS:
        raise ApiError(422, "invalid_verdict", f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
    reason = reason.strip()
    if len(reason) < 3:
        raise ApiError(422, "reason_required", "give a reason of at least 3 characters for the verdict")
    with ctx.db.write() as session:
        presentation, lc = get_presentation(session, principal, presentation_id)
        if principal.organization_id not in (lc.issuing_bank_id, lc.nominated_bank_id):
            raise ApiError(403, "not_examining_bank",
                           "only the issuing or nominated bank reviews and decides on a presentation")
        report = Report.model_validate(presentation.report) if presentation.report else None
        hit = next((h for h in (hits_of(report) if report else [])
                    if h.query == query and h.entry_id == entry_id), None)
        if hit is None:
            raise not_found("screening hit", f"{entry_id} for {query!r}")
        row = session.scalar(select(ScreeningResult).where(
            ScreeningResult.presentation_id == presentation_id, ScreeningResult.query == query,
            ScreeningResult.list_entry_id == entry_id))
        before = {"disposition": row.disposition if row else "pending"}
        if row is None:
            row = ScreeningResult(presentation_id=presentation_id, query=query[:500], list_entry_id=entry_id,
                                  matched_name=(hit.matched_name or hit.entry_name)[:500], score=hit.score,
                                  match=True, disposition=verdict)
            session.add(row)
            session.flush()
        else:
            row.disposition = verdict
        audit.record(session, entity_type="screening_result", entity_id=row.id, action=verdict,
                     actor=principal.actor, user_id=principal.user_id, organization_id=principal.organization_id,
                     old=before, new={"disposition": verdict, "reason": reason, "presentation_id": presentation_id,
                                      "entry_id": entry_id, "query": query})
        hit.disposition, hit.decided_by, hit.reason, hit.result_id = verdict, principal.actor, reason, row.id
    return hit


# --------------------------------------------------------------------------- one presentation


@dataclass
class PresentationView:
    presentation: Presentation
    lc: LetterOfCredit
    deadline: ExaminationDeadline
    report: Report | None
    findings: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    hits: list[Hit]
    decision: Decision | None
    permissions: dict[str, bool] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # actor ("user:<id>") -> e-mail, for display


def _may(principal: Principal, permission: str) -> bool:
    try:
        principal.require(permission)
    except ApiError:
        return False
    return True


def presentation_view(ctx: ServiceContext, principal: Principal, presentation_id: str) -> PresentationView:
    principal.require("presentation:view")
    with ctx.db.read() as session:
        presentation, lc = get_presentation(session, principal, presentation_id)
        rows = list(session.scalars(select(Finding).where(Finding.presentation_id == presentation_id)
                                    .order_by(Finding.ordinal)))
        documents = list(session.scalars(select(Document).where(Document.presentation_id == presentation_id)
                                         .order_by(Document.file_name)))
        decision = session.scalar(select(Decision).where(Decision.presentation_id == presentation_id))
        report = Report.model_validate(presentation.report) if presentation.report else None
        hits = hits_with_dispositions(session, presentation_id, report)
        actors = {r.reviewed_by for r in rows} | {h.decided_by for h in hits} | {decision.decided_by if decision else None}
        user_ids = [a.removeprefix("user:") for a in actors if a and a.startswith("user:")]
        names = {f"user:{uid}": email for uid, email in session.execute(
            select(User.id, User.email).where(User.id.in_(user_ids)))} if user_ids else {}

    boxes: dict[tuple[str, int], list[dict[str, Any]]] = {}
    findings = []
    for number, row in enumerate(rows, start=1):
        evidence_rows = []
        for evidence in row.evidence:
            item = Evidence.model_validate(evidence)
            anchor = None
            if item.file and item.page and item.bbox and len(item.bbox) == 4:
                anchor = f"box-{number}-{len(evidence_rows)}"
                boxes.setdefault((item.file, item.page), []).append(
                    {"anchor": anchor, "finding": number, "bbox": item.bbox, "label": f"{number}: {item.field}",
                     "severity": "hold" if row.hold else row.severity})
            evidence_rows.append({"label": f"{item.document}.{item.field}", "value": value_text(item.value),
                                  "where": where_text(item), "anchor": anchor})
        findings.append({
            "number": number, "row": row, "severity": "hold" if row.hold else row.severity,
            "citations": [{"ref": ref, "title": article_label(a) if (a := ucp_article(ref)) else ""}
                          for ref in row.refs],
            "evidence": evidence_rows,
            "decidable": row.severity == "discrepancy" and not row.hold,
        })

    document_views = []
    for document in documents:
        if document.file_name == "presentation.json":
            continue  # the bundle's metadata (date of presentation), not a presented document
        pages = []
        for page in document_pages(ctx, document):
            page_boxes = []
            for box in boxes.get((document.file_name, page.number), []):
                x0, top, x1, bottom = (float(v) for v in box["bbox"])
                pad = 2.0
                page_boxes.append({**box,
                                   "left": max(0.0, (x0 - pad) / page.width_pt * 100),
                                   "top": max(0.0, (top - pad) / page.height_pt * 100),
                                   "width": (x1 - x0 + 2 * pad) / page.width_pt * 100,
                                   "height": (bottom - top + 2 * pad) / page.height_pt * 100})
            pages.append({"number": page.number, "ratio": page.height_pt / page.width_pt * 100,
                          "url": f"/review/presentations/{presentation_id}/documents/{document.id}/pages/"
                                 f"{page.number}.png",
                          "boxes": page_boxes})
        document_views.append({"id": document.id, "file": document.file_name, "type": document.document_type,
                               "pages": pages, "has_boxes": any(p["boxes"] for p in pages)})
    # documents with highlighted evidence first: that is where the examiner looks
    document_views.sort(key=lambda d: (not d["has_boxes"], not d["pages"], d["file"]))

    examining = principal.organization_id in (lc.issuing_bank_id, lc.nominated_bank_id)
    permissions = {
        "review": examining and presentation.status == "examined" and _may(principal, "finding:review"),
        "decide": examining and presentation.status == "examined" and _may(principal, "presentation:decide"),
        "mark_hits": examining and _may(principal, "finding:review"),
        "reports": presentation.status in ("examined", "accepted", "refused") and report is not None,
    }
    return PresentationView(presentation, lc, deadline_of(presentation, lc), report, findings, document_views,
                            hits, decision, permissions, names)
