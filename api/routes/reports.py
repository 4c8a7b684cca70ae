"""Report downloads: the signed discrepancy report, the MT734, and the nightly report archive."""

from __future__ import annotations

import datetime as dt
import mimetypes

from fastapi import APIRouter
from fastapi.responses import FileResponse, PlainTextResponse, Response
from pydantic import BaseModel

from api import nightly_job
from api.auth.deps import CurrentPrincipal, Service
from api.errors import ApiError, not_found
from api.review import outputs

router = APIRouter(tags=["reports"])

SIGNED = {"description": "the signed report (verify with `blocktrade report verify FILE`)"}


@router.get("/presentations/{presentation_id}/report.html", summary="The signed discrepancy report as HTML",
            response_class=Response, responses={200: {"content": {"text/html": {}}, **SIGNED}})
def report_html(presentation_id: str, principal: CurrentPrincipal, ctx: Service) -> Response:
    body = outputs.discrepancy_report(ctx, principal, presentation_id, "html")
    return Response(body, media_type="text/html; charset=utf-8",
                     headers={"Content-Disposition": f'inline; filename="discrepancy-{presentation_id}.html"'})


@router.get("/presentations/{presentation_id}/report.pdf", summary="The signed discrepancy report as PDF",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}, **SIGNED}})
def report_pdf(presentation_id: str, principal: CurrentPrincipal, ctx: Service) -> Response:
    body = outputs.discrepancy_report(ctx, principal, presentation_id, "pdf")
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="discrepancy-{presentation_id}.pdf"'})


@router.get("/presentations/{presentation_id}/mt734", summary="The MT734 advice of refusal of a refused presentation",
            response_class=PlainTextResponse, responses={200: {"content": {"text/plain": {}}}})
def mt734(presentation_id: str, principal: CurrentPrincipal, ctx: Service) -> PlainTextResponse:
    text = outputs.mt734_text(ctx, principal, presentation_id)
    return PlainTextResponse(text, headers={"Content-Disposition": f'inline; filename="mt734-{presentation_id}.fin"'})


class NightlyReportOut(BaseModel):
    day: dt.date
    files: list[str]
    generated_at: dt.datetime
    urls: dict[str, str]


@router.get("/reports/nightly", response_model=list[NightlyReportOut],
            summary="Every archived nightly regulatory report of your organisation, newest first")
def nightly_list(principal: CurrentPrincipal, ctx: Service) -> list[NightlyReportOut]:
    principal.require("audit:view")
    return [NightlyReportOut(day=r.day, files=r.files, generated_at=r.generated_at,
                             urls={f: f"/api/v1/reports/nightly/{r.day.isoformat()}/{f}" for f in r.files})
            for r in nightly_job.list_reports(ctx, principal.organization_id)]


@router.get("/reports/nightly/{day}/{file_name}", summary="One file of an archived nightly report",
            response_class=FileResponse)
def nightly_file(day: str, file_name: str, principal: CurrentPrincipal, ctx: Service) -> FileResponse:
    principal.require("audit:view")
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise ApiError(422, "invalid_date", f"{day!r} is not a date in the form YYYY-MM-DD") from None
    path = nightly_job.report_file(ctx, principal.organization_id, date, file_name)
    if path is None:
        raise not_found("nightly report file", f"{day}/{file_name}")
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media)
