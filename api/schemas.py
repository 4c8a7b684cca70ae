"""Request and response bodies of the HTTP API (pydantic; published in the OpenAPI)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema, field_validator

from api.errors import ApiError

# Money travels as a string with a pattern (a bare Decimal is published as anyOf[number,
# string] with no pattern; DESIGN.md pitfall). Parsing accepts only that pattern.
AMOUNT_PATTERN = r"^\d{1,15}(\.\d{1,4})?$"
Amount = Annotated[
    Decimal,
    Field(gt=0),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN, "examples": ["125000.00"]}),
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"])]
Id = Annotated[str, Field(min_length=36, max_length=36, pattern=r"^[0-9a-f-]{36}$")]

T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def parse_amount(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(AMOUNT_PATTERN, value):
        raise ValueError(f"amount {value!r} must be a decimal string such as 125000.00")
    if isinstance(value, float | int) and not isinstance(value, bool):
        raise ValueError("amount must be a string such as \"125000.00\", not a JSON number")
    return value


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="pass as ?cursor= to get the next page; null at the end")


def encode_cursor(created_at: dt.datetime, ident: str) -> str:
    raw = json.dumps([created_at.isoformat(), ident]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, ident = json.loads(raw)
        when = dt.datetime.fromisoformat(stamp)
        if when.tzinfo is None or not isinstance(ident, str):
            raise ValueError
        return when, ident
    except (ValueError, TypeError, json.JSONDecodeError):
        raise ApiError(400, "invalid_cursor", "cursor is not one this API returned") from None


# --------------------------------------------------------------------------- auth


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class RefreshRequest(Strict):
    refresh_token: str = Field(min_length=10, max_length=4000)


class Me(BaseModel):
    kind: Literal["user", "api_key"]
    id: str
    organization_id: str
    organization_type: str
    role: str
    mfa: bool
    email: str | None = None


class ApiKeyCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    role: str = Field(examples=["corporate_user"])


class ApiKeyCreated(BaseModel):
    id: str
    name: str
    role: str
    key: str = Field(description="shown once; store it now")


# --------------------------------------------------------------------------- letters of credit


class LcCreate(Strict):
    lc_number: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9/\-?:().,'+ ]+$",
                           examples=["LC-2026-0042"])
    amount: Amount
    currency: Currency
    application_date: dt.date
    expiry_date: dt.date
    applicant_id: Id
    beneficiary_id: Id
    issuing_bank_id: Id
    advising_bank_id: Id | None = None
    nominated_bank_id: Id | None = None
    terms: dict[str, Any] = Field(default_factory=dict, description="the credit's terms as structured data")

    @field_validator("amount", mode="before")
    @classmethod
    def _amount_is_a_string(cls, value: Any) -> Any:
        return parse_amount(value)


class LcAmend(Strict):
    reason: str = Field(min_length=3, max_length=2000)
    amount: Amount | None = None
    expiry_date: dt.date | None = None
    terms: dict[str, Any] | None = None

    @field_validator("amount", mode="before")
    @classmethod
    def _amount_is_a_string(cls, value: Any) -> Any:
        return value if value is None else parse_amount(value)


class LcOut(BaseModel):
    id: str
    lc_number: str
    amount: Amount
    currency: str
    application_date: dt.date
    expiry_date: dt.date
    status: str
    amendment_number: int
    applicant_id: str
    beneficiary_id: str
    issuing_bank_id: str
    advising_bank_id: str | None
    nominated_bank_id: str | None
    terms: dict[str, Any] | None
    created_at: dt.datetime
    updated_at: dt.datetime


# --------------------------------------------------------------------------- presentations


class PresentationAccepted(BaseModel):
    id: str
    status: str
    status_url: str
    report_url: str


class PresentationOut(BaseModel):
    id: str
    lc_id: str
    status: Literal["queued", "examining", "examined", "failed", "accepted", "refused"]
    outcome: Literal["compliant", "discrepant", "hold"] | None
    presented_on: dt.date | None
    error: str | None
    documents: list[dict[str, Any]]
    created_at: dt.datetime
    examined_at: dt.datetime | None
    decision: dict[str, Any] | None = None
    report_url: str | None = None


class FindingOut(BaseModel):
    id: str
    ordinal: int
    rule: str
    severity: str
    hold: bool
    refs: list[str]
    documents: list[str]
    message: str
    evidence: list[dict[str, Any]]
    review_status: Literal["open", "waived", "confirmed"]
    review_reason: str | None
    reviewed_by: str | None
    reviewed_at: dt.datetime | None


class FindingReview(Strict):
    action: Literal["waive", "confirm"]
    reason: str = Field(min_length=3, max_length=2000)


class DecisionIn(Strict):
    decision: Literal["accept", "refuse"]
    reason: str = Field(min_length=3, max_length=2000)


class DecisionOut(BaseModel):
    presentation_id: str
    decision: str
    reason: str
    decided_by: str
    created_at: dt.datetime
