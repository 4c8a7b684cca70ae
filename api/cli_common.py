"""What every `blocktrade` command shares: exit codes, the error line, date options."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from engine.packs import RuleSet
    from extractors.models import Presentation

# DESIGN.md contract for `check`: 0 compliant, 1 discrepant, 2 hold, 3 input error.
EXIT_INPUT_ERROR = 3
EXIT_INTERNAL_ERROR = 4  # a bug, not bad input


def fail(message: str, code: int = EXIT_INPUT_ERROR) -> NoReturn:
    """Print `error: message` on stderr and exit: never a traceback for bad input."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def date_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    """A click callback for YYYY-MM-DD options."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def load_for_examination(
    bundle: Path, presented_on: dt.date | None, rule_paths: tuple[Path, ...]
) -> tuple[RuleSet, Presentation]:
    """The rule packs and the bundle, as every examining command reads them: a pack that does not
    load or a bundle that cannot be read ends the command with a message naming the place."""
    from engine.packs import PackError, load_packs
    from extractors.bundle import load_bundle
    from extractors.errors import InputError

    try:
        ruleset = load_packs(list(rule_paths) or None)
    except PackError as err:
        fail(f"rule pack does not load:\n{err}")
    try:
        presentation = load_bundle(bundle, presented_on=presented_on)
    except InputError as err:
        fail(str(err))
    except Exception as err:  # a bug, not bad input: say so plainly; BLOCKTRADE_DEBUG keeps the trace
        if os.environ.get("BLOCKTRADE_DEBUG"):
            raise
        fail(f"{bundle}: internal error while reading the bundle: {err!r}", EXIT_INTERNAL_ERROR)
    return ruleset, presentation
