"""procrastinate job mode: settings and task registration (no database needed)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from api.jobs_procrastinate import (
    EXAMINE_TASK,
    NIGHTLY_TASK,
    QUEUE_SCHEMA,
    RECOVER_TASK,
    QueueApp,
    connector_options,
)
from api.settings import Settings, SettingsError

PG_URL = "postgresql+psycopg://postgres:s%40cret@127.0.0.1:5432/bt"


def test_procrastinate_is_the_default_on_postgresql_and_thread_on_sqlite() -> None:
    assert Settings.from_env({"BLOCKTRADE_DATABASE_URL": PG_URL}).job_mode == "procrastinate"
    assert Settings.from_env({"BLOCKTRADE_DATA_DIR": "/tmp/x"}).job_mode == "thread"
    assert Settings.from_env({"BLOCKTRADE_DATABASE_URL": PG_URL, "BLOCKTRADE_JOB_MODE": "queue"}).job_mode == "queue"


def test_procrastinate_on_sqlite_is_refused_with_the_variable_named() -> None:
    with pytest.raises(SettingsError, match="BLOCKTRADE_JOB_MODE=procrastinate needs PostgreSQL"):
        Settings.from_env({"BLOCKTRADE_JOB_MODE": "procrastinate"})


def test_a_stall_timeout_shorter_than_two_heartbeats_is_refused() -> None:
    with pytest.raises(SettingsError, match="BLOCKTRADE_JOB_STALLED_SECONDS=5"):
        Settings.from_env({"BLOCKTRADE_DATABASE_URL": PG_URL, "BLOCKTRADE_JOB_HEARTBEAT_SECONDS": "3",
                           "BLOCKTRADE_JOB_STALLED_SECONDS": "5"})
    settings = Settings.from_env({"BLOCKTRADE_DATABASE_URL": PG_URL, "BLOCKTRADE_JOB_HEARTBEAT_SECONDS": "1",
                                  "BLOCKTRADE_JOB_STALLED_SECONDS": "2"})
    assert (settings.job_heartbeat_seconds, settings.job_stalled_seconds) == (1, 2)


def test_connector_keeps_the_password_and_puts_the_queue_schema_first() -> None:
    options = connector_options(PG_URL)
    assert options["conninfo"] == "postgresql://postgres:s%40cret@127.0.0.1:5432/bt"
    assert options["kwargs"]["options"] == f"-c search_path={QUEUE_SCHEMA},public"
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        connector_options("sqlite:///x.db")


def _queue(tmp_path: Path) -> QueueApp:
    ctx = SimpleNamespace(settings=Settings(database_url=PG_URL, data_dir=tmp_path, job_mode="procrastinate"))
    return QueueApp(lambda: ctx)  # type: ignore[arg-type,return-value]


def test_nightly_report_is_a_periodic_task_at_the_configured_time(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOCKTRADE_NIGHTLY_AT", "02:30")
    crons = {p.task.name: p.cron for p in _queue(tmp_path).app.periodic_registry.periodic_tasks.values()}
    assert crons[NIGHTLY_TASK] == "30 2 * * *"
    assert RECOVER_TASK in crons


def test_without_a_nightly_time_only_examination_and_recovery_are_registered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BLOCKTRADE_NIGHTLY_AT", raising=False)
    app = _queue(tmp_path).app
    assert {EXAMINE_TASK, RECOVER_TASK} <= set(app.tasks)
    assert NIGHTLY_TASK not in app.tasks


def test_retry_strategy_follows_our_table_and_gives_up_on_persistent_infrastructure_errors() -> None:
    import datetime as dt

    from procrastinate.jobs import Job as QueueJob

    from api.jobs_procrastinate import INFRASTRUCTURE_RETRIES, ExaminationRetry, ExaminationRetryStrategy

    strategy = ExaminationRetryStrategy()
    due = dt.datetime(2026, 11, 28, 3, 0, tzinfo=dt.UTC)
    job = QueueJob(id=1, queue="default", lock="p", queueing_lock="p", task_name=EXAMINE_TASK, attempts=50)
    decision = strategy.get_retry_decision(exception=ExaminationRetry("j", due), job=job)
    assert decision is not None and decision.retry_at == due  # our table counts attempts, not procrastinate
    assert strategy.get_retry_decision(exception=OSError("db gone"), job=job) is None
    early = QueueJob(id=1, queue="default", lock="p", queueing_lock="p", task_name=EXAMINE_TASK, attempts=1)
    assert INFRASTRUCTURE_RETRIES > 1
    assert strategy.get_retry_decision(exception=OSError("db gone"), job=early) is not None
