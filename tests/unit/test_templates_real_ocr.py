"""Issuer templates and readers on layouts as OCR reads them: a brand cut off a scan, a
currency symbol misread, a notify box reading "SAME AS CONSIGNEE", a carrier named only in the
signature box. The pages rebuild the real documents' layouts (shared/data) with OCR's noise."""

from __future__ import annotations

from pathlib import Path

from extractors.fields import extract_document
from extractors.models import BillOfLading, CommercialInvoice
from extractors.pdf_text import read_pdf
from tests.unit.pdf_samples import PageSpec, build_pdf


def _extract(doc_type: str, path: Path, page: PageSpec, *, templates: bool):
    pdf = read_pdf(build_pdf(path, [page]))
    return extract_document(doc_type, pdf, path.name, templates=None if templates else False)


def _flipkart_scan() -> PageSpec:
    """The top of a Flipkart invoice: no brand (it is in the cut-off footer), "₹" read as "®",
    the PIN code 560067 read as "$60067"."""
    page = PageSpec().text(230, 40, "Retail Invoices/Bill", size=13, bold=True)
    page.text(390, 62, "Invoice No : # BLR_WFLD20151000982590")
    page.text(30, 84, "Sold By : WS Retail Services Pvt. Ltd.,", size=11)
    page.text(
        30, 100, "Warehouse Address: NO. 42/1 & 43, HOSKOTE TALUK, Bangalore, Karnataka, India - $60067"
    )
    page.text(30, 120, "Order ID: OD304175096047380001").text(220, 120, "Billing Address")
    page.text(30, 140, "Invoice Date: 20-10-2015").text(220, 140, "Anushrut Singh")
    page.text(30, 180, "Product").text(150, 180, "Title").text(330, 180, "Qty").text(370, 180, "Price(®)")
    page.text(430, 180, "Tax(%)").text(480, 180, "Total (®)")
    page.text(30, 200, "Memory cards").text(150, 200, "SanDisk Ultra 16 GB MicroSDHC").text(335, 200, "1")
    page.text(370, 200, "278.61").text(430, 200, "14.50%").text(480, 200, "319.00")
    page.text(30, 214, "FSN:").text(150, 214, "Price is inclusive of Promotional Discount of Rs -40.00,")
    page.text(30, 228, "WID: VM72516")
    page.text(300, 260, "Total").text(335, 260, "1").text(370, 260, "278.61").text(480, 260, "319.00")
    page.text(360, 290, "Grand Total", size=12).text(470, 290, "® 319.00", size=12)
    return page


def test_flipkart_scan_without_the_brand_is_known_by_its_order_id_and_fsn(tmp_path: Path) -> None:
    invoice = _extract("commercial_invoice", tmp_path / "flipkart.pdf", _flipkart_scan(), templates=True)
    assert isinstance(invoice, CommercialInvoice)
    assert invoice.issuer is not None and invoice.issuer.value.name == "Flipkart"
    assert invoice.number is not None and invoice.number.value == "BLR_WFLD20151000982590"
    assert invoice.total is not None and f"{invoice.total.value}" == "INR 319.00"
    assert invoice.total.source.template == "flipkart"
    assert invoice.currency is not None and invoice.currency.value == "INR"


def test_flipkart_template_needs_a_flipkart_identifier(tmp_path: Path) -> None:
    page = _flipkart_scan()
    page.items = [
        item for item in page.items if not getattr(item, "text", "").startswith(("Order ID", "FSN"))
    ]
    invoice = _extract("commercial_invoice", tmp_path / "other.pdf", page, templates=True)
    assert invoice.issuer is not None and invoice.issuer.value.name != "Flipkart"


