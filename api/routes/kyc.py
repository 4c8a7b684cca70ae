"""KYC: verify an organisation or a counterparty (sanctions screening), and its status."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import or_, select

from api import audit
from api.auth.deps import CurrentPrincipal, Service
from api.auth.principal import Principal
from api.db.models import LetterOfCredit, Organisation
from api.db.models_integrations import KycRecord
from api.errors import ErrorBody, not_found
from api.routes.common import MAX_PAGE, paginate
from api.routes.screening import EntityType, run_screen
from api.schemas import Id, Page, Strict

# every error answers with the one error body; documented so clients can generate its type
router = APIRouter(prefix="/kyc", tags=["compliance"],
                   responses={code: {"model": ErrorBody} for code in (400, 401, 403, 404, 422, 503)})


class KycVerify(Strict):
    subject: Literal["organisation", "counterparty"]
    organization_id: Id | None = Field(None, description="subject=organisation: your own organisation or one "
                                                         "party to a credit with yours")
    name: str | None = Field(None, min_length=1, max_length=300, description="subject=counterparty: its name")
    type: EntityType = "entity"
    country_code: str | None = Field(None, pattern=r"^[A-Z]{2}$")

    @model_validator(mode="after")
    def _subject_fields(self) -> KycVerify:
        if self.subject == "organisation" and (self.organization_id is None or self.name is not None):
            raise ValueError("subject=organisation takes organization_id (and no name)")
        if self.subject == "counterparty" and (self.name is None or self.organization_id is not None):
            raise ValueError("subject=counterparty takes name (and no organization_id)")
        return self


class KycOut(BaseModel):
    id: str
    subject_type: str
    subject_organization_id: str | None
    name: str
    entity_type: str
    country_code: str | None
    status: Literal["cleared", "review"] = Field(description="cleared: no list entry at or above the threshold; "
                                                             "review: matches a compliance officer must disposition")
    screening: dict[str, Any]
    checked_by: str
    created_at: dt.datetime


def _out(row: KycRecord) -> KycOut:
    return KycOut.model_validate(row, from_attributes=True)


def _known_organisation(session: Any, principal: Principal, org_id: str) -> Organisation:
    """Your own organisation, or one that shares a credit with it; 404 for any other."""
    org = session.get(Organisation, org_id)
    if org is None:
        raise not_found("organisation", org_id)
    if org_id == principal.organization_id:
        return org  # type: ignore[no-any-return]
    mine, theirs = principal.organization_id, org_id
    parties = (LetterOfCredit.applicant_id, LetterOfCredit.beneficiary_id, LetterOfCredit.issuing_bank_id,
               LetterOfCredit.advising_bank_id, LetterOfCredit.nominated_bank_id)
    shared = session.scalar(select(LetterOfCredit.id).where(or_(*(c == mine for c in parties)),
                                                            or_(*(c == theirs for c in parties))).limit(1))
    if shared is None:
        raise not_found("organisation", org_id)
    return org  # type: ignore[no-any-return]


@router.post("/verify", response_model=KycOut, status_code=201,
             summary="Screen an organisation or counterparty and record the KYC result")
def verify(body: KycVerify, principal: CurrentPrincipal, ctx: Service) -> KycOut:
    principal.require("kyc:verify")
    if body.subject == "organisation":
        with ctx.db.read() as session:
            org = _known_organisation(session, principal, body.organization_id or "")
            name, country = org.name, org.country_code
    else:
        name, country = body.name or "", body.country_code
    # screened before the transaction: a 503 here writes nothing (fail closed, no "cleared" record)
    screening = run_screen(ctx, name, body.type, [country] if country else [])
    status = "review" if screening["matches"] else "cleared"
    with ctx.db.write() as session:
        row = KycRecord(organization_id=principal.organization_id, subject_type=body.subject,
                        subject_organization_id=body.organization_id, name=name, entity_type=body.type,
                        country_code=country, status=status, screening=screening, checked_by=principal.actor)
        session.add(row)
        session.flush()
        audit.record(session, entity_type="kyc", entity_id=row.id, action="verify", actor=principal.actor,
                     user_id=principal.user_id, organization_id=principal.organization_id,
                     new={"subject": body.subject, "name": name, "status": status,
                          "matches": [m["id"] for m in screening["matches"]],
                          "list_versions": [v["version_id"] for v in screening["list_versions"]]})
        return _out(row)


@router.get("", response_model=Page[KycOut], summary="KYC records your organisation ran")
def list_records(
    principal: CurrentPrincipal,
    ctx: Service,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    status: Literal["cleared", "review"] | None = None,
) -> Page[KycOut]:
    principal.require("kyc:view")
    query = select(KycRecord).where(KycRecord.organization_id == principal.organization_id)
    if status:
        query = query.where(KycRecord.status == status)
    with ctx.db.read() as session:
        rows, next_cursor = paginate(session, query, KycRecord, cursor, limit)
        return Page[KycOut](items=[_out(r) for r in rows], next_cursor=next_cursor)


@router.get("/{kyc_id}", response_model=KycOut, summary="Status of a KYC check")
def status(kyc_id: str, principal: CurrentPrincipal, ctx: Service) -> KycOut:
    principal.require("kyc:view")
    with ctx.db.read() as session:
        row = session.get(KycRecord, kyc_id)
        if row is None or row.organization_id != principal.organization_id:
            raise not_found("KYC record", kyc_id)
        return _out(row)
