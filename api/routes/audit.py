"""The audit trail of your organisation, and a check of the whole chain."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from api import audit as audit_trail
from api.auth.deps import CurrentPrincipal, Service
from api.db.models import AuditEntry
from api.routes.common import MAX_PAGE
from api.schemas import Page

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=Page[dict[str, Any]], summary="Audit entries of your organisation, oldest first")
def entries(
    principal: CurrentPrincipal,
    ctx: Service,
    cursor: Annotated[int | None, Query(ge=0, le=2**63 - 1, description="seq of the last entry seen")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> Page[dict[str, Any]]:
    principal.require("audit:view")
    query = select(AuditEntry).where(AuditEntry.organization_id == principal.organization_id)
    if cursor is not None:
        query = query.where(AuditEntry.seq > cursor)
    with ctx.db.read() as session:
        rows = list(session.scalars(query.order_by(AuditEntry.seq).limit(limit + 1)))
    items = [
        {"seq": r.seq, "id": r.id, "entity_type": r.entity_type, "entity_id": r.entity_id, "action": r.action,
         "old_values": r.old_values, "new_values": r.new_values, "actor": r.actor,
         "created_at": r.created_at.isoformat(), "row_hash": r.row_hash}
        for r in rows[:limit]
    ]
    return Page[dict[str, Any]](items=items, next_cursor=str(rows[limit - 1].seq) if len(rows) > limit else None)


@router.get("/verify", summary="Recompute the hash chain of the whole trail")
def verify(principal: CurrentPrincipal, ctx: Service) -> dict[str, Any]:
    principal.require("audit:view")
    with ctx.db.read() as session:
        result = audit_trail.verify(session)
    # only sequence numbers: problem texts name entities of other organisations
    broken = sorted({int(p.split(":")[0].removeprefix("seq ")) for p in result.problems})
    return {"ok": result.ok, "checked": result.checked, "head": result.head, "broken_seqs": broken}
