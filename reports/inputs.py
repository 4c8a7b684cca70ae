"""What a report needs besides the examination: reviewer decisions and screening results.

The service stores both; the renderers take them as plain lists of these models (or of
dicts with the same keys, validated here, so a malformed entry names its index and field).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.findings import Finding, Report


class ReportInputError(Exception):
    """Input a report cannot be built from; the message says which entry and why."""


class ReviewerDecision(BaseModel):
    """An examiner's decision on one finding: waive it or confirm it as a discrepancy."""

    model_config = ConfigDict(extra="forbid")

    rule: str = Field(min_length=1)
    action: Literal["waive", "confirm"]
    reason: str = Field(min_length=1)  # a decision without a reason cannot be audited
    who: str = Field(min_length=1)
    when: dt.datetime
    file: str | None = None  # picks one finding when a rule fired on several documents


Disposition = Literal["pending", "true_positive", "false_positive"]


class ScreeningHit(BaseModel):
    """One listed entry that matched a screened name (engine.screening Match.as_json keys)."""

    # The matcher adds explanation details we do not print; extra keys are ignored, the
    # keys we print are still type-checked.
    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    score: float
    list_version: str = ""
    programs: list[str] = []
    matched_name: str | None = None
    disposition: Disposition = "pending"
    decided_by: str | None = None
    reason: str | None = None


class ScreeningResult(BaseModel):
    """One screened party, vessel, port or country and what it matched."""

    model_config = ConfigDict(extra="forbid")

    query: str
    role: str = ""  # beneficiary, applicant, vessel, port_of_loading, ...
    type: str = ""  # person | entity | vessel | ...
    matches: list[ScreeningHit] = []
    list_versions: list[str] = []  # labels of the list versions the query was screened against


M = TypeVar("M", bound=BaseModel)


def validate_entries(entries: Iterable[M | Mapping[str, Any]] | None, model: type[M], what: str) -> list[M]:
    """Models from models or dicts; ReportInputError names the entry and the field."""
    if entries is None:
        return []
    out: list[M] = []
    for index, entry in enumerate(entries, start=1):
        if isinstance(entry, model):
            out.append(entry)
            continue
        try:
            out.append(model.model_validate(entry))
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(entry)"
            raise ReportInputError(f"{what} {index}: field {field}: {first['msg']}") from None
    return out


def finding_file(finding: Finding) -> str | None:
    """The presented document a finding is about (its first evidence with a file), if any."""
    return next((ev.file for ev in finding.evidence if ev.file and ev.document != "letter_of_credit"), None)


def decisions_by_finding(report: Report, decisions: list[ReviewerDecision]) -> dict[int, ReviewerDecision]:
    """The decision in force for each finding (by index in report.findings): the latest one.

    A decision that matches no finding, or a waiver of a sanctions hold (no waiver cures a
    hold, DESIGN.md), is an error rather than something to print and ignore.
    """
    in_force: dict[int, ReviewerDecision] = {}
    for number, decision in enumerate(decisions, start=1):
        targets = [
            i
            for i, finding in enumerate(report.findings)
            if finding.rule == decision.rule and (decision.file is None or finding_file(finding) == decision.file)
        ]
        if not targets:
            where = f" on {decision.file}" if decision.file else ""
            raise ReportInputError(f"decision {number}: no finding of rule {decision.rule}{where} in this report")
        for index in targets:
            finding = report.findings[index]
            if decision.action == "waive" and finding.hold:
                raise ReportInputError(
                    f"decision {number}: {decision.rule} is a sanctions/AML hold; a waiver cannot cure it"
                )
            current = in_force.get(index)
            if current is None or decision.when >= current.when:
                in_force[index] = decision
    return in_force
