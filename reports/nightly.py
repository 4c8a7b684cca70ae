"""The nightly regulatory report: one day's examinations aggregated with pandas.

The service owns the data: it passes the day's ``ExaminationRecord``s (from its database, or
the CLI from a JSONL file) to ``nightly_report(records, day, out_dir)``, which writes into
``out_dir``: ``nightly-YYYY-MM-DD.html`` and ``.pdf`` (signed) with charts (matplotlib PNGs),
CSV extracts, and ``summary.json``. Records examined on another day are left out and counted.
A day without examinations gives the same files with empty tables and headers-only CSVs.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.findings import Outcome, Severity
from reports.banking_days import (
    UCP600_14B_BANKING_DAYS,
    WEEKENDS_ONLY,
    CalendarCoverageError,
    add_banking_days,
    calendar_for_place,
)
from reports.discrepancy import FONT_STACK, TEMPLATE_DIR, _environment, html_to_pdf
from reports.inputs import Disposition, ReportInputError, validate_entries
from reports.signing import load_or_create_signing_key, sign_bytes
from reports.ucp import article_label, primary_article

TABLE_ROW_LIMIT = 200  # rows printed per table; the CSV extracts hold all of them


class RecordFinding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: str
    severity: Severity
    refs: list[str] = []
    hold: bool = False
    decision: Literal["waive", "confirm"] | None = None


class RecordHit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str
    entry_id: str  # "<SOURCE>:<id>", e.g. OFAC-SDN:12345
    score: float = Field(ge=0, le=1)
    list_version: str = ""
    disposition: Disposition = "pending"


class ExaminationRecord(BaseModel):
    """One examination as the service stores it; what the nightly report aggregates."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    lc_number: str = ""
    place: str | None = None  # place of presentation, for the 14(b) deadline
    presented_on: dt.date | None = None
    received_at: dt.datetime
    examined_at: dt.datetime
    decided_at: dt.datetime | None = None
    outcome: Outcome
    decision: Literal["accept", "refuse"] | None = None  # None: not decided yet
    findings: list[RecordFinding] = []
    screening_hits: list[RecordHit] = []
    list_versions: list[str] = []
    packs: dict[str, str] = {}


