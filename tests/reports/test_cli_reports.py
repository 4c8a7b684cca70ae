"""`blocktrade report ...` end to end on a generated six-document presentation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli_reports import COMMANDS, report
from extractors.swift import parse_swift_message
from tests.fixtures.generator import generate_presentation
from tests.fixtures.scenarios import BY_NAME

from .synthetic import synthetic_records


@pytest.fixture(scope="module")
def discrepant_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_presentation(tmp_path_factory.mktemp("bundles"), BY_NAME["disc_expiry"], seed=7)


def test_commands_are_exported():
    assert [c.name for c in COMMANDS] == ["report"]
    assert set(report.commands) == {"discrepancy", "verify", "mt734", "mt750", "nightly"}


def test_discrepancy_pdf_then_verify_then_tamper(discrepant_bundle, tmp_path, signing_dir):
    runner = CliRunner()
    out = tmp_path / "report.pdf"
    done = runner.invoke(report, ["discrepancy", str(discrepant_bundle), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert out.read_bytes().startswith(b"%PDF-")
    done = runner.invoke(report, ["verify", str(out)])
    assert done.exit_code == 0 and "valid" in done.output
    data = bytearray(out.read_bytes())
    data[200] ^= 0xFF
    out.write_bytes(bytes(data))
    done = runner.invoke(report, ["verify", str(out)])
    assert done.exit_code == 1
    assert "NOT VALID" in done.output


def test_mt734_prints_a_parseable_refusal(discrepant_bundle, tmp_path, signing_dir):
    done = CliRunner().invoke(report, ["mt734", str(discrepant_bundle), "--disposal", "RETURN"])
    assert done.exit_code == 0, done.output
    message = parse_swift_message(done.output, "stdout")
    assert [f.tag for f in message.fields] == ["20", "21", "32A", "77J", "77B"]
    assert "UCP600 6(D)(I)" in message.get("77J").value.replace("\n", " ")
    assert message.get("77B").value == "/RETURN/"


def test_bad_inputs_exit_3_with_a_message(tmp_path, signing_dir):
    runner = CliRunner()
    done = runner.invoke(report, ["discrepancy", str(tmp_path / "nothing"), "--out", str(tmp_path / "r.pdf")])
    assert done.exit_code == 3 and "nothing" in done.output
    done = runner.invoke(report, ["discrepancy", str(tmp_path), "--out", str(tmp_path / "r.txt")])
    assert done.exit_code == 3 and "must end in .pdf or .html" in done.output
    bad = tmp_path / "records.jsonl"
    bad.write_text('{"id": "x"}\n')
    done = runner.invoke(report, ["nightly", "--date", "2026-06-10", "--input", str(bad), "--out", str(tmp_path / "n")])
    assert done.exit_code == 3 and "records.jsonl:1: field" in done.output
    done = runner.invoke(report, ["verify", str(tmp_path / "absent.pdf")])
    assert done.exit_code == 3


def test_nightly_from_jsonl(tmp_path, signing_dir):
    day = dt.date(2026, 6, 10)
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(r.model_dump_json() for r in synthetic_records(25, day)) + "\n")
    done = CliRunner().invoke(report, ["nightly", "--date", "2026-06-10", "--input", str(path), "--out", str(tmp_path / "n")])
    assert done.exit_code == 0, done.output
    assert "25 examination(s) on 2026-06-10" in done.output
    summary = json.loads((tmp_path / "n" / "nightly-2026-06-10-summary.json").read_text())
    assert summary["examinations"] == 25
