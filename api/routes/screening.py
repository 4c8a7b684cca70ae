"""AML screen: a name (and type) against the active sanctions list versions."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth.deps import CurrentPrincipal, Service
from api.context import ServiceContext
from api.errors import ApiError, ErrorBody
from api.schemas import Strict

# every error answers with the one error body; documented so clients can generate its type
router = APIRouter(prefix="/aml", tags=["compliance"],
                   responses={code: {"model": ErrorBody} for code in (400, 401, 403, 404, 422, 503)})

EntityType = Literal["entity", "individual", "vessel", "aircraft"]

# One screener per list folder and process: building the index is the expensive part. New list
# versions are picked up on restart (as by the examination workers).
_screeners: dict[Path, Any] = {}
_screeners_lock = threading.Lock()


def screener_for(ctx: ServiceContext) -> Any:
    """The screener over the active list versions (the bundled sample when none is imported).

    Fails closed: a damaged or unreadable list store is a 503, never an empty result."""
    from engine.screening import ListStore, Screener, StoreError
    from engine.screening.importers import ListFormatError

    folder = Path(ctx.settings.data_dir).resolve()
    with _screeners_lock:
        if folder not in _screeners:
            try:
                _screeners[folder] = Screener(ListStore(folder))
            except (StoreError, ListFormatError, OSError, ValueError) as err:
                raise ApiError(503, "screening_unavailable",
                               f"sanctions screening is unavailable: {err}; nothing was screened or recorded") from None
        return _screeners[folder]


def list_versions(screener: Any) -> list[dict[str, Any]]:
    return [{"version_id": v.version_id, "source": v.source, "publication_date": v.publication_date,
             "label": v.label} for v in screener.versions]


def run_screen(ctx: ServiceContext, name: str, entity_type: str, countries: list[str]) -> dict[str, Any]:
    from engine.screening.normalize import NameError_

    screener = screener_for(ctx)
    try:
        matches = screener.screen(name, type=entity_type, countries=countries)
    except NameError_ as err:
        raise ApiError(422, "invalid_name", f"name: {err}", {"field": "name"}) from None
    return {"matches": [m.as_json() for m in matches], "list_versions": list_versions(screener),
            "threshold": screener.config.threshold}


class ScreenRequest(Strict):
    name: str = Field(min_length=1, max_length=300, examples=["Nordvik Marine Trading Co Ltd"])
    type: EntityType = "entity"
    countries: list[str] = Field(default_factory=list, max_length=10,
                                 description="ISO 3166 alpha-2 codes or country names that narrow the match")


class ScreenMatch(BaseModel):
    id: str
    name: str
    matched_name: str
    score: float
    type: str | None
    programs: list[str]
    list_version: str
    explanation: list[dict[str, Any]]


class ListVersionOut(BaseModel):
    version_id: str
    source: str
    publication_date: str | None
    label: str


class ScreenResult(BaseModel):
    query: str
    type: str
    matches: list[ScreenMatch]
    list_versions: list[ListVersionOut]
    threshold: float


@router.post("/screen", response_model=ScreenResult, summary="Screen a name against the sanctions lists")
def screen(body: ScreenRequest, principal: CurrentPrincipal, ctx: Service) -> ScreenResult:
    principal.require("aml:screen")
    countries = [c.strip() for c in body.countries if c.strip()]
    result = run_screen(ctx, body.name, body.type, countries)
    return ScreenResult(query=body.name, type=body.type, **result)