def _utc(moment: dt.datetime) -> dt.datetime:
    # A naive timestamp is taken as UTC: the service stores UTC.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def read_records_jsonl(path: Path) -> list[ExaminationRecord]:
    """Records from a JSON-lines file; ReportInputError names the file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ReportInputError(f"{path}: cannot read the records: {err.strerror}") from None
    except UnicodeDecodeError:
        raise ReportInputError(f"{path}: not UTF-8 text") from None
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(ExaminationRecord.model_validate_json(line))
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(record)"
            raise ReportInputError(f"{path}:{number}: field {where}: {first['msg']}") from None
    return records


def _as_records(records: Iterable[ExaminationRecord | Mapping[str, Any]]) -> list[ExaminationRecord]:
    return validate_entries(records, ExaminationRecord, "record")


# --------------------------------------------------------------------------- frames


EXAMINATION_COLUMNS = [
    "id", "lc_number", "place", "presented_on", "received_at", "examined_at", "decided_at", "outcome",
    "decision", "discrepancies", "hours_to_decision", "deadline", "decided_late", "screening_hits",
]
FINDING_COLUMNS = ["examination", "rule", "severity", "article", "refs", "hold", "decision"]
HIT_COLUMNS = ["examination", "query", "entry_id", "source", "score", "list_version", "disposition"]


def _deadline(record: ExaminationRecord) -> dt.date | None:
    presented = record.presented_on or _utc(record.received_at).date()
    calendar = calendar_for_place(record.place) or WEEKENDS_ONLY
    try:
        return add_banking_days(presented, UCP600_14B_BANKING_DAYS, calendar)
    except CalendarCoverageError:  # outside the calendar's years: count weekends only, as the report does
        return add_banking_days(presented, UCP600_14B_BANKING_DAYS, WEEKENDS_ONLY)


def frames(records: list[ExaminationRecord]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Examinations, findings and screening hits as three tables."""
    exams, findings, hits = [], [], []
    deadlines: dict[tuple[str | None, dt.date], dt.date | None] = {}
    for record in records:
        key = (record.place, record.presented_on or _utc(record.received_at).date())
        if key not in deadlines:
            deadlines[key] = _deadline(record)
        deadline = deadlines[key]
        decided = _utc(record.decided_at) if record.decided_at else None
        exams.append(
            {
                "id": record.id,
                "lc_number": record.lc_number,
                "place": record.place or "",
                "presented_on": key[1].isoformat(),
                "received_at": _utc(record.received_at),
                "examined_at": _utc(record.examined_at),
                "decided_at": decided,
                "outcome": record.outcome,
                "decision": record.decision or "pending",
                "discrepancies": sum(1 for f in record.findings if f.severity == "discrepancy"),
                "hours_to_decision": (decided - _utc(record.received_at)).total_seconds() / 3600 if decided else math.nan,
                "deadline": deadline.isoformat() if deadline else "",
                "decided_late": bool(decided and deadline and decided.date() > deadline),
                "screening_hits": len(record.screening_hits),
            }
        )
        for finding in record.findings:
            findings.append(
                {
                    "examination": record.id,
                    "rule": finding.rule,
                    "severity": finding.severity,
                    "article": primary_article(finding.refs) or "",
                    "refs": "; ".join(finding.refs),
                    "hold": finding.hold,
                    "decision": finding.decision or "",
                }
            )
        for hit in record.screening_hits:
            hits.append(
                {
                    "examination": record.id,
                    "query": hit.query,
                    "entry_id": hit.entry_id,
                    "source": hit.entry_id.split(":", 1)[0],
                    "score": hit.score,
                    "list_version": hit.list_version,
                    "disposition": hit.disposition,
                }
            )
    return (
        pd.DataFrame(exams, columns=EXAMINATION_COLUMNS),
        pd.DataFrame(findings, columns=FINDING_COLUMNS),
        pd.DataFrame(hits, columns=HIT_COLUMNS),
    )


# --------------------------------------------------------------------------- aggregates


@dataclass
class NightlySummary:
    day: dt.date
    examinations: int
    outside_day: int
    outcomes: dict[str, int]
    decisions: dict[str, int]
    discrepancies_by_article: list[dict[str, Any]]
    other_discrepancies: list[dict[str, Any]]  # findings citing no UCP 600 article, by rule
    time_to_decision_hours: dict[str, float | None]
    decided_late: int
    hits_by_disposition: dict[str, int]
    hits_by_source: dict[str, int]
    holds: list[dict[str, Any]]
    list_versions: list[dict[str, Any]]
    packs: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        out = self.__dict__.copy()
        out["day"] = self.day.isoformat()
        return out


