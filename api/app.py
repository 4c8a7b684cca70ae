"""The FastAPI application: ``create_app()`` wires settings, database, storage, jobs, routes."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth.throttle import IpThrottle
from api.context import ServiceContext
from api.db.session import Database
from api.errors import error_response, install_error_handlers
from api.jobs import make_runner
from api.logging_setup import AccessLogMiddleware
from api.nightly_job import scheduler_for
from api.notifications import NotificationHub
from api.routes import (
    audit,
    auth,
    compliance,
    documents,
    financing,
    health,
    kyc,
    lcs,
    lifecycle,
    notifications,
    payments,
    presentations,
    reports,
    review,
    screening,
    shipments,
    webhooks,
)
from api.settings import Settings
from api.storage import LocalBlobStore
from api.webhooks import WebhookDispatcher

log = logging.getLogger("blocktrade.api")

API_PREFIX = "/api/v1"


def build_context(settings: Settings, examiner: Callable[..., Any] | None = None) -> ServiceContext:
    holder: dict[str, ServiceContext] = {}
    runner = make_runner(settings.job_mode, lambda: holder["ctx"], settings.job_threads)
    ctx = ServiceContext(
        settings=settings,
        db=Database(settings.database_url),
        storage=LocalBlobStore(settings.data_dir),
        jobs=runner,
        throttle=IpThrottle(),
        registry=CollectorRegistry(),
        examiner=examiner,
    )
    holder["ctx"] = ctx
    return ctx


def create_app(settings: Settings | None = None, *, examiner: Callable[..., Any] | None = None,
               context: ServiceContext | None = None) -> FastAPI:
    ctx = context or build_context(settings or Settings.from_env(), examiner)
    dispatcher = WebhookDispatcher(ctx)
    ledger = lifecycle.ledger_service(ctx)  # BLOCKTRADE_LEDGER: embedded (default) or fabric
    nightly = scheduler_for(ctx)  # BLOCKTRADE_NIGHTLY_AT=HH:MM (UTC) schedules the nightly report

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ctx.jobs.start()
        dispatcher.start()
        ledger.start()
        nightly.start()
        try:
            yield
        finally:
            nightly.stop()
            ledger.stop()
            dispatcher.stop()
            ctx.jobs.stop()

    app = FastAPI(
        title="BlockTrade",
        version="0.1.0",
        summary="Trade-finance document examination (UCP 600 / ISBP 821) as a service",
        description="Every error has the body `{\"error\": {\"code\", \"message\", \"details\"}}`. "
        "Lists are paged with `?cursor=` (the `next_cursor` of the previous page). "
        "Authenticate with a bearer token from `/api/v1/auth/token` or an `X-API-Key`.",
        lifespan=lifespan,
    )
    app.state.service = ctx
    app.state.webhooks = dispatcher
    app.state.notifications = NotificationHub()
    install_error_handlers(app)
    app.add_middleware(UploadLimitMiddleware, max_bytes=ctx.settings.max_upload_bytes)
    app.add_middleware(MetricsMiddleware, registry=ctx.registry)
    app.add_middleware(AccessLogMiddleware)  # outermost: its duration covers the whole request
    app.include_router(health.router)
    for router in (auth.router, lcs.router, presentations.router, audit.router):
        app.include_router(router, prefix=API_PREFIX)
    for router in (webhooks.router, notifications.router, kyc.router, screening.router, compliance.router,
                   documents.router):
        app.include_router(router, prefix=API_PREFIX)
    for router in (lifecycle.router, payments.router, shipments.router, financing.router):
        app.include_router(router, prefix=API_PREFIX)
    for router in (reports.router, review.api_router):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(review.pages)  # the examiner's review pages under /review
    return app


class MetricsMiddleware:
    """Counts requests and latency per route template (plain ASGI: no per-request task overhead)."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter("blocktrade_http_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=registry)
        self.latency = Histogram("blocktrade_http_request_seconds", "HTTP request latency", ["method", "route"],
                                 registry=registry)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            # the route template, not the path: ids in paths would explode the label set
            template = getattr(scope.get("route"), "path", "unmatched")
            self.requests.labels(scope["method"], template, str(status)).inc()
            self.latency.labels(scope["method"], template).observe(time.perf_counter() - start)


class UploadLimitMiddleware:
    """Refuses a request whose declared body is over the upload limit before reading it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None:
                response = None
                if not length.isdigit():
                    response = error_response(400, "bad_request", "Content-Length is not a number")
                # multipart framing adds a little; the stager enforces the exact per-file limits
                elif int(length) > self.max_bytes + 64 * 1024:
                    response = error_response(413, "upload_too_large",
                                              f"the request is larger than the limit of {self.max_bytes} bytes",
                                              {"limit": self.max_bytes})
                if response is not None:
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
