"""A small hand-built presentation for the report tests: an MT700, two PDF documents drawn
with reportlab, and an examination Report whose evidence boxes are the real word positions
pdfplumber reads from those PDFs (so a crop that lands elsewhere would show it)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from engine.findings import Evidence, Finding, Report
from extractors.models import (
    BillOfLading,
    CommercialInvoice,
    Extracted,
    FileInfo,
    Money,
    Presentation,
    Provenance,
)
from extractors.swift import parse_mt700
from reports.inputs import ReviewerDecision, ScreeningResult

MT700 = """{1:F01HKBKNL2AAXXX0000000000}{2:I700NBBKCNSHXXXXN}{4:
:27:1/1
:40A:IRREVOCABLE
:20:LC-REPORT-0042
:31C:260310
:40E:UCP LATEST VERSION
:31D:260715LONDON
:50:ATLAS HOME GOODS LTD
12 CANNON STREET
LONDON EC4N 6AP
UNITED KINGDOM
:59:NINGBO BRIGHT HOUSEWARES CO., LTD.
88 JIANGNAN ROAD, BEILUN DISTRICT
NINGBO 315800
CHINA
:32B:USD125000,00
:39A:5/5
:41D:ANY BANK IN CHINA
BY NEGOTIATION
:42C:AT SIGHT
:42A:HKBKNL2A
:43P:NOT ALLOWED
:43T:ALLOWED
:44E:NINGBO, CHINA
:44F:FELIXSTOWE, UNITED KINGDOM
:44C:260531
:45A:+5,000 SETS STAINLESS STEEL COOKWARE AT USD 25.00 PER SET
+CIF FELIXSTOWE INCOTERMS 2020
:46A:+SIGNED COMMERCIAL INVOICE IN 3 ORIGINALS
+FULL SET OF CLEAN ON BOARD OCEAN BILLS OF LADING
:48:21/FROM THE DATE OF SHIPMENT
:49:WITHOUT
-}
"""

INVOICE_TOTAL = "131,500.00"
BL_PORT = "SHANGHAI"


def _draw(path: Path, lines: list[tuple[float, float, str]]) -> None:
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setFont("Helvetica", 10)
    for x, y, text in lines:
        pdf.drawString(x, y, text)
    pdf.showPage()
    pdf.save()


def word_box(path: Path, word: str) -> list[float]:
    """pdfplumber's box (x0, top, x1, bottom) of the first word equal to ``word``."""
    with pdfplumber.open(path) as pdf:
        for found in pdf.pages[0].extract_words():
            if found["text"] == word:
                return [round(found[k], 2) for k in ("x0", "top", "x1", "bottom")]
    raise AssertionError(f"{word!r} not on the first page of {path}")


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "credit.txt").write_text(MT700, encoding="ascii")
    _draw(
        folder / "doc1.pdf",
        [
            (72, 780, "COMMERCIAL INVOICE No. INV-7781"),
            (72, 760, "NINGBO BRIGHT HOUSEWARES CO., LTD."),
            (72, 700, "5,000 SETS STAINLESS STEEL COOKWARE"),
            (380, 420, "TOTAL USD"),
            (450, 420, INVOICE_TOTAL),
        ],
    )
    _draw(
        folder / "doc2.pdf",
        [
            (72, 780, "BILL OF LADING No. COSU6123456"),
            (72, 600, "Port of loading:"),
            (160, 600, BL_PORT),
            (72, 580, "Port of discharge: FELIXSTOWE"),
        ],
    )
    return folder


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def presentation(bundle: Path) -> Presentation:
    lc = parse_mt700(MT700, "credit.txt")
    total_box = word_box(bundle / "doc1.pdf", INVOICE_TOTAL)
    invoice = CommercialInvoice(
        file="doc1.pdf",
        total=Extracted[Money](
            value=Money(amount=Decimal("131500.00"), currency="USD"),
            source=Provenance(file="doc1.pdf", page=1, bbox=tuple(total_box), raw=INVOICE_TOTAL),
        ),
    )
    bl = BillOfLading(file="doc2.pdf")
    return Presentation(
        bundle=str(bundle),
        presented_on=dt.date(2026, 6, 5),
        lc=lc,
        documents=[invoice, bl],
        files=[
            FileInfo(file="credit.txt", type="letter_of_credit", pages=1, extraction="mt700", sha256=_sha(bundle / "credit.txt")),
            FileInfo(file="doc1.pdf", type="commercial_invoice", pages=1, sha256=_sha(bundle / "doc1.pdf")),
            FileInfo(file="doc2.pdf", type="bill_of_lading", pages=1, sha256=_sha(bundle / "doc2.pdf")),
        ],
    )


