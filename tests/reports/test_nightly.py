"""The nightly regulatory report over synthetic records, an empty day, and bad input."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pdfplumber
import pytest

from reports.inputs import ReportInputError
from reports.nightly import nightly_report, read_records_jsonl
from reports.signing import verify_report

from .synthetic import synthetic_records

DAY = dt.date(2026, 6, 10)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_aggregates_match_the_records(tmp_path, signing_dir):
    records = synthetic_records(300, DAY, seed=3)
    other_day = synthetic_records(7, DAY - dt.timedelta(days=1), seed=4)
    result = nightly_report(records + other_day, DAY, tmp_path / "out")
    summary = result.summary

    assert summary.examinations == 300 and summary.outside_day == 7
    assert summary.outcomes == {o: sum(r.outcome == o for r in records) for o in ("compliant", "discrepant", "hold")}
    assert summary.decisions["pending"] == sum(r.decision is None for r in records)

    # Discrepancies by UCP article: the first UCP 600 ref of each discrepancy finding.
    expected = Counter()
    for record in records:
        for finding in record.findings:
            if finding.severity == "discrepancy" and finding.refs and finding.refs[0].startswith("UCP600"):
                expected[finding.refs[0].split()[1].split("(")[0]] += 1
    assert {row["article"]: row["findings"] for row in summary.discrepancies_by_article} == dict(expected)
    assert [row["article"] for row in summary.discrepancies_by_article] == sorted(expected, key=int)
    other = {row["rule"] for row in summary.other_discrepancies}
    assert "house.beneficiary-certificate" in other or "aml.sanctions.listed-party" in other

    decided_hours = sorted((r.decided_at - r.received_at).total_seconds() / 3600 for r in records if r.decided_at)
    assert summary.time_to_decision_hours["decided"] == len(decided_hours)
    assert summary.time_to_decision_hours["max"] == round(decided_hours[-1], 2)

    hits = [h for r in records for h in r.screening_hits]
    assert summary.hits_by_disposition == {d: sum(h.disposition == d for h in hits)
                                           for d in ("true_positive", "false_positive", "pending")}
    assert [h["id"] for h in summary.holds] == [r.id for r in records if r.outcome == "hold"]
    assert {v["version"] for v in summary.list_versions} == {"OFAC-SDN 2024-05-03 (sha256 1a2b3c4d)",
                                                             "UN 2026-02-10 (sha256 9f8e7d6c)"}

    # Files: signed HTML and PDF, charts, CSV extracts consistent with the summary.
    assert verify_report(result.pdf).valid and verify_report(result.html).valid
    assert set(result.charts) == {"outcomes", "articles", "time-to-decision", "hits"}
    assert all(p.stat().st_size > 1000 for p in result.charts.values())
    exams = _rows(result.csv["examinations"])
    assert len(exams) == 300 and {e["id"] for e in exams} == {r.id for r in records}
    assert sum(int(r["findings"]) for r in _rows(result.csv["discrepancies_by_article"])) == sum(expected.values())
    assert len(_rows(result.csv["screening_hits"])) == len(hits)
    with pdfplumber.open(result.pdf) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        assert sum(len(page.images) for page in pdf.pages) >= 4
    assert "Nightly regulatory report" in text and "Art. 18 Commercial Invoice" in text
    assert json.loads(result.summary_json.read_text())["examinations"] == 300


def test_decided_after_the_14b_deadline_is_counted(tmp_path, signing_dir):
    # Received Thursday 2026-04-02 in London: Good Friday and Easter Monday are holidays, so the
    # deadline is Monday 2026-04-13. A decision on the 13th is in time; on the 14th it is late.
    base = {"outcome": "discrepant", "place": "LONDON", "presented_on": "2026-04-02",
            "received_at": "2026-04-02T09:00:00Z", "examined_at": "2026-04-02T10:00:00Z"}
    records = [
        {**base, "id": "in-time", "decided_at": "2026-04-13T16:00:00Z", "decision": "refuse"},
        {**base, "id": "late", "decided_at": "2026-04-14T09:00:00Z", "decision": "refuse"},
    ]
    result = nightly_report(records, dt.date(2026, 4, 2), tmp_path)
    assert result.summary.decided_late == 1
    late = {row["id"]: row["decided_late"] for row in _rows(result.csv["examinations"])}
    assert late == {"in-time": "False", "late": "True"}


def test_empty_day_gives_a_sensible_empty_report(tmp_path, signing_dir):
    result = nightly_report([], DAY, tmp_path)
    assert result.summary.examinations == 0
    assert result.charts == {}
    for path in result.csv.values():
        assert path.read_text().strip(), "a header row"
        assert _rows(path) == []
    assert verify_report(result.pdf).valid
    with pdfplumber.open(result.pdf) as pdf:
        text = pdf.pages[0].extract_text()
    assert "No examinations on 2026-06-10" in text
    assert result.summary.time_to_decision_hours["median"] is None


def test_jsonl_errors_name_file_line_and_field(tmp_path):
    path = tmp_path / "records.jsonl"
    good = synthetic_records(1, DAY)[0].model_dump_json()
    path.write_text(good + "\n\n" + good.replace('"outcome":"', '"outcome":"maybe-') + "\n")
    with pytest.raises(ReportInputError, match=r"records\.jsonl:3: field outcome"):
        read_records_jsonl(path)
    path.write_text("{not json\n")
    with pytest.raises(ReportInputError, match=r"records\.jsonl:1: "):
        read_records_jsonl(path)
    with pytest.raises(ReportInputError, match="cannot read the records"):
        read_records_jsonl(tmp_path / "absent.jsonl")


def test_bad_record_dict_names_the_record(tmp_path):
    with pytest.raises(ReportInputError, match="record 1: field received_at"):
        nightly_report([{"id": "x", "outcome": "compliant", "examined_at": "2026-06-10T10:00:00Z"}], DAY, tmp_path)
