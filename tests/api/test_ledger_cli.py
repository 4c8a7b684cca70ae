"""`blocktrade ledger verify` / `status`: a consistent database passes, every edit is reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from api.cli_ledger import COMMANDS
from api.db.models import LetterOfCredit, Presentation
from api.db.models_ledger import LedgerEntity
from tests.api.conftest import Api, pdf

GROUP = COMMANDS[0]


@pytest.fixture
def env(api: Api) -> dict[str, str]:
    settings = api.ctx.settings
    return {"BLOCKTRADE_DATABASE_URL": settings.database_url, "BLOCKTRADE_DATA_DIR": str(settings.data_dir),
            "BLOCKTRADE_LEDGER": "embedded"}


def run(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(GROUP, list(args), env=env)


def test_verify_passes_then_reports_each_mismatch(api: Api, env: dict[str, str]) -> None:
    presentation_id = api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT"))]).json()["id"]
    ok = run(env, "verify", "--json")
    assert ok.exit_code == 0, ok.output
    body = json.loads(ok.output)
    assert body["ok"] and body["ledger_transactions"] == 4 and body["problems"] == []
    with api.ctx.db.write() as session:
        session.execute(update(LetterOfCredit).where(LetterOfCredit.id == api.seed.lc_id).values(status="paid"))
        session.execute(update(Presentation).where(Presentation.id == presentation_id).values(outcome="compliant"))
    bad = run(env, "verify")
    assert bad.exit_code == 1
    lines = bad.output.splitlines()
    assert f"lc {api.seed.lc_id}: database says paid, ledger says discrepant" in lines
    assert any(line.startswith(f"presentation {presentation_id}: outcome on the ledger (\"discrepant\")")
               for line in lines)
    assert lines[-1].endswith("2 problem(s)")


def test_verify_reports_ledger_tampering(api: Api, env: dict[str, str]) -> None:
    api.submit("corporate_admin", [("a.pdf", pdf("compliant"))])
    with api.ctx.db.write() as session:
        session.execute(update(LedgerEntity).where(LedgerEntity.entity_id == api.seed.lc_id).values(state="paid"))
    bad = run(env, "verify", "--json")
    assert bad.exit_code == 1
    problems = json.loads(bad.output)["problems"]
    assert any(p.startswith(f"world state: lc {api.seed.lc_id} is paid") for p in problems)
    assert f"lc {api.seed.lc_id}: database says compliant, ledger says paid" in problems


def test_status_shows_the_ledger_and_the_outbox(api: Api, env: dict[str, str]) -> None:
    api.submit("corporate_admin", [("a.pdf", pdf("compliant"))])
    shown = run(env, "status")
    assert shown.exit_code == 0, shown.output
    info = json.loads(shown.output)
    assert info["ledger"] == "embedded" and info["transactions"] == 4
    assert info["outbox"] == {"pending": 0, "done": 2, "rejected": 0, "oldest_pending_error": None}


def test_unknown_ledger_kind_is_an_input_error(env: dict[str, str], tmp_path: Path) -> None:
    result = run({**env, "BLOCKTRADE_LEDGER": "quorum"}, "status")
    assert result.exit_code == 3
    assert "BLOCKTRADE_LEDGER='quorum'" in result.output
