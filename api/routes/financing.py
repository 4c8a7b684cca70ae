"""Invoice financing: a corporate asks an NBFC to finance an invoice presented under a credit.

Every step goes through the ledger's ``financing`` lifecycle (requested → approved or
rejected → funded → repaid); a step the lifecycle forbids is a 409 with its exact text. The
ledger keeps only the invoice's sha256; the request itself (credit, amount, currency, the two
organisations) is a row of ``payments`` with ``payment_type = "invoice_financing"``, the
requesting corporate in ``from_account`` and the NBFC in ``to_account`` (no migration needed).

Who may do what: a corporate party of the credit requests; the named NBFC approves, rejects,
funds, and records the repayment (the lifecycle lets only an NBFC fire ``repay``: the lender
confirms it was repaid). Only the requesting corporate and the named NBFC see a request;
everyone else gets 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api import audit
from api.auth.deps import CurrentPrincipal, Service
from api.auth.principal import Principal
from api.db.models import Document, Organisation, Payment
from api.db.types import utcnow
from api.errors import ApiError, not_found
from api.routes.common import MAX_PAGE, get_lc, paginate
from api.routes.lifecycle import (
    LedgerEntityOut,
    entity_out,
    ledger_error,
    ledger_service,
    local_session,
    msp_of,
    require,
)
from api.schemas import Amount, Currency, Id, Page, Strict, parse_amount
from fabric.ledger import LedgerRejected, LedgerUnavailable

router = APIRouter(prefix="/financing", tags=["invoice financing"])

FINANCING = "invoice_financing"  # payments.payment_type of a financing request
LEDGER_CONTRACT = "financing"


class FinancingCreate(Strict):
    lc_id: Id = Field(description="the credit the invoice was drawn under; your organisation is party to it")
    invoice_document_id: Id = Field(description="the invoice: a document uploaded under that credit")
    nbfc_id: Id = Field(description="the NBFC organisation asked to finance it")
    amount: Amount = Field(examples=["80000.00"])
    currency: Currency

    @field_validator("amount", mode="before")
    @classmethod
    def _amount_is_a_string(cls, value: Any) -> Any:
        return parse_amount(value)


class FinancingAction(Strict):
    reason: str | None = Field(None, max_length=2000)


class FinancingOut(BaseModel):
    id: str
    lc_id: str
    corporate_id: str
    nbfc_id: str
    amount: Amount
    currency: str
    status: str
    blockchain_tx_id: str | None = None
    processed_at: dt.datetime | None = None
    created_at: dt.datetime


class FinancingStatus(BaseModel):
    financing: FinancingOut
    ledger: LedgerEntityOut


def out(row: Payment) -> FinancingOut:
    return FinancingOut(id=row.id, lc_id=row.lc_id, corporate_id=row.from_account or "", nbfc_id=row.to_account or "",
                        amount=row.amount, currency=row.currency, status=row.status,
                        blockchain_tx_id=row.blockchain_tx_id, processed_at=row.processed_at,
                        created_at=row.created_at)


def get_financing(session: Session, principal: Principal, financing_id: str) -> Payment:
    row = session.get(Payment, financing_id)
    if (row is None or row.payment_type != FINANCING
            or principal.organization_id not in (row.from_account, row.to_account)):
        raise not_found("financing request", financing_id)
    return row


@router.post("", response_model=FinancingOut, status_code=201,
             summary="Ask an NBFC to finance an invoice under a credit (corporate party of the credit)")
def request_financing(body: FinancingCreate, principal: CurrentPrincipal, ctx: Service) -> FinancingOut:
    require(principal, "financing:request")
    svc = ledger_service(ctx)
    with ctx.db.write() as session:
        lc = get_lc(session, principal, body.lc_id)
        if principal.organization_id not in (lc.applicant_id, lc.beneficiary_id):
            raise ApiError(403, "not_a_trade_party", "the applicant or the beneficiary of the credit asks for financing")
        invoice = session.get(Document, body.invoice_document_id)
        if invoice is None or invoice.lc_id != lc.id:
            raise ApiError(422, "unknown_invoice", f"invoice_document_id: {body.invoice_document_id} is not a "
                           "document of this credit", {"field": "invoice_document_id"})
        nbfc = session.get(Organisation, body.nbfc_id)
        if nbfc is None or nbfc.type != "nbfc":
            raise ApiError(422, "not_an_nbfc", f"nbfc_id: {body.nbfc_id} is not an NBFC organisation",
                           {"field": "nbfc_id"})
        if body.currency != lc.currency:
            raise ApiError(422, "currency_mismatch", f"the credit is in {lc.currency}, not {body.currency}",
                           {"field": "currency"})
        if body.amount > lc.amount:
            raise ApiError(422, "amount_over_credit", f"{body.amount} is more than the credit's {lc.amount}",
                           {"field": "amount"})
        row = Payment(lc_id=lc.id, amount=body.amount, currency=body.currency, payment_type=FINANCING,
                      from_account=principal.organization_id, to_account=nbfc.id, status="pending",
                      created_at=utcnow())
        session.add(row)
        session.flush()
        try:
            receipt = svc.ledger.submit(msp_of(principal), LEDGER_CONTRACT, row.id, "request",
                                        {"invoice_hash": invoice.file_hash},
                                        session=local_session(svc.ledger, session))
        except (LedgerRejected, LedgerUnavailable) as exc:
            raise ledger_error(exc) from None
        row.status, row.blockchain_tx_id = receipt.state, receipt.tx_id
        audit.record(session, entity_type="financing", entity_id=row.id, action="request", actor=principal.actor,
                     user_id=principal.user_id, organization_id=principal.organization_id,
                     new={"lc_id": lc.id, "nbfc_id": nbfc.id, "amount": body.amount, "currency": body.currency,
                          "invoice_hash": invoice.file_hash, "status": row.status, "ledger_tx_id": receipt.tx_id})
        session.flush()
        return out(row)


def _step(financing_id: str, action: Literal["approve", "reject", "fund", "repay"], body: FinancingAction | None,
          principal: Principal, ctx: Any) -> FinancingOut:
    require(principal, "financing:decide")
    svc = ledger_service(ctx)
    with ctx.db.write() as session:
        row = get_financing(session, principal, financing_id)
        if principal.organization_id != row.to_account:
            raise ApiError(403, "not_the_nbfc", f"only the NBFC asked to finance the invoice may {action} it")
        try:
            receipt = svc.ledger.submit(msp_of(principal), LEDGER_CONTRACT, row.id, action,
                                        session=local_session(svc.ledger, session))
        except (LedgerRejected, LedgerUnavailable) as exc:
            raise ledger_error(exc) from None
        before = row.status
        row.status, row.blockchain_tx_id, row.processed_at = receipt.state, receipt.tx_id, utcnow()
        audit.record(session, entity_type="financing", entity_id=row.id, action=action, actor=principal.actor,
                     user_id=principal.user_id, organization_id=principal.organization_id,
                     old={"status": before}, new={"status": row.status, "ledger_tx_id": receipt.tx_id,
                                                  "reason": (body or FinancingAction()).reason})
        session.flush()
        return out(row)


CONFLICT = {409: {"description": "the lifecycle forbids the step in the request's state"}}


@router.post("/{financing_id}/approve", response_model=FinancingOut, responses=CONFLICT,
             summary="Approve a requested financing (the NBFC)")
def approve(financing_id: str, principal: CurrentPrincipal, ctx: Service,
            body: FinancingAction | None = None) -> FinancingOut:
    return _step(financing_id, "approve", body, principal, ctx)


@router.post("/{financing_id}/reject", response_model=FinancingOut, responses=CONFLICT,
             summary="Reject a requested financing (the NBFC)")
def reject(financing_id: str, principal: CurrentPrincipal, ctx: Service,
           body: FinancingAction | None = None) -> FinancingOut:
    return _step(financing_id, "reject", body, principal, ctx)


@router.post("/{financing_id}/fund", response_model=FinancingOut, responses=CONFLICT,
             summary="Pay out an approved financing (the NBFC)")
def fund(financing_id: str, principal: CurrentPrincipal, ctx: Service,
         body: FinancingAction | None = None) -> FinancingOut:
    return _step(financing_id, "fund", body, principal, ctx)


@router.post("/{financing_id}/repay", response_model=FinancingOut, responses=CONFLICT,
             summary="Record that a funded financing was repaid (the NBFC confirms receipt)")
def repay(financing_id: str, principal: CurrentPrincipal, ctx: Service,
          body: FinancingAction | None = None) -> FinancingOut:
    return _step(financing_id, "repay", body, principal, ctx)


@router.get("", response_model=Page[FinancingOut],
            summary="Financing requests your organisation made or was asked to finance")
def list_financing(
    principal: CurrentPrincipal,
    ctx: Service,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> Page[FinancingOut]:
    require(principal, "financing:view")
    org = principal.organization_id
    query = select(Payment).where(Payment.payment_type == FINANCING,
                                  or_(Payment.from_account == org, Payment.to_account == org))
    if status:
        query = query.where(Payment.status == status)
    with ctx.db.read() as session:
        rows, next_cursor = paginate(session, query, Payment, cursor, limit)
        return Page[FinancingOut](items=[out(r) for r in rows], next_cursor=next_cursor)


@router.get("/{financing_id}", response_model=FinancingStatus, summary="A financing request and its ledger state")
def status(financing_id: str, principal: CurrentPrincipal, ctx: Service) -> FinancingStatus:
    require(principal, "financing:view")
    with ctx.db.read() as session:
        row = get_financing(session, principal, financing_id)
        shown = out(row)
    return FinancingStatus(financing=shown, ledger=entity_out(ledger_service(ctx).ledger, LEDGER_CONTRACT,
                                                              financing_id))
