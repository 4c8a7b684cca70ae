"""Field reading on the layouts of the generated presentations: stamps above letterheads,
two-column pages whose rows interleave, captions wrapped onto two lines, table columns,
signature blocks and values that wrap. Each test draws the smallest page that shows the case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from extractors.fields import extract_document
from extractors.models import (
    BillOfLading,
    CertificateOfOrigin,
    CommercialInvoice,
    Draft,
    InsuranceCertificate,
    PackingList,
    Quantity,
)
from extractors.pdf_text import Word, find_table, read_pdf, split_segments
from tests.unit.pdf_samples import PageSpec, build_pdf


def _read(doc_type: str, path: Path, page: PageSpec):
    return extract_document(doc_type, read_pdf(build_pdf(path, [page])), path.name, templates=False)


def _stamp(page: PageSpec, text: str = "ORIGINAL") -> PageSpec:
    """The stamp in a box at the top right, above the letterhead, as the generator draws it."""
    return page.box(480, 12, 75, 16).text(486, 24, text, size=10, bold=True)


def test_stamp_above_the_letterhead_is_not_the_issuer(tmp_path: Path) -> None:
    page = _stamp(PageSpec())
    page.lines(40, 54, ["SHENZHEN LUMENTEK LIGHTING LTD."], size=12)
    page.lines(40, 64, ["BUILDING 7, 33 KEJI SOUTH ROAD", "SHENZHEN 518057, CHINA"], size=8, leading=10)
    page.text(230, 110, "COMMERCIAL INVOICE", size=15, bold=True)
    page.text(40, 140, "Invoice No.:", bold=True).text(180, 140, "CI26-179")
    invoice = _read("commercial_invoice", tmp_path / "inv.pdf", page)
    assert isinstance(invoice, CommercialInvoice)
    assert invoice.issuer is not None and invoice.issuer.value.name == "SHENZHEN LUMENTEK LIGHTING LTD."
    assert invoice.issuer.value.country == "CN"
    assert invoice.original is not None and invoice.original.value is True


def test_numbered_original_stamp_marks_an_original(tmp_path: Path) -> None:
    page = _stamp(PageSpec(), "THIRD ORIGINAL")
    page.lines(40, 54, ["TRANS-PACIFIC SHIPPING CORPORATION"], size=12)
    page.text(200, 90, "BILL OF LADING", size=15, bold=True)
    page.text(40, 120, "B/L No.:", bold=True).text(180, 120, "TPSC017902698")
    bl = _read("bill_of_lading", tmp_path / "bl.pdf", page)
    assert bl.original is not None and bl.original.value is True
    assert isinstance(bl, BillOfLading) and bl.carrier is not None
    assert bl.carrier.value.name == "TRANS-PACIFIC SHIPPING CORPORATION"


def _two_column_bill_of_lading() -> PageSpec:
    """Left column label 40 / value 133, right column label 298 / value 396; the right
    column's wrapped captions sit between the left column's lines."""
    page = PageSpec()
    page.text(200, 60, "OCEAN BILL OF LADING", size=15, bold=True)
    page.text(40, 109, "Bill of Lading No.: TPSC017902698").text(298, 109, "Port of Loading:").text(
        396, 109, "YANTIAN"
    )
    page.text(40, 124, "Shipper/Exporter:").text(298, 124, "Port of Discharge:").text(396, 124, "ROTTERDAM")
    page.lines(
        133, 124, ["SHENZHEN LUMENTEK", "LIGHTING LTD.", "BUILDING 7, 33 KEJI SOUTH", "ROAD"], leading=12
    )
    page.text(298, 136, "No. of Original").text(396, 136, "1/1").text(298, 148, "B(s)/L:")
    page.text(298, 166, "Place and Date of").text(396, 166, "YANTIAN, May 30, 2026").text(
        298, 178.3, "Issue:"
    )
    page.text(133, 172, "SHENZHEN 518057, CHINA")
    page.text(40, 187, "Consignee:").lines(
        133, 187, ["TO ORDER OF POLDER", "COMMERCIAL BANK N.V."], leading=12
    )
    page.text(40, 214, "Notify:")
    page.lines(133, 214, ["NORTHSEA RETAIL TRADING", "B.V.", "WAALHAVEN OOSTZIJDE 112", "3087 BM ROTTERDAM,",
                          "NETHERLANDS"], leading=12)  # fmt: skip
    page.text(40, 277, "Vessel / Voy. No.:").lines(133, 277, ["MV PACIFIC MERIDIAN /", "SA609N"], leading=12)
    # the goods table: its cells start 4 points right of the text set below it
    page.text(44, 319, "Marks & Nos", bold=True).text(208, 319, "No. of", bold=True)
    page.text(245, 319, "Description of Goods", bold=True).text(487, 319, "Gross Weight", bold=True)
    page.text(192, 330, "Packages", bold=True)
    page.text(44, 346, "NORTHSEA ROTTERDAM").text(168, 346, "8375 CARTONS").text(245, 346, "PORCELAIN TILES")
    page.text(481, 346, "237 851,00 KGS").text(44, 357, "C/NO. 1-8375 MADE IN").text(44, 368, "CHINA")
    page.text(40, 387, "Container No. /").text(138, 387, "TPSU1948864 / SEAL A7032674").text(
        40, 399, "Seal No.:"
    )
    page.text(40, 430, "RECEIVED by the Carrier from the Shipper in apparent good order and condition.")
    page.lines(298, 470, ["Signed by TRANS-PACIFIC SHIPPING CORPORATION as", "carrier"], leading=12)
    page.text(298, 514, "J. HANSEN")
    return page


def test_two_column_bill_of_lading_parties_dates_and_marks(tmp_path: Path) -> None:
    bl = _read("bill_of_lading", tmp_path / "bl.pdf", _two_column_bill_of_lading())
    assert isinstance(bl, BillOfLading)
    assert bl.shipper is not None
    assert bl.shipper.value.name == "SHENZHEN LUMENTEK LIGHTING LTD."
    # the last address line comes after a line of the right column only
    assert bl.shipper.value.address[-1] == "SHENZHEN 518057, CHINA" and bl.shipper.value.country == "CN"
    assert bl.consignee is not None and bl.consignee.value.name == "TO ORDER OF POLDER COMMERCIAL BANK N.V."
    assert bl.notify_party is not None and bl.notify_party.value.name == "NORTHSEA RETAIL TRADING B.V."
    assert bl.notify_party.value.country == "NL"
    # captions wrapped onto two lines of the right column
    assert bl.date is not None and bl.date.value == dt.date(2026, 5, 30)
    assert bl.originals_issued is not None and bl.originals_issued.value == 1
    # a vessel whose voyage wrapped
    assert (bl.vessel and bl.vessel.value, bl.voyage and bl.voyage.value) == ("MV PACIFIC MERIDIAN", "SA609N")
    # marks are the table's first column, not the next header nor the text under the table
    assert bl.marks is not None and bl.marks.value == "NORTHSEA ROTTERDAM C/NO. 1-8375 MADE IN CHINA"
    # "Signed by X as" / "carrier": the capacity wrapped; "carrier" there is no caption
    assert bl.signatory_capacity is not None and bl.signatory_capacity.value == "carrier"
    assert bl.signatory is not None and bl.signatory.value == "TRANS-PACIFIC SHIPPING CORPORATION"


def test_party_block_ends_at_the_next_caption_of_its_label_column(tmp_path: Path) -> None:
    page = PageSpec()
    page.lines(170, 45, ["SHENZHEN LUMENTEK LIGHTING LTD."], size=12)
    page.text(197, 90, "PACKING LIST", size=15, bold=True)
    page.text(40, 119, "Packing List No.:").text(180, 119, "NE/PL/923")
    page.text(40, 134, "Ref. Invoice No.:").text(180, 134, "CI26-179")
    page.text(40, 149, "Messrs.:")
    page.lines(180, 149, ["NORTHSEA RETAIL TRADING B.V.", "WAALHAVEN OOSTZIJDE 112", "3087 BM ROTTERDAM, NETHERLANDS"],
               leading=12)  # fmt: skip
    page.text(40, 188, "Shipping Marks:")
    page.lines(180, 188, ["NORTHSEA", "ROTTERDAM", "C/NO. 1-8375", "MADE IN CHINA"], leading=12)
    packing = _read("packing_list", tmp_path / "pl.pdf", page)
    assert isinstance(packing, PackingList) and packing.consignee is not None
    assert packing.consignee.value.address == ["WAALHAVEN OOSTZIJDE 112", "3087 BM ROTTERDAM, NETHERLANDS"]
    assert (
        packing.marks is not None and packing.marks.value == "NORTHSEA ROTTERDAM C/NO. 1-8375 MADE IN CHINA"
    )
    # the invoice a packing list refers to
    assert packing.invoice_number is not None and packing.invoice_number.value == "CI26-179"


def test_invoice_number_is_not_a_reference_on_the_invoice_itself(tmp_path: Path) -> None:
    page = PageSpec().text(230, 60, "COMMERCIAL INVOICE", size=15, bold=True)
    page.text(40, 100, "Invoice No.: CI26-179")
    invoice = _read("commercial_invoice", tmp_path / "inv.pdf", page)
    assert invoice.number is not None and invoice.number.value == "CI26-179"
    assert invoice.invoice_number is None


def test_certificate_marks_stop_before_the_certification_sentence(tmp_path: Path) -> None:
    page = PageSpec().text(197, 47, "CERTIFICATE OF ORIGIN", size=15, bold=True)
    page.text(44, 246, "Marks and Numbers", bold=True).text(168, 246, "Description of Goods", bold=True)
    page.text(425, 246, "Quantity", bold=True)
    page.text(44, 262, "NORTHSEA ROTTERDAM").text(168, 262, "8375 CARTONS OF CERAMIC TILES").text(
        418, 262, "33 500 PCS"
    )
    page.lines(44, 273, ["C/NO. 1-8375 MADE IN", "CHINA"])
    page.text(
        40,
        303,
        "The undersigned authority hereby certifies that the goods described below originate in CHINA.",
    )
    page.lines(298, 339, ["For CHINA CHAMBER OF INTERNATIONAL COMMERCE,", "YANTIAN SUB-COUNCIL"], leading=12)
    certificate = _read("certificate_of_origin", tmp_path / "co.pdf", page)
    assert isinstance(certificate, CertificateOfOrigin)
    assert certificate.marks is not None
    assert certificate.marks.value == "NORTHSEA ROTTERDAM C/NO. 1-8375 MADE IN CHINA"
    assert certificate.country_of_origin is not None and certificate.country_of_origin.value == "CN"
    assert certificate.issuer is not None
    assert certificate.issuer.value.name.startswith("CHINA CHAMBER OF INTERNATIONAL COMMERCE")


def test_insurance_signature_wrapped_clause_and_voyage(tmp_path: Path) -> None:
    page = _stamp(PageSpec())
    page.lines(108, 45, ["SILK ROAD GENERAL INSURANCE COMPANY LIMITED"], size=12)
    page.text(183, 81, "INSURANCE CERTIFICATE", size=15, bold=True)
    page.text(40, 109, "Policy No.:").text(138, 109, "MC26-891762").text(298, 109, "Conditions:")
    page.text(396, 109, "INSTITUTE CARGO CLAUSES").text(40, 121, "Insured:").text(
        138, 121, "WESTERN GHATS AGRO"
    )
    page.text(396, 121, "(A)").text(138, 133, "EXPORTS LTD.").text(396, 133, "INSTITUTE WAR CLAUSES")
    page.text(138, 145, "MUMBAI 400020, INDIA").text(396, 145, "(CARGO)")
    page.text(40, 217, "Voyage:").text(138, 217, "From NHAVA SHEVA to").text(298, 217, "Place and Date of")
    page.text(396, 217, "LONDON, 12/04/2026").text(138, 229, "SOUTHAMPTON").text(298, 229, "Issue:")
    page.text(
        40, 277, "This certificate is endorsed in blank and represents and takes the place of the policy."
    )
    page.lines(298, 298, ["For SILK ROAD GENERAL INSURANCE COMPANY", "LIMITED"], leading=12)
    page.text(298, 342, "as agent for the insurers")
    insurance = _read("insurance_certificate", tmp_path / "ins.pdf", page)
    assert isinstance(insurance, InsuranceCertificate)
    assert insurance.signed is not None and insurance.signed.value is True
    assert insurance.issuer is not None
    assert insurance.issuer.value.name == "SILK ROAD GENERAL INSURANCE COMPANY LIMITED"
    assert [c.value for c in insurance.clauses] == [
        "INSTITUTE CARGO CLAUSES (A)",
        "INSTITUTE WAR CLAUSES (CARGO)",
    ]
    assert (
        insurance.from_place and insurance.from_place.value,
        insurance.to_place and insurance.to_place.value,
    ) == (
        "NHAVA SHEVA",
        "SOUTHAMPTON",
    )
    assert insurance.date is not None and insurance.date.value == dt.date(2026, 4, 12)


def test_unsigned_insurance_certificate_is_not_signed(tmp_path: Path) -> None:
    page = PageSpec().lines(40, 45, ["HARBOURSIDE MARINE INSURANCE CO. LTD."], size=12)
    page.text(190, 80, "CERTIFICATE OF INSURANCE", size=15, bold=True)
    page.text(40, 110, "Certificate No.:").text(180, 110, "91/YRG/139626")
    insurance = _read("insurance_certificate", tmp_path / "ins.pdf", page)
    assert insurance.signed is None
    assert (
        insurance.issuer is not None
        and insurance.issuer.value.name == "HARBOURSIDE MARINE INSURANCE CO. LTD."
    )


def test_draft_tenor_in_a_box_after_sight(tmp_path: Path) -> None:
    page = _stamp(PageSpec(), "FIRST OF EXCHANGE")
    page.text(183, 46, "EXCHANGE FOR GBP 44,928.00", size=15, bold=True)
    page.box(40, 70, 257, 25).text(44, 78, "Draft No.", size=6.5).text(45, 87, "BE-4898")
    page.box(40, 97, 257, 25).text(44, 105, "Tenor", size=6.5).text(45, 114, "AT 60 DAYS AFTER SIGHT")
    page.box(297, 97, 257, 25).text(302, 105, "Amount", size=6.5).text(303, 114, "GBP 44,928.00")
    draft = _read("draft", tmp_path / "draft.pdf", page)
    assert isinstance(draft, Draft)
    assert draft.tenor is not None and draft.tenor.value == "60 DAYS AFTER SIGHT"
    assert draft.tenor_days is not None and draft.tenor_days.value == 60


def test_draft_tenor_caption_without_at(tmp_path: Path) -> None:
    page = PageSpec().text(250, 46, "DRAFT", size=15, bold=True)
    page.text(40, 100, "Tenor:").text(180, 100, "90 DAYS AFTER B/L DATE")
    draft = _read("draft", tmp_path / "draft.pdf", page)
    assert draft.tenor is not None and draft.tenor.value == "90 DAYS AFTER B/L DATE"
    assert draft.tenor_days is not None and draft.tenor_days.value == 90


def test_long_description_keeps_its_words_and_the_quantity_its_unit(tmp_path: Path) -> None:
    page = PageSpec().text(250, 46, "INVOICE", size=15, bold=True)
    page.text(44, 230, "Description", bold=True).text(356, 230, "Qty", bold=True)
    page.text(408, 230, "Rate (GBP)", bold=True).text(507, 230, "Total (GBP)", bold=True)
    page.text(44, 246, "INDIAN BASMATI RICE 1121 SELLA, CROP 2025, IN 25 KG PP").text(342, 246, "176 MT")
    page.text(427, 246, "990.26").text(513, 246, "174,285.76").text(44, 257, "BAGS")
    page.text(400, 277, "Grand Total").text(490, 277, "GBP 174,285.76")
    invoice = _read("commercial_invoice", tmp_path / "inv.pdf", page)
    assert isinstance(invoice, CommercialInvoice) and len(invoice.lines) == 1
    line = invoice.lines[0]
    assert line.description == "INDIAN BASMATI RICE 1121 SELLA, CROP 2025, IN 25 KG PP BAGS"
    assert line.quantity == Quantity(amount=Decimal("176"), unit="MT")


def test_packing_list_total_quantity_from_its_table(tmp_path: Path) -> None:
    page = PageSpec().text(200, 46, "PACKING LIST", size=15, bold=True)
    page.text(44, 241, "Description", bold=True).text(324, 241, "Qty", bold=True)
    page.text(371, 241, "Cartons", bold=True).text(505, 241, "G.W. (KGS)", bold=True)
    page.text(44, 260, "STAINLESS STEEL KITCHEN SINKS, MODEL").text(297, 260, "2,600 PCS").text(
        384, 260, "2600"
    )
    page.text(513, 260, "21,061.08").text(44, 271, "SK-8045, SINGLE BOWL")
    # captions under the table, close enough to pass for another row
    page.text(40, 290, "No. of Packages: 2600 CARTONS").text(298, 290, "G.W.: 21,061.08 KG")
    packing = _read("packing_list", tmp_path / "pl.pdf", page)
    assert isinstance(packing, PackingList)
    assert [item.quantity for item in packing.lines] == [Quantity(amount=Decimal("2600"), unit="PCS")]
    assert packing.total_quantity is not None
    assert packing.total_quantity.value == Quantity(amount=Decimal("2600"), unit="PCS")
    assert packing.total_quantity.source.extractor == "derived"


def test_table_segment_under_one_header_stays_whole(tmp_path: Path) -> None:
    page = PageSpec()
    page.text(44, 100, "Description").text(356, 100, "Qty").text(507, 100, "Amount")
    page.text(44, 116, "RICE, CROP 2025, IN 25 KG PP BAGS").text(342, 116, "176 MT").text(
        507, 116, "1,000.00"
    )
    pdf = read_pdf(build_pdf(tmp_path / "t.pdf", [page]))
    import re

    table = find_table(
        pdf,
        {
            "description": re.compile("Description"),
            "quantity": re.compile("Qty"),
            "amount": re.compile("Amount"),
        },
        required=["description", "quantity"],
    )
    assert table is not None and len(table.rows) == 1
    row = table.rows[0]
    assert (row.text("description"), row.text("quantity"), row.text("amount")) == (
        "RICE, CROP 2025, IN 25 KG PP BAGS",
        "176 MT",
        "1,000.00",
    )


@dataclass(frozen=True, slots=True)
class _OcrWord(Word):
    confidence: float = 0.9


def test_ocr_words_split_into_segments_at_column_gaps_only() -> None:
    # OCR boxes hug the glyphs: word spacing measures ~0.7-1 of the height
    def words(cls: type[Word]) -> list[Word]:
        spans = [("Vessel", 39.8, 71.5), ("/", 78.7, 82.5), ("Voy.", 88.1, 108.5), ("No.:", 115.7, 135.3),
                 ("MV", 179.9, 190.5), ("STELLA", 196.8, 228.4)]  # fmt: skip
        return [cls(text=t, x0=x0, top=100.0, x1=x1, bottom=107.7, page=1) for t, x0, x1 in spans]

    assert [s.text for s in split_segments(words(_OcrWord))] == ["Vessel / Voy. No.:", "MV STELLA"]
    # the same gaps in a text layer are wide: there a word gap is a fraction of that
    assert len(split_segments(words(Word))) > 2


def test_wrapped_issue_date_vessel_and_merged_table_header(tmp_path: Path) -> None:
    page = PageSpec().text(235, 80, "BILL OF LADING", size=15, bold=True)
    page.text(298, 181, "Place and Date of").text(396, 181, "HO CHI MINH CITY, 30 MAY")
    page.text(40, 187, "Consignee:").text(133, 187, "TO ORDER OF ALBION MERCHANT BANK PLC")
    page.text(298, 193, "Issue:").text(396, 193, "2026")
    # "No. of Packages" and "Description of Goods" set close enough to make one segment
    page.text(44, 336, "Marks and Numbers", bold=True).text(
        160, 336, "No. of Packages Description of Goods", bold=True
    )
    page.text(44, 355, "PENNINE FELIXSTOWE").text(181, 355, "368 CARTONS").lines(44, 366, ["C/NO. 1-368"])
    bl = _read("bill_of_lading", tmp_path / "bl.pdf", page)
    assert bl.date is not None and bl.date.value == dt.date(2026, 5, 30)
    assert bl.marks is not None and bl.marks.value == "PENNINE FELIXSTOWE C/NO. 1-368"


def test_wrapped_vessel_joins_only_its_own_continuation(tmp_path: Path) -> None:
    two_column = PageSpec().text(189, 70, "CERTIFICATE OF ORIGIN", size=15, bold=True)
    two_column.text(40, 216, "Means of").text(138, 216, "BY SEA, MV NORTHERN")
    two_column.text(40, 228, "Transport:").text(138, 228, "DAWN")
    certificate = _read("certificate_of_origin", tmp_path / "a.pdf", two_column)
    assert certificate.vessel is not None and certificate.vessel.value == "BY SEA, MV NORTHERN DAWN"
    # labels left: the value under the vessel belongs to the next caption
    label_left = PageSpec().text(189, 70, "CERTIFICATE OF ORIGIN", size=15, bold=True)
    label_left.text(40, 216, "Vessel:").text(180, 216, "BY SEA, MV NORTHERN DAWN")
    label_left.text(40, 231, "Port of Loading:").text(180, 231, "YANTIAN")
    certificate = _read("certificate_of_origin", tmp_path / "b.pdf", label_left)
    assert certificate.vessel is not None and certificate.vessel.value == "BY SEA, MV NORTHERN DAWN"
    assert certificate.port_of_loading is not None and certificate.port_of_loading.value == "YANTIAN"


def test_draft_drawee_written_on_one_line_of_prose(tmp_path: Path) -> None:
    page = PageSpec().text(250, 46, "DRAFT", size=15, bold=True)
    page.text(40, 100, "At sight of this FIRST of Exchange pay to the order of EAST RIVER BANK the sum of")
    page.text(
        40, 140, "To: PENNINE BUILDERS MERCHANTS LIMITED, UNIT 9, CALDER PARK, WAKEFIELD WF2 7AW, UNITED"
    )
    page.text(40, 151, "KINGDOM")
    draft = _read("draft", tmp_path / "d.pdf", page)
    assert draft.drawee is not None
    assert draft.drawee.value.name == "PENNINE BUILDERS MERCHANTS LIMITED"
    assert draft.drawee.value.country == "GB"
