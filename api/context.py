"""What a running service holds: settings, database, blob store, job runner, metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import Request
from prometheus_client import CollectorRegistry

from api.db.session import Database
from api.settings import Settings
from api.storage import BlobStore

if TYPE_CHECKING:
    from api.auth.throttle import IpThrottle
    from api.jobs import JobRunner


@dataclass
class ServiceContext:
    settings: Settings
    db: Database
    storage: BlobStore
    jobs: JobRunner
    throttle: IpThrottle
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    # (bundle folder, presented_on, rule paths) -> engine.findings.Report; None: the real engine
    examiner: Callable[..., Any] | None = None


def service(request: Request) -> ServiceContext:
    return request.app.state.service  # type: ignore[no-any-return]
