"""The screening commands: ``screen`` and the ``sanctions`` group (import, update, list).

The lead wires them into ``api/cli.py``::

    from api.cli_screen import sanctions, screen
    main.add_command(screen)
    main.add_command(sanctions)

``screen --batch FILE.jsonl`` follows DESIGN.md exactly: one JSON object per input line, in
order. Search mode ``{"id", "query", "type"}`` -> ``{"id", "matches": [...], "list_versions"}``;
pair mode ``{"id", "query", "candidate", "type"}`` -> ``{"id", "score", "match"}``. A line that
cannot be screened gives ``{"id", "error"}`` on its output line and the command exits 3 at the end.
"""

from __future__ import annotations

import json
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any, TextIO

import click

from api.cli_common import EXIT_INPUT_ERROR
from api.cli_common import fail as _fail
from engine.screening.importers import IMPORTERS, ListFormatError
from engine.screening.match import MatchConfig, Screener
from engine.screening.model import QUERY_TYPES
from engine.screening.normalize import NameError_
from engine.screening.store import ListStore, StoreError

DOWNLOAD_TIMEOUT_S = 120




def _screener(threshold: float | None) -> Screener:
    config = MatchConfig() if threshold is None else MatchConfig(threshold=threshold)
    try:
        return Screener(ListStore(), config=config)
    except (StoreError, ListFormatError) as err:
        _fail(str(err))


def _batch_line(screener: Screener, raw: str, number: int, limit: int) -> dict[str, Any]:
    """The output object for one input line (never raises for bad input)."""
    try:
        query = json.loads(raw)
    except json.JSONDecodeError as err:
        return {"id": None, "error": f"line {number}: not JSON ({err.msg} at column {err.colno})"}
    if not isinstance(query, dict):
        return {"id": None, "error": f"line {number}: expected a JSON object"}
    query_id = query.get("id")
    unknown = set(query) - {"id", "query", "candidate", "type", "countries", "identifiers", "limit"}
    if unknown:
        return {"id": query_id, "error": f"line {number}: unknown field(s) {', '.join(sorted(unknown))}"}
    try:
        if "query" not in query:
            raise NameError_("missing field 'query'")
        if "candidate" in query:
            result = screener.pair(query["query"], query["candidate"], type=query.get("type"))
            return {"id": query_id, "score": round(result.score, 4), "match": result.match}
        countries = query.get("countries") or []
        if not isinstance(countries, list):
            raise NameError_("'countries' must be a list of strings")
        matches = screener.screen(query["query"], type=query.get("type"), countries=countries,
                                  identifiers=query.get("identifiers"), limit=int(query.get("limit", limit)))
        return {"id": query_id, "matches": [m.as_json() for m in matches],
                "list_versions": [v.version_id for v in screener.versions]}
    except (NameError_, ValueError, TypeError) as err:
        return {"id": query_id, "error": f"line {number}: {err}"}


def run_batch(screener: Screener, lines: TextIO, out: TextIO, limit: int) -> int:
    """Screen every line of ``lines``; returns how many lines were in error."""
    errors = 0
    for number, raw in enumerate(lines, 1):
        result = _batch_line(screener, raw.strip(), number, limit) if raw.strip() else {
            "id": None, "error": f"line {number}: empty line"}
        errors += "error" in result
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    out.flush()
    return errors


