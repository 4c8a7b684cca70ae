"""Findings and the examination report: the output contract of `blocktrade check --json`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from extractors.models import FileInfo

Severity = Literal["discrepancy", "warning", "info"]
Outcome = Literal["compliant", "discrepant", "hold"]


class Evidence(BaseModel):
    """One value a rule compared, and where it sits (file, page, box; or line of the MT700)."""

    model_config = ConfigDict(extra="forbid")

    document: str  # a document type, "letter_of_credit" or "presentation"
    field: str  # the fact path without the variable, e.g. "port_of_loading"
    value: Any = None  # JSON-friendly rendering of the value compared
    file: str | None = None
    page: int | None = None
    line: int | None = None
    bbox: list[float] | None = None
    raw: str | None = None
    extractor: str | None = None
    confidence: float | None = None


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: str
    severity: Severity
    refs: list[str]
    documents: list[str]
    message: str
    evidence: list[Evidence] = []
    title: str = ""
    pack: str = ""
    hold: bool = False  # a sanctions/AML stop: makes the outcome "hold", no waiver cures it


class ScreeningSummary(BaseModel):
    """What sanctions screening did for this examination: every name screened, every hit, and the
    list versions used (a screening result always names its list versions)."""

    model_config = ConfigDict(extra="forbid")

    available: bool
    reason: str = ""  # why screening did not run, when it did not
    list_versions: list[str] = []
    screened: list[dict[str, Any]] = []  # {role, document, field, query, type, hits}
    hits: list[dict[str, Any]] = []  # {role, query, entry_id, entry_name, score, programs, list_version, ...}


class Report(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    documents: list[FileInfo]
    findings: list[Finding]
    packs: dict[str, str] = {}  # pack id -> version used
    lc_number: str | None = None
    presented_on: str | None = None
    screening: ScreeningSummary | None = None  # None when no loaded pack screens

    def contract_json(self) -> dict[str, Any]:
        """The object `check --json` prints (DESIGN.md contract plus a few extra keys)."""
        return self.model_dump(mode="json")


def outcome_of(findings: list[Finding]) -> Outcome:
    if any(f.hold for f in findings):
        return "hold"
    if any(f.severity == "discrepancy" for f in findings):
        return "discrepant"
    return "compliant"
