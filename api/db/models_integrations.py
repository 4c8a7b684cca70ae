"""Tables of the integration endpoints: webhooks and their deliveries, notifications and
preferences, KYC records, organisation signing keys and document signatures.

They share ``api.db.models.Base`` (one metadata for the app and Alembic); migration 0003
creates them. Every row that belongs to an organisation carries ``organization_id`` so
isolation is one column comparison.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models import Base, new_id
from api.db.types import UtcDateTime, utcnow


class WebhookEndpoint(Base):
    """A URL an organisation registered to hear about its examinations.

    The secret is kept (not hashed): the service needs it to sign every delivery. It is
    returned once, when the endpoint is created."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("idx_webhooks_org_created", "organization_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class WebhookDelivery(Base):
    """One event for one endpoint (an outbox row): written in the transaction that records the
    event, sent afterwards by the dispatcher, retried with back-off until delivered or failed."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_key", name="uq_webhook_deliveries_webhook_event"),
        Index("idx_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("idx_webhook_deliveries_webhook_created", "webhook_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id"))
    organization_id: Mapped[str] = mapped_column(String(36))
    event_id: Mapped[str] = mapped_column(String(36))
    # what the event is about, e.g. "examination.completed:<presentation id>": one delivery each
    event_key: Mapped[str] = mapped_column(String(120))
    event_type: Mapped[str] = mapped_column(String(50))
    body: Mapped[str] = mapped_column(Text)  # the exact JSON bytes that are signed and sent
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | sending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=6)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class Notification(Base):
    """A message to one user, or to every user of an organisation when ``recipient_user_id`` is null."""

    __tablename__ = "notifications"
    __table_args__ = (Index("idx_notifications_org_created", "organization_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    recipient_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    lc_id: Mapped[str | None] = mapped_column(String(36))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sender: Mapped[str] = mapped_column(String(80))  # user:<id> | api_key:<id> | system:<name>
    sender_organization_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class NotificationPreference(Base):
    __tablename__ = "notification_preferences"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    muted_categories: Mapped[list[str]] = mapped_column(JSON)
    stream_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class KycRecord(Base):
    """One KYC check run by an organisation on itself, a known organisation or a counterparty
    named by the caller; it holds the sanctions screening result and the list versions used."""

    __tablename__ = "kyc_records"
    __table_args__ = (Index("idx_kyc_org_created", "organization_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))  # who ran the check
    subject_type: Mapped[str] = mapped_column(String(20))  # organisation | counterparty
    subject_organization_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(500))
    entity_type: Mapped[str] = mapped_column(String(20))  # entity | individual | vessel
    country_code: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))  # cleared | review
    screening: Mapped[dict[str, Any]] = mapped_column(JSON)  # matches + list versions + threshold
    checked_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class OrganisationKey(Base):
    """The public half of an organisation's document-signing key (Ed25519). The private half
    is a file under the data folder, readable by the service only."""

    __tablename__ = "organisation_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), unique=True)
    algorithm: Mapped[str] = mapped_column(String(20), default="Ed25519")
    public_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class DocumentSignature(Base):
    __tablename__ = "document_signatures"
    __table_args__ = (UniqueConstraint("document_id", "organization_id", name="uq_document_signatures_doc_org"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    key_id: Mapped[str] = mapped_column(ForeignKey("organisation_keys.key_id"))
    sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(200))  # base64 of the 64-byte Ed25519 signature
    signed_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
