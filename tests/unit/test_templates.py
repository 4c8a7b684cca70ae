"""YAML extraction templates: loading fails closed with file:line, issuer and generic templates
apply the way they promise, and the `extract` / `templates test` commands."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from api.cli_extract import COMMANDS
from extractors.fields import extract_document
from extractors.models import DOCUMENT_TYPES
from extractors.pdf_text import read_pdf
from extractors.templates import TemplateError, load_template_file, load_templates
from tests.unit.pdf_samples import documents

GOOD = """\
template: bright-textiles
document_type: commercial_invoice
keywords: ['SHANGHAI BRIGHT TEXTILES']
priority: 5
issuer: Shanghai Bright Textiles Co., Ltd.
fields:
  number:
    anchors: ['Invoice No\\.?']
  total:
    regex: 'TOTAL CIF ROTTERDAM\\s+(USD [\\d,.]+)'
  marks:
    area: {page: 1, x0: 0.0, top: 0.435, x1: 0.6, bottom: 0.455}
samples:
  - file: invoice.pdf
    expect: {number: BT-INV-2026-017, total: USD 61000.00, issuer: 'Shanghai Bright Textiles Co., Ltd.'}
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def _cli() -> click.Group:
    group = click.Group("blocktrade")
    for command in COMMANDS:
        group.add_command(command)
    return group


