"""The service's side of the ledger: which ledger, the outbox hooks, and the LC lifecycle routes.

- ``ledger_service(ctx)``: the configured ledger (``BLOCKTRADE_LEDGER``), its outbox
  dispatcher and worker, made once per service context.
- Outbox hooks (SQLAlchemy ``before_flush``): a new presentation owes the ledger
  ``present_documents``; an examined presentation owes its examination record (hashes,
  pack versions, findings hash, outcome); a reviewed finding owes a reviewer decision; an
  accept/refuse decision owes ``accept_waiver``/``refuse``. The rows are written in the
  same transaction as the change, so none is lost; the dispatcher sends them.
- Routes: ``POST /lcs/{id}/lifecycle/{action}`` fires the spec's LC actions synchronously
  through the ledger (a forbidden transition is a 409 with the lifecycle's exact text);
  ``GET /lcs/{id}/ledger`` shows the credit's ledger state and history.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import Field
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from api import audit
from api.auth.deps import CurrentPrincipal, Service
from api.auth.principal import Principal
from api.auth.roles import MFA_REQUIRED_FOR_BANKS
from api.context import ServiceContext
from api.db.models import Decision, Document, Finding, LetterOfCredit, Organisation, Presentation
from api.db.models import new_id as new_row_id
from api.db.models_ledger import LedgerOutbox
from api.errors import ApiError
from api.routes.common import get_lc
from api.schemas import Strict
from fabric.ledger import Ledger, LedgerRejected, LedgerUnavailable, Receipt, open_ledger
from fabric.lifecycle import canonical_json, load_spec
from fabric.outbox import Dispatcher, OutboxWorker, enqueue

log = logging.getLogger("blocktrade.ledger")

SPEC = load_spec()
MSP_OF_ORG_TYPE: dict[str, str] = {org_type: msp for msp, org_type in SPEC.organisations.items()}

# The LC actions a caller may fire here, and which party of the credit may fire each. The
# lifecycle checks the organisation TYPE; these check that it is the right party.
LC_ACTIONS: dict[str, str] = {
    "issue": "issuing_bank",
    "present_documents": "presenter",
    "accept_waiver": "issuing_bank",
    "refuse": "issuing_bank",
    "pay": "issuing_bank",
    "expire": "issuing_bank",
    "cancel": "issuing_bank",
}

def require(principal: Principal, permission: str) -> None:
    """Principal.require plus the ledger's one conditional rule: a bank moving a credit's state
    needs a second factor (both tables are in api.auth.roles)."""
    principal.require(permission)
    if (permission in MFA_REQUIRED_FOR_BANKS and principal.organization_type == "bank"
            and not (principal.kind == "user" and principal.mfa)):
        raise ApiError(403, "mfa_required", f"{permission} needs a user signed in with a second factor (TOTP)",
                       {"permission": permission})


def msp_of(principal_or_type: Principal | str) -> str:
    org_type = principal_or_type if isinstance(principal_or_type, str) else principal_or_type.organization_type
    msp = MSP_OF_ORG_TYPE.get(org_type)
    if msp is None:
        raise ApiError(403, "no_ledger_identity", f"organisations of type {org_type} have no ledger identity")
    return msp


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def lc_terms_hash(lc: LetterOfCredit) -> str:
    """What the ledger keeps of a credit's terms: their hash, never the terms themselves."""
    snapshot = {name: audit.jsonable(getattr(lc, name)) for name in (
        "lc_number", "amount", "currency", "application_date", "expiry_date", "applicant_id", "beneficiary_id",
        "issuing_bank_id", "advising_bank_id", "nominated_bank_id", "terms", "amendment_number")}
    return sha256_hex(canonical_json(snapshot))


def ledger_error(exc: Exception) -> ApiError:
    if isinstance(exc, LedgerRejected):
        return ApiError(exc.http_status, "ledger_rejected", exc.message, {"lifecycle_code": exc.code})
    return ApiError(503, "ledger_unavailable", f"the ledger did not answer: {exc}")