def test_turnpike_total_is_the_balance_due_in_canadian_dollars(tmp_path: Path) -> None:
    page = PageSpec().text(420, 40, "INVOICE", size=20)
    page.text(420, 80, "Turnpike Designs", bold=True).text(400, 92, "156 University Ave, Toronto")
    page.text(430, 104, "ON, Canada , M5H 2H7")
    page.text(30, 200, "BILL TO").text(350, 200, "Invoice Number:").text(440, 200, "14")
    page.text(30, 212, "Jiro Doi").text(350, 212, "Invoice Date:").text(440, 212, "2018-09-25")
    page.text(340, 260, "Amount Due (USD):", bold=True).text(440, 260, "$2,608.20", bold=True)
    page.text(30, 320, "Services").text(300, 320, "Quantity").text(400, 320, "Price").text(480, 320, "Amount")
    page.text(30, 340, "Mobile designs").text(310, 340, "1").text(400, 340, "$250.00").text(
        480, 340, "$250.00"
    )
    page.text(390, 540, "Total:").text(470, 540, "$2,608.20")
    page.text(330, 570, "Amount due (CAD):", bold=True).text(470, 570, "$2,608.20", bold=True)
    invoice = _extract("commercial_invoice", tmp_path / "turnpike.pdf", page, templates=True)
    assert isinstance(invoice, CommercialInvoice)
    assert invoice.issuer is not None and invoice.issuer.value.name == "Turnpike Designs"
    assert invoice.total is not None and f"{invoice.total.value}" == "CAD 2,608.20"
    assert invoice.currency is not None and invoice.currency.value == "CAD"


def _bill_of_lading(notify: list[str]) -> PageSpec:
    page = PageSpec().text(360, 50, "BILL OF LADING", size=16, bold=True)
    page.text(60, 50, "Shipper:", bold=True)
    page.lines(60, 62, ["GLOBAL FREIGHT SOLUTIONS INC.", "123 OCEAN DRIVE", "SHANGHAI, CHINA"])
    page.text(60, 120, "Consignee:", bold=True)
    page.lines(60, 132, ["PACIFIC TRADING CO.", "789 TRADE STREET", "SINGAPORE 567890"])
    page.text(60, 190, "Notify Party (Complete name and address):", bold=True)
    page.lines(60, 202, notify)
    page.text(230, 260, "Port of loading:", bold=True).text(230, 272, "SHANGHAI, CHINA")
    page.text(60, 300, "One of these Combined Transport Bills of Lading must be surrendered duly endorsed.")
    page.text(60, 600, "For delivery of goods please apply to:", bold=True).text(
        320, 600, "Signature:", bold=True
    )
    page.text(60, 614, "INTERNATIONAL LOGISTICS LTD").text(320, 614, "GLOBAL SHIPPING CO., LTD.")
    page.text(60, 626, "456 SHIPPING LANE")
    page.text(60, 638, "LOS ANGELES, CA 90001").text(320, 638, "BY ________________")
    page.text(60, 650, "USA").text(320, 650, "AS CARRIER")
    return page


def test_notify_party_same_as_consignee_is_the_consignee(tmp_path: Path) -> None:
    bl = _extract(
        "bill_of_lading", tmp_path / "bl.pdf", _bill_of_lading(["SAME AS CONSIGNEE"]), templates=False
    )
    assert isinstance(bl, BillOfLading)
    assert bl.consignee is not None and bl.consignee.value.name == "PACIFIC TRADING CO."
    assert bl.notify_party is not None and bl.notify_party.value == bl.consignee.value
    # read where the notify box says so, with a note for the examiner
    assert bl.notify_party.source.raw == "SAME AS CONSIGNEE"
    assert any("consignee" in note for note in bl.notify_party.source.notes)


def test_caption_note_is_not_the_notify_party_name(tmp_path: Path) -> None:
    page = _bill_of_lading(["NORDTEX GMBH", "MARIAHILFER STRASSE 1", "VIENNA, AUSTRIA"])
    bl = _extract("bill_of_lading", tmp_path / "bl.pdf", page, templates=False)
    assert bl.notify_party is not None and bl.notify_party.value.name == "NORDTEX GMBH"
    assert bl.notify_party.value.country == "AT"


def test_carrier_signing_in_its_own_box_names_the_carrier(tmp_path: Path) -> None:
    bl = _extract(
        "bill_of_lading", tmp_path / "bl.pdf", _bill_of_lading(["SAME AS CONSIGNEE"]), templates=False
    )
    assert bl.signatory_capacity is not None and bl.signatory_capacity.value == "carrier"
    # not "USA", the last line of the address column beside "AS CARRIER"
    assert bl.signatory is not None and bl.signatory.value == "GLOBAL SHIPPING CO., LTD."
    assert bl.carrier is not None and bl.carrier.value.name == "GLOBAL SHIPPING CO., LTD."
