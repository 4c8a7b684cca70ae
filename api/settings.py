"""Service settings, read once from the environment (prefix BLOCKTRADE_).

Every limit that protects the service from hostile input is a setting, so an operator can
tighten it without a code change; defaults suit a laptop running the embedded mode.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

JobMode = Literal["thread", "inline", "queue", "procrastinate"]


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot use."""


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"environment variable {name}={raw!r} is not an integer") from None
    if value < 0:
        raise SettingsError(f"environment variable {name}={raw!r} must not be negative")
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///./var/blocktrade.db"
    data_dir: Path = Path("./var")
    # HS256 secret; a random one per process is safe (tokens die on restart) but breaks
    # several API processes sharing tokens, so production sets BLOCKTRADE_JWT_SECRET.
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    access_token_seconds: int = 900
    refresh_token_seconds: int = 7 * 24 * 3600
    # login throttling: this many failures within the window locks the account for lockout_seconds
    login_max_failures: int = 5
    login_window_seconds: int = 900
    login_lockout_seconds: int = 900
    # uploads
    max_upload_bytes: int = 50 * 1024 * 1024  # whole request body
    max_file_bytes: int = 25 * 1024 * 1024  # one file, uploaded or unzipped
    max_files: int = 50
    max_zip_total_bytes: int = 200 * 1024 * 1024  # sum of unpacked sizes
    max_zip_ratio: int = 100  # unpacked/packed size of one entry
    # jobs
    job_mode: JobMode = "thread"
    job_threads: int = 2
    job_max_attempts: int = 3
    job_lease_seconds: int = 600  # a running job not finished within this is taken as dead
    # procrastinate workers beat every job_heartbeat_seconds; one silent for job_stalled_seconds
    # is taken as dead and its running jobs are put back in the queue
    job_heartbeat_seconds: int = 10
    job_stalled_seconds: int = 30
    rules_paths: tuple[Path, ...] = ()

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("BLOCKTRADE_DATA_DIR") or "./var")
        database_url = env.get("BLOCKTRADE_DATABASE_URL") or f"sqlite:///{data_dir / 'blocktrade.db'}"
        job_mode = env.get("BLOCKTRADE_JOB_MODE") or ("thread" if database_url.startswith("sqlite") else "procrastinate")
        if job_mode not in ("thread", "inline", "queue", "procrastinate"):
            raise SettingsError(f"environment variable BLOCKTRADE_JOB_MODE={job_mode!r}: "
                                "use thread, inline, queue or procrastinate")
        if job_mode == "procrastinate" and database_url.startswith("sqlite"):
            raise SettingsError("environment variable BLOCKTRADE_JOB_MODE=procrastinate needs PostgreSQL "
                                "(BLOCKTRADE_DATABASE_URL); SQLite runs jobs with thread or inline")
        heartbeat = max(1, _int(env, "BLOCKTRADE_JOB_HEARTBEAT_SECONDS", cls.job_heartbeat_seconds))
        stalled = _int(env, "BLOCKTRADE_JOB_STALLED_SECONDS", cls.job_stalled_seconds)
        if stalled < 2 * heartbeat:
            raise SettingsError(f"environment variable BLOCKTRADE_JOB_STALLED_SECONDS={stalled} must be at least "
                                f"twice BLOCKTRADE_JOB_HEARTBEAT_SECONDS={heartbeat}, or live workers look dead")
        kwargs: dict[str, object] = {
            "database_url": database_url,
            "data_dir": data_dir,
            "job_mode": job_mode,
            "access_token_seconds": _int(env, "BLOCKTRADE_ACCESS_TOKEN_SECONDS", cls.access_token_seconds),
            "refresh_token_seconds": _int(env, "BLOCKTRADE_REFRESH_TOKEN_SECONDS", cls.refresh_token_seconds),
            "login_max_failures": _int(env, "BLOCKTRADE_LOGIN_MAX_FAILURES", cls.login_max_failures),
            "login_window_seconds": _int(env, "BLOCKTRADE_LOGIN_WINDOW_SECONDS", cls.login_window_seconds),
            "login_lockout_seconds": _int(env, "BLOCKTRADE_LOGIN_LOCKOUT_SECONDS", cls.login_lockout_seconds),
            "max_upload_bytes": _int(env, "BLOCKTRADE_MAX_UPLOAD_BYTES", cls.max_upload_bytes),
            "max_file_bytes": _int(env, "BLOCKTRADE_MAX_FILE_BYTES", cls.max_file_bytes),
            "max_files": _int(env, "BLOCKTRADE_MAX_FILES", cls.max_files),
            "max_zip_total_bytes": _int(env, "BLOCKTRADE_MAX_ZIP_TOTAL_BYTES", cls.max_zip_total_bytes),
            "max_zip_ratio": _int(env, "BLOCKTRADE_MAX_ZIP_RATIO", cls.max_zip_ratio),
            "job_threads": max(1, _int(env, "BLOCKTRADE_JOB_THREADS", cls.job_threads)),
            "job_max_attempts": max(1, _int(env, "BLOCKTRADE_JOB_MAX_ATTEMPTS", cls.job_max_attempts)),
            "job_lease_seconds": _int(env, "BLOCKTRADE_JOB_LEASE_SECONDS", cls.job_lease_seconds),
            "job_heartbeat_seconds": heartbeat,
            "job_stalled_seconds": stalled,
        }
        if env.get("BLOCKTRADE_JWT_SECRET"):
            secret = env["BLOCKTRADE_JWT_SECRET"]
            if len(secret) < 32:
                raise SettingsError("environment variable BLOCKTRADE_JWT_SECRET must be at least 32 characters")
            kwargs["jwt_secret"] = secret
        if env.get("BLOCKTRADE_RULES"):
            kwargs["rules_paths"] = tuple(Path(p) for p in env["BLOCKTRADE_RULES"].split(os.pathsep) if p)
        return cls(**kwargs)  # type: ignore[arg-type]