# --------------------------------------------------------------------------- the ledger of a service


@dataclass
class LedgerService:
    ledger: Ledger
    dispatcher: Dispatcher
    worker: OutboxWorker

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop()
        _WORKERS.pop(_url_key(self.dispatcher.db.engine.url), None)


_WORKERS: dict[str, OutboxWorker] = {}


def _url_key(url: Any) -> str:
    return str(url.render_as_string(hide_password=False))


def ledger_service(ctx: ServiceContext, ledger: Ledger | None = None) -> LedgerService:
    """The context's ledger service, made on first use (``ledger`` replaces the configured one: tests)."""
    existing = ctx.__dict__.get("ledger_service")
    if existing is not None and ledger is None:
        return existing  # type: ignore[no-any-return]
    chosen = ledger or open_ledger(ctx.db, ctx.settings.data_dir)
    dispatcher = Dispatcher(ctx.db, chosen, prepare=prepare_row, mirror=mirror_receipt)
    mode = "inline" if ctx.settings.job_mode == "inline" else "thread"
    made = LedgerService(chosen, dispatcher, OutboxWorker(dispatcher, mode))
    ctx.__dict__["ledger_service"] = made
    _WORKERS[_url_key(ctx.db.engine.url)] = made.worker
    return made


def local_session(ledger: Ledger, session: Session) -> Session | None:
    """The embedded ledger writes in the request's transaction; a remote ledger cannot."""
    return session if ledger.kind == "embedded" else None


def ensure_lc_on_ledger(session: Session, ledger: Ledger, lc: LetterOfCredit) -> None:
    """Credits created before the ledger was configured are put onto it as they stand (create,
    issue, amend by the issuing bank), so their next step is checked like any other's. An
    interrupted bootstrap resumes where the ledger stands."""
    local = local_session(ledger, session)
    entity = ledger.get("lc", lc.id, session=local)
    if entity is None:
        if lc.status not in ("draft", "issued", "amended"):
            return  # cannot be reconstructed honestly; the step itself will be rejected as not found
        ledger.submit("BankMSP", "lc", lc.id, "create", {"terms_hash": lc_terms_hash(lc)}, session=local)
        state = "draft"
    else:
        state = entity.state
    if state == "draft" and lc.status in ("issued", "amended"):
        ledger.submit("BankMSP", "lc", lc.id, "issue", session=local)
        state = "issued"
    if state == "issued" and lc.status == "amended":
        ledger.submit("BankMSP", "lc", lc.id, "amend", {"terms_hash": lc_terms_hash(lc)}, session=local)


def prepare_row(session: Session, row: LedgerOutbox, ledger: Ledger) -> None:
    lc_id = row.payload.get("id") if row.operation == "fire" and row.payload.get("contract") == "lc" else None
    if row.operation == "record":
        lc_id = row.payload["record"].get("lc_id")
    if lc_id:
        lc = session.get(LetterOfCredit, lc_id)
        if lc is not None:
            ensure_lc_on_ledger(session, ledger, lc)


def mirror_receipt(session: Session, row: LedgerOutbox, receipt: Receipt) -> None:
    """The database follows the ledger: the credit's status is the ledger's state."""
    lc_id = None
    if row.operation == "fire" and row.payload.get("contract") == "lc":
        lc_id = row.payload["id"]
    elif row.operation == "record":
        lc_id = row.payload["record"]["lc_id"]
    if lc_id:
        lc = session.get(LetterOfCredit, lc_id)
        entity_state = receipt.state
        if lc is not None and entity_state and lc.status != entity_state:
            lc.status, lc.blockchain_tx_id = entity_state, receipt.tx_id


# --------------------------------------------------------------------------- outbox hooks


def _changed_to(obj: Any, attribute: str) -> Any:
    from sqlalchemy import inspect

    history = inspect(obj).attrs[attribute].history
    return history.added[0] if history.added and history.deleted != history.added else None


