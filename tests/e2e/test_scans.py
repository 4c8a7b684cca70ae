"""End to end on scans: a generated presentation, rendered as degraded scans (PNG, JPEG, TIFF,
image-only PDF), must give the same examination findings as its text version.

Each presentation is six OCR'd pages (~10-20 s on 2 cores); the wider measurement over many
scenarios is `python -m benchmarks.bench_ocr scans`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from engine.evaluate import examine
from engine.packs import load_packs
from extractors.bundle import load_bundle
from tests.fixtures.generator import generate_presentation
from tests.fixtures.scans import scan_bundle
from tests.fixtures.scenarios import BY_NAME

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ruleset():
    return load_packs([REPO / "rules" / "ucp600"])


@pytest.mark.parametrize(
    "scenario",
    [
        "clean_basic",
        "disc_port_of_loading",
        "disc_invoice_copy_only",
        "clean_eur_credit",
        "disc_credit_number",
        "disc_vessel",
        "clean_amended_credit",
    ],
)
def test_findings_on_scans_equal_findings_on_text(tmp_path: Path, ruleset, scenario: str) -> None:
    text_bundle = generate_presentation(tmp_path, BY_NAME[scenario], 2026)
    scans = scan_bundle(text_bundle, tmp_path / f"{scenario}-scan", seed=11)
    kinds = sorted(p.suffix for p in scans.iterdir() if p.suffix not in (".txt", ".fin", ".json"))
    assert {".pdf", ".png", ".jpg", ".tif"} <= set(kinds)  # every scan format is exercised

    text = load_bundle(text_bundle)
    scan = load_bundle(scans)
    assert scan.problems == []
    assert {f.extraction for f in scan.files if f.type != "letter_of_credit"} == {"ocr"}
    assert sorted(d.type for d in scan.documents) == sorted(d.type for d in text.documents)

    text_report, scan_report = examine(text, ruleset), examine(scan, ruleset)
    # Values read with low confidence are shown to a person ("needs human check" warnings) on
    # scans only; what must be equal is every other finding.
    text_findings = Counter((f.rule, tuple(f.documents)) for f in text_report.findings)
    scan_findings = Counter(
        (f.rule, tuple(f.documents)) for f in scan_report.findings if f.rule != "extraction.needs-human-check"
    )
    assert scan_findings == text_findings
    assert scan_report.outcome == text_report.outcome


def test_unreadable_scan_keeps_the_presentation_from_being_compliant(tmp_path: Path, ruleset) -> None:
    """A required document that cannot be read is a finding; the others are still examined."""
    text_bundle = generate_presentation(tmp_path, BY_NAME["clean_basic"], 2026)
    bomb = b"\x89PNG\r\n\x1a\n"  # a PNG header and nothing usable behind it
    beside = text_bundle.parent / f"{text_bundle.name}.expected.json"  # the generator's answer key
    expected = json.loads((beside if beside.exists() else text_bundle / "expected.json").read_text())
    invoice_file = next(name for name, kind in expected["documents"].items() if kind == "commercial_invoice")
    (text_bundle / invoice_file).unlink()
    (text_bundle / "invoice-scan.png").write_bytes(bomb + b"\x00" * 64)
    presentation = load_bundle(text_bundle)
    problems = [(p.file, p.code) for p in presentation.problems]
    assert problems == [("invoice-scan.png", "unreadable")]
    assert "commercial_invoice" not in {d.type for d in presentation.documents}
    assert len(presentation.documents) == 5  # the rest of the presentation is still read
    report = examine(presentation, ruleset)
    assert report.outcome != "compliant"
    assert any(f.rule == "extraction.unreadable" and "invoice-scan.png" in f.message for f in report.findings)
