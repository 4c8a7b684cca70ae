"""Shipments under a credit: booked, in transit with location updates (UN/LOCODE), delivered.

Every step goes through the ledger's ``shipment`` lifecycle. A trade party of the credit (a
corporate) books the shipment and names the carrier (a logistics organisation); the carrier
reports departure, locations (optionally flagging a geofence alert) and delivery with the
hash of the proof of delivery. Parties of the credit and the carrier see the shipment;
everyone else gets 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api import audit
from api.auth.deps import CurrentPrincipal, Service
from api.auth.principal import Principal
from api.db.models import LetterOfCredit, Organisation, Shipment
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
from api.schemas import Id, Strict
from fabric.ledger import LedgerRejected, LedgerUnavailable

router = APIRouter(prefix="/shipments", tags=["shipments"])

UNLOCODE = r"^[A-Z]{2}[A-Z2-9]{3}$"


class ShipmentCreate(Strict):
    lc_id: Id
    carrier_id: Id = Field(description="the logistics organisation carrying the goods")
    vessel: str | None = Field(None, max_length=100)
    voyage: str | None = Field(None, max_length=50)
    port_of_loading: str | None = Field(None, pattern=UNLOCODE, examples=["NLRTM"])
    port_of_discharge: str | None = Field(None, pattern=UNLOCODE, examples=["CNSHA"])


class LocationUpdate(Strict):
    location: str = Field(pattern=UNLOCODE, description="UN/LOCODE", examples=["SGSIN"])
    geofence_alert: bool | None = Field(None, description="the position left the agreed route corridor")


class Delivery(Strict):
    location: str = Field(pattern=UNLOCODE, examples=["CNSHA"])
    proof_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the proof of delivery")


class ShipmentOut(BaseModel):
    id: str
    lc_id: str | None
    carrier_id: str | None
    status: str
    vessel: str | None = None
    voyage: str | None = None
    port_of_loading: str | None = None
    port_of_discharge: str | None = None
    last_location: dict[str, Any] | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


class ShipmentStatus(BaseModel):
    shipment: ShipmentOut
    ledger: LedgerEntityOut


def out(shipment: Shipment) -> ShipmentOut:
    return ShipmentOut.model_validate(shipment, from_attributes=True)


def get_shipment(session: Session, principal: Principal, shipment_id: str) -> tuple[Shipment, LetterOfCredit]:
    shipment = session.get(Shipment, shipment_id)
    lc = session.get(LetterOfCredit, shipment.lc_id) if shipment is not None and shipment.lc_id else None
    if shipment is None or lc is None:
        raise not_found("shipment", shipment_id)
    if principal.organization_id not in lc.party_ids() and principal.organization_id != shipment.carrier_id:
        raise not_found("shipment", shipment_id)
    return shipment, lc


@router.post("", response_model=ShipmentOut, status_code=201, summary="Book a shipment under a credit")
def book(body: ShipmentCreate, principal: CurrentPrincipal, ctx: Service) -> ShipmentOut:
    require(principal, "shipment:book")
    svc = ledger_service(ctx)
    with ctx.db.write() as session:
        lc = get_lc(session, principal, body.lc_id)
        if principal.organization_id not in (lc.applicant_id, lc.beneficiary_id):
            raise ApiError(403, "not_a_trade_party", "the applicant or the beneficiary books the shipment")
        carrier = session.get(Organisation, body.carrier_id)
        if carrier is None or carrier.type != "logistics":
            raise ApiError(422, "not_a_carrier", f"carrier_id: {body.carrier_id} is not a logistics organisation",
                           {"field": "carrier_id"})
        now = utcnow()
        shipment = Shipment(lc_id=lc.id, carrier_id=carrier.id, status="pending", vessel=body.vessel,
                            voyage=body.voyage, port_of_loading=body.port_of_loading,
                            port_of_discharge=body.port_of_discharge, created_at=now, updated_at=now)
        session.add(shipment)
        session.flush()
        try:
            ensure_lc_on_ledger(session, svc.ledger, lc)
            receipt = svc.ledger.submit(msp_of(principal), "shipment", shipment.id, "book", {"lc_id": lc.id},
                                        session=local_session(svc.ledger, session))
        except (LedgerRejected, LedgerUnavailable) as exc:
            raise ledger_error(exc) from None
        shipment.status = receipt.state
        audit.record(session, entity_type="shipment", entity_id=shipment.id, action="book", actor=principal.actor,
                     user_id=principal.user_id, organization_id=principal.organization_id,
                     new={"lc_id": lc.id, "carrier_id": carrier.id, "status": shipment.status,
                          "ledger_tx_id": receipt.tx_id})
        session.flush()
        return out(shipment)


def _track(shipment_id: str, action: Literal["depart", "update_location", "deliver"], args: dict[str, str],
           principal: Principal, ctx: Any) -> ShipmentOut:
    require(principal, "shipment:track")
    svc = ledger_service(ctx)
    with ctx.db.write() as session:
        shipment, _lc = get_shipment(session, principal, shipment_id)
        if principal.organization_id != shipment.carrier_id:
            raise ApiError(403, "not_the_carrier", "only the shipment's carrier reports its movements")
        try:
            receipt = svc.ledger.submit(msp_of(principal), "shipment", shipment.id, action, args,
                                        session=local_session(svc.ledger, session))
        except (LedgerRejected, LedgerUnavailable) as exc:
            raise ledger_error(exc) from None
        before = {"status": shipment.status, "last_location": shipment.last_location}
        now = utcnow()
        shipment.status, shipment.updated_at = receipt.state, now
        shipment.last_location = {"location": args["location"], "at": now.isoformat(),
                                  "geofence_alert": args.get("geofence_alert") == "true"}
        audit.record(session, entity_type="shipment", entity_id=shipment.id, action=action, actor=principal.actor,
                     user_id=principal.user_id, organization_id=principal.organization_id, old=before,
                     new={"status": shipment.status, "last_location": shipment.last_location,
                          "ledger_tx_id": receipt.tx_id})
        session.flush()
        return out(shipment)


@router.post("/{shipment_id}/depart", response_model=ShipmentOut, summary="The goods left (carrier)")
def depart(shipment_id: str, body: LocationUpdate, principal: CurrentPrincipal, ctx: Service) -> ShipmentOut:
    return _track(shipment_id, "depart", {"location": body.location}, principal, ctx)


@router.post("/{shipment_id}/locations", response_model=ShipmentOut,
             summary="A location update in transit, optionally a geofence alert (carrier)")
def update_location(shipment_id: str, body: LocationUpdate, principal: CurrentPrincipal,
                    ctx: Service) -> ShipmentOut:
    args = {"location": body.location}
    if body.geofence_alert is not None:
        args["geofence_alert"] = "true" if body.geofence_alert else "false"
    return _track(shipment_id, "update_location", args, principal, ctx)


@router.post("/{shipment_id}/delivered", response_model=ShipmentOut, summary="Delivered, with proof (carrier)")
def delivered(shipment_id: str, body: Delivery, principal: CurrentPrincipal, ctx: Service) -> ShipmentOut:
    return _track(shipment_id, "deliver", {"location": body.location, "proof_hash": body.proof_hash},
                  principal, ctx)


@router.get("/{shipment_id}", response_model=ShipmentStatus, summary="A shipment and its ledger state")
def status(shipment_id: str, principal: CurrentPrincipal, ctx: Service) -> ShipmentStatus:
    require(principal, "shipment:view")
    with ctx.db.read() as session:
        shipment, _lc = get_shipment(session, principal, shipment_id)
    return ShipmentStatus(shipment=out(shipment), ledger=entity_out(ledger_service(ctx).ledger, "shipment",
                                                                    shipment_id))
