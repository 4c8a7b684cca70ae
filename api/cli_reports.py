"""The ``report`` command group: discrepancy reports, their verification, MT734/MT750, nightly.

The lead wires it into ``api/cli.py``::

    from api.cli_reports import COMMANDS as REPORT_COMMANDS
    for command in REPORT_COMMANDS:
        main.add_command(command)

Exit codes: 0 done (``verify``: valid), 1 ``verify``: the file fails verification,
3 input error (a message naming the file and the problem), 4 internal error.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from api.cli_common import date_option, load_for_examination
from api.cli_common import fail as _fail

if TYPE_CHECKING:
    from engine.findings import Report
    from extractors.models import Presentation

EXIT_INVALID = 1






def _examine(bundle: Path, presented_on: dt.date | None, rule_paths: tuple[Path, ...]) -> tuple[Presentation, Report]:
    """load_bundle + examine, as ``blocktrade check`` does, with the same error handling."""
    from api.examination import examine_presentation

    ruleset, presentation = load_for_examination(bundle, presented_on, rule_paths)
    return presentation, examine_presentation(presentation, ruleset)


def _json_list(path: Path | None, what: str) -> list[Any] | None:
    """A JSON file holding a list (decisions, screening results); None when not given."""
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        _fail(f"{path}: cannot read the {what}: {err.strerror}")
    except ValueError as err:
        _fail(f"{path}: the {what} are not valid JSON: {err}")
    if not isinstance(data, list):
        _fail(f"{path}: expected a JSON list of {what}")
    return data


BUNDLE = click.argument("bundle", type=click.Path(path_type=Path))
PRESENTED_ON = click.option(
    "--presented-on", callback=date_option, metavar="YYYY-MM-DD",
    help="Date of presentation; overrides presentation.json in the bundle.",
)
RULES = click.option(
    "--rules", "rule_paths", multiple=True, type=click.Path(exists=True, path_type=Path),
    help="Rule pack folder(s) to use instead of every pack under rules/.",
)
DECISIONS = click.option(
    "--decisions", "decisions_path", type=click.Path(path_type=Path),
    help="JSON list of reviewer decisions: {rule, action: waive|confirm, reason, who, when[, file]}.",
)


@click.group("report")
def report() -> None:
    """Discrepancy reports (HTML/PDF, signed), SWIFT MT734/MT750 and the nightly report."""


@report.command("discrepancy")
@BUNDLE
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="FILE.pdf or FILE.html")
@PRESENTED_ON
@RULES
@DECISIONS
@click.option("--screening", "screening_path", type=click.Path(path_type=Path),
              help="JSON list of screening results: {query, role, type, matches, list_versions}.")
@click.option("--place", help="Place of presentation (calendar id such as GB-LON, or a city); default 31D's place.")
def discrepancy(bundle: Path, out: Path, presented_on: dt.date | None, rule_paths: tuple[Path, ...],
                decisions_path: Path | None, screening_path: Path | None, place: str | None) -> None:
    """Examine BUNDLE and write its signed discrepancy report to --out (.pdf or .html)."""
    from reports.discrepancy import DiscrepancyReportInput, write_discrepancy_report
    from reports.inputs import ReportInputError
    from reports.page_images import bundle_source
    from reports.signing import SignatureError

    if out.suffix.lower() not in (".pdf", ".html", ".htm"):
        _fail(f"{out}: the report file must end in .pdf or .html")
    decisions = _json_list(decisions_path, "decisions")
    screening = _json_list(screening_path, "screening results")
    presentation, result = _examine(bundle, presented_on, rule_paths)
    data = DiscrepancyReportInput(
        result, presentation=presentation, files=bundle_source(bundle), screening=screening,
        decisions=decisions, place_of_presentation=place, bundle_name=bundle.name,
    )
    try:
        write_discrepancy_report(data, out)
    except (ReportInputError, SignatureError) as err:
        _fail(str(err))
    click.echo(f"{out}: {result.outcome}, {len(result.findings)} finding(s), signed")


@report.command("verify")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--public-key", type=click.Path(path_type=Path),
              help="PEM public key to trust; default the installation's key in $BLOCKTRADE_DATA_DIR/keys.")
def verify(file: Path, public_key: Path | None) -> None:
    """Check the hash and signature of a report. Exit 0 valid, 1 not valid."""
    from reports.signing import SignatureError, load_public_key, verify_report

    if not file.is_file():
        _fail(f"{file}: no such file")
    try:
        key = load_public_key(public_key) if public_key else None
        result = verify_report(file, key)
    except SignatureError as err:
        _fail(str(err))
    if result.valid:
        click.echo(f"{file}: valid — {result.reason}; sha256 {result.sha256}, key {result.key_id}")
        return
    click.echo(f"{file}: NOT VALID — {result.reason}", err=True)
    sys.exit(EXIT_INVALID)


def _advice(kind: str, bundle: Path, presented_on: dt.date | None, rule_paths: tuple[Path, ...],
            decisions_path: Path | None, options: dict[str, Any], out: Path | None) -> None:
    from reports.swift_out import SwiftOutputError, mt734, mt750

    decisions = _json_list(decisions_path, "decisions")
    presentation, result = _examine(bundle, presented_on, rule_paths)
    build = mt734 if kind == "734" else mt750
    try:
        message = build(result, presentation, decisions=decisions, **options)
    except SwiftOutputError as err:
        _fail(f"{bundle}: no MT{kind}: {err}")
    if out is None:
        click.echo(message.text())
        return
    try:
        out.write_bytes(message.text(crlf=True).encode("ascii"))
    except OSError as err:
        _fail(f"{out}: cannot write the message: {err.strerror}")
    click.echo(f"{out}: MT{kind} written")


REFERENCE = click.option("--reference", help="Field 20, our reference (16x); default the credit number.")
SENDER = click.option("--sender-bic", help="BIC of the sender; default from the MT700.")
RECEIVER = click.option("--receiver-bic", help="BIC of the receiver; default from the MT700.")
OUT_FIN = click.option("--out", "out", type=click.Path(path_type=Path), help="Write the message (CrLf) here.")


@report.command("mt734")
@BUNDLE
@PRESENTED_ON
@RULES
@DECISIONS
@REFERENCE
@click.option("--presenting-bank-reference", default="NONREF", show_default=True, help="Field 21.")
@click.option("--disposal", type=click.Choice(["HOLD", "NOTIFY", "PREVINST", "RETURN"]), default="HOLD",
              show_default=True, help="Field 77B: disposal of the documents, UCP 600 16(c)(iii).")
@click.option("--date", "utilisation_date", callback=date_option, metavar="YYYY-MM-DD",
              help="Field 32A date; default the date of presentation.")
@SENDER
@RECEIVER
@OUT_FIN
def mt734_command(bundle: Path, presented_on: dt.date | None, rule_paths: tuple[Path, ...],
                  decisions_path: Path | None, reference: str | None, presenting_bank_reference: str,
                  disposal: str, utilisation_date: dt.date | None, sender_bic: str | None,
                  receiver_bic: str | None, out: Path | None) -> None:
    """Print the MT734 advice of refusal for a discrepant presentation in BUNDLE."""
    options = {
        "sender_reference": reference, "presenting_bank_reference": presenting_bank_reference,
        "disposal": disposal, "utilisation_date": utilisation_date, "sender_bic": sender_bic,
        "receiver_bic": receiver_bic,
    }
    _advice("734", bundle, presented_on, rule_paths, decisions_path, options, out)


@report.command("mt750")
@BUNDLE
@PRESENTED_ON
@RULES
@DECISIONS
@REFERENCE
@click.option("--related-reference", help="Field 21; default the credit number.")
@SENDER
@RECEIVER
@OUT_FIN
def mt750_command(bundle: Path, presented_on: dt.date | None, rule_paths: tuple[Path, ...],
                  decisions_path: Path | None, reference: str | None, related_reference: str | None,
                  sender_bic: str | None, receiver_bic: str | None, out: Path | None) -> None:
    """Print the MT750 advice of discrepancy for a discrepant presentation in BUNDLE."""
    options = {
        "sender_reference": reference, "related_reference": related_reference,
        "sender_bic": sender_bic, "receiver_bic": receiver_bic,
    }
    _advice("750", bundle, presented_on, rule_paths, decisions_path, options, out)


@report.command("nightly")
@click.option("--date", "day", required=True, callback=date_option, metavar="YYYY-MM-DD",
              help="The day to report (examinations by their UTC examination time).")
@click.option("--input", "input_path", type=click.Path(path_type=Path),
              help="Examination records, one JSON object per line; default: the service's database "
                   "($BLOCKTRADE_DATABASE_URL / $BLOCKTRADE_DATA_DIR).")
@click.option("--organisation", "organization_id", metavar="ID",
              help="With the database: only presentations this bank examines; default all.")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Output folder.")
def nightly(day: dt.date, input_path: Path | None, organization_id: str | None, out_dir: Path) -> None:
    """Write the nightly regulatory report (HTML, PDF, charts, CSV) for --date into --out."""
    from reports.inputs import ReportInputError
    from reports.nightly import nightly_report, read_records_jsonl
    from reports.signing import SignatureError

    try:
        if input_path is None:
            records = _records_from_database(day, organization_id)
        elif organization_id:
            _fail("--organisation selects from the service's database; it cannot filter an --input file")
        else:
            records = read_records_jsonl(input_path)
        result = nightly_report(records, day, out_dir)
    except (ReportInputError, SignatureError) as err:
        _fail(str(err))
    summary = result.summary
    click.echo(
        f"{result.pdf}: {summary.examinations} examination(s) on {day.isoformat()}"
        + (f", {summary.outside_day} record(s) of other days left out" if summary.outside_day else "")
    )


def _records_from_database(day: dt.date, organization_id: str | None) -> list[dict[str, Any]]:
    """The day's examination records from the service's database (api.nightly_job)."""
    from sqlalchemy.exc import SQLAlchemyError

    from api.db.session import Database
    from api.nightly_job import records_for
    from api.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as err:
        _fail(str(err))
    url = settings.database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        _fail(f"no service database at {url.removeprefix('sqlite:///')}: give --input, or set "
              "BLOCKTRADE_DATABASE_URL / BLOCKTRADE_DATA_DIR to the service's")
    database = Database(url)
    try:
        return records_for(database, day, organization_id)
    except SQLAlchemyError as err:
        _fail(f"cannot read the service database {database.engine.url.render_as_string(hide_password=True)}: "
              f"{err.__class__.__name__}: {str(err).splitlines()[0]}")
    finally:
        database.dispose()


COMMANDS: list[click.Command] = [report]
