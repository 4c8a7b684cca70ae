"""What every `blocktrade` command shares: exit codes, the error line, date options."""

from __future__ import annotations

import datetime as dt
import sys
from typing import NoReturn

import click

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
