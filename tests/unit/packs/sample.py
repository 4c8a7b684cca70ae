"""A small hand-built presentation for the engine tests and benchmarks/bench_rules.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from extractors.models import (
    BillOfLading,
    CommercialInvoice,
    DocumentRequirement,
    Extracted,
    FileInfo,
    GoodsItem,
    InputProblem,
    LetterOfCredit,
    Money,
    Party,
    Presentation,
    Provenance,
    Quantity,
)


def mt(line: int, raw: str = "") -> Provenance:
    return Provenance(file="lc.txt", line=line, raw=raw, extractor="mt700")


def on_page(file: str, top: float, raw: str = "") -> Provenance:
    return Provenance(
        file=file, page=1, bbox=(72.0, top, 190.0, top + 14), raw=raw, extractor="text", confidence=0.98
    )


def sample_presentation(*, bl_port: str = "ANTWERP", invoice_total: str = "110000.00") -> Presentation:
    lc = LetterOfCredit(
        file="lc.txt",
        number=Extracted(value="LC2026-00417", source=mt(5)),
        expiry_date=Extracted(value=dt.date(2026, 3, 15), source=mt(9)),
        applicant=Extracted(
            value=Party(name="NORDTEX GMBH", address=["HAMBURG", "GERMANY"], country="DE"), source=mt(11)
        ),
        beneficiary=Extracted(value=Party(name="ACME AS", address=["OSLO"], country="NO"), source=mt(14)),
        amount=Extracted(
            value=Money(amount=Decimal("100000.00"), currency="USD"), source=mt(17, "USD100000,00")
        ),
        tolerance_plus=Extracted(value=Decimal("10"), source=mt(18)),
        tolerance_minus=Extracted(value=Decimal("10"), source=mt(18)),
        port_of_loading=Extracted(value="ROTTERDAM", source=mt(22, "ROTTERDAM")),
        latest_shipment_date=Extracted(value=dt.date(2026, 2, 28), source=mt(24)),
        goods=[GoodsItem(description="COTTON T-SHIRTS", quantity=Quantity(amount=Decimal(1000), unit="PCS"))],
        documents_required=[
            DocumentRequirement(
                raw="SIGNED COMMERCIAL INVOICE IN 3 ORIGINALS",
                document_type="commercial_invoice",
                originals=3,
                signed=True,
                source=mt(30),
            ),
            DocumentRequirement(
                raw="FULL SET CLEAN ON BOARD BILLS OF LADING",
                document_type="bill_of_lading",
                full_set=True,
                source=mt(31),
            ),
            DocumentRequirement(
                raw="CERTIFICATE OF ORIGIN", document_type="certificate_of_origin", source=mt(32)
            ),
        ],
    )
    invoice = CommercialInvoice(
        file="inv.pdf",
        number=Extracted(value="INV-7", source=on_page("inv.pdf", 80)),
        total=Extracted(
            value=Money(amount=Decimal(invoice_total), currency="USD"),
            source=on_page("inv.pdf", 600, invoice_total),
        ),
        incoterm=Extracted(value="CIF", source=on_page("inv.pdf", 300)),
        text="COMMERCIAL INVOICE ...",
    )
    bill = BillOfLading(
        file="bl.pdf",
        port_of_loading=Extracted(value=bl_port, source=on_page("bl.pdf", 410, bl_port)),
        on_board_date=Extracted(value=dt.date(2026, 2, 20), source=on_page("bl.pdf", 500)),
        date=Extracted(value=dt.date(2026, 2, 21), source=on_page("bl.pdf", 90)),
    )
    return Presentation(
        bundle="sample",
        presented_on=dt.date(2026, 3, 10),
        lc=lc,
        documents=[invoice, bill],
        files=[
            FileInfo(file="lc.txt", type="letter_of_credit", extraction="mt700"),
            FileInfo(file="inv.pdf", type="commercial_invoice"),
            FileInfo(file="bl.pdf", type="bill_of_lading"),
            FileInfo(file="scan.png", type=None, extraction="none"),
        ],
        problems=[InputProblem(file="scan.png", code="needs_ocr", message="image without a text layer")],
    )
