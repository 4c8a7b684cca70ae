"""The `check` command's exit codes are a contract (DESIGN.md): 3 for every input error."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from api.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_bad_option_value_is_an_input_error_not_a_hold() -> None:
    result = CliRunner().invoke(main, ["check", str(EXAMPLES / "compliant"), "--presented-on", "2026-13-01"])
    assert result.exit_code == 3
    assert "'2026-13-01' is not a date in the form YYYY-MM-DD" in result.output


def test_a_missing_bundle_argument_is_an_input_error() -> None:
    assert CliRunner().invoke(main, ["check"]).exit_code == 3


def test_a_bundle_that_does_not_exist_is_named() -> None:
    result = CliRunner().invoke(main, ["check", "no/such/bundle"])
    assert result.exit_code == 3 and "no/such/bundle" in result.output and "Traceback" not in result.output


def test_presented_on_overrides_the_bundle_and_changes_the_outcome() -> None:
    # examples/discrepant ships 2026-06-17; presenting after the 31D expiry adds 6(d)
    late = CliRunner().invoke(main, ["check", str(EXAMPLES / "discrepant"), "--json", "--presented-on", "2026-12-31"])
    assert late.exit_code == 1
    assert '"ucp600.6d.expiry"' in late.output
