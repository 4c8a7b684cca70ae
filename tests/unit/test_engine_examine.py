"""examine() and explain() on a small hand-built presentation; the `rules` CLI."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from api.cli_rules import rules
from engine.evaluate import examine
from engine.explain import explain
from engine.packs import load_packs
from extractors.models import GoodsItem, Provenance, Quantity
from tests.unit.packs.sample import sample_presentation

GOOD = Path(__file__).parent / "packs" / "good"
UCP600 = Path(__file__).resolve().parents[2] / "rules" / "ucp600"


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
    # derived.amount_max is a bare number, rendered as money because it is an amount
    assert amount.message == "Invoice amount USD 110,000.01 exceeds the credit amount plus tolerance (110,000.00)"
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


def write_pack(tmp_path: Path, rules_text: str) -> Path:
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "pack.yaml").write_text('pack: x\nversion: "1.0.0"\n')
    (folder / "r.yaml").write_text(textwrap.dedent(rules_text))
    return folder


def test_money_paths_render_as_money_and_dates_as_days(tmp_path: Path) -> None:
    folder = write_pack(
        tmp_path,
        """\
        rules:
          - id: x.1.amounts
            title: Amounts in a message
            refs: ["UCP600 18(b)"]
            severity: info
            applies_to: commercial_invoice
            condition: "true"
            message: >-
              {doc.total.amount} of {lc.amount.amount} (max {derived.amount_max}, tolerance
              {lc.tolerance_plus}%, quantity {lc.goods[0].quantity.amount}) by {lc.expiry_date}
        """,
    )
    [finding] = [f for f in examine(sample_presentation(invoice_total="105000"), load_packs([folder])).findings
                 if f.rule == "x.1.amounts"]
    assert finding.message == (
        "105,000.00 of 100,000.00 (max 110,000.00, tolerance 10%, quantity 1000) by 2026-03-15"
    )


def test_item_evidence_of_a_document_list_points_at_the_document(tmp_path: Path) -> None:
    folder = write_pack(
        tmp_path,
        """\
        rules:
          - id: x.2.dates
            title: Each document's date
            refs: ["UCP600 14(i)"]
            severity: info
            applies_to: presentation
            for_each: docs.commercial_invoice + docs.bill_of_lading
            when: has(item.date)
            condition: item.date > lc.expiry_date || index == 1
            message: "{item.type} {item.file} dated {item.date} (item {index})"
            evidence: [item.date]
        """,
    )
    presentation = sample_presentation()
    presentation.documents[1].date.value = dt.date(2026, 3, 20)  # the B/L, after expiry
    findings = [f for f in examine(presentation, load_packs([folder])).findings if f.rule == "x.2.dates"]
    [bill] = findings  # the invoice has no date: `when` false, no finding
    assert bill.message == "bill_of_lading bl.pdf dated 2026-03-20 (item 1)"
    assert bill.documents == ["bill_of_lading"]
    [date] = bill.evidence
    assert (date.document, date.field, date.value, date.file, date.page, date.bbox) == (
        "bill_of_lading", "date", "2026-03-20", "bl.pdf", 1, [72.0, 90.0, 190.0, 104.0]
    )
    text = explain(presentation, load_packs([folder]), "x.2.dates")
    assert "evaluation 2: item 1: bill_of_lading bl.pdf (docs.bill_of_lading[0])" in text
    assert "item.date = 2026-03-20   [bl.pdf p.1, text]" in text


def test_split_invoice_lines_are_reported_once_against_45a() -> None:
    presentation = sample_presentation()
    invoice = presentation.documents[0]
    invoice.lines = [
        GoodsItem(description=f"COTTON T-SHIRTS SIZE {size}", quantity=Quantity(amount=Decimal(n), unit="PCS"),
                  source=Provenance(file="inv.pdf", page=1, bbox=(72.0, top, 500.0, top + 12)))
        for size, n, top in (("S", 300, 200.0), ("M", 400, 214.0), ("L", 350, 228.0))
    ]
    report = examine(presentation, load_packs([UCP600]))
    [finding] = [f for f in report.findings if f.rule == "ucp600.30b.quantity"]
    assert "all invoice lines together: 1050 PCS" in finding.message
    line = finding.evidence[0]
    assert (line.document, line.field, line.file, line.bbox) == (
        "commercial_invoice", "lines[0].quantity", "inv.pdf", [72.0, 200.0, 500.0, 212.0]
    )
    invoice.lines[2].quantity = Quantity(amount=Decimal(300), unit="PCS")  # 1000 in all: as 45A
    assert not [f for f in examine(presentation, load_packs([UCP600])).findings if f.rule == "ucp600.30b.quantity"]


def test_a_value_read_with_low_confidence_becomes_a_needs_human_check_warning() -> None:
    presentation = sample_presentation(bl_port="ROTTERDAM", invoice_total="100000.00")
    invoice = next(d for d in presentation.documents if d.type == "commercial_invoice")
    assert invoice.total is not None
    invoice.total.source = invoice.total.source.model_copy(
        update={"extractor": "ocr", "confidence": 0.41, "needs_review": True,
                "review_reason": "OCR confidence 41% below 80%"}
    )
    report = examine(presentation, load_packs([GOOD]))

    checks = [f for f in report.findings if f.rule == "extraction.needs-human-check"]
    assert len(checks) == 1
    finding = checks[0]
    assert finding.severity == "warning" and finding.documents == ["commercial_invoice"]
    assert "total read as 'USD 100,000.00'" in finding.message and "OCR confidence 41%" in finding.message
    [evidence] = finding.evidence
    assert (evidence.file, evidence.page, evidence.extractor, evidence.confidence) == ("inv.pdf", 1, "ocr", 0.41)
    assert evidence.bbox is not None
