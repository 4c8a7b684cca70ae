"""The examiner's review pages (/review) and the JSON endpoint for screening-hit verdicts.

Server-rendered (Jinja2), a stylesheet and a few lines of script; no build step. Every
action calls the function the JSON API calls (``routes.presentations.review`` / ``decide``,
``review.data.mark_hit``), so roles, TOTP, organisation isolation, state checks and the
audit trail are the API's own. Errors come back as the same page with the message.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import BaseModel, Field

from api.auth.deps import CurrentPrincipal, Service
from api.context import ServiceContext
from api.db.types import utcnow
from api.errors import ApiError
from api.review import data, outputs
from api.review.session import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    CsrfError,
    ReviewSession,
    SignInRequired,
    apply_renewal,
    check_csrf,
    check_login_csrf,
    clear_cookies,
    current_session,
    new_login_csrf,
    set_cookie,
    sign_in,
)
from api.routes import presentations
from api.schemas import DecisionIn, FindingReview

HERE = Path(__file__).resolve().parents[1] / "review"
STATIC = {"review.css": "text/css; charset=utf-8", "review.js": "text/javascript; charset=utf-8"}
# Pages load nothing from elsewhere and run no inline script; nobody may frame them.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'self'; "
                               "style-src-attr 'unsafe-inline'; script-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
NOTICES = {
    "waived": "Finding waived.",
    "confirmed": "Finding confirmed as a discrepancy.",
    "accepted": "Presentation accepted.",
    "refused": "Presentation refused; the MT734 advice of refusal is below.",
    "true_positive": "Screening hit marked as a true positive.",
    "false_positive": "Screening hit marked as a false positive.",
}

pages = APIRouter(prefix="/review", include_in_schema=False)
api_router = APIRouter(tags=["presentations"])


@cache
def _templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["csrf_field"] = CSRF_FIELD
    env.filters["days"] = _days
    env.filters["iso"] = _iso
    return env


def _days(days: int) -> str:
    return f"{days} day" if abs(days) == 1 else f"{days} days"


def _iso(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "—" if value is None else str(value)


def _ctx(request: Request) -> ServiceContext:
    return request.app.state.service  # type: ignore[no-any-return]


def _html(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    body = _templates().get_template(template).render(**context)
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path if request.method == "GET" else "/review/queue"
    return RedirectResponse(f"/review/login?next={quote(target, safe='/')}", status_code=303)


def _session(request: Request, *, may_renew: bool = True) -> ReviewSession:
    return current_session(_ctx(request), request, may_renew=may_renew)


def _error_page(session: ReviewSession | None, err: ApiError) -> HTMLResponse:
    return _html("error.html.j2", status=err.status, session=session, status_code=err.status, message=err.message)


# --------------------------------------------------------------------------- static files


@pages.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        return PlainTextResponse("not found", status_code=404)
    return Response((HERE / "static" / name).read_bytes(), media_type=STATIC[name],
                    headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


# --------------------------------------------------------------------------- sign-in


def _safe_next(target: str | None) -> str:
    # only our own pages: an open redirect after sign-in would hand the session to a phishing page
    if target and target.startswith("/review/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/review/queue"


def _login_form(request: Request, error: str = "", status: int = 200, email: str = "") -> HTMLResponse:
    token = new_login_csrf()
    response = _html("login.html.j2", status=status, session=None, login_csrf=token, error=error, email=email,
                     next=_safe_next(request.query_params.get("next")))
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, 1800)
    return response


@pages.get("", response_class=HTMLResponse)
def index() -> RedirectResponse:
    return RedirectResponse("/review/queue", status_code=303)


@pages.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return _login_form(request)


@pages.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    email: Annotated[str, Form(max_length=255)],
    password: Annotated[str, Form(max_length=1000)],
    otp: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/review/queue",
) -> Response:
    try:
        check_login_csrf(request, csrf_token)
    except CsrfError as err:
        return _login_form(request, str(err), 403, email)
    response = RedirectResponse(_safe_next(next), status_code=303)
    try:
        sign_in(_ctx(request), request, response, email, password, otp.strip() or None)
    except ApiError as err:
        return _login_form(request, err.message, err.status if err.status in (401, 429) else 400, email)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/review")
    return response


@pages.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    try:
        session = _session(request, may_renew=False)
    except SignInRequired:
        session = None  # no (valid) session: clearing the cookies is all there is to do
    if session is not None:
        try:
            check_csrf(session, csrf_token)
        except CsrfError as err:
            return _error_page(session, ApiError(403, "csrf", str(err)))
    response = RedirectResponse("/review/login", status_code=303)
    clear_cookies(response, request)
    return response


# --------------------------------------------------------------------------- the queue


@pages.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request) -> Response:
    try:
        session = _session(request)
    except SignInRequired:
        return _to_login(request)
    today = utcnow().date()
    try:
        rows = data.queue(_ctx(request), session.principal, today)
    except ApiError as err:
        return apply_renewal(session, request, _error_page(session, err))
    return apply_renewal(session, request, _html("queue.html.j2", session=session, rows=rows, today=today))


# --------------------------------------------------------------------------- one presentation


def _view(request: Request, session: ReviewSession, presentation_id: str, *, status: int = 200,
          error: str = "", notice: str = "") -> Response:
    ctx = _ctx(request)
    try:
        view = data.presentation_view(ctx, session.principal, presentation_id)
    except ApiError as err:
        return apply_renewal(session, request, _error_page(session, err))
    mt734_text = mt734_error = ""
    if view.presentation.status == "refused":
        try:
            mt734_text = outputs.mt734_text(ctx, session.principal, presentation_id)
        except ApiError as err:
            mt734_error = err.message
    return apply_renewal(session, request, _html(
        "presentation.html.j2", status=status, session=session, view=view, today=utcnow().date(),
        error=error, notice=notice, mt734=mt734_text, mt734_error=mt734_error))


@pages.get("/presentations/{presentation_id}", response_class=HTMLResponse)
def presentation_page(request: Request, presentation_id: str) -> Response:
    try:
        session = _session(request)
    except SignInRequired:
        return _to_login(request)
    return _view(request, session, presentation_id, notice=NOTICES.get(request.query_params.get("done", ""), ""))


@pages.get("/presentations/{presentation_id}/documents/{document_id}/pages/{page}.png")
def page_png(request: Request, presentation_id: str, document_id: str, page: int) -> Response:
    try:
        session = _session(request, may_renew=False)
    except SignInRequired:
        return PlainTextResponse("sign in first", status_code=401)
    try:
        png = data.page_image(_ctx(request), session.principal, presentation_id, document_id, page)
    except ApiError as err:
        return PlainTextResponse(err.message, status_code=err.status)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=600",
                                                          "X-Content-Type-Options": "nosniff"})


def _action(request: Request, presentation_id: str, csrf_token: str, run: Any, done: str) -> Response:
    """Check the session and CSRF token, run the service call, and go back to the view."""
    try:
        session = _session(request)
    except SignInRequired:
        return _to_login(request)
    try:
        check_csrf(session, csrf_token)
    except CsrfError as err:
        return _view(request, session, presentation_id, status=403, error=str(err))
    try:
        run(session)
    except ApiError as err:
        return _view(request, session, presentation_id, status=err.status, error=err.message)
    response = RedirectResponse(f"/review/presentations/{presentation_id}?done={done}", status_code=303)
    return apply_renewal(session, request, response)


@pages.post("/presentations/{presentation_id}/findings/{finding_id}")
def review_finding(
    request: Request,
    presentation_id: str,
    finding_id: str,
    action: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    def run(session: ReviewSession) -> None:
        if action not in ("waive", "confirm"):
            raise ApiError(422, "invalid_action", f"action {action!r} is not waive or confirm")
        if len(reason.strip()) < 3:
            raise ApiError(422, "reason_required", "give a reason of at least 3 characters")
        presentations.review(presentation_id, finding_id, FindingReview(action=action, reason=reason.strip()),  # type: ignore[arg-type]
                             session.principal, _ctx(request))

    return _action(request, presentation_id, csrf_token, run, "waived" if action == "waive" else "confirmed")


@pages.post("/presentations/{presentation_id}/decision")
def decide(
    request: Request,
    presentation_id: str,
    decision: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    def run(session: ReviewSession) -> None:
        if decision not in ("accept", "refuse"):
            raise ApiError(422, "invalid_decision", f"decision {decision!r} is not accept or refuse")
        if len(reason.strip()) < 3:
            raise ApiError(422, "reason_required", "give a reason of at least 3 characters")
        presentations.decide(presentation_id, DecisionIn(decision=decision, reason=reason.strip()),  # type: ignore[arg-type]
                             session.principal, _ctx(request))

    return _action(request, presentation_id, csrf_token, run, "accepted" if decision == "accept" else "refused")


@pages.post("/presentations/{presentation_id}/hits")
def mark_hit(
    request: Request,
    presentation_id: str,
    query: Annotated[str, Form(max_length=500)],
    entry_id: Annotated[str, Form(max_length=100)],
    verdict: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    def run(session: ReviewSession) -> None:
        data.mark_hit(_ctx(request), session.principal, presentation_id, query, entry_id, verdict, reason)

    return _action(request, presentation_id, csrf_token, run, verdict)


@pages.get("/presentations/{presentation_id}/report.{kind}")
def report_download(request: Request, presentation_id: str, kind: str) -> Response:
    try:
        session = _session(request)
    except SignInRequired:
        return _to_login(request)
    try:
        if kind == "mt734":
            text = outputs.mt734_text(_ctx(request), session.principal, presentation_id)
            return PlainTextResponse(text, headers={
                "Content-Disposition": f'attachment; filename="mt734-{presentation_id}.fin"'})
        if kind not in ("pdf", "html"):
            raise ApiError(404, "not_found", f"no report of kind {kind!r}")
        body = outputs.discrepancy_report(_ctx(request), session.principal, presentation_id, kind)  # type: ignore[arg-type]
    except ApiError as err:
        return apply_renewal(session, request, _error_page(session, err))
    media = "application/pdf" if kind == "pdf" else "text/html; charset=utf-8"
    disposition = "attachment" if kind == "pdf" else "inline"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'{disposition}; filename="discrepancy-{presentation_id}.{kind}"',
        # the signed HTML report carries its own inline styles: it is a document, not one of our pages
        "Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'",
        "X-Content-Type-Options": "nosniff"})


# --------------------------------------------------------------------------- JSON: screening-hit verdicts


class HitVerdictIn(BaseModel):
    query: str = Field(min_length=1, max_length=500, description="the screened name, as in the report")
    entry_id: str = Field(min_length=1, max_length=100, examples=["OFAC-SDN:12345"])
    verdict: str = Field(pattern="^(true_positive|false_positive)$")
    reason: str = Field(min_length=3, max_length=2000)


class HitOut(BaseModel):
    query: str
    entry_id: str
    entry_name: str
    score: float
    list_version: str
    disposition: str
    decided_by: str | None
    reason: str | None


@api_router.post("/presentations/{presentation_id}/screening-hits", response_model=HitOut,
                 summary="Mark a screening hit of the examination a true or a false positive, with a reason")
def hit_verdict(presentation_id: str, body: HitVerdictIn, principal: CurrentPrincipal, ctx: Service) -> HitOut:
    hit = data.mark_hit(ctx, principal, presentation_id, body.query, body.entry_id, body.verdict, body.reason)
    return HitOut(query=hit.query, entry_id=hit.entry_id, entry_name=hit.entry_name, score=hit.score,
                  list_version=hit.list_version, disposition=hit.disposition, decided_by=hit.decided_by,
                  reason=hit.reason)
