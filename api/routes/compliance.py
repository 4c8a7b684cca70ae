"""Compliance report: a summary of a presentation's findings, their review and the decision."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import select

from api.auth.deps import CurrentPrincipal, Service
from api.db.models import Decision, Finding
from api.errors import ApiError, ErrorBody
from api.routes.common import get_presentation

# every error answers with the one error body; documented so clients can generate its type
router = APIRouter(prefix="/compliance", tags=["compliance"],
                   responses={code: {"model": ErrorBody} for code in (400, 401, 403, 404, 422, 406, 409)})

REPORT_READY = ("examined", "accepted", "refused")

SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["presentation_id", "lc_id", "status", "outcome", "counts", "findings"],
    "properties": {
        "presentation_id": {"type": "string"}, "lc_id": {"type": "string"}, "status": {"type": "string"},
        "outcome": {"type": "string", "enum": ["compliant", "discrepant", "hold"]},
        "packs": {"type": "object"}, "counts": {"type": "object"}, "holds": {"type": "array"},
        "open_discrepancies": {"type": "array"}, "findings": {"type": "array"},
        "decision": {"type": ["object", "null"]},
    },
}


def html_renderer() -> Any:
    """(input type, render_html, input error) of reports.discrepancy when installed, else None."""
    try:
        from reports.discrepancy import DiscrepancyReportInput, render_html
        from reports.inputs import ReportInputError
    except ImportError:
        return None
    return DiscrepancyReportInput, render_html, ReportInputError


@router.get(
    "/presentations/{presentation_id}/report",
    summary="Compliance summary of an examined presentation (JSON, or HTML with format=html)",
    response_class=JSONResponse,
    responses={200: {"content": {"application/json": {"schema": SUMMARY_SCHEMA},
                                 "text/html": {"schema": {"type": "string"}}}}},
)
def report(
    presentation_id: str,
    principal: CurrentPrincipal,
    ctx: Service,
    format: Annotated[Literal["json", "html"], Query(description="json (default) or html")] = "json",
) -> Any:
    principal.require("compliance:view")
    with ctx.db.read() as session:
        presentation, lc = get_presentation(session, principal, presentation_id)
        if presentation.status not in REPORT_READY or presentation.report is None:
            raise ApiError(409, "report_not_ready", f"the presentation is {presentation.status}; no report yet",
                           {"status": presentation.status})
        findings = session.scalars(select(Finding).where(Finding.presentation_id == presentation_id)
                                   .order_by(Finding.ordinal)).all()
        decision = session.scalar(select(Decision).where(Decision.presentation_id == presentation_id))
        stored = dict(presentation.report)
        status, outcome, lc_id = presentation.status, presentation.outcome, lc.id
    by_severity = Counter(f.severity for f in findings)
    by_review = Counter(f.review_status for f in findings)
    by_ref = Counter(ref for f in findings for ref in f.refs)
    summary = {
        "presentation_id": presentation_id, "lc_id": lc_id, "status": status, "outcome": outcome,
        "packs": stored.get("packs", {}),
        "counts": {"findings": len(findings), "by_severity": dict(by_severity), "by_review": dict(by_review),
                   "by_ref": dict(sorted(by_ref.items()))},
        "holds": [f.rule for f in findings if f.hold],
        "open_discrepancies": [f.rule for f in findings if f.severity == "discrepancy" and f.review_status == "open"],
        "findings": [{"rule": f.rule, "severity": f.severity, "hold": f.hold, "refs": f.refs,
                      "documents": f.documents, "message": f.message, "review_status": f.review_status,
                      "review_reason": f.review_reason, "reviewed_by": f.reviewed_by} for f in findings],
        "decision": {"decision": decision.decision, "reason": decision.reason, "decided_by": decision.decided_by,
                     "created_at": decision.created_at.isoformat()} if decision else None,
    }
    if format == "json":
        return JSONResponse(summary)
    renderer = html_renderer()
    if renderer is None:
        raise ApiError(406, "html_unavailable", "the HTML report renderer (reports package) is not installed; "
                       "ask for format=json")
    input_type, render_html, input_error = renderer
    from engine.findings import Report

    try:
        parsed = Report.model_validate(stored)
    except ValueError as err:
        raise ApiError(409, "report_unreadable", f"the stored report does not match the report contract: {err}")\
            from None
    # the reviews recorded through the API, in the renderer's decision shape (one per finding)
    decisions = [{"rule": f.rule, "action": "waive" if f.review_status == "waived" else "confirm",
                  "reason": f.review_reason or "", "who": f.reviewed_by or "", "when": f.reviewed_at,
                  "file": next((e.get("file") for e in f.evidence if e.get("file")), None)}
                 for f in findings if f.review_status != "open" and f.reviewed_at is not None]
    try:
        html = render_html(input_type(report=parsed, decisions=decisions, status=status))
    except (input_error, ValueError) as err:  # the renderer's input errors and pydantic's: the stored data does not fit
        raise ApiError(409, "report_unrenderable", f"the HTML report cannot be built: {err}") from None
    return HTMLResponse(html)
