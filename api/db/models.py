"""The tables: the seed's six (organisations, users, letters_of_credit, documents, payments,
audit_trail) plus what the examination service needs.

Ids are UUID text (36 characters) so rows read the same on SQLite and PostgreSQL and can
be put in JSON, logs and the ledger without conversion. Money is ``MoneyAmount`` (exact).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from api.db.types import MoneyAmount, UtcDateTime, utcnow

# Named constraints so Alembic migrations are deterministic across backends.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


ORG_TYPES = ("bank", "nbfc", "corporate", "logistics")


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(50))  # bank | nbfc | corporate | logistics
    country_code: Mapped[str] = mapped_column(String(3))
    registration_number: Mapped[str | None] = mapped_column(String(100))
    bic: Mapped[str | None] = mapped_column(String(11))
    kyc_status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(50))
    permissions: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_totp_step: Mapped[int | None] = mapped_column(Integer)  # refuses a replayed TOTP code
    last_login: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class ApiKey(Base):
    """A credential for a system (ERP, bank back office). Only the SHA-256 of the secret is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(50))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class RefreshToken(Base):
    """One issued refresh token; rotation marks it used, reuse of a used one revokes the family."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    mfa: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class LetterOfCredit(Base):
    __tablename__ = "letters_of_credit"
    __table_args__ = (
        Index("idx_lc_dates", "application_date", "expiry_date"),
        Index("idx_lc_org_status", "applicant_id", "status"),
        Index("idx_lc_created", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    lc_number: Mapped[str] = mapped_column(String(50), unique=True)
    # the parties: organisation isolation reads these five columns
    applicant_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    beneficiary_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    issuing_bank_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    advising_bank_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    nominated_bank_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    currency: Mapped[str] = mapped_column(String(3))
    application_date: Mapped[dt.date] = mapped_column(Date)
    expiry_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    amendment_number: Mapped[int] = mapped_column(Integer, default=0)
    terms: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    blockchain_tx_id: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    def party_ids(self) -> set[str]:
        return {
            org
            for org in (
                self.applicant_id,
                self.beneficiary_id,
                self.issuing_bank_id,
                self.advising_bank_id,
                self.nominated_bank_id,
            )
            if org
        }


class Presentation(Base):
    __tablename__ = "presentations"
    __table_args__ = (Index("idx_presentations_created", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    lc_id: Mapped[str] = mapped_column(ForeignKey("letters_of_credit.id"), index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))  # the presenter
    submitted_by: Mapped[str] = mapped_column(String(80))  # "user:<id>" or "api_key:<id>"
    # queued -> examining -> examined -> accepted | refused; or failed
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    presented_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(20))  # compliant | discrepant | hold
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the `check --json` object
    error: Mapped[str | None] = mapped_column(Text)
    bundle_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    examined_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (Index("idx_documents_type_status", "document_type", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    lc_id: Mapped[str] = mapped_column(ForeignKey("letters_of_credit.id"), index=True)
    presentation_id: Mapped[str | None] = mapped_column(ForeignKey("presentations.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    document_type: Mapped[str | None] = mapped_column(String(50))  # known after classification
    document_number: Mapped[str | None] = mapped_column(String(100))
    file_hash: Mapped[str] = mapped_column(String(255))  # sha256 hex: the storage key
    file_url: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    blockchain_tx_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class Finding(Base):
    __tablename__ = "findings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    presentation_id: Mapped[str] = mapped_column(ForeignKey("presentations.id"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)  # position in the report's findings list
    rule: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(20))
    hold: Mapped[bool] = mapped_column(Boolean, default=False)
    refs: Mapped[list[str]] = mapped_column(JSON)
    documents: Mapped[list[str]] = mapped_column(JSON)
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    review_status: Mapped[str] = mapped_column(String(20), default="open")  # open | waived | confirmed
    review_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(80))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class ScreeningResult(Base):
    __tablename__ = "screening_results"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    presentation_id: Mapped[str | None] = mapped_column(ForeignKey("presentations.id"), index=True)
    query: Mapped[str] = mapped_column(String(500))
    query_type: Mapped[str | None] = mapped_column(String(50))
    list_entry_id: Mapped[str | None] = mapped_column(String(100))
    matched_name: Mapped[str | None] = mapped_column(String(500))
    score: Mapped[float | None] = mapped_column()
    match: Mapped[bool] = mapped_column(Boolean, default=False)
    disposition: Mapped[str] = mapped_column(String(20), default="open")  # open | true_match | false_positive
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    presentation_id: Mapped[str] = mapped_column(ForeignKey("presentations.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(20))  # accept | refuse
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    lc_id: Mapped[str] = mapped_column(ForeignKey("letters_of_credit.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    currency: Mapped[str] = mapped_column(String(3))
    payment_type: Mapped[str] = mapped_column(String(20))  # escrow | release | fee
    from_account: Mapped[str | None] = mapped_column(String(100))
    to_account: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    blockchain_tx_id: Mapped[str | None] = mapped_column(String(255))
    processed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    lc_id: Mapped[str | None] = mapped_column(ForeignKey("letters_of_credit.id"), index=True)
    carrier_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[str] = mapped_column(String(20), default="booked")
    vessel: Mapped[str | None] = mapped_column(String(100))
    voyage: Mapped[str | None] = mapped_column(String(50))
    port_of_loading: Mapped[str | None] = mapped_column(String(100))
    port_of_discharge: Mapped[str | None] = mapped_column(String(100))
    last_location: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Job(Base):
    """A unit of background work. ``lease_token`` fences a worker that was presumed dead."""

    __tablename__ = "jobs"
    __table_args__ = (Index("idx_jobs_status_run_after", "status", "run_after"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued | running | succeeded | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    run_after: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    lease_token: Mapped[str | None] = mapped_column(String(36))
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "key", name="uq_idempotency_keys_principal_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    principal: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(255))
    request_sha256: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(50))
    resource_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class AuditEntry(Base):
    """One state change. ``row_hash`` = sha256(prev_hash + canonical row); prev_hash is unique,
    so two writers that read the same chain head cannot both append (the second fails)."""

    __tablename__ = "audit_trail"
    __table_args__ = (Index("idx_audit_entity", "entity_type", "entity_id"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(50))
    old_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(80))  # user:<id> | api_key:<id> | system:<name>
    organization_id: Mapped[str | None] = mapped_column(String(36), index=True)
    blockchain_tx_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    row_hash: Mapped[str] = mapped_column(String(64))
