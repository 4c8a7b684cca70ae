"""One way to examine a presentation, shared by `blocktrade check`, the report commands and the
service's jobs, so all three give the same report for the same bundle.

Screening is part of the examination whenever a loaded pack screens (rules/aml/): the screener
reads the active sanctions list versions (or the bundled sample list), and reviewer decisions
on earlier hits are read fresh each time. A broken list store gives no screener, and the engine
then holds the presentation (fail closed) with a finding that says why.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from engine.evaluate import examine
from engine.findings import Report
from engine.packs import RuleSet
from engine.screening.decisions import DecisionStore
from engine.screening.importers import ListFormatError
from engine.screening.match import Screener
from engine.screening.store import ListStore, StoreError, default_data_dir
from extractors.models import Presentation


def warn_on_stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def build_screener(ruleset: RuleSet, warn: Callable[[str], None] = warn_on_stderr) -> Screener | None:
    """The screener for packs that screen; None when no pack screens or the lists cannot be read."""
    screener, error = try_screener(ruleset)
    if error:
        warn(f"sanctions screening unavailable: {error}")
    return screener


def try_screener(ruleset: RuleSet) -> tuple[Screener | None, str | None]:
    """The screener, or None and the reason it cannot be built (a damaged list store)."""
    if ruleset.screening is None:
        return None, None
    try:
        return Screener(ListStore()), None
    except (StoreError, ListFormatError, OSError) as err:
        return None, f"the sanctions list store cannot be read: {err}"


def decision_store(ruleset: RuleSet) -> DecisionStore | None:
    """Reviewer decisions on screening hits; queries are recorded only where a data dir exists."""
    if ruleset.screening is None:
        return None
    return DecisionStore(record_queries=default_data_dir().is_dir())


def examine_presentation(
    presentation: Presentation, ruleset: RuleSet, screener: Screener | None = None
) -> Report:
    """Examine with screening set up as everywhere else. Pass a screener to reuse one (it holds the
    list index); without one it is built here."""
    error = None
    if screener is None:
        screener, error = try_screener(ruleset)
        if error:
            warn_on_stderr(f"sanctions screening unavailable: {error}")
    return examine(presentation, ruleset, screener, decisions=decision_store(ruleset), screener_error=error)