def test_builtin_templates_load_and_cover_every_document_type() -> None:
    templates = load_templates()
    generic = {t.document_type for t in templates if t.generic}
    assert generic == set(DOCUMENT_TYPES) - {"letter_of_credit"}
    assert len({t.template for t in templates}) == len(templates)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (GOOD.replace("priority: 5", "priorty: 5"), 4, "priorty: Extra inputs are not permitted"),
        (GOOD.replace("'Invoice No\\.?'", "'Invoice (No'"), 8, "does not compile"),
        (GOOD.replace("  marks:", "  vessel_name:"), 11, "commercial_invoice has no field 'vessel_name'"),
        (GOOD.replace("document_type: commercial_invoice", "document_type: invoice"), 2, "document_type"),
        (GOOD.replace("keywords: ['SHANGHAI BRIGHT TEXTILES']\n", ""), 1, "needs keywords"),
        (GOOD.replace("priority: 5", "priority: [5"), 5, "not valid YAML"),
        (GOOD.replace("priority: 5", "priority: '5'"), 4, "priority: Input should be a valid integer"),
    ],
)
def test_broken_template_does_not_load(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = _write(tmp_path, "broken.yaml", text)
    with pytest.raises(TemplateError) as err:
        load_template_file(path)
    assert err.value.line == line, str(err.value)
    assert str(err.value).startswith(f"{path}:{line}: ")
    assert message in str(err.value)


def test_duplicate_template_names_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", GOOD)
    _write(tmp_path, "b.yaml", GOOD)
    with pytest.raises(TemplateError, match="already used in"):
        load_templates([tmp_path])


def test_issuer_template_replaces_fields_with_template_provenance(tmp_path: Path) -> None:
    pdf = read_pdf(documents.invoice_labels_left(tmp_path / "invoice.pdf"))
    (template,) = load_template_file(_write(tmp_path / "t", "t.yaml", GOOD))
    invoice = extract_document("commercial_invoice", pdf, "invoice.pdf", templates=[template])
    assert invoice.issuer is not None and invoice.issuer.value.name == "Shanghai Bright Textiles Co., Ltd."
    assert invoice.total is not None and f"{invoice.total.value}" == "USD 61,000.00"
    assert invoice.total.source.extractor == "template" and invoice.total.source.template == "bright-textiles"
    assert invoice.total.source.raw == "USD 61,000.00"
    # the area holds only the shipping marks line
    assert invoice.marks is not None and invoice.marks.value.startswith("Shipping Marks: RHG/ROTTERDAM")
    assert invoice.number is not None and invoice.number.source.template == "bright-textiles"


def test_issuer_template_needs_all_its_keywords(tmp_path: Path) -> None:
    pdf = read_pdf(documents.invoice_labels_left(tmp_path / "invoice.pdf"))
    other = GOOD.replace(
        "keywords: ['SHANGHAI BRIGHT TEXTILES']", "keywords: ['SHANGHAI BRIGHT TEXTILES', 'VAT No']"
    )
    (template,) = load_template_file(_write(tmp_path / "t", "t.yaml", other))
    invoice = extract_document("commercial_invoice", pdf, "invoice.pdf", templates=[template])
    assert invoice.total is not None and invoice.total.source.extractor == "text"
    assert invoice.issuer is not None and invoice.issuer.value.name == "SHANGHAI BRIGHT TEXTILES CO., LTD."


def test_generic_template_only_fills_gaps(tmp_path: Path) -> None:
    pdf = read_pdf(documents.invoice_labels_left(tmp_path / "invoice.pdf"))
    generic = """\
template: generic-test
document_type: commercial_invoice
generic: true
fields:
  number: {regex: 'Gross Weight: ([\\d,.]+)'}
  invoice_number: {regex: 'Marks: (RHG/\\S+)', parse: text}
"""
    (template,) = load_template_file(_write(tmp_path / "t", "g.yaml", generic))
    invoice = extract_document("commercial_invoice", pdf, "invoice.pdf", templates=[template])
    assert invoice.number is not None and invoice.number.value == "BT-INV-2026-017"  # kept
    assert (
        invoice.invoice_number is not None and invoice.invoice_number.value == "RHG/ROTTERDAM/1-120"
    )  # filled


def test_templates_test_command_checks_samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "templates"
    documents.invoice_labels_left(_write(folder, "invoice.pdf", "").with_name("invoice.pdf"))
    _write(folder, "bright.yaml", GOOD)
    monkeypatch.setenv("BLOCKTRADE_TEMPLATES", str(folder))
    ok = CliRunner().invoke(_cli(), ["templates", "test", "--template", "bright-textiles"])
    assert ok.exit_code == 0, ok.output
    assert "3 passed, 0 failed" in ok.output
    _write(folder, "bright.yaml", GOOD.replace("total: USD 61000.00", "total: USD 62000.00"))
    bad = CliRunner().invoke(_cli(), ["templates", "test", "--template", "bright-textiles"])
    assert bad.exit_code == 1
    assert "FAIL bright-textiles invoice.pdf total: expected 'USD 62000.00', got 'USD 61000.00'" in bad.output


def test_broken_user_template_stops_the_command_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "templates", "broken.yaml", GOOD.replace("priority: 5", "priorty: 5"))
    monkeypatch.setenv("BLOCKTRADE_TEMPLATES", str(path.parent))
    result = CliRunner().invoke(_cli(), ["templates", "list"])
    assert result.exit_code == 3
    assert f"error: {path}:4: priorty" in result.output


def test_extract_json_shows_every_field_with_provenance(tmp_path: Path) -> None:
    pdf = documents.invoice_labels_left(tmp_path / "invoice.pdf")
    result = CliRunner().invoke(_cli(), ["extract", str(pdf), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert (payload["type"], payload["extraction"], payload["problems"]) == ("commercial_invoice", "text", [])
    fields = {row["field"]: row for row in payload["fields"]}
    assert fields["number"]["value"] == "BT-INV-2026-017"
    assert fields["total"]["value"] == {"amount": "61000.00", "currency": "USD"}
    provenance = fields["number"]["provenance"]
    assert provenance["file"] == "invoice.pdf" and provenance["page"] == 1 and len(provenance["bbox"]) == 4
    assert "lines[0]" in fields and fields["lines[0]"]["provenance"]["page"] == 1


def test_extract_refuses_bad_input_with_exit_3(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    result = CliRunner().invoke(_cli(), ["extract", str(empty), "--json"])
    assert result.exit_code == 3
    assert json.loads(result.output)["problems"][0]["code"] == "empty"
    missing = CliRunner().invoke(_cli(), ["extract", str(tmp_path / "nope.pdf")])
    assert missing.exit_code == 3 and "nope.pdf: no such file" in missing.output
