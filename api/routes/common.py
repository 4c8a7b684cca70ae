"""Helpers shared by route modules: organisation isolation and cursor pagination."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models import LetterOfCredit, Presentation
from api.errors import not_found
from api.schemas import decode_cursor, encode_cursor

MAX_PAGE = 200


def lc_visible_to(principal: Principal) -> ColumnElement[bool]:
    """True for credits the caller's organisation is party to."""
    org = principal.organization_id
    return or_(
        LetterOfCredit.applicant_id == org,
        LetterOfCredit.beneficiary_id == org,
        LetterOfCredit.issuing_bank_id == org,
        LetterOfCredit.advising_bank_id == org,
        LetterOfCredit.nominated_bank_id == org,
    )


def get_lc(session: Session, principal: Principal, lc_id: str, *, for_update: bool = False) -> LetterOfCredit:
    lc = session.get(LetterOfCredit, lc_id, with_for_update=for_update)
    if lc is None or principal.organization_id not in lc.party_ids():
        raise not_found("letter of credit", lc_id)
    return lc


def get_presentation(session: Session, principal: Principal, presentation_id: str) -> tuple[Presentation, LetterOfCredit]:
    presentation = session.get(Presentation, presentation_id)
    if presentation is None:
        raise not_found("presentation", presentation_id)
    lc = session.get(LetterOfCredit, presentation.lc_id)
    if lc is None or principal.organization_id not in lc.party_ids():
        raise not_found("presentation", presentation_id)
    return presentation, lc


def paginate(session: Session, query: Select[Any], model: Any, cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """Keyset pagination on (created_at, id): stable under inserts, no OFFSET scans."""
    if cursor:
        after_time, after_id = decode_cursor(cursor)
        query = query.where(or_(model.created_at > after_time,
                                and_(model.created_at == after_time, model.id > after_id)))
    rows = list(session.scalars(query.order_by(model.created_at, model.id).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
