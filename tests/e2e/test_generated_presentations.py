"""End to end: generated bundles through load_bundle + examine, and the real CLI.

For a fixed seed every scenario is generated once per session. Clean bundles must give no
discrepancy; each discrepant bundle exactly the rule ids it was built to trigger; bad-input
bundles an input error (exit 3, naming the file) or an ``extraction.*`` finding — never a
traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.generator import generate_all, read_expected
from tests.fixtures.scenarios import ALL, Scenario

SEED = 2026
REPO = Path(__file__).resolve().parents[2]
EXAMINED = [s for s in ALL if s.kind != "bad_input"]
BAD = [s for s in ALL if s.kind == "bad_input"]


@pytest.fixture(scope="session")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("bundles")
    return {folder.name: folder for folder in generate_all(out, SEED)}


@pytest.fixture(scope="session")
def ruleset() -> Any:
    from engine.packs import load_packs

    return load_packs()


@pytest.fixture(scope="module")
def screener(ruleset: Any) -> Any:
    from api.examination import build_screener

    return build_screener(ruleset)


def _expected(folder: Path) -> dict[str, Any]:
    return read_expected(folder)


def _run_cli(bundle: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_THREAD_LIMIT": "1"}
    env.pop("BLOCKTRADE_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "check", str(bundle), "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize("scenario", EXAMINED, ids=lambda s: s.name)
def test_examination_reports_exactly_the_expected_discrepancies(
    scenario: Scenario, bundles: dict[str, Path], ruleset: Any, screener: Any
) -> None:
    from api.examination import examine_presentation
    from extractors.bundle import load_bundle

    folder = bundles[scenario.name]
    expected = _expected(folder)
    presentation = load_bundle(folder)
    report = examine_presentation(presentation, ruleset, screener)

    fired = {f.rule for f in report.findings if f.severity == "discrepancy"}
    assert fired == set(expected["findings"]), (
        f"{scenario.name}: {scenario.description}\n"
        + "\n".join(f"  {f.rule}: {f.message}" for f in report.findings)
    )
    assert report.outcome == expected["outcome"]
    all_rules = {f.rule for f in report.findings}
    assert set(expected["info"]) <= all_rules
    types = {info.file: info.type for info in report.documents}
    assert types == expected["documents"]


def _check_contract(report: dict[str, Any]) -> None:
    assert set(report) >= {"outcome", "documents", "findings"}
    assert report["outcome"] in ("compliant", "discrepant", "hold")
    for document in report["documents"]:
        assert set(document) >= {"file", "type", "pages", "extraction"}
    for finding in report["findings"]:
        assert set(finding) >= {"rule", "severity", "refs", "documents", "message", "evidence"}
        assert finding["severity"] in ("discrepancy", "warning", "info")
        assert isinstance(finding["refs"], list) and isinstance(finding["evidence"], list)
        assert finding["refs"] and all(isinstance(ref, str) and ref for ref in finding["refs"]), finding
        if finding["rule"].startswith("ucp600."):  # DESIGN.md's citation form for the UCP pack
            for ref in finding["refs"]:
                assert ref.startswith(("UCP600 ", "ISBP821 ")), ref


@pytest.mark.parametrize("name", ["clean_basic", "multi_late_and_overdrawn"])
def test_cli_check_json_contract_and_exit_code(name: str, bundles: dict[str, Path]) -> None:
    folder = bundles[name]
    expected = _expected(folder)
    result = _run_cli(folder)
    assert "Traceback" not in result.stderr
    assert result.returncode == {"compliant": 0, "discrepant": 1}[expected["outcome"]], result.stderr
    report = json.loads(result.stdout)
    _check_contract(report)
    assert report["outcome"] == expected["outcome"]
    assert {d["file"]: d["type"] for d in report["documents"]} == expected["documents"]
    fired = {f["rule"] for f in report["findings"] if f["severity"] == "discrepancy"}
    assert fired == set(expected["findings"])
    for finding in report["findings"]:
        if finding["rule"].startswith("ucp600."):
            assert finding["evidence"], finding["rule"]


@pytest.mark.parametrize("scenario", BAD, ids=lambda s: s.name)
def test_bad_input_is_reported_never_a_traceback(scenario: Scenario, bundles: dict[str, Path]) -> None:
    folder = bundles[scenario.name]
    expected = _expected(folder)
    result = _run_cli(folder)
    assert "Traceback" not in result.stderr, result.stderr
    if expected["outcome"] == "input_error":
        assert result.returncode == 3, (result.returncode, result.stdout[:500], result.stderr)
        named = expected["bad_file"] or folder.name
        assert named in result.stderr or folder.name in result.stderr, result.stderr
        return
    if result.returncode == 3:
        assert expected["bad_file"] in result.stderr, result.stderr
        return
    assert result.returncode in (1, 2), (result.returncode, result.stderr)
    report = json.loads(result.stdout)
    _check_contract(report)
    assert report["outcome"] != "compliant"
    problems = [f for f in report["findings"] if f["rule"].startswith("extraction.")]
    if scenario.bad_input == "image_only":
        ocr_read = any(d["file"] == expected["bad_file"] and d["extraction"] == "ocr" for d in report["documents"])
        assert ocr_read or any(f["rule"] == "extraction.needs-ocr" for f in problems), report["findings"]
        return
    assert any(f["rule"] == expected["expect_finding"] for f in problems), report["findings"]
    mentioned = json.dumps([f for f in problems if f["rule"] == expected["expect_finding"]])
    assert expected["bad_file"] in mentioned