def summarise(day: dt.date, exams: pd.DataFrame, findings: pd.DataFrame, hits: pd.DataFrame,
              records: list[ExaminationRecord], outside_day: int) -> NightlySummary:
    outcomes = {o: int((exams["outcome"] == o).sum()) for o in ("compliant", "discrepant", "hold")}
    decisions = {d: int((exams["decision"] == d).sum()) for d in ("accept", "refuse", "pending")}

    discrepant = findings[findings["severity"] == "discrepancy"]
    by_article = (
        discrepant[discrepant["article"] != ""]
        .groupby("article")
        .agg(findings=("rule", "size"), examinations=("examination", "nunique"))
        .reset_index()
    )
    by_article["order"] = by_article["article"].astype(int)
    by_article = by_article.sort_values("order")
    article_rows = [
        {"article": r.article, "label": article_label(r.article), "findings": int(r.findings),
         "examinations": int(r.examinations)}
        for r in by_article.itertuples()
    ]
    other = discrepant[discrepant["article"] == ""].groupby("rule").size().sort_values(ascending=False)
    other_rows = [{"rule": rule, "findings": int(n)} for rule, n in other.items()]

    hours = exams["hours_to_decision"].dropna()
    timing: dict[str, float | None] = {
        "decided": int(hours.size),
        "median": round(float(hours.median()), 2) if hours.size else None,
        "p90": round(float(hours.quantile(0.9)), 2) if hours.size else None,
        "max": round(float(hours.max()), 2) if hours.size else None,
    }

    held = exams[exams["outcome"] == "hold"]
    hold_rows = [
        {"id": r.id, "lc_number": r.lc_number, "examined_at": r.examined_at.isoformat(timespec="minutes"),
         "decision": r.decision}
        for r in held.itertuples()
    ]

    version_counts: dict[str, int] = {}
    pack_counts: dict[str, int] = {}
    for record in records:
        for label in record.list_versions:
            version_counts[label] = version_counts.get(label, 0) + 1
        for pack, version in record.packs.items():
            name = f"{pack} {version}"
            pack_counts[name] = pack_counts.get(name, 0) + 1
    return NightlySummary(
        day=day,
        examinations=len(exams),
        outside_day=outside_day,
        outcomes=outcomes,
        decisions=decisions,
        discrepancies_by_article=article_rows,
        other_discrepancies=other_rows,
        time_to_decision_hours=timing,
        decided_late=int(exams["decided_late"].sum()),
        hits_by_disposition={d: int((hits["disposition"] == d).sum()) for d in ("true_positive", "false_positive", "pending")},
        hits_by_source={str(k): int(v) for k, v in hits.groupby("source").size().items()},
        holds=hold_rows,
        list_versions=[{"version": k, "examinations": v} for k, v in sorted(version_counts.items())],
        packs=[{"pack": k, "examinations": v} for k, v in sorted(pack_counts.items())],
    )


# --------------------------------------------------------------------------- charts


def _charts(summary: NightlySummary, exams: pd.DataFrame, out_dir: Path) -> dict[str, str]:
    """PNG charts by name (file names relative to out_dir); none on a day without data."""
    if summary.examinations == 0:
        return {}
    import matplotlib

    matplotlib.use("Agg")  # no display on a server; must precede pyplot
    import matplotlib.pyplot as plt

    charts: dict[str, str] = {}

    def save(figure: Any, name: str) -> None:
        figure.tight_layout()
        path = out_dir / f"chart-{name}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        charts[name] = path.name

    figure, axis = plt.subplots(figsize=(5.2, 2.6))
    names = list(summary.outcomes)
    axis.bar(names, [summary.outcomes[n] for n in names], color=["#2e7d32", "#b26a00", "#b71c1c"])
    axis.set_title("Outcomes")
    axis.set_ylabel("examinations")
    save(figure, "outcomes")

    if summary.discrepancies_by_article:
        figure, axis = plt.subplots(figsize=(6.5, 3.0))
        labels = [f"Art. {r['article']}" for r in summary.discrepancies_by_article]
        axis.bar(labels, [r["findings"] for r in summary.discrepancies_by_article], color="#b26a00")
        axis.set_title("Discrepancies by UCP 600 article")
        axis.set_ylabel("findings")
        axis.tick_params(axis="x", labelrotation=45)
        save(figure, "articles")

    hours = exams["hours_to_decision"].dropna()
    if hours.size:
        figure, axis = plt.subplots(figsize=(6.5, 2.8))
        axis.hist(hours, bins=min(30, max(5, int(math.sqrt(hours.size)))), color="#37474f")
        axis.set_title("Time from receipt to decision")
        axis.set_xlabel("hours")
        axis.set_ylabel("examinations")
        save(figure, "time-to-decision")

    if sum(summary.hits_by_disposition.values()):
        figure, axis = plt.subplots(figsize=(5.2, 2.6))
        names = list(summary.hits_by_disposition)
        axis.bar([n.replace("_", " ") for n in names], [summary.hits_by_disposition[n] for n in names],
                 color=["#b71c1c", "#2e7d32", "#9e9e9e"])
        axis.set_title("Sanctions hits by disposition")
        axis.set_ylabel("hits")
        save(figure, "hits")
    return charts


