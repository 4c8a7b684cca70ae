"""Letters of credit: create, get, list, amend, the documents presented under one, approve (issue)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api import audit
from api.auth.deps import CurrentPrincipal, Service
from api.db.models import Document, LetterOfCredit, Organisation, Presentation
from api.errors import ApiError
from api.routes import lifecycle
from api.routes.common import MAX_PAGE, get_lc, lc_visible_to, paginate
from api.schemas import LcAmend, LcCreate, LcOut, Page, Strict
from fabric.ledger import LedgerRejected, LedgerUnavailable

router = APIRouter(prefix="/lcs", tags=["letters of credit"])

AUDITED_FIELDS = ("lc_number", "amount", "currency", "application_date", "expiry_date", "status",
                  "amendment_number", "applicant_id", "beneficiary_id", "issuing_bank_id",
                  "advising_bank_id", "nominated_bank_id", "terms")


def snapshot(lc: LetterOfCredit) -> dict[str, object]:
    return {name: getattr(lc, name) for name in AUDITED_FIELDS}


def to_out(lc: LetterOfCredit) -> LcOut:
    return LcOut.model_validate(lc, from_attributes=True)


@router.post("", response_model=LcOut, status_code=201, summary="Create a credit (bank) or apply for one (applicant)")
def create_lc(body: LcCreate, principal: CurrentPrincipal, ctx: Service) -> LcOut:
    principal.require("lc:create")
    org = principal.organization_id
    if principal.organization_type == "bank" and body.issuing_bank_id != org:
        raise ApiError(403, "not_a_party", "a bank creates credits it issues: issuing_bank_id must be your organisation")
    if principal.organization_type != "bank" and body.applicant_id != org:
        raise ApiError(403, "not_a_party", "you can apply only for credits where your organisation is the applicant")
    if body.expiry_date < body.application_date:
        raise ApiError(422, "invalid_dates", "expiry_date is before application_date",
                       {"application_date": str(body.application_date), "expiry_date": str(body.expiry_date)})
    with ctx.db.write() as session:
        parties = {
            "applicant_id": body.applicant_id, "beneficiary_id": body.beneficiary_id,
            "issuing_bank_id": body.issuing_bank_id, "advising_bank_id": body.advising_bank_id,
            "nominated_bank_id": body.nominated_bank_id,
        }
        for field_name, org_id in parties.items():
            if org_id is None:
                continue
            party = session.get(Organisation, org_id)
            if party is None:
                raise ApiError(422, "unknown_organisation", f"{field_name}: organisation {org_id} does not exist",
                               {"field": field_name})
            if field_name.endswith("bank_id") and party.type != "bank":
                raise ApiError(422, "not_a_bank", f"{field_name}: {party.name} is a {party.type}, not a bank",
                               {"field": field_name})
        if session.scalar(select(LetterOfCredit.id).where(LetterOfCredit.lc_number == body.lc_number)):
            raise ApiError(409, "duplicate_lc_number", f"a credit numbered {body.lc_number} already exists")
        lc = LetterOfCredit(
            lc_number=body.lc_number, amount=body.amount, currency=body.currency,
            application_date=body.application_date, expiry_date=body.expiry_date,
            status="issued" if principal.organization_type == "bank" else "draft",
            terms=body.terms, created_by=principal.actor, **parties,
        )
        session.add(lc)
        try:
            session.flush()
        except IntegrityError:
            raise ApiError(409, "duplicate_lc_number", f"a credit numbered {body.lc_number} already exists") from None
        _on_ledger(ctx, session, principal, lc, "create", {"terms_hash": lifecycle.lc_terms_hash(lc)})
        if principal.organization_type == "bank":
            _on_ledger(ctx, session, principal, lc, "issue", {})
        audit.record(session, entity_type="letter_of_credit", entity_id=lc.id, action="create",
                     actor=principal.actor, user_id=principal.user_id, organization_id=org, new=snapshot(lc))
        return to_out(lc)


def _on_ledger(ctx: Any, session: Any, principal: Any, lc: LetterOfCredit, action: str, args: dict[str, str]) -> None:
    """The lifecycle step on the ledger, in this transaction (embedded ledger); the credit's
    status becomes the ledger's state, a forbidden step is a 409 with the lifecycle's text."""
    svc = lifecycle.ledger_service(ctx)
    try:
        if action != "create":
            lifecycle.ensure_lc_on_ledger(session, svc.ledger, lc)
        receipt = svc.ledger.submit(lifecycle.msp_of(principal), "lc", lc.id, action, args,
                                    session=lifecycle.local_session(svc.ledger, session))
    except (LedgerRejected, LedgerUnavailable) as exc:
        raise lifecycle.ledger_error(exc) from None
    lc.status, lc.blockchain_tx_id = receipt.state, receipt.tx_id


@router.get("", response_model=Page[LcOut], summary="Credits your organisation is party to")
def list_lcs(
    principal: CurrentPrincipal,
    ctx: Service,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> Page[LcOut]:
    principal.require("lc:view")
    query = select(LetterOfCredit).where(lc_visible_to(principal))
    if status:
        query = query.where(LetterOfCredit.status == status)
    with ctx.db.read() as session:
        rows, next_cursor = paginate(session, query, LetterOfCredit, cursor, limit)
        return Page[LcOut](items=[to_out(r) for r in rows], next_cursor=next_cursor)


@router.get("/{lc_id}", response_model=LcOut)
def get_one(lc_id: str, principal: CurrentPrincipal, ctx: Service) -> LcOut:
    principal.require("lc:view")
    with ctx.db.read() as session:
        return to_out(get_lc(session, principal, lc_id))


@router.post("/{lc_id}/amendments", response_model=LcOut, summary="Amend a credit (issuing bank)")
def amend(lc_id: str, body: LcAmend, principal: CurrentPrincipal, ctx: Service) -> LcOut:
    principal.require("lc:amend")
    if body.amount is None and body.expiry_date is None and body.terms is None:
        raise ApiError(422, "empty_amendment", "an amendment changes at least one of amount, expiry_date, terms")
    with ctx.db.write() as session:
        lc = get_lc(session, principal, lc_id, for_update=ctx.db.is_postgresql)
        if lc.issuing_bank_id != principal.organization_id:
            raise ApiError(403, "not_issuing_bank", "only the issuing bank amends a credit")
        if lc.status in ("cancelled", "expired", "paid"):
            raise ApiError(409, "lc_closed", f"the credit is {lc.status}; it cannot be amended")
        before = snapshot(lc)
        if body.amount is not None:
            lc.amount = body.amount
        if body.expiry_date is not None:
            if body.expiry_date < lc.application_date:
                raise ApiError(422, "invalid_dates", "expiry_date is before the credit's application_date")
            lc.expiry_date = body.expiry_date
        if body.terms is not None:
            lc.terms = body.terms
        lc.amendment_number += 1
        _on_ledger(ctx, session, principal, lc, "amend", {"terms_hash": lifecycle.lc_terms_hash(lc)})
        old, new = audit.changes(before, snapshot(lc))
        new["reason"] = body.reason
        audit.record(session, entity_type="letter_of_credit", entity_id=lc.id, action="amend",
                     actor=principal.actor, user_id=principal.user_id,
                     organization_id=principal.organization_id, old=old, new=new)
        session.flush()
        return to_out(lc)


class LcDocumentOut(BaseModel):
    id: str
    presentation_id: str
    file: str
    type: str | None = Field(None, description="the examiner's classification; null before examination")
    sha256: str
    pages: int | None = Field(None, description="page count the examiner read; null before examination")
    size: int
    content_type: str
    status: str


@router.get("/{lc_id}/documents", response_model=list[LcDocumentOut],
            summary="The documents of every presentation made under the credit")
def lc_documents(lc_id: str, principal: CurrentPrincipal, ctx: Service) -> list[LcDocumentOut]:
    principal.require("lc:view")
    principal.require("presentation:view")
    with ctx.db.read() as session:
        get_lc(session, principal, lc_id)
        rows = session.execute(
            select(Document, Presentation.report).join(Presentation, Document.presentation_id == Presentation.id)
            .where(Document.lc_id == lc_id).order_by(Presentation.created_at, Document.created_at, Document.id)
        ).all()
        listed: list[LcDocumentOut] = []
        for doc, report in rows:
            # the report's file list carries what the examiner read of each file (type, pages)
            read = {d.get("file"): d for d in (report or {}).get("documents") or [] if isinstance(d, dict)}
            seen = read.get(doc.file_name, {})
            pages = seen.get("pages")
            listed.append(LcDocumentOut(
                id=doc.id, presentation_id=doc.presentation_id or "", file=doc.file_name,
                type=seen.get("type") or doc.document_type, sha256=doc.file_hash,
                pages=pages if isinstance(pages, int) else None, size=doc.size, content_type=doc.content_type,
                status=doc.status))
        return listed


class LcApproval(Strict):
    reason: str | None = Field(None, max_length=2000)


@router.post("/{lc_id}/approve", response_model=lifecycle.LifecycleResult,
             summary="Approve a drafted credit: the issuing bank issues it (the lifecycle's issue action)",
             responses={409: {"description": "the credit is not a draft"}})
def approve(lc_id: str, principal: CurrentPrincipal, ctx: Service,
            body: LcApproval | None = None) -> lifecycle.LifecycleResult:
    return lifecycle.fire_lc_action(lc_id, "issue", lifecycle.LifecycleAction(reason=(body or LcApproval()).reason),
                                    principal, ctx)
