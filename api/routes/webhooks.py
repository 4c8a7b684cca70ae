"""Webhooks: register a URL for your organisation's events, list, disable, see deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from api import audit
from api.auth.deps import CurrentPrincipal, Service
from api.auth.principal import Principal
from api.db.models_integrations import WebhookDelivery, WebhookEndpoint
from api.db.types import utcnow
from api.errors import ApiError, ErrorBody, not_found
from api.routes.common import MAX_PAGE, paginate
from api.schemas import Page, Strict
from api.webhooks import EVENT_TYPES, WebhookConfig, WebhookUrlError, check_url, new_secret

# every error answers with the one error body; documented so clients can generate its type
router = APIRouter(prefix="/webhooks", tags=["webhooks"],
                   responses={code: {"model": ErrorBody} for code in (400, 401, 403, 404, 422)})

EventType = Literal["examination.completed"]
VERIFY_HELP = (
    "Each delivery is a POST of the event JSON with `BlockTrade-Signature: t=<unix seconds>,v1=<hex>`, "
    "where v1 = HMAC-SHA256(secret, t + '.' + raw body). Verify it on the raw bytes with a constant-time "
    "comparison, refuse t more than 300 s from your clock, and de-duplicate on `BlockTrade-Event-Id` "
    "(retries of one event carry the same id). Answer 2xx to acknowledge; other answers are retried with "
    "exponential back-off."
)


class WebhookCreate(Strict):
    url: str = Field(min_length=10, max_length=2000, pattern=r"^https?://[^\s]+$",
                     examples=["https://erp.example.com/blocktrade/events"])
    events: list[EventType] = Field(default_factory=lambda: list(EVENT_TYPES), min_length=1, max_length=10)
    description: str | None = Field(None, max_length=500)


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str | None
    active: bool
    created_at: dt.datetime
    disabled_at: dt.datetime | None


class WebhookCreated(WebhookOut):
    secret: str = Field(description="the signing secret; shown once, store it now")


class DeliveryOut(BaseModel):
    id: str
    event_id: str
    event_type: str
    status: Literal["pending", "sending", "delivered", "failed"]
    attempts: int
    max_attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: dt.datetime
    delivered_at: dt.datetime | None
    created_at: dt.datetime


def _out(row: WebhookEndpoint) -> WebhookOut:
    return WebhookOut(id=row.id, url=row.url, events=list(row.events), description=row.description,
                      active=row.active, created_at=row.created_at, disabled_at=row.disabled_at)


def _config(request: Request) -> WebhookConfig:
    dispatcher = getattr(request.app.state, "webhooks", None)
    return dispatcher.config if dispatcher is not None else WebhookConfig.from_env()


def _own(session: object, principal: Principal, webhook_id: str) -> WebhookEndpoint:
    row = session.get(WebhookEndpoint, webhook_id)  # type: ignore[attr-defined]
    if row is None or row.organization_id != principal.organization_id:
        raise not_found("webhook", webhook_id)
    return row  # type: ignore[no-any-return]


@router.post("", response_model=WebhookCreated, status_code=201, summary="Register a URL for your events",
             description=VERIFY_HELP)
def create(body: WebhookCreate, request: Request, principal: CurrentPrincipal, ctx: Service) -> WebhookCreated:
    principal.require("webhook:manage")
    try:
        check_url(body.url, allow_private=_config(request).allow_private_addresses, resolve=False)
    except WebhookUrlError as err:
        raise ApiError(422, "invalid_webhook_url", f"url: {err}", {"field": "url"}) from None
    with ctx.db.write() as session:
        row = WebhookEndpoint(organization_id=principal.organization_id, url=body.url, secret=new_secret(),
                              events=sorted(set(body.events)), description=body.description, active=True,
                              created_by=principal.actor)
        session.add(row)
        session.flush()
        audit.record(session, entity_type="webhook", entity_id=row.id, action="create", actor=principal.actor,
                     user_id=principal.user_id, organization_id=principal.organization_id,
                     new={"url": row.url, "events": row.events})
        return WebhookCreated(**_out(row).model_dump(), secret=row.secret)


@router.get("", response_model=Page[WebhookOut], summary="Your organisation's webhooks")
def list_webhooks(
    principal: CurrentPrincipal,
    ctx: Service,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> Page[WebhookOut]:
    principal.require("webhook:manage")
    query = select(WebhookEndpoint).where(WebhookEndpoint.organization_id == principal.organization_id)
    with ctx.db.read() as session:
        rows, next_cursor = paginate(session, query, WebhookEndpoint, cursor, limit)
        return Page[WebhookOut](items=[_out(r) for r in rows], next_cursor=next_cursor)


@router.get("/{webhook_id}", response_model=WebhookOut)
def get_one(webhook_id: str, principal: CurrentPrincipal, ctx: Service) -> WebhookOut:
    principal.require("webhook:manage")
    with ctx.db.read() as session:
        return _out(_own(session, principal, webhook_id))


@router.delete("/{webhook_id}", response_model=WebhookOut, summary="Disable a webhook (pending deliveries fail)")
def disable(webhook_id: str, principal: CurrentPrincipal, ctx: Service) -> WebhookOut:
    principal.require("webhook:manage")
    with ctx.db.write() as session:
        row = _own(session, principal, webhook_id)
        if row.active:
            row.active, row.disabled_at = False, utcnow()
            audit.record(session, entity_type="webhook", entity_id=row.id, action="disable", actor=principal.actor,
                         user_id=principal.user_id, organization_id=principal.organization_id,
                         old={"active": True}, new={"active": False})
        session.flush()
        return _out(row)


@router.get("/{webhook_id}/deliveries", response_model=Page[DeliveryOut], summary="Deliveries, oldest first")
def deliveries(
    webhook_id: str,
    principal: CurrentPrincipal,
    ctx: Service,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> Page[DeliveryOut]:
    principal.require("webhook:manage")
    with ctx.db.read() as session:
        _own(session, principal, webhook_id)
        query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
        rows, next_cursor = paginate(session, query, WebhookDelivery, cursor, limit)
        return Page[DeliveryOut](items=[DeliveryOut.model_validate(r, from_attributes=True) for r in rows],
                                 next_cursor=next_cursor)
