"""The screening commands: batch mode as DESIGN.md specifies, the table, and `sanctions`."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from api.cli_screen import sanctions, screen
from tests.unit.screening_fixtures import truncated_copy


@click.group()
def cli() -> None:
    """Stand-in for api.cli.main, which the lead wires these commands into."""


cli.add_command(screen)
cli.add_command(sanctions)


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("BLOCKTRADE_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def test_batch_search_and_pair_modes_one_line_per_input_in_order(runner: CliRunner, tmp_path: Path) -> None:
    queries = [
        {"id": 1, "query": "Nordvik Marine Trading Co Ltd", "type": "entity"},
        {"id": 2, "query": "ROSNEFT MARINE TRADING CO LTD", "candidate": "Rosneft Marine Trading Co., Ltd.", "type": "entity"},
        {"id": 3, "query": "ACME", "candidate": "ACME Trading Holdings International Ltd", "type": "entity"},
        {"id": 4, "query": "Somebody Unlisted", "type": "person"},
        {"id": "v", "query": "NORTHERN STAR", "type": "vessel"},
    ]
    batch = tmp_path / "q.jsonl"
    batch.write_text("\n".join(json.dumps(q) for q in queries) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["screen", "--batch", str(batch)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == [1, 2, 3, 4, "v"]
    first = lines[0]
    assert first["matches"][0]["id"] == "SAMPLE:9000002" and first["matches"][0]["score"] == 1.0
    assert first["list_versions"] == [first["matches"][0]["list_version"]]
    assert lines[1] == {"id": 2, "score": 1.0, "match": True}
    assert lines[2]["match"] is False and lines[2]["score"] < 0.7
    assert lines[3]["matches"] == []
    assert lines[4]["matches"][0]["id"] == "SAMPLE:9000004"


def test_batch_bad_lines_get_an_error_line_and_exit_3(runner: CliRunner, tmp_path: Path) -> None:
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": 1, "query": "NORTHERN STAR"}\nnot json\n\n{"id": 4, "query": ""}\n'
                     '{"id": 5, "query": "X", "type": "planet"}\n{"id": 6, "query": "NORTHERN STAR"}\n', encoding="utf-8")
    result = runner.invoke(cli, ["screen", "--batch", str(batch)])
    assert result.exit_code == 3
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 6
    assert lines[0]["matches"] and lines[5]["matches"]
    assert lines[1]["error"].startswith("line 2: not JSON")
    assert lines[2]["error"] == "line 3: empty line"
    assert lines[3] == {"id": 4, "error": "line 4: name is empty"}
    assert "unknown type 'planet'" in lines[4]["error"]


def test_screen_prints_a_table_naming_the_lists(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["screen", "Nordvik Marine Trading", "--type", "entity", "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert "SAMPLE:9000002" in result.output and "Lists: SAMPLE" in result.output
    as_json = json.loads(runner.invoke(cli, ["screen", "Nordvik Marine Trading", "--json"]).output)
    assert as_json["matches"][0]["id"] == "SAMPLE:9000002"


def test_screen_bad_name_is_an_input_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["screen", "A" * 500])
    assert result.exit_code == 3 and "500 characters long" in result.output


def test_sanctions_import_list_and_refusal(runner: CliRunner, shared_data: Path, tmp_path: Path) -> None:
    dpl = shared_data / "sanctions/us_bis/dpl.txt"
    imported = runner.invoke(cli, ["sanctions", "import", str(dpl)])
    assert imported.exit_code == 0, imported.output
    assert "BIS-DPL" in imported.output and "entities 581" in imported.output
    cut = truncated_copy(dpl, tmp_path / "dpl.txt", keep=0.6)
    refused = runner.invoke(cli, ["sanctions", "import", str(cut)])
    assert refused.exit_code == 3
    assert f"{cut}:" in refused.output and "active version of this list is unchanged" in refused.output
    listed = json.loads(runner.invoke(cli, ["sanctions", "list", "--json"]).output)
    assert [(v["source"], v["active"], v["counts"]["entities"]) for v in listed] == [("BIS-DPL", True, 581)]
    searched = json.loads(runner.invoke(cli, ["screen", "AARON ABRAHAM VILLA", "--json"]).output)
    assert searched["matches"][0]["id"] == "BIS-DPL:2"


def test_importing_a_list_rescreens_names_screened_before(runner: CliRunner, shared_data: Path) -> None:
    """A name screened clean against the sample list is hit once the BIS list is imported."""
    from engine.screening.decisions import DecisionStore
    from engine.screening.match import Screener
    from engine.screening.store import ListStore

    store = ListStore()
    screener = Screener(store)  # the bundled sample list: no BIS entries
    DecisionStore(store.root.parent).remember(
        "AARON ABRAHAM VILLA", None, [m.entity.id for m in screener.screen("AARON ABRAHAM VILLA")],
        [v.version_id for v in screener.versions],
    )
    imported = runner.invoke(cli, ["sanctions", "import", str(shared_data / "sanctions/us_bis/dpl.txt")])
    assert imported.exit_code == 0, imported.output
    assert "re-screened 'AARON ABRAHAM VILLA': new hits BIS-DPL:2 (review them)" in imported.output
    again = runner.invoke(cli, ["sanctions", "import", str(shared_data / "sanctions/us_bis/dpl.txt")])
    assert "no change in their hits" in again.output
