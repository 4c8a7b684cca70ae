"""Classification by content: titles and labels, never the file name."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.classify import classify
from extractors.pdf_text import read_pdf
from tests.unit.pdf_samples import PageSpec, build_pdf, documents, image_only_pdf

SAMPLES = {
    "commercial_invoice": documents.invoice_labels_left,
    "bill_of_lading": documents.bill_of_lading,
    "packing_list": documents.packing_list,
    "certificate_of_origin": documents.certificate_of_origin,
    "insurance_certificate": documents.insurance_certificate,
    "draft": documents.draft,
    "letter_of_credit": documents.printed_mt700,
}


@pytest.mark.parametrize("doc_type", sorted(SAMPLES))
def test_each_type_is_recognised_whatever_the_file_is_called(tmp_path: Path, doc_type: str) -> None:
    # the file names lie on purpose: classification must not read them
    pdf = read_pdf(SAMPLES[doc_type](tmp_path / "invoice.pdf"))
    result = classify(pdf)
    assert result.type == doc_type, result.reasons
    assert result.score >= 4 and result.reasons


def test_boxed_invoice_layout_is_an_invoice(tmp_path: Path) -> None:
    assert classify(read_pdf(documents.invoice_boxes(tmp_path / "x.pdf"))).type == "commercial_invoice"


def test_a_mention_of_another_document_does_not_change_the_type(tmp_path: Path) -> None:
    page = PageSpec().text(220, 60, "BILL OF LADING", size=16, bold=True)
    page.text(50, 100, "B/L No.: X-1").text(50, 115, "Shipper: ACME").text(
        50, 130, "Notify Party: SAME AS CONSIGNEE"
    )
    page.text(50, 150, "Commercial invoice and packing list attached. Freight prepaid.")
    assert classify(read_pdf(build_pdf(tmp_path / "b.pdf", [page]))).type == "bill_of_lading"


def test_an_invoice_number_caption_is_not_an_invoice_title(tmp_path: Path) -> None:
    page = PageSpec().text(220, 60, "PACKING LIST", size=16, bold=True)
    page.text(50, 40, "Invoice No.: INV-9").text(50, 100, "Total Packages: 10 CARTONS").text(
        50, 115, "N.W.: 100 KGS"
    )
    assert classify(read_pdf(build_pdf(tmp_path / "p.pdf", [page]))).type == "packing_list"


def test_unrelated_text_is_not_classified(tmp_path: Path) -> None:
    page = (
        PageSpec()
        .text(50, 60, "Minutes of the annual general meeting")
        .text(50, 80, "Attendees: all members")
    )
    result = classify(read_pdf(build_pdf(tmp_path / "m.pdf", [page])))
    assert result.type is None and "no document type" in result.reasons[0]


def test_page_without_text_layer_needs_ocr(tmp_path: Path) -> None:
    result = classify(read_pdf(image_only_pdf(tmp_path / "scan.pdf")))
    assert result.type is None and result.reasons[0].startswith("needs OCR")


def test_real_cptpp_certificates_are_certificates_of_origin(shared_data: Path) -> None:
    folder = shared_data / "trade_docs" / "certificate_of_origin" / "cptpp"
    files = sorted(folder.glob("*.pdf"))
    assert len(files) == 3
    for path in files:
        result = classify(read_pdf(path))
        assert result.type == "certificate_of_origin", (path.name, result.reasons)
