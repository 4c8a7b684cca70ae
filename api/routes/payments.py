"""Payments: escrow (funds blocked against a credit), release, return, status, fee calculation.

Every state change goes through the ledger's ``payment`` lifecycle: release is allowed only
after a compliant or waived examination and never while the credit is under hold — the
lifecycle's guards decide, and their exact text is the 409's message. Amounts are Decimal
end to end; fees are rounded half-up to the currency's minor unit (ISO 4217 exponent).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session

from api import audit
from api.auth.deps import CurrentPrincipal, Service
from api.auth.principal import Principal
from api.db.models import LetterOfCredit, Payment
from api.db.types import utcnow
from api.errors import ApiError, not_found
from api.routes.common import get_lc
from api.routes.lifecycle import (
    LedgerEntityOut,
    ensure_lc_on_ledger,
    entity_out,
    ledger_error,
    ledger_service,
    local_session,
    msp_of,
    require,
)
from api.schemas import Amount, Currency, Id, Strict, parse_amount
from fabric.ledger import LedgerRejected, LedgerUnavailable

router = APIRouter(prefix="/payments", tags=["payments"])

# ISO 4217 minor-unit exponents that differ from 2 (the default)
MINOR_UNITS: dict[str, int] = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "XOF": 0, "XAF": 0,
                               "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3}

# The fee schedule (a bank's tariff; configurable per deployment in a later step). Rates are
# fractions of the amount; minimums are in the credit's currency.
ISSUANCE_RATE_PER_QUARTER = Decimal("0.00125")  # 0.125% per started 90-day period of validity
ISSUANCE_MINIMUM = Decimal("100")
PAYMENT_RATE = Decimal("0.001")  # 0.1% on the amount paid
PAYMENT_MINIMUM = Decimal("50")
DISCREPANCY_FEE = Decimal("75")  # per discrepant presentation


class EscrowCreate(Strict):
    lc_id: Id
    amount: Amount
    currency: Currency

    @field_validator("amount", mode="before")
    @classmethod
    def _amount_is_a_string(cls, value: Any) -> Any:
        return parse_amount(value)


class PaymentOut(BaseModel):
    id: str
    lc_id: str
    amount: Amount
    currency: str
    payment_type: str
    status: str
    blockchain_tx_id: str | None = None
    processed_at: dt.datetime | None = None
    created_at: dt.datetime


class PaymentStatus(BaseModel):
    payment: PaymentOut
    ledger: LedgerEntityOut


class PaymentAction(Strict):
    reason: str | None = Field(None, max_length=2000)


class FeeRequest(Strict):
    amount: Amount
    currency: Currency
    validity_days: int = Field(90, ge=1, le=3650, description="days from issue to expiry")
    discrepant_presentations: int = Field(0, ge=0, le=100)

    @field_validator("amount", mode="before")
    @classmethod
    def _amount_is_a_string(cls, value: Any) -> Any:
        return parse_amount(value)


class FeeLine(BaseModel):
    fee: Literal["issuance", "payment", "discrepancy"]
    basis: str
    amount: Amount


class FeeQuote(BaseModel):
    currency: str
    lines: list[FeeLine]
    total: Amount


def quantise(value: Decimal, currency: str) -> Decimal:
    exponent = MINOR_UNITS.get(currency, 2)
    return value.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)


def calculate_fees(amount: Decimal, currency: str, validity_days: int, discrepant: int) -> FeeQuote:
    quarters = -(-validity_days // 90)  # started periods
    issuance = max(amount * ISSUANCE_RATE_PER_QUARTER * quarters, ISSUANCE_MINIMUM)
    payment = max(amount * PAYMENT_RATE, PAYMENT_MINIMUM)
    discrepancy = DISCREPANCY_FEE * discrepant
    lines = [
        FeeLine(fee="issuance", basis=f"{ISSUANCE_RATE_PER_QUARTER * 100}% × {quarters} quarter(s), "
                f"minimum {ISSUANCE_MINIMUM}", amount=quantise(issuance, currency)),
        FeeLine(fee="payment", basis=f"{PAYMENT_RATE * 100}%, minimum {PAYMENT_MINIMUM}",
                amount=quantise(payment, currency)),
    ]
    if discrepant:
        lines.append(FeeLine(fee="discrepancy", basis=f"{DISCREPANCY_FEE} × {discrepant}",
                             amount=quantise(discrepancy, currency)))
    total = sum((Decimal(line.amount) for line in lines), Decimal(0))
    return FeeQuote(currency=currency, lines=lines, total=quantise(total, currency))


def out(payment: Payment) -> PaymentOut:
    return PaymentOut.model_validate(payment, from_attributes=True)


def get_payment(session: Session, principal: Principal, payment_id: str) -> tuple[Payment, LetterOfCredit]:
    payment = session.get(Payment, payment_id)
    # financing requests share the payments table but have their own routes and audience
    # (the corporate and the NBFC only): here they do not exist
    if payment is None or payment.payment_type != "escrow":
        raise not_found("payment", payment_id)
    lc = session.get(LetterOfCredit, payment.lc_id)
    if lc is None or principal.organization_id not in lc.party_ids():
        raise not_found("payment", payment_id)
    return payment, lc


def _issuing_bank(principal: Principal, lc: LetterOfCredit) -> None:
    if principal.organization_id != lc.issuing_bank_id:
        raise ApiError(403, "not_issuing_bank", "only the issuing bank moves funds under a credit")


@router.post("/escrow", response_model=PaymentOut, status_code=201,
             summary="Block funds against a credit (escrow)",
             responses={409: {"description": "the lifecycle forbids it in the credit's state"}})
def create_escrow(body: EscrowCreate, principal: CurrentPrincipal, ctx: Service) -> PaymentOut:
    require(principal, "payment:manage")
    svc = ledger_service(ctx)
    with ctx.db.write() as session:
        lc = get_lc(session, principal, body.lc_id)
        _issuing_bank(principal, lc)
        if body.currency != lc.currency:
            raise ApiError(422, "currency_mismatch", f"the credit is in {lc.currency}, not {body.currency}")
        if body.amount > lc.amount:
            raise ApiError(422, "amount_over_credit", f"{body.amount} is more than the credit's {lc.amount}")
        payment = Payment(lc_id=lc.id, amount=body.amount, currency=body.currency, payment_type="escrow",
                          status="pending", created_at=utcnow())
        session.add(payment)
        session.flush()
        try:
            ensure_lc_on_ledger(session, svc.ledger, lc)
            receipt = svc.ledger.submit(msp_of(principal), "payment", payment.id, "block_funds",
                                        {"lc_id": lc.id, "amount": format(body.amount, "f"),
                                         "currency": body.currency},
                                        session=local_session(svc.ledger, session))
        except (LedgerRejected, LedgerUnavailable) as exc:
            raise ledger_error(exc) from None
        payment.status, payment.blockchain_tx_id = receipt.state, receipt.tx_id
        audit.record(session, entity_type="payment", entity_id=payment.id, action="block_funds",
                     actor=principal.actor, user_id=principal.user_id, organization_id=principal.organization_id,
                     new={"lc_id": lc.id, "amount": body.amount, "currency": body.currency,
                          "status": payment.status, "ledger_tx_id": receipt.tx_id})
        session.flush()
        return out(payment)


def _move(payment_id: str, action: str, body: PaymentAction, principal: Principal,
          ctx: Any) -> PaymentOut:
    require(principal, "payment:manage")
    svc = ledger_service(ctx)
    with ctx.db.write() as session:
        payment, lc = get_payment(session, principal, payment_id)
        _issuing_bank(principal, lc)
        try:
            receipt = svc.ledger.submit(msp_of(principal), "payment", payment.id, action,
                                        session=local_session(svc.ledger, session))
        except (LedgerRejected, LedgerUnavailable) as exc:
            raise ledger_error(exc) from None
        before = payment.status
        payment.status, payment.blockchain_tx_id, payment.processed_at = receipt.state, receipt.tx_id, utcnow()
        audit.record(session, entity_type="payment", entity_id=payment.id, action=action,
                     actor=principal.actor, user_id=principal.user_id, organization_id=principal.organization_id,
                     old={"status": before}, new={"status": payment.status, "ledger_tx_id": receipt.tx_id,
                                                  "reason": body.reason})
        session.flush()
        return out(payment)


@router.post("/{payment_id}/release", response_model=PaymentOut,
             summary="Release blocked funds: only after a compliant or waived examination, never under hold",
             responses={409: {"description": "the credit has no compliant or waived examination, or is on hold"}})
def release(payment_id: str, principal: CurrentPrincipal, ctx: Service,
            body: PaymentAction | None = None) -> PaymentOut:
    return _move(payment_id, "release", body or PaymentAction(), principal, ctx)


@router.post("/{payment_id}/return", response_model=PaymentOut,
             summary="Return blocked funds after the credit was refused, expired or cancelled")
def return_funds(payment_id: str, principal: CurrentPrincipal, ctx: Service,
                 body: PaymentAction | None = None) -> PaymentOut:
    return _move(payment_id, "return_funds", body or PaymentAction(), principal, ctx)


@router.get("/{payment_id}", response_model=PaymentStatus, summary="A payment and its ledger state")
def status(payment_id: str, principal: CurrentPrincipal, ctx: Service) -> PaymentStatus:
    require(principal, "payment:view")
    with ctx.db.read() as session:
        payment, _lc = get_payment(session, principal, payment_id)
    return PaymentStatus(payment=out(payment), ledger=entity_out(ledger_service(ctx).ledger, "payment", payment_id))


@router.post("/fees", response_model=FeeQuote, summary="Calculate a credit's fees (exact decimals)")
def fees(body: FeeRequest, principal: CurrentPrincipal) -> FeeQuote:
    require(principal, "payment:fees")
    return calculate_fees(body.amount, body.currency, body.validity_days, body.discrepant_presentations)