@click.command()
@click.argument("name", required=False)
@click.option("--type", "entity_type", type=click.Choice(sorted(QUERY_TYPES)), help="What NAME is.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), help="Lowest score reported (default 0.80).")
@click.option("--country", "countries", multiple=True, help="A country of the party (repeatable).")
@click.option("--identifier", "identifiers", multiple=True, metavar="'KIND VALUE'",
              help="An identifier, e.g. 'IMO 9187629', 'BIC DEUTDEFF' (repeatable).")
@click.option("--batch", type=click.Path(dir_okay=False, path_type=Path),
              help="Screen every line of a JSON Lines file ('-' for stdin); see DESIGN.md.")
@click.option("--json", "as_json", is_flag=True, help="Print the matches as JSON.")
def screen(name: str | None, entity_type: str | None, limit: int, threshold: float | None,
           countries: tuple[str, ...], identifiers: tuple[str, ...], batch: Path | None, as_json: bool) -> None:
    """Screen NAME against the active sanctions lists (the bundled sample if none is imported)."""
    if batch is not None:
        if name:
            _fail("give either NAME or --batch, not both")
        screener = _screener(threshold)
        if str(batch) == "-":
            errors = run_batch(screener, sys.stdin, sys.stdout, limit)
        else:
            try:
                handle = batch.open(encoding="utf-8")
            except OSError as err:
                _fail(f"{batch}: cannot be read ({err.strerror})")
            with handle:
                try:
                    errors = run_batch(screener, handle, sys.stdout, limit)
                except UnicodeDecodeError:
                    _fail(f"{batch}: not UTF-8 text")
        sys.exit(EXIT_INPUT_ERROR if errors else 0)
    if not name and not identifiers:
        _fail("give a NAME to screen (or --identifier, or --batch FILE)")
    screener = _screener(threshold)
    try:
        matches = screener.screen(name, type=entity_type, countries=countries, identifiers=identifiers, limit=limit)
    except NameError_ as err:
        _fail(str(err))
    versions = [v.version_id for v in screener.versions]
    if as_json:
        click.echo(json.dumps({"query": name, "matches": [m.as_json() for m in matches], "list_versions": versions},
                              indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Screening {name or ''} {' '.join(identifiers)}".strip(), show_lines=True)
    table.add_column("score", no_wrap=True)
    table.add_column("id", no_wrap=True)  # ids are looked up verbatim: never fold them
    for column in ("type", "listed name", "matched name", "programs", "why"):
        table.add_column(column, overflow="fold")
    for match in matches:
        table.add_row(f"{match.score:.2f}", match.id, match.entity.type, match.entity.primary_name,
                      match.matched_name, ", ".join(match.entity.programs), match.explanation())
    console = Console()
    console.print(table)
    if not matches:
        console.print(f"No match at or above {screener.config.threshold:.2f}.")
    console.print(f"Lists: {', '.join(v.label for v in screener.versions)}")


@click.group()
def sanctions() -> None:
    """Import, update and list the sanctions list versions."""


@sanctions.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--source", help="Source name for the ids (default: the format's, e.g. OFAC-SDN).")
@click.option("--format", "list_format", type=click.Choice(sorted(IMPORTERS)), help="Skip format detection.")
@click.option("--published", metavar="YYYY-MM-DD", help="Publication date, for files that carry none (OFAC CSV).")
def import_command(paths: tuple[Path, ...], source: str | None, list_format: str | None, published: str | None) -> None:
    """Import local list files (one list's file set) as a new version and make it active.

    A file that does not parse completely is refused; the previous version stays active."""
    store = ListStore()
    try:
        version = store.import_files(list(paths), format=list_format, source=source, publication_date=published)
    except ListFormatError as err:
        _fail(f"{err}\nnothing imported; the active version of this list is unchanged")
    except StoreError as err:
        _fail(str(err))
    counts = ", ".join(f"{k} {v}" for k, v in version.counts.items() if v)
    click.echo(f"imported {version.version_id} ({version.format}): {counts}; now active for {version.source}")
    rescreen_after_change(store)


@sanctions.command("update")
@click.option("--only", "only", multiple=True, help="Update only these sources (repeatable).")
def update_command(only: tuple[str, ...]) -> None:
    """Download every list named in sanctions_data/manifest.yaml and import it (needs internet)."""
    from engine.screening.manifest import ManifestError, load_manifest

    try:
        manifest = load_manifest()
    except ManifestError as err:
        _fail(str(err))
    store = ListStore()
    failures = imported = 0
    for entry in manifest.lists:
        if only and entry.source not in only:
            continue
        with tempfile.TemporaryDirectory(prefix="blocktrade-list-") as folder:
            try:
                paths = []
                for url in entry.files:
                    # keep the publisher's file name: the OFAC importers know their files by name
                    target = Path(folder) / url.rsplit("/", 1)[-1].split("?", 1)[0].lower()
                    if entry.format == "eu-xml":
                        target = target.with_name("eu-consolidated.xml")
                    request = urllib.request.Request(url, headers={"User-Agent": "blocktrade-sanctions-update"})
                    with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as response:
                        target.write_bytes(response.read())
                    paths.append(target)
                version = store.import_files(paths, format=entry.format, source=entry.source)
                click.echo(f"{entry.source}: imported {version.version_id} ({version.counts['entities']} entries)")
                imported += 1
            except (OSError, ListFormatError, StoreError) as err:
                failures += 1
                click.echo(f"error: {entry.source}: {err}; the active version is unchanged", err=True)
    if imported:
        rescreen_after_change(store)
    sys.exit(EXIT_INPUT_ERROR if failures else 0)


def rescreen_after_change(store: ListStore) -> None:
    """A list version changed: screen again every name screened before (remembered by earlier
    examinations) and say which now hit, which no longer do, and which decisions went stale."""
    from engine.screening.decisions import DecisionStore

    decisions = DecisionStore(store.root.parent)
    results = [r for r in decisions.rescreen(Screener(store)) if r.new_hits or r.gone_hits or r.stale_decisions]
    if not results:
        click.echo("re-screened earlier names: no change in their hits")
        return
    for r in results:
        parts = []
        if r.new_hits:
            parts.append(f"new hits {', '.join(r.new_hits)} (review them)")
        if r.gone_hits:
            parts.append(f"no longer hit {', '.join(r.gone_hits)}")
        if r.stale_decisions:
            parts.append(f"decisions to take again {', '.join(r.stale_decisions)} (the listed entry changed)")
        click.echo(f"re-screened {r.query!r}: " + "; ".join(parts))


@sanctions.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_command(as_json: bool) -> None:
    """Show the stored list versions and which one is active per source."""
    store = ListStore()
    try:
        versions = store.versions()
        active = {v.version_id for v in store.active_versions()}
    except StoreError as err:
        _fail(str(err))
    if as_json:
        click.echo(json.dumps([{**v.model_dump(), "active": v.version_id in active} for v in versions], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Sanctions list versions in {store.root}")
    for column in ("active", "source", "published", "version", "format", "entries", "imported"):
        table.add_column(column)
    for v in versions:
        table.add_row("*" if v.version_id in active else "", v.source, v.publication_date or "—", v.version_id,
                      v.format, str(v.counts.get("entities", 0)), v.imported_at)
    Console().print(table)
    if not versions:
        Console().print("No list imported: screening uses the bundled sample list (sanctions_data/sample).")
