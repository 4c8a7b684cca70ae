"""Notifications: stored messages to a user or an organisation, and the hub that wakes the
open server-sent-event streams of this process when one is committed.

A stream reads new rows from the database, so a notification written by another process
(a worker, another API instance) reaches it too: the hub only shortens the wait, a periodic
re-read (``poll_seconds``) covers the rest.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models_integrations import Notification
from api.db.types import utcnow
from api.webhooks import add_listener, wake_after_commit

CATEGORIES = ("examination", "lc", "payment", "shipment", "kyc", "compliance", "document", "message")


def create_notification(session: Session, *, organization_id: str, recipient_user_id: str | None, category: str,
                        subject: str, body: str, lc_id: str | None, data: dict[str, Any] | None, sender: str,
                        sender_organization_id: str | None) -> Notification:
    row = Notification(organization_id=organization_id, recipient_user_id=recipient_user_id, category=category,
                       subject=subject, body=body, lc_id=lc_id, data=data, sender=sender,
                       sender_organization_id=sender_organization_id, created_at=utcnow())
    session.add(row)
    session.flush()
    wake_after_commit(session)
    return row


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """A user sees their own notifications and those to their whole organisation; an API key
    (a system, not a person) sees only the organisation-wide ones."""
    mine = Notification.recipient_user_id.is_(None)
    if principal.user_id:
        mine = or_(mine, Notification.recipient_user_id == principal.user_id)
    return and_(Notification.organization_id == principal.organization_id, mine)


class NotificationHub:
    """Wakes the event streams of this process (each waits on an asyncio.Event in its loop)."""

    def __init__(self, poll_seconds: float = 2.0) -> None:
        self.poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        add_listener(self)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._waiters)

    def subscribe(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Event]:
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.add(waiter)
        return waiter

    def unsubscribe(self, waiter: tuple[asyncio.AbstractEventLoop, asyncio.Event]) -> None:
        with self._lock:
            self._waiters.discard(waiter)

    def wake(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, flag in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(flag.set)
