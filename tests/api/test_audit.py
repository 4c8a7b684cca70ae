"""The hash-chained audit trail and `blocktrade audit verify`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from api import audit
from api.cli_service import COMMANDS
from api.db.models import AuditEntry
from tests.api.conftest import Api, pdf


@pytest.fixture
def cli() -> click.Group:
    group = click.Group("blocktrade")
    for command in COMMANDS:
        group.add_command(command)
    return group


def db_env(api: Api) -> dict[str, str]:
    return {"BLOCKTRADE_DATABASE_URL": api.ctx.settings.database_url,
            "BLOCKTRADE_DATA_DIR": str(api.ctx.settings.data_dir)}


def test_state_changes_are_audited_with_old_and_new_values(api: Api) -> None:
    response = api.client.post(f"/api/v1/lcs/{api.seed.lc_id}/amendments", headers=api.headers("bank_admin"),
                               json={"amount": "130000.00", "reason": "increase"})
    assert response.status_code == 200, response.text
    with api.ctx.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "amend")).one()
    assert entry.old_values == {"amount": "125000.00", "status": "issued", "amendment_number": 0}
    assert entry.new_values == {"amount": "130000.00", "status": "amended", "amendment_number": 1,
                                "reason": "increase"}
    assert entry.actor.startswith("user:") and entry.user_id


def test_verify_passes_on_an_untouched_chain_and_finds_an_edited_row(api: Api, cli: click.Group) -> None:
    api.submit("corporate_admin", [("a.pdf", pdf("DISCREPANT"))])
    with api.ctx.db.read() as session:
        result = audit.verify(session)
    assert result.ok and result.checked > 20
    runner = CliRunner()
    intact = runner.invoke(cli, ["audit", "verify"], env=db_env(api))
    assert intact.exit_code == 0, intact.output
    assert "intact" in intact.output
    # someone edits a past row directly in the database
    with api.ctx.db.write() as session:
        session.execute(text("UPDATE audit_trail SET new_values = :v WHERE seq = 3"), {"v": '{"role": "bank_admin"}'})
    with api.ctx.db.read() as session:
        broken = audit.verify(session)
    assert not broken.ok
    assert broken.problems[0].startswith("seq 3: row_hash mismatch")
    result_cli = runner.invoke(cli, ["audit", "verify"], env=db_env(api))
    assert result_cli.exit_code == 1
    assert "seq 3" in result_cli.output


def test_verify_finds_a_deleted_row(api: Api) -> None:
    with api.ctx.db.write() as session:
        session.execute(text("DELETE FROM audit_trail WHERE seq = 5"))
    with api.ctx.db.read() as session:
        result = audit.verify(session)
    assert any(p.startswith("seq 6:") for p in result.problems)


def test_two_appends_from_the_same_head_cannot_both_commit(api: Api) -> None:
    from sqlalchemy.exc import IntegrityError

    with api.ctx.db.read() as session:
        head = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    forged = AuditEntry(seq=head.seq + 100, id="f" * 36, entity_type="x", entity_id="y", action="z",
                        actor="system:test", created_at=head.created_at, prev_hash=head.prev_hash, row_hash="0" * 64)
    with pytest.raises(IntegrityError), api.ctx.db.write() as session:
        session.add(forged)


def test_cli_creates_organisations_and_users(api: Api, cli: click.Group, tmp_path: Path) -> None:
    runner = CliRunner()
    env = db_env(api)
    made = runner.invoke(cli, ["orgs", "create", "--name", "Acme Bank", "--type", "bank", "--country", "de"], env=env)
    assert made.exit_code == 0, made.output
    org_id = made.output.strip()
    user = runner.invoke(cli, ["users", "create", "--org", org_id, "--email", "Officer@Acme.test", "--role",
                               "bank_officer"], env={**env, "BLOCKTRADE_NEW_USER_PASSWORD": "a long password 1"})
    assert user.exit_code == 0, user.output
    assert "otpauth://totp/" in user.output
    wrong = runner.invoke(cli, ["users", "create", "--org", org_id, "--email", "c@acme.test", "--role",
                                "corporate_user"], env={**env, "BLOCKTRADE_NEW_USER_PASSWORD": "a long password 1"})
    assert wrong.exit_code == 3
    assert "corporate" in wrong.output and "Traceback" not in wrong.output
    bad_country = runner.invoke(cli, ["orgs", "create", "--name", "X", "--type", "bank", "--country", "1"], env=env)
    assert bad_country.exit_code == 3 and "country" in bad_country.output


def test_cli_settings_errors_are_one_line(cli: click.Group) -> None:
    result: Any = CliRunner().invoke(cli, ["audit", "verify"], env={"BLOCKTRADE_MAX_FILES": "many"})
    assert result.exit_code == 3
    assert "BLOCKTRADE_MAX_FILES" in result.output and "Traceback" not in result.output
