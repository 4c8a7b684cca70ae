"""PDF reading: words with boxes, lines, segments, typed errors, borderless tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from extractors.pdf_text import PdfReadError, find_table, read_pdf
from tests.unit.pdf_samples import PageSpec, build_pdf, image_only_pdf, table_rows


def test_words_lines_and_segments_keep_positions(tmp_path: Path) -> None:
    page = PageSpec().text(50, 100, "Invoice No.: INV-1").text(330, 100, "Date: 15 MAR 2026")
    pdf = read_pdf(build_pdf(tmp_path / "a.pdf", [page]))
    assert len(pdf.pages) == 1 and pdf.pages[0].has_text_layer
    line = pdf.pages[0].lines[0]
    assert [s.text for s in line.segments] == ["Invoice No.: INV-1", "Date: 15 MAR 2026"]
    first = line.words[0]
    assert first.text == "Invoice" and first.x0 == pytest.approx(50, abs=0.5)
    assert first.top == pytest.approx(100 - 9 * 0.9, abs=3)  # baseline at 100, ascender above
    assert "Invoice No.: INV-1 Date: 15 MAR 2026" in pdf.text


def test_reading_order_is_top_to_bottom_then_left_to_right(tmp_path: Path) -> None:
    page = PageSpec().text(300, 200, "SECOND").text(50, 100, "FIRST").text(50, 200, "THIRD")
    pdf = read_pdf(build_pdf(tmp_path / "b.pdf", [page]))
    assert pdf.text.split() == ["FIRST", "THIRD", "SECOND"]


def test_empty_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(PdfReadError) as info:
        read_pdf(path)
    assert info.value.code == "empty" and "empty.pdf" in str(info.value)


def test_corrupt_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage without xref\n")
    with pytest.raises(PdfReadError) as info:
        read_pdf(path)
    assert info.value.code == "unreadable"


def test_encrypted_file_is_encrypted(tmp_path: Path) -> None:
    path = build_pdf(
        tmp_path / "locked.pdf", [PageSpec().text(50, 50, "SECRET INVOICE")], encrypt="owner-and-user"
    )
    with pytest.raises(PdfReadError) as info:
        read_pdf(path)
    assert info.value.code == "encrypted"


def test_page_without_text_has_no_text_layer(tmp_path: Path) -> None:
    pdf = read_pdf(image_only_pdf(tmp_path / "scan.pdf"))
    assert not pdf.pages[0].has_text_layer and not pdf.has_text_layer


HEADERS = {
    "description": re.compile(r"description", re.IGNORECASE),
    "quantity": re.compile(r"qty|quantity", re.IGNORECASE),
    "unit_price": re.compile(r"unit price", re.IGNORECASE),
    "amount": re.compile(r"amount", re.IGNORECASE),
}


def test_borderless_table_keeps_multi_word_headers_and_whole_amounts(tmp_path: Path) -> None:
    page = PageSpec()
    bottom = table_rows(
        page, 100,
        [(50, "Description"), (250, "Qty"), (320, "Unit Price"), (430, "Amount")],
        [["STEEL PIPES 2 INCH", "1,000 PCS", "12.50", "12,500.00"],
         ["FLANGES", "250 PCS", "1,234.56", "308,640.00"]],
    )  # fmt: skip
    page.text(320, bottom + 10, "Total").text(430, bottom + 10, "321,140.00")
    pdf = read_pdf(build_pdf(tmp_path / "t.pdf", [page]))
    table = find_table(pdf, HEADERS, required=["description", "amount"], stop=re.compile(r"^Total"))
    assert table is not None
    assert [c.name for c in table.columns] == ["description", "quantity", "unit_price", "amount"]
    assert [(r.text("description"), r.text("unit_price"), r.text("amount")) for r in table.rows] == [
        ("STEEL PIPES 2 INCH", "12.50", "12,500.00"),
        ("FLANGES", "1,234.56", "308,640.00"),
    ]


def test_table_wrapped_description_joins_its_row(tmp_path: Path) -> None:
    page = PageSpec()
    table_rows(page, 100, [(50, "Description"), (300, "Qty"), (430, "Amount")],
               [["GALVANISED STEEL", "10", "100.00"], ["WIRE ROPE", "", ""], ["BOLTS", "5", "5.00"]])  # fmt: skip
    pdf = read_pdf(build_pdf(tmp_path / "w.pdf", [page]))
    table = find_table(pdf, HEADERS, required=["description", "amount"])
    assert table is not None
    assert [r.text("description") for r in table.rows] == ["GALVANISED STEEL WIRE ROPE", "BOLTS"]


def test_no_table_without_its_required_columns(tmp_path: Path) -> None:
    pdf = read_pdf(build_pdf(tmp_path / "n.pdf", [PageSpec().text(50, 50, "Description   of nothing")]))
    assert find_table(pdf, HEADERS, required=["description", "amount"]) is None
