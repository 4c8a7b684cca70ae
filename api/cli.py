"""The `blocktrade` command line.

Exit codes of `check` are a contract (DESIGN.md): 0 compliant, 1 discrepant, 2 hold,
3 input error (a message naming the file and the problem; never a traceback).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from api.cli_common import EXIT_INPUT_ERROR, date_option, load_for_examination

EXIT_CODES = {"compliant": 0, "discrepant": 1, "hold": 2}

# click exits 2 on a usage error (bad option value, missing argument), but 2 means "hold" in the
# contract: a wrong command line is an input error, 3, so no script mistakes it for a sanctions stop.
click.exceptions.UsageError.exit_code = EXIT_INPUT_ERROR






@click.group()
@click.version_option(package_name="blocktrade")
def main() -> None:
    """BlockTrade: examine trade-finance presentations under UCP 600 / ISBP 821."""


@main.command()
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report (the documented contract).")
@click.option(
    "--presented-on",
    callback=date_option,
    metavar="YYYY-MM-DD",
    help="Date of presentation; overrides presentation.json in the bundle.",
)
@click.option(
    "--rules",
    "rule_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Rule pack folder(s) to use instead of every pack under rules/.",
)
def check(bundle: Path, as_json: bool, presented_on: dt.date | None, rule_paths: tuple[Path, ...]) -> None:
    """Examine the presentation in BUNDLE (a folder or .zip) against the credit.

    Exit code 0 compliant, 1 discrepant, 2 hold, 3 input error.
    """
    from api.examination import examine_presentation

    ruleset, presentation = load_for_examination(bundle, presented_on, rule_paths)
    report = examine_presentation(presentation, ruleset)
    if as_json:
        click.echo(json.dumps(report.contract_json(), indent=2, ensure_ascii=False))
    else:
        from reports.console import print_report

        print_report(report, bundle=str(bundle))
    sys.exit(EXIT_CODES[report.outcome])


def register_commands() -> None:
    """Commands that live in their own modules, next to the code they drive."""
    from api.cli_extract import COMMANDS as EXTRACT_COMMANDS
    from api.cli_ledger import COMMANDS as LEDGER_COMMANDS
    from api.cli_reports import COMMANDS as REPORT_COMMANDS
    from api.cli_rules import rules
    from api.cli_screen import sanctions, screen
    from api.cli_service import COMMANDS as SERVICE_COMMANDS

    main.add_command(rules)
    main.add_command(screen)
    main.add_command(sanctions)
    for command in [*EXTRACT_COMMANDS, *SERVICE_COMMANDS, *REPORT_COMMANDS, *LEDGER_COMMANDS]:
        main.add_command(command)


register_commands()

if __name__ == "__main__":
    main()
