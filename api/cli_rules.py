"""`blocktrade rules ...`: lint, test and explain rule packs (the lead adds the group to api.cli.main)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from api.cli_common import date_option


@click.group()
def rules() -> None:
    """Check, test and explain rule packs."""


@rules.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def lint(paths: tuple[Path, ...]) -> None:
    """Validate rule packs (schema, CEL, fact paths, functions, test cases); print file:line errors."""
    from engine.packs import PackError, load_packs

    try:
        ruleset = load_packs(list(paths) or None)
    except PackError as err:
        for file, line, message in err.errors:
            click.echo(f"{file}:{line}: {message}")
        click.echo(f"{len(err.errors)} error(s)", err=True)
        sys.exit(1)
    click.echo(f"ok: {len(ruleset.packs)} pack(s), {len(ruleset.rules)} rule(s)")


@rules.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def test(paths: tuple[Path, ...]) -> None:
    """Run every rule's test cases; per-rule pass/fail and a summary. Exit 1 on any failure."""
    from engine.packs import PackError, load_packs
    from engine.rule_tests import run_rule_tests

    try:
        ruleset = load_packs(list(paths) or None, run_tests=False)
    except PackError as err:
        for file, line, message in err.errors:
            click.echo(f"{file}:{line}: {message}")
        sys.exit(1)
    results = run_rule_tests(ruleset)
    failed = todo_open = 0
    by_rule: dict[str, list] = {}
    for result in results:
        by_rule.setdefault(result.rule, []).append(result)
    for rule in ruleset.rules:
        cases = by_rule.get(rule.id, [])
        bad = [r for r in cases if not r.passed and not r.todo]
        state = "FAIL" if bad else ("ok  " if cases else "none")
        click.echo(f"{state} {rule.id} ({len(cases)} case(s))")
        for case in cases:
            if case.passed and case.todo:
                click.echo(f"     todo now passes: {case.name!r} ({case.file}:{case.line}): drop `todo`")
            elif not case.passed and case.todo:
                todo_open += 1
                click.echo(f"     todo: {case.name!r}: {case.detail}")
            elif not case.passed:
                failed += 1
                click.echo(f"     {case.file}:{case.line}: {case.name!r}: {case.detail}")
    passed = sum(1 for r in results if r.passed)
    click.echo(f"{len(results)} case(s): {passed} passed, {failed} failed, {todo_open} todo")
    sys.exit(1 if failed else 0)


@rules.command()
@click.argument("bundle", type=click.Path(path_type=Path))
@click.argument("rule_id")
@click.option("--presented-on", callback=date_option, metavar="YYYY-MM-DD", help="Date of presentation.")
@click.option("--rules", "rule_paths", multiple=True, type=click.Path(path_type=Path), help="Rule pack folder(s).")
def explain(bundle: Path, rule_id: str, presented_on: dt.date | None, rule_paths: tuple[Path, ...]) -> None:
    """Show why RULE_ID fires or not on the presentation in BUNDLE."""
    from engine.explain import explain as explain_rule
    from engine.packs import PackError, load_packs
    from extractors.bundle import load_bundle
    from extractors.errors import InputError

    try:
        ruleset = load_packs(list(rule_paths) or None)
    except PackError as err:
        click.echo(f"error: rule pack does not load:\n{err}", err=True)
        sys.exit(3)
    try:
        ruleset.rule(rule_id)
    except KeyError as err:
        click.echo(f"error: {err.args[0]}", err=True)
        sys.exit(3)
    try:
        presentation = load_bundle(bundle, presented_on=presented_on)
    except InputError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(3)
    except Exception as err:
        if os.environ.get("BLOCKTRADE_DEBUG"):
            raise
        click.echo(f"error: {bundle}: internal error while reading the bundle: {err!r}", err=True)
        sys.exit(4)
    click.echo(explain_rule(presentation, ruleset, rule_id), nl=False)
