"""Notifications: send, history, preferences, and a real-time stream (server-sent events)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import and_, or_, select
from starlette.concurrency import run_in_threadpool

from api.auth.deps import CurrentPrincipal, Service
from api.auth.principal import Principal
from api.context import ServiceContext
from api.db.models import User
from api.db.models_integrations import Notification, NotificationPreference
from api.errors import ApiError, ErrorBody, not_found
from api.notifications import CATEGORIES, NotificationHub, create_notification, visible_to
from api.routes.common import MAX_PAGE, get_lc, paginate
from api.schemas import Id, Page, Strict, decode_cursor, encode_cursor

# every error answers with the one error body; documented so clients can generate its type
router = APIRouter(prefix="/notifications", tags=["notifications"],
                   responses={code: {"model": ErrorBody} for code in (400, 401, 403, 404, 422, 409)})

Category = Literal["examination", "lc", "payment", "shipment", "kyc", "compliance", "document", "message"]
assert set(Category.__args__) == set(CATEGORIES)  # type: ignore[attr-defined]


class NotificationSend(Strict):
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10_000)
    category: Category = "message"
    organization_id: Id | None = Field(None, description="the recipient organisation; default: your own")
    recipient_user_id: Id | None = Field(None, description="one user of that organisation; default: all of them")
    lc_id: Id | None = Field(None, description="the credit both organisations are party to (needed for another "
                                             "organisation)")


class NotificationOut(BaseModel):
    id: str
    cursor: str = Field(description="pass as ?after= to the stream, or as Last-Event-ID, to resume after this one")
    organization_id: str
    recipient_user_id: str | None
    category: str
    subject: str
    body: str
    lc_id: str | None
    data: dict[str, Any] | None
    sender: str
    created_at: dt.datetime


class Preferences(Strict):
    muted_categories: list[Category] = Field(default_factory=list, max_length=len(CATEGORIES),
                                             description="not pushed on the stream (still kept in the history)")
    stream_enabled: bool = True


def _out(row: Notification) -> NotificationOut:
    return NotificationOut(id=row.id, cursor=encode_cursor(row.created_at, row.id),
                           organization_id=row.organization_id, recipient_user_id=row.recipient_user_id,
                           category=row.category, subject=row.subject, body=row.body, lc_id=row.lc_id, data=row.data,
                           sender=row.sender, created_at=row.created_at)


@router.post("", response_model=NotificationOut, status_code=201, summary="Send a notification")
def send(body: NotificationSend, principal: CurrentPrincipal, ctx: Service) -> NotificationOut:
    principal.require("notification:send")
    target_org = body.organization_id or principal.organization_id
    with ctx.db.write() as session:
        if body.lc_id is not None:
            lc = get_lc(session, principal, body.lc_id)
            if target_org not in lc.party_ids():
                raise ApiError(422, "recipient_not_party", "the recipient organisation is not party to the credit",
                               {"field": "organization_id"})
        elif target_org != principal.organization_id:
            raise ApiError(422, "lc_required", "a notification to another organisation names the credit (lc_id) "
                           "both are party to", {"field": "lc_id"})
        if body.recipient_user_id is not None:
            user = session.get(User, body.recipient_user_id)
            if user is None or user.organization_id != target_org or not user.is_active:
                raise not_found("user", body.recipient_user_id)
        row = create_notification(session, organization_id=target_org, recipient_user_id=body.recipient_user_id,
                                  category=body.category, subject=body.subject, body=body.body, lc_id=body.lc_id,
                                  data=None, sender=principal.actor, sender_organization_id=principal.organization_id)
        return _out(row)


@router.get("", response_model=Page[NotificationOut], summary="Notification history, oldest first")
def history(
    principal: CurrentPrincipal,
    ctx: Service,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    category: Category | None = None,
) -> Page[NotificationOut]:
    principal.require("notification:view")
    query = select(Notification).where(visible_to(principal))
    if category:
        query = query.where(Notification.category == category)
    with ctx.db.read() as session:
        rows, next_cursor = paginate(session, query, Notification, cursor, limit)
        return Page[NotificationOut](items=[_out(r) for r in rows], next_cursor=next_cursor)


def _user_only(principal: Principal) -> str:
    if principal.user_id is None:
        raise ApiError(403, "users_only", "preferences belong to a user; an API key has none")
    return principal.user_id


def _preferences(ctx: ServiceContext, user_id: str) -> Preferences:
    with ctx.db.read() as session:
        row = session.get(NotificationPreference, user_id)
    if row is None:
        return Preferences()
    return Preferences(muted_categories=list(row.muted_categories), stream_enabled=row.stream_enabled)


@router.get("/preferences", response_model=Preferences, summary="Your notification preferences")
def get_preferences(principal: CurrentPrincipal, ctx: Service) -> Preferences:
    principal.require("notification:view")
    return _preferences(ctx, _user_only(principal))


@router.put("/preferences", response_model=Preferences, summary="Replace your notification preferences")
def put_preferences(body: Preferences, principal: CurrentPrincipal, ctx: Service) -> Preferences:
    principal.require("notification:view")
    user_id = _user_only(principal)
    with ctx.db.write() as session:
        row = session.get(NotificationPreference, user_id)
        if row is None:
            row = NotificationPreference(user_id=user_id)
            session.add(row)
        row.muted_categories = sorted(set(body.muted_categories))
        row.stream_enabled = body.stream_enabled
    return Preferences(muted_categories=sorted(set(body.muted_categories)), stream_enabled=body.stream_enabled)


def _after(cursor: tuple[dt.datetime, str] | None) -> Any:
    if cursor is None:
        return True
    when, ident = cursor
    return or_(Notification.created_at > when, and_(Notification.created_at == when, Notification.id > ident))


def _newer(ctx: ServiceContext, principal: Principal, cursor: tuple[dt.datetime, str] | None) -> list[Notification]:
    with ctx.db.read() as session:
        return list(session.scalars(select(Notification).where(visible_to(principal), _after(cursor))
                                    .order_by(Notification.created_at, Notification.id).limit(100)))


def _latest(ctx: ServiceContext, principal: Principal) -> tuple[dt.datetime, str] | None:
    with ctx.db.read() as session:
        row = session.execute(select(Notification.created_at, Notification.id).where(visible_to(principal))
                              .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


@router.get(
    "/stream",
    summary="New notifications as server-sent events",
    description="Each event is `id: <cursor>`, `event: notification`, `data: <NotificationOut JSON>`. Without a "
    "cursor the stream starts after the newest existing notification. The stream ends after `timeout` seconds "
    "(or `max_events` events); reconnect with `Last-Event-ID` to continue without gaps.",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def stream(
    request: Request,
    principal: CurrentPrincipal,
    ctx: Service,
    after: Annotated[str | None, Query(max_length=500, description="a notification cursor to resume after")] = None,
    max_events: Annotated[int | None, Query(ge=1, le=1000)] = None,
    timeout: Annotated[float, Query(gt=0, le=3600, description="seconds before the server ends the stream")] = 300,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=500)] = None,
) -> StreamingResponse:
    principal.require("notification:view")
    start_from = after or last_event_id
    cursor = decode_cursor(start_from) if start_from else None
    preferences = (await run_in_threadpool(_preferences, ctx, principal.user_id)
                   if principal.user_id else Preferences())
    if not preferences.stream_enabled:
        raise ApiError(409, "stream_disabled", "your preferences turn the stream off (stream_enabled=false)")
    hub: NotificationHub = request.app.state.notifications
    muted = set(preferences.muted_categories)

    async def events() -> AsyncIterator[str]:
        nonlocal cursor
        waiter = hub.subscribe()
        try:
            if cursor is None:  # subscribed first, so nothing committed from here on is missed
                cursor = await run_in_threadpool(_latest, ctx, principal)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            sent = 0
            yield ": stream open\n\n"
            while True:
                waiter[1].clear()
                for row in await run_in_threadpool(_newer, ctx, principal, cursor):
                    cursor = (row.created_at, row.id)
                    if row.category in muted:
                        continue
                    out = _out(row)
                    yield f"id: {out.cursor}\nevent: notification\ndata: {json.dumps(out.model_dump(mode='json'))}\n\n"
                    sent += 1
                    if max_events is not None and sent >= max_events:
                        return
                remaining = deadline - loop.time()
                if remaining <= 0 or await request.is_disconnected():
                    return
                try:
                    await asyncio.wait_for(waiter[1].wait(), min(remaining, hub.poll_seconds))
                except TimeoutError:
                    yield ": keep-alive\n\n"
        finally:
            hub.unsubscribe(waiter)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