# --------------------------------------------------------------------------- the report


@dataclass
class NightlyResult:
    summary: NightlySummary
    html: Path
    pdf: Path
    csv: dict[str, Path] = field(default_factory=dict)
    charts: dict[str, Path] = field(default_factory=dict)
    summary_json: Path | None = None


def nightly_report(
    records: Iterable[ExaminationRecord | Mapping[str, Any]],
    day: dt.date,
    out_dir: Path,
    *,
    key: Ed25519PrivateKey | None = None,
    generated_at: dt.datetime | None = None,
) -> NightlyResult:
    """Aggregate the examinations of ``day`` (by examined_at, UTC) and write the report files."""
    all_records = _as_records(records)
    todays = [r for r in all_records if _utc(r.examined_at).date() == day]
    exams, findings, hits = frames(todays)
    summary = summarise(day, exams, findings, hits, todays, len(all_records) - len(todays))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ReportInputError(f"{out_dir}: cannot create the output folder: {err.strerror}") from None

    stem = f"nightly-{day.isoformat()}"
    csv_paths = {
        "examinations": out_dir / f"{stem}-examinations.csv",
        "findings": out_dir / f"{stem}-findings.csv",
        "discrepancies_by_article": out_dir / f"{stem}-discrepancies-by-article.csv",
        "screening_hits": out_dir / f"{stem}-screening-hits.csv",
        "list_versions": out_dir / f"{stem}-list-versions.csv",
    }
    exams.to_csv(csv_paths["examinations"], index=False, date_format="%Y-%m-%dT%H:%M:%S%z")
    findings.to_csv(csv_paths["findings"], index=False)
    pd.DataFrame(summary.discrepancies_by_article, columns=["article", "label", "findings", "examinations"]).to_csv(
        csv_paths["discrepancies_by_article"], index=False
    )
    hits.to_csv(csv_paths["screening_hits"], index=False)
    pd.DataFrame(summary.list_versions, columns=["version", "examinations"]).to_csv(csv_paths["list_versions"], index=False)

    charts = _charts(summary, exams, out_dir)
    generated = generated_at or dt.datetime.now(dt.UTC)
    context = {
        "summary": summary,
        "day": day.isoformat(),
        "charts": charts,
        "limit": TABLE_ROW_LIMIT,
        "csv": {k: p.name for k, p in csv_paths.items()},
        "generated_at": generated.isoformat(timespec="seconds"),
        "font_stack": FONT_STACK,
        "css": (TEMPLATE_DIR / "report.css").read_text(encoding="utf-8"),
    }
    html = _environment().get_template("nightly.html.j2").render(**context)
    signing_key = key or load_or_create_signing_key()
    html_path, pdf_path = out_dir / f"{stem}.html", out_dir / f"{stem}.pdf"
    # Charts are files beside the HTML; WeasyPrint resolves them against out_dir.
    pdf = html_to_pdf(html, base_url=str(out_dir.resolve()) + "/")
    html_path.write_bytes(sign_bytes(html.encode("utf-8"), "html", signing_key))
    pdf_path.write_bytes(sign_bytes(pdf, "pdf", signing_key))
    summary_path = out_dir / f"{stem}-summary.json"
    summary_path.write_text(json.dumps(summary.as_json(), indent=2, ensure_ascii=False), encoding="utf-8")
    return NightlyResult(
        summary=summary,
        html=html_path,
        pdf=pdf_path,
        csv=csv_paths,
        charts={name: out_dir / file for name, file in charts.items()},
        summary_json=summary_path,
    )
