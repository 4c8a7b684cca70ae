"""Webhooks: signed POSTs to the URLs organisations registered, retried with back-off.

**Outbox.** When an examination completes, one ``webhook_deliveries`` row per subscribed
endpoint is written in the SAME transaction that records the examination (the examine job's
results), so an event is never lost and never announced for a result that was rolled back.
A dispatcher (a thread in every API process) sends the rows that are due; several processes
may run one: a row is claimed (status ``sending`` with a lease) before it is sent.

**Signature.** Each delivery carries::

    BlockTrade-Signature: t=1764265200,v1=5f0c…   (hex HMAC-SHA256)
    BlockTrade-Event: examination.completed
    BlockTrade-Event-Id: <uuid, the same on every retry of the event>
    BlockTrade-Delivery: <uuid of the delivery row>

``v1`` is HMAC-SHA256, keyed with the endpoint's secret (shown once, at registration), over
the bytes ``<t> + "." + <raw request body>``. A receiver verifies it by:

1. reading the raw body bytes (before any JSON parsing);
2. splitting the header on ``,`` into ``t`` and ``v1``;
3. computing ``hex(HMAC_SHA256(secret, t + "." + body))`` and comparing it with ``v1`` in
   constant time (``hmac.compare_digest``);
4. refusing a ``t`` more than 5 minutes away from its clock (replay of an old capture);
5. ignoring an ``BlockTrade-Event-Id`` it has already processed (a retry after a lost 2xx).

``verify_signature`` below is that procedure in Python. Any 2xx answer is success; anything
else, a timeout or a refused connection is retried after ``backoff * 2**(attempt-1)`` seconds
(capped) until ``max_attempts``; then the delivery is ``failed`` with its last error kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from api import jobs
from api.db.models import LetterOfCredit, Presentation
from api.db.models_integrations import WebhookDelivery, WebhookEndpoint
from api.db.types import utcnow

if TYPE_CHECKING:
    from api.context import ServiceContext

log = logging.getLogger("blocktrade.webhooks")

EVENT_TYPES = ("examination.completed",)
SIGNATURE_HEADER = "BlockTrade-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300
USER_AGENT = "BlockTrade-Webhooks/1"


class SignatureError(ValueError):
    """A webhook signature that does not verify; the message says why."""


class WebhookUrlError(ValueError):
    """A URL the service will not post to."""


# --------------------------------------------------------------------------- signing


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    return f"t={stamp},v1={sign(secret, stamp, body)}"


def verify_signature(secret: str, header: str | None, body: bytes, *, now: float | None = None,
                     tolerance: int = SIGNATURE_TOLERANCE_SECONDS) -> int:
    """What a receiver does with a delivery; returns the signed timestamp or raises SignatureError."""
    if not header:
        raise SignatureError(f"the {SIGNATURE_HEADER} header is missing")
    parts = dict(part.strip().split("=", 1) for part in header.split(",") if "=" in part)
    if "t" not in parts or "v1" not in parts or not parts["t"].isdigit():
        raise SignatureError(f"the {SIGNATURE_HEADER} header is not t=<seconds>,v1=<hex>")
    stamp = int(parts["t"])
    if abs((time.time() if now is None else now) - stamp) > tolerance:
        raise SignatureError(f"the signature timestamp {stamp} is more than {tolerance} s away from now")
    if not hmac.compare_digest(sign(secret, stamp, body), parts["v1"]):
        raise SignatureError("the signature does not match the body")
    return stamp


def new_secret() -> str:
    return "whsec_" + os.urandom(24).hex()


# --------------------------------------------------------------------------- URL policy


def check_url(url: str, *, allow_private: bool, resolve: bool) -> None:
    """Refuses URLs that are not plain http(s) or that point into the service's own network.

    At registration only literal addresses are checked (no DNS lookup in a request); at
    delivery the host is resolved and every address must be public, so a name that later
    resolves to 127.0.0.1 or a metadata address is not posted to."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port  # both parse lazily and raise on a malformed netloc
    except ValueError as err:
        raise WebhookUrlError(f"the URL does not parse ({err})") from None
    if parts.scheme not in ("http", "https") or not host:
        raise WebhookUrlError("the URL must be http:// or https:// with a host")
    if parts.username or parts.password:
        raise WebhookUrlError("the URL must not carry a user name or password")
    if allow_private:
        return
    if host == "localhost" or host.endswith(".localhost"):
        raise WebhookUrlError(f"host {host} is a private address")
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if not resolve:
            return
        try:
            infos = socket.getaddrinfo(host, port or (443 if parts.scheme == "https" else 80))
        except OSError as err:
            raise WebhookUrlError(f"host {host} does not resolve ({err})") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for address in addresses:
        if not address.is_global:
            raise WebhookUrlError(f"host {host} is a private address ({address})")


# --------------------------------------------------------------------------- configuration


