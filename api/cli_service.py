"""Service commands of the `blocktrade` CLI: serve, worker, audit verify, users create, orgs create.

The lead adds ``COMMANDS`` to ``api.cli.main``. Every command reads the same settings as the
service (BLOCKTRADE_DATABASE_URL, BLOCKTRADE_DATA_DIR, ...), migrates the schema where it
owns the database, and reports bad input as a one-line error with exit code 3.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any, NoReturn

import click

from api.settings import Settings, SettingsError

EXIT_INPUT_ERROR = 3


def _fail(message: str, code: int = EXIT_INPUT_ERROR) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as err:
        _fail(str(err))


def _database(settings: Settings, migrate: bool = True) -> Any:
    from api.db.migrate import upgrade
    from api.db.session import Database

    try:
        if migrate:
            upgrade(settings.database_url)
        return Database(settings.database_url)
    except Exception as err:
        _fail(f"database {settings.database_url.split('@')[-1]}: {type(err).__name__}: {err}", 4)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="API processes (PostgreSQL only; SQLite runs one process with in-process jobs)")
def serve(host: str, port: int, workers: int) -> None:
    """Run the HTTP API (migrates the database first)."""
    import uvicorn

    from api.logging_setup import configure_json_logging, uvicorn_log_config

    configure_json_logging()
    settings = _settings()
    _database(settings).dispose()
    if workers > 1 and settings.database_url.startswith("sqlite"):
        _fail("--workers > 1 needs PostgreSQL (BLOCKTRADE_DATABASE_URL); SQLite jobs run in one process")
    if workers > 1 and not os.environ.get("BLOCKTRADE_JWT_SECRET"):
        _fail("--workers > 1 needs BLOCKTRADE_JWT_SECRET so every process accepts the same tokens")
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_config=uvicorn_log_config(), access_log=False)


@click.command()
@click.option("--poll", default=1.0, show_default=True, type=click.FloatRange(0.05, 60), help="seconds between polls")
@click.option("--once", is_flag=True, help="process the jobs that are due, then exit")
def worker(poll: float, once: bool) -> None:
    """Run examination jobs from the database queue (start one per machine or core)."""
    from api.app import build_context
    from api.jobs import run_next, worker_loop

    settings = _settings()
    _database(settings).dispose()
    ctx = build_context(settings)
    if settings.job_mode == "procrastinate":
        _procrastinate_worker(ctx, once)
        return
    if once:
        done = 0
        while run_next(ctx) is not None:
            done += 1
        click.echo(f"{done} job(s) processed")
        return
    from api.routes.lifecycle import ledger_service

    # workers also send the outbox's owed ledger writes, so outcomes reach the ledger even when
    # no API process is running
    ledger = ledger_service(ctx)
    ledger.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        worker_loop(ctx, stop, poll)
    finally:
        ledger.stop()


def _procrastinate_worker(ctx: Any, once: bool) -> None:
    """procrastinate's worker (it handles SIGTERM/SIGINT itself: finishes running jobs, then stops)."""
    import asyncio

    from api.jobs_procrastinate import QueueApp

    queue = QueueApp(lambda: ctx)
    if once:
        asyncio.run(queue.run_worker_async(once=True))
        click.echo("queue drained")
        return
    from api.routes.lifecycle import ledger_service

    ledger = ledger_service(ctx)  # the outbox's owed ledger writes, as in the queue mode
    ledger.start()
    try:
        asyncio.run(queue.run_worker_async())
    finally:
        ledger.stop()


@click.group("audit")
def audit_group() -> None:
    """The hash-chained audit trail."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Recompute the audit chain; exit 1 and list the rows if any was edited, inserted or deleted."""
    from api.audit import verify

    db = _database(_settings(), migrate=False)
    with db.read() as session:
        result = verify(session)
    db.dispose()
    if result.ok:
        click.echo(f"audit trail intact: {result.checked} entries, head {result.head}")
        return
    for problem in result.problems:
        click.echo(f"audit: {problem}", err=True)
    click.echo(f"audit trail BROKEN: {len(result.problems)} problem(s) in {result.checked} entries", err=True)
    sys.exit(1)


@click.group("orgs")
def orgs_group() -> None:
    """Organisations (banks, corporates, NBFCs, logistics firms)."""


@orgs_group.command("create")
@click.option("--name", required=True)
@click.option("--type", "org_type", required=True, type=click.Choice(["bank", "nbfc", "corporate", "logistics"]))
@click.option("--country", required=True, help="ISO 3166 alpha-2 code, e.g. DE")
@click.option("--bic", default=None)
def orgs_create(name: str, org_type: str, country: str, bic: str | None) -> None:
    """Create an organisation; prints its id."""
    from api.auth.service import create_organisation

    db = _database(_settings())
    try:
        with db.write() as session:
            org = create_organisation(session, name=name, org_type=org_type, country_code=country.upper(), bic=bic)
            org_id = org.id
    except ValueError as err:
        _fail(str(err))
    finally:
        db.dispose()
    click.echo(org_id)


@click.group("users")
def users_group() -> None:
    """Users of the service."""


@users_group.command("create")
@click.option("--org", "org_id", required=True, help="organisation id")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(
    ["bank_admin", "bank_officer", "corporate_admin", "corporate_user", "nbfc_admin", "logistics_user", "auditor"]))
@click.password_option(envvar="BLOCKTRADE_NEW_USER_PASSWORD", help="at least 12 characters")
def users_create(org_id: str, email: str, role: str, password: str) -> None:
    """Create a user; officer roles get a TOTP secret to enrol in an authenticator app."""
    import pyotp

    from api.auth.service import create_user

    db = _database(_settings())
    try:
        with db.write() as session:
            user, totp_secret = create_user(session, organization_id=org_id, email=email, password=password,
                                            role=role)
            user_id = user.id
    except ValueError as err:
        _fail(str(err))
    finally:
        db.dispose()
    click.echo(user_id)
    if totp_secret:
        uri = pyotp.TOTP(totp_secret).provisioning_uri(name=email, issuer_name="BlockTrade")
        click.echo(f"TOTP secret (enrol now; shown once): {totp_secret}")
        click.echo(f"otpauth URI: {uri}")


COMMANDS: list[click.Command] = [serve, worker, audit_group, orgs_group, users_group]