def examination_record(session: Session, presentation: Presentation) -> dict[str, Any]:
    report = presentation.report or {}
    hashes = sorted(set(session.scalars(select(Document.file_hash)
                                        .where(Document.presentation_id == presentation.id)).all()))
    packs = report.get("packs") or {}
    return {
        "presentation_id": presentation.id,
        "lc_id": presentation.lc_id,
        "document_hashes": hashes,
        "rule_pack_versions": {str(k): str(v) for k, v in packs.items()},
        "findings_hash": sha256_hex(canonical_json(report.get("findings", []))),
        "outcome": presentation.outcome or "",
    }


def finding_hash(finding: Finding) -> str:
    return sha256_hex(canonical_json({"presentation_id": finding.presentation_id, "ordinal": finding.ordinal,
                                      "rule": finding.rule, "message": finding.message}))


def _outbox_hook(session: Session, _flush_context: Any, _instances: Any) -> None:
    with session.no_autoflush:
        for obj in list(session.new):
            if isinstance(obj, Presentation):
                if obj.id is None:
                    obj.id = new_row_id()
                org = session.get(Organisation, obj.organization_id)
                msp = MSP_OF_ORG_TYPE.get(org.type) if org else None
                if msp:
                    enqueue(session, operation="fire", msp=msp, resource_type="presentation", resource_id=obj.id,
                            payload={"contract": "lc", "id": obj.lc_id, "action": "present_documents",
                                     "args": {"presentation_id": obj.id}})
            elif isinstance(obj, Decision):
                presentation = session.get(Presentation, obj.presentation_id)
                action = {"refuse": "refuse"}.get(obj.decision) or (
                    "accept_waiver" if presentation is not None and presentation.outcome == "discrepant" else None)
                if presentation is not None and action:
                    enqueue(session, operation="fire", msp="BankMSP", resource_type="decision",
                            resource_id=obj.presentation_id,
                            payload={"contract": "lc", "id": presentation.lc_id, "action": action, "args": {}})
        for obj in list(session.dirty):
            if isinstance(obj, Presentation) and _changed_to(obj, "status") == "examined" and obj.report:
                enqueue(session, operation="record", msp="BankMSP", resource_type="presentation",
                        resource_id=obj.id, payload={"record": examination_record(session, obj)})
            elif isinstance(obj, Finding) and _changed_to(obj, "review_status") in ("waived", "confirmed"):
                decision = {"finding_hash": finding_hash(obj),
                            "decision": "waive" if obj.review_status == "waived" else "confirm",
                            "reviewer_hash": sha256_hex(obj.reviewed_by or ""),
                            "reason_hash": sha256_hex(obj.review_reason or "")}
                enqueue(session, operation="decide", msp="BankMSP", resource_type="finding", resource_id=obj.id,
                        payload={"presentation_id": obj.presentation_id, "decision": decision})


def _wake_hook(session: Session) -> None:
    if not session.info.pop("ledger_outbox_added", False):
        return
    bind = session.get_bind()
    worker = _WORKERS.get(_url_key(bind.url))
    if worker is not None:
        worker.wake()


if not event.contains(Session, "before_flush", _outbox_hook):
    event.listen(Session, "before_flush", _outbox_hook)
    event.listen(Session, "after_commit", _wake_hook)


# --------------------------------------------------------------------------- routes

router = APIRouter(prefix="/lcs", tags=["letters of credit"])


class LifecycleAction(Strict):
    args: dict[str, Annotated[str, Field(max_length=200)]] = Field(
        default_factory=dict, description="the action's arguments as the lifecycle names them",
        examples=[{"presentation_id": "3f0c2a4e-5d43-4f6e-9a57-0d6d1f7c1e2b"}])
    reason: str | None = Field(None, max_length=2000)


class LedgerTxOut(Strict):
    tx_id: str
    kind: str
    action: str
    msp: str
    event: dict[str, Any]
    created_at: str
    position: int | None = None


class LedgerEntityOut(Strict):
    contract: str
    id: str
    ledger: str
    state: str | None = Field(None, description="null: not on the ledger")
    attrs: dict[str, str] = Field(default_factory=dict)
    history: list[LedgerTxOut] = Field(default_factory=list)