@dataclass
class WebhookConfig:
    max_attempts: int = 6
    backoff_seconds: float = 10.0  # the wait before retry n is backoff * 2**(n-1), capped
    max_backoff_seconds: float = 3600.0
    timeout_seconds: float = 10.0
    poll_seconds: float = 1.0
    allow_private_addresses: bool = False  # loopback/private targets: only for tests and closed networks

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> WebhookConfig:
        env = dict(os.environ if env is None else env)

        def number(name: str, default: float) -> float:
            raw = env.get(name)
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                raise ValueError(f"environment variable {name}={raw!r} is not a number") from None
            if value < 0:
                raise ValueError(f"environment variable {name}={raw!r} must not be negative")
            return value

        return cls(
            max_attempts=max(1, int(number("BLOCKTRADE_WEBHOOK_MAX_ATTEMPTS", cls.max_attempts))),
            backoff_seconds=number("BLOCKTRADE_WEBHOOK_BACKOFF_SECONDS", cls.backoff_seconds),
            timeout_seconds=number("BLOCKTRADE_WEBHOOK_TIMEOUT_SECONDS", cls.timeout_seconds),
            allow_private_addresses=env.get("BLOCKTRADE_WEBHOOK_ALLOW_PRIVATE", "") in ("1", "true", "yes"),
        )

    def delay(self, attempts: int) -> float:
        return min(self.max_backoff_seconds, self.backoff_seconds * 2 ** max(0, attempts - 1))


# --------------------------------------------------------------------------- after-commit wake-ups

# Objects with a ``wake()`` method (dispatchers, notification hubs) of this process: told when
# a transaction that wrote deliveries or notifications commits, so they need not wait a poll.
_listeners: weakref.WeakSet[Any] = weakref.WeakSet()
_LISTENERS_LOCK = threading.Lock()


def add_listener(listener: Any) -> None:
    with _LISTENERS_LOCK:
        _listeners.add(listener)


def wake_after_commit(session: Session) -> None:
    if session.info.get("blocktrade_wake"):
        return
    session.info["blocktrade_wake"] = True

    def wake_all(committed: Session) -> None:
        committed.info.pop("blocktrade_wake", None)
        with _LISTENERS_LOCK:
            listeners = list(_listeners)
        for listener in listeners:
            listener.wake()

    event.listen(session, "after_commit", wake_all, once=True)
    event.listen(session, "after_rollback", lambda s: s.info.pop("blocktrade_wake", None), once=True)


# --------------------------------------------------------------------------- events


def enqueue_event(session: Session, *, organization_ids: set[str], event_type: str, event_key: str,
                  data: dict[str, Any], max_attempts: int) -> int:
    """Outbox rows for every active endpoint of these organisations subscribed to the event;
    an endpoint that already has this event_key gets nothing new (a re-run job is silent)."""
    endpoints = session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.organization_id.in_(organization_ids), WebhookEndpoint.active.is_(True))).all()
    event_id = str(uuid.uuid4())
    created = utcnow()
    added = 0
    for endpoint in endpoints:
        if event_type not in endpoint.events:
            continue
        if session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == endpoint.id,
                                                           WebhookDelivery.event_key == event_key)):
            continue
        body = {"id": event_id, "type": event_type, "created_at": created.isoformat(),
                "organization_id": endpoint.organization_id, "data": data}
        session.add(WebhookDelivery(
            webhook_id=endpoint.id, organization_id=endpoint.organization_id, event_id=event_id,
            event_key=event_key, event_type=event_type,
            body=json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
            status="pending", attempts=0, max_attempts=max_attempts, next_attempt_at=created,
        ))
        added += 1
    if added:
        session.flush()
        wake_after_commit(session)
    return added


def announce_examination(session: Session, presentation_id: str, max_attempts: int) -> None:
    """Called inside the transaction that records an examination: webhooks and notifications
    to every organisation party to the credit."""
    from api.notifications import create_notification

    presentation = session.get(Presentation, presentation_id)
    if presentation is None or presentation.status != "examined":
        return
    lc = session.get(LetterOfCredit, presentation.lc_id)
    if lc is None:
        return
    findings = (presentation.report or {}).get("findings", [])
    data = {
        "presentation_id": presentation.id, "lc_id": lc.id, "lc_number": lc.lc_number,
        "status": presentation.status, "outcome": presentation.outcome, "findings": len(findings),
        "discrepancies": sum(1 for f in findings if f.get("severity") == "discrepancy"),
        "report_url": f"/api/v1/presentations/{presentation.id}/report",
    }
    enqueue_event(session, organization_ids=lc.party_ids(), event_type="examination.completed",
                  event_key=f"examination.completed:{presentation.id}", data=data, max_attempts=max_attempts)
    for org_id in sorted(lc.party_ids()):
        create_notification(session, organization_id=org_id, recipient_user_id=None, category="examination",
                            subject=f"Presentation under {lc.lc_number} examined: {presentation.outcome}",
                            body=f"{data['findings']} finding(s), {data['discrepancies']} discrepancy(ies).",
                            lc_id=lc.id, data=data, sender="system:worker", sender_organization_id=None)


