"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.auth.deps import Service
from api.errors import ApiError

router = APIRouter(tags=["operations"])


@router.get("/health", summary="The process is alive")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", summary="The database answers and the schema is migrated")
def ready(ctx: Service) -> dict[str, str]:
    try:
        with ctx.db.read() as session:
            version = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as err:
        raise ApiError(503, "not_ready", f"database not ready: {type(err).__name__}") from None
    if not version:
        raise ApiError(503, "not_ready", "database schema is not migrated")
    return {"status": "ready", "schema": str(version)}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(ctx: Service) -> Response:
    return Response(generate_latest(ctx.registry), media_type=CONTENT_TYPE_LATEST)