class LifecycleResult(Strict):
    id: str
    action: str
    state: str
    tx_id: str
    unchanged: bool


def _check_party(principal: Principal, lc: LetterOfCredit, action: str) -> None:
    party = LC_ACTIONS[action]
    org = principal.organization_id
    if party == "issuing_bank" and org != lc.issuing_bank_id:
        raise ApiError(403, "not_issuing_bank", f"only the issuing bank may {action} a credit")
    if party == "presenter" and org not in (lc.beneficiary_id, lc.nominated_bank_id, lc.advising_bank_id,
                                            lc.issuing_bank_id):
        raise ApiError(403, "not_presenter", "the beneficiary or a bank of the credit presents documents")


@router.post("/{lc_id}/lifecycle/{action}", response_model=LifecycleResult,
             summary="Fire a lifecycle action of the credit on the ledger (issue, present_documents, "
                     "accept_waiver, refuse, pay, expire, cancel)",
             responses={409: {"description": "the lifecycle forbids the action in the credit's state"}})
def fire_lc_action(lc_id: str, action: Annotated[str, Path(max_length=40)], body: LifecycleAction,
                   principal: CurrentPrincipal, ctx: Service) -> LifecycleResult:
    require(principal, "lc:lifecycle")
    svc = ledger_service(ctx)
    with ctx.db.write() as session:
        lc = get_lc(session, principal, lc_id, for_update=ctx.db.is_postgresql)
        if action not in LC_ACTIONS:
            raise ApiError(404, "unknown_action", f"letters of credit have no lifecycle action {action} here; "
                           f"use one of {', '.join(LC_ACTIONS)}", {"actions": list(LC_ACTIONS)})
        _check_party(principal, lc, action)
        if action == "present_documents":
            presentation = session.get(Presentation, body.args.get("presentation_id", ""))
            if presentation is None or presentation.lc_id != lc.id:
                raise ApiError(422, "unknown_presentation", "args.presentation_id must name a presentation "
                               "made under this credit")
        try:
            ensure_lc_on_ledger(session, svc.ledger, lc)
            receipt = svc.ledger.submit(msp_of(principal), "lc", lc.id, action, body.args,
                                        session=local_session(svc.ledger, session))
        except (LedgerRejected, LedgerUnavailable) as exc:
            raise ledger_error(exc) from None
        before = lc.status
        lc.status, lc.blockchain_tx_id = receipt.state, receipt.tx_id
        audit.record(session, entity_type="letter_of_credit", entity_id=lc.id, action=action,
                     actor=principal.actor, user_id=principal.user_id, organization_id=principal.organization_id,
                     old={"status": before}, new={"status": lc.status, "ledger_tx_id": receipt.tx_id,
                                                  "args": body.args, "reason": body.reason})
        return LifecycleResult(id=lc.id, action=action, state=receipt.state, tx_id=receipt.tx_id,
                               unchanged=receipt.unchanged)


def entity_out(ledger: Ledger, contract: str, entity_id: str) -> LedgerEntityOut:
    try:
        entity = ledger.get(contract, entity_id)
        history = ledger.history(contract, entity_id)
    except LedgerUnavailable as exc:
        raise ledger_error(exc) from None
    return LedgerEntityOut(contract=contract, id=entity_id, ledger=ledger.kind,
                           state=entity.state if entity else None, attrs=entity.attrs if entity else {},
                           history=[LedgerTxOut(**vars(t)) for t in history])


@router.get("/{lc_id}/ledger", response_model=LedgerEntityOut, summary="The credit's state and history on the ledger")
def lc_ledger(lc_id: str, principal: CurrentPrincipal, ctx: Service) -> LedgerEntityOut:
    require(principal, "ledger:view")
    with ctx.db.read() as session:
        get_lc(session, principal, lc_id)
    return entity_out(ledger_service(ctx).ledger, "lc", lc_id)