def install_examination_hook(max_attempts: Callable[[], int] | None = None) -> None:
    """Wraps the examine job's handler so its result transaction also writes the outbox rows.

    The job registry (api.jobs.HANDLERS) is the seam: the examination code stays unaware of
    webhooks, and the announcement commits or rolls back with the result it announces."""
    original = jobs.HANDLERS["examine"]
    if getattr(original, "announces_webhooks", False):
        return

    def examine_and_announce(ctx: ServiceContext, payload: dict[str, Any]) -> jobs.Apply:
        apply = original(ctx, payload)

        def apply_and_announce(session: Session) -> None:
            apply(session)
            session.flush()
            announce_examination(session, payload["presentation_id"],
                                 max_attempts() if max_attempts else WebhookConfig.from_env().max_attempts)

        return apply_and_announce

    examine_and_announce.announces_webhooks = True  # type: ignore[attr-defined]
    jobs.HANDLERS["examine"] = examine_and_announce


install_examination_hook()


# --------------------------------------------------------------------------- the dispatcher


@dataclass(frozen=True)
class _Claimed:
    id: str
    url: str
    secret: str
    body: str
    event_type: str
    event_id: str
    attempts: int
    max_attempts: int


class WebhookDispatcher:
    """Sends due deliveries. ``deliver_due()`` is one pass; ``start()`` runs passes in a thread."""

    def __init__(self, ctx: ServiceContext, config: WebhookConfig | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.ctx = ctx
        self.config = config or WebhookConfig.from_env()
        self._transport = transport
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        add_listener(self)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="blocktrade-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.config.timeout_seconds + 5)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self.deliver_due()
            except Exception:  # the database went away for a moment: keep the dispatcher alive
                log.exception("webhook dispatch pass failed")
                sent = 0
            if not sent:
                self._wake.wait(self.config.poll_seconds)
                self._wake.clear()

    def _claim(self, limit: int) -> list[_Claimed]:
        now = utcnow()
        lease = now + dt.timedelta(seconds=self.config.timeout_seconds + 30)
        with self.ctx.db.write() as session:
            query = (select(WebhookDelivery, WebhookEndpoint)
                     .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.webhook_id)
                     .where(or_(
                         (WebhookDelivery.status == "pending") & (WebhookDelivery.next_attempt_at <= now),
                         # a dispatcher that died mid-send left its lease behind
                         (WebhookDelivery.status == "sending") & (WebhookDelivery.lease_until < now),
                     ))
                     .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit))
            if self.ctx.db.is_postgresql:
                query = query.with_for_update(of=WebhookDelivery, skip_locked=True)
            claimed = []
            for delivery, endpoint in session.execute(query).all():
                if not endpoint.active:
                    delivery.status, delivery.last_error = "failed", "the webhook was disabled"
                    continue
                delivery.status, delivery.lease_until = "sending", lease
                delivery.attempts += 1
                claimed.append(_Claimed(delivery.id, endpoint.url, endpoint.secret, delivery.body,
                                        delivery.event_type, delivery.event_id, delivery.attempts,
                                        delivery.max_attempts))
        return claimed

    def _send(self, item: _Claimed, client: httpx.Client) -> tuple[bool, int | None, str | None]:
        try:
            check_url(item.url, allow_private=self.config.allow_private_addresses, resolve=True)
        except WebhookUrlError as err:
            return False, None, f"not sent: {err}"
        body = item.body.encode()
        headers = {
            "Content-Type": "application/json", "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature_header(item.secret, body),
            "BlockTrade-Event": item.event_type, "BlockTrade-Event-Id": item.event_id,
            "BlockTrade-Delivery": item.id,
        }
        try:
            response = client.post(item.url, content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as err:
            return False, None, f"{type(err).__name__}: {err}"[:1000]
        if 200 <= response.status_code < 300:
            return True, response.status_code, None
        return False, response.status_code, f"HTTP {response.status_code}: {response.text[:300]}"

    def deliver_due(self, limit: int = 20) -> int:
        """Claims and sends the deliveries that are due; returns how many were attempted."""
        claimed = self._claim(limit)
        if not claimed:
            return 0
        with httpx.Client(timeout=self.config.timeout_seconds, follow_redirects=False,
                          transport=self._transport) as client:
            for item in claimed:
                ok, status, error = self._send(item, client)
                self._record(item, ok, status, error)
        return len(claimed)

    def _record(self, item: _Claimed, ok: bool, status: int | None, error: str | None) -> None:
        with self.ctx.db.write() as session:
            delivery = session.get(WebhookDelivery, item.id)
            if delivery is None or delivery.status != "sending" or delivery.attempts != item.attempts:
                return  # another dispatcher took it over after our lease ran out
            delivery.lease_until, delivery.last_status_code = None, status
            if ok:
                delivery.status, delivery.delivered_at, delivery.last_error = "delivered", utcnow(), None
            elif delivery.attempts >= delivery.max_attempts:
                delivery.status, delivery.last_error = "failed", error
            else:
                delivery.status, delivery.last_error = "pending", error
                delivery.next_attempt_at = utcnow() + dt.timedelta(seconds=self.config.delay(delivery.attempts))
