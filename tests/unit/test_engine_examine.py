"""examine() and explain() on a small hand-built presentation; the `rules` CLI."""

from __future__ import annotations

import textwrap
from pathlib import Path

from click.testing import CliRunner

from api.cli_rules import rules
from engine.evaluate import examine
from engine.explain import explain
from engine.packs import load_packs
from tests.unit.packs.sample import sample_presentation

GOOD = Path(__file__).parent / "packs" / "good"


def test_examine_reports_findings_with_evidence_and_outcome() -> None:
    report = examine(sample_presentation(), load_packs([GOOD]))
    assert report.outcome == "discrepant"
    assert [f.rule for f in report.findings] == [
        "extraction.needs-ocr",
        "demo.20a3.port-of-loading",
        "demo.46a.document-missing",
    ]
    port = report.findings[1]
    assert port.message == "Port of loading on the B/L (ANTWERP) differs from 44E (ROTTERDAM)"
    assert port.documents == ["bill_of_lading"]
    bl, lc = port.evidence
    assert (bl.document, bl.field, bl.value, bl.file, bl.page, bl.bbox) == (
        "bill_of_lading",
        "port_of_loading",
        "ANTWERP",
        "bl.pdf",
        1,
        [72.0, 410.0, 190.0, 424.0],
    )
    assert (lc.document, lc.field, lc.file, lc.line, lc.extractor) == (
        "letter_of_credit",
        "port_of_loading",
        "lc.txt",
        22,
        "mt700",
    )
    assert "certificate_of_origin" in report.findings[2].message
    assert report.packs == {"demo": "1.0.0"} and report.lc_number == "LC2026-00417"


def test_same_port_and_amount_at_the_limit_are_compliant_apart_from_missing_document() -> None:
    presentation = sample_presentation(bl_port="NLRTM", invoice_total="110000.00")
    presentation.problems = []
    fired = {f.rule for f in examine(presentation, load_packs([GOOD])).findings}
    assert fired == {"demo.46a.document-missing"}


def test_one_cent_over_the_tolerance_fires_with_rendered_money() -> None:
    report = examine(sample_presentation(invoice_total="110000.01"), load_packs([GOOD]))
    [amount] = [f for f in report.findings if f.rule == "demo.18b.invoice-amount"]
    assert amount.message == "Invoice amount USD 110,000.01 exceeds the credit amount plus tolerance (110000)"
    assert [e.field for e in amount.evidence] == ["total", "amount", "derived.amount_max"]


def test_evaluation_error_becomes_a_rule_error_finding(tmp_path: Path) -> None:
    folder = tmp_path / "e"
    folder.mkdir()
    (folder / "pack.yaml").write_text('pack: e\nversion: "1.0.0"\n')
    (folder / "r.yaml").write_text(
        textwrap.dedent("""\
        rules:
          - id: e.1.unguarded
            title: Reads a field without has()
            refs: ["UCP600 14(d)"]
            severity: warning
            applies_to: bill_of_lading
            condition: doc.vessel == "X"
            message: "never"
        """)
    )
    report = examine(sample_presentation(), load_packs([folder]))
    [error] = [f for f in report.findings if f.rule == "engine.rule-error"]
    assert error.severity == "discrepancy" and report.outcome == "discrepant"
    assert "e.1.unguarded could not be evaluated on bill_of_lading (bl.pdf)" in error.message
    assert "vessel" in error.message


def test_explain_shows_results_values_and_absence() -> None:
    text = explain(sample_presentation(), load_packs([GOOD]), "demo.20a3.port-of-loading")
    assert "evaluation 1: bill_of_lading bl.pdf (docs.bill_of_lading[0])" in text
    assert "when -> true" in text and "condition -> true" in text
    assert "doc.port_of_loading = ANTWERP   [bl.pdf p.1, text]" in text
    assert "FINDING (discrepancy)" in text
    presentation = sample_presentation()
    presentation.lc.port_of_loading = None
    text = explain(presentation, load_packs([GOOD]), "demo.20a3.port-of-loading")
    assert "when -> false: not applicable" in text and "lc.port_of_loading = absent" in text
    assert "no finding" in text


def test_cli_test_and_lint() -> None:
    runner = CliRunner()
    result = runner.invoke(rules, ["test", str(GOOD)])
    assert result.exit_code == 0, result.output
    assert "ok   demo.20a3.port-of-loading (3 case(s))" in result.output
    assert "0 failed, 1 todo" in result.output
    result = runner.invoke(rules, ["lint", str(GOOD.parent / "broken")])
    assert result.exit_code == 1
    assert f"{GOOD.parent / 'broken' / 'rules.yaml'}:7: rule broken.1.unknown-fact" in result.output


def test_cli_test_fails_on_a_failing_case(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "pack.yaml").write_text('pack: f\nversion: "1.0.0"\n')
    (folder / "r.yaml").write_text(
        textwrap.dedent("""\
        rules:
          - id: f.1.expiry
            title: Expiry
            refs: ["UCP600 6(d)(i)"]
            severity: discrepancy
            applies_to: presentation
            when: has(presentation.presented_on) && has(lc.expiry_date)
            condition: presentation.presented_on > lc.expiry_date
            message: "late"
            tests:
              - name: on the day is fine
                facts: {lc: {expiry_date: 2026-03-15}, presentation: {presented_on: 2026-03-15}}
                expect: fire
        """)
    )
    result = CliRunner().invoke(rules, ["test", str(folder)])
    assert result.exit_code == 1
    assert "FAIL f.1.expiry" in result.output and "expected fire, got pass" in result.output