@pytest.fixture
def report(bundle: Path, presentation: Presentation) -> Report:
    total_box = word_box(bundle / "doc1.pdf", INVOICE_TOTAL)
    port_box = word_box(bundle / "doc2.pdf", BL_PORT)
    findings = [
        Finding(
            rule="ucp600.18b.invoice-amount",
            severity="discrepancy",
            refs=["UCP600 18(b)", "UCP600 30(a)"],
            documents=["commercial_invoice"],
            title="Invoice amount within the credit amount plus tolerance",
            message="Invoice amount USD 131,500.00 exceeds the credit amount USD 125,000.00 plus tolerance (+5%)",
            evidence=[
                Evidence(document="commercial_invoice", field="total", value={"amount": 131500.0, "currency": "USD"},
                         file="doc1.pdf", page=1, bbox=total_box, raw=INVOICE_TOTAL, extractor="text", confidence=0.9),
                Evidence(document="letter_of_credit", field="amount", value={"amount": 125000.0, "currency": "USD"},
                         file="credit.txt", line=18, raw="USD125000,00", extractor="mt700", confidence=1.0),
            ],
        ),
        Finding(
            rule="ucp600.20a3.port-of-loading",
            severity="discrepancy",
            refs=["UCP600 20(a)(iii)", "ISBP821 E6"],
            documents=["bill_of_lading"],
            title="Port of loading as stated in the credit",
            message="Port of loading on the B/L (SHANGHAI) differs from 44E (NINGBO, CHINA)",
            evidence=[
                Evidence(document="bill_of_lading", field="port_of_loading", value=BL_PORT,
                         file="doc2.pdf", page=1, bbox=port_box, raw=BL_PORT, extractor="text", confidence=0.95),
                Evidence(document="letter_of_credit", field="port_of_loading", value="NINGBO, CHINA",
                         file="credit.txt", line=26, raw="NINGBO, CHINA", extractor="mt700", confidence=1.0),
            ],
        ),
        Finding(
            rule="ucp600.14c.presentation-period",
            severity="info",
            refs=["UCP600 14(c)"],
            documents=["presentation"],
            title="Presentation period",
            message="Presented 12 days after shipment; 48 allows 21",
            evidence=[Evidence(document="presentation", field="presented_on", value="2026-06-05")],
        ),
    ]
    return Report(
        outcome="discrepant",
        documents=list(presentation.files),
        findings=findings,
        packs={"ucp600": "1.0.0"},
        lc_number="LC-REPORT-0042",
        presented_on="2026-06-05",
    )


@pytest.fixture
def decisions() -> list[ReviewerDecision]:
    return [
        ReviewerDecision(rule="ucp600.18b.invoice-amount", action="confirm", reason="overdrawn by USD 6,250",
                         who="examiner.li", when=dt.datetime(2026, 6, 8, 10, 15, tzinfo=dt.UTC)),
        ReviewerDecision(rule="ucp600.20a3.port-of-loading", action="waive", reason="applicant accepts Shanghai",
                         who="examiner.li", when=dt.datetime(2026, 6, 8, 10, 20, tzinfo=dt.UTC)),
    ]


@pytest.fixture
def screening() -> list[ScreeningResult]:
    return [
        ScreeningResult.model_validate(
            {
                "query": "NINGBO BRIGHT HOUSEWARES CO., LTD.",
                "role": "beneficiary",
                "type": "entity",
                "matches": [],
                "list_versions": ["OFAC-SDN 2024-05-03 (sha256 1a2b3c4d)", "UN 2026-02-10 (sha256 9f8e7d6c)"],
            }
        ),
        ScreeningResult.model_validate(
            {
                "query": "EVER GIVEN",
                "role": "vessel",
                "type": "vessel",
                "matches": [
                    {"id": "OFAC-SDN:99999", "name": "EVER GIVING", "score": 0.91, "programs": ["SDGT"],
                     "list_version": "OFAC-SDN 2024-05-03 (sha256 1a2b3c4d)", "disposition": "false_positive",
                     "decided_by": "compliance.ng", "reason": "different IMO number", "explanation": []},
                ],
            }
        ),
    ]


@pytest.fixture
def signing_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data dir, so tests never touch (or create) a real installation's keys."""
    data = tmp_path / "data"
    monkeypatch.setenv("BLOCKTRADE_DATA_DIR", str(data))
    return data / "keys"
