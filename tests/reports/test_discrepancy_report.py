"""The discrepancy report: content of the HTML, crops, PDF rendering, signature, bad input."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pdfplumber
import pytest
from PIL import Image

from engine.findings import Report
from extractors.models import Presentation
from reports.discrepancy import DiscrepancyReportInput, render_html, write_discrepancy_report
from reports.inputs import ReportInputError, ReviewerDecision
from reports.page_images import PageRenderer, bundle_source, folder_source
from reports.signing import load_or_create_signing_key, load_public_key, verify_report

from .conftest import INVOICE_TOTAL, word_box

REPO = Path(__file__).resolve().parents[2]


def _input(report: Report, presentation: Presentation, bundle: Path, **kwargs) -> DiscrepancyReportInput:
    return DiscrepancyReportInput(report, presentation=presentation, files=bundle_source(bundle),
                                  generated_at=dt.datetime(2026, 6, 8, 12, 0, tzinfo=dt.UTC), **kwargs)


def test_html_has_every_finding_with_its_citation(report, presentation, bundle, decisions, screening):
    html = render_html(_input(report, presentation, bundle, decisions=decisions, screening=screening))
    for finding in report.findings:
        assert finding.rule in html
        assert finding.message.replace("(", "").replace(")", "")[:40] in html.replace("(", "").replace(")", "")
        for ref in finding.refs:
            assert ref in html
    assert "Art. 18 Commercial Invoice" in html
    assert "Art. 20 Bill of Lading" in html
    # Summary: credit, parties, amounts, dates, outcome and the 14(b) deadline at London
    # (presented Friday 2026-06-05: Mon 8 .. Fri 12).
    for text in ("LC-REPORT-0042", "ATLAS HOME GOODS LTD", "NINGBO BRIGHT HOUSEWARES", "USD 125,000.00",
                 "USD 131,500.00", "2026-06-05", "DISCREPANT", "2026-06-12", "London"):
        assert text in html, text
    # Decisions and screening with the list versions used.
    assert "overdrawn by USD 6,250" in html and "applicant accepts Shanghai" in html
    assert "confirmed" in html and "waived" in html
    assert "OFAC-SDN 2024-05-03 (sha256 1a2b3c4d)" in html and "UN 2026-02-10" in html
    assert "EVER GIVING" in html and "false positive" in html


def test_html_escapes_document_text(report, presentation, bundle):
    report.findings[0].message = "<script>alert(1)</script> amount"
    html = render_html(_input(report, presentation, bundle))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_crop_shows_the_evidence_box(bundle):
    box = word_box(bundle / "doc1.pdf", INVOICE_TOTAL)
    crop = PageRenderer(folder_source(bundle)).crop("doc1.pdf", 1, box)
    assert crop.png is not None and crop.reason == ""
    image = Image.open(io.BytesIO(crop.png)).convert("RGB")
    red = [(x, y) for x in range(image.width) for y in range(image.height)
           if image.getpixel((x, y))[0] > 180 and image.getpixel((x, y))[1] < 80 and image.getpixel((x, y))[2] < 80]
    assert red, "the evidence box is drawn in red"
    xs, ys = [p[0] for p in red], [p[1] for p in red]
    # The box encloses the amount's width at the render scale (2 px per point), +/- the padding.
    assert abs((max(xs) - min(xs)) / 2 - (box[2] - box[0])) < 8
    assert abs((max(ys) - min(ys)) / 2 - (box[3] - box[1])) < 8
    # Much smaller than the page: it is a crop, not the page.
    assert image.width < 595 * 2 and image.height < 200 * 2


@pytest.mark.parametrize(
    ("file", "page", "bbox", "reason"),
    [
        ("missing.pdf", 1, [10, 10, 50, 20], "missing.pdf is not in the bundle"),
        ("doc1.pdf", 7, [10, 10, 50, 20], "there is no page 7"),
        ("doc1.pdf", 1, None, "no position on the page"),
        ("credit.txt", 1, [10, 10, 50, 20], "not a readable image"),
        ("../outside.pdf", 1, [10, 10, 50, 20], "not in the bundle"),
    ],
)
def test_missing_page_image_gives_a_reason_not_a_crash(bundle, file, page, bbox, reason):
    (bundle.parent / "outside.pdf").write_bytes((bundle / "doc1.pdf").read_bytes())
    crop = PageRenderer(folder_source(bundle)).crop(file, page, bbox)
    assert crop.png is None
    assert reason in crop.reason


def test_report_without_page_images_shows_placeholders(report, presentation, tmp_path):
    html = render_html(DiscrepancyReportInput(report, presentation=presentation, files=folder_source(tmp_path)))
    assert html.count("Page image not available") == 2
    assert "data:image/png" not in html
    html = render_html(DiscrepancyReportInput(report))  # no presentation, no files at all
    assert "page images are not available" in html
    assert "LC-REPORT-0042" in html


def test_pdf_renders_signs_and_verifies(report, presentation, bundle, decisions, screening, signing_dir, tmp_path):
    out = write_discrepancy_report(
        _input(report, presentation, bundle, decisions=decisions, screening=screening), tmp_path / "r.pdf"
    )
    with pdfplumber.open(out) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        assert len(pdf.pages) >= 2
        assert any(page.images for page in pdf.pages), "the evidence crops are embedded"
    assert "ucp600.18b.invoice-amount" in text and "UCP600 20(a)(iii)" in text
    result = verify_report(out)
    assert result.valid, result.reason
    assert result.trusted_key
    # The exported public key verifies it too, and a different key does not.
    assert verify_report(out, load_public_key(signing_dir / "report-signing.pub.pem")).valid
    other = load_or_create_signing_key(tmp_path / "other-keys").public_key()
    assert not verify_report(out, other).valid


def test_html_report_is_signed_too(report, presentation, bundle, signing_dir, tmp_path):
    out = write_discrepancy_report(_input(report, presentation, bundle), tmp_path / "r.html")
    assert verify_report(out).valid
    out.write_text(out.read_text().replace("LC-REPORT-0042", "LC-REPORT-0043"))
    assert not verify_report(out).valid


def test_tampered_pdf_fails_verification(report, presentation, bundle, signing_dir, tmp_path):
    out = write_discrepancy_report(_input(report, presentation, bundle), tmp_path / "r.pdf")
    original = out.read_bytes()

    flipped = bytearray(original)
    flipped[len(original) // 2] ^= 0x01
    out.write_bytes(bytes(flipped))
    result = verify_report(out)
    assert not result.valid and "changed after signing" in result.reason

    out.write_bytes(original + b"% appended\n")
    assert not verify_report(out).valid

    out.write_bytes(original[: original.rfind(b"%BLOCKTRADE-SIGNATURE")])
    result = verify_report(out)
    assert not result.valid and "no BlockTrade signature" in result.reason

    # A forged trailer: the right hash of altered content, the signature copied from the original.
    body_end = original.rfind(b"\n%BLOCKTRADE-SIGNATURE")
    altered = original[:body_end] + b"\n% an extra object could go here"
    import hashlib
    import json

    block = json.loads(original[body_end + len(b"\n%BLOCKTRADE-SIGNATURE "):].strip())
    block["sha256"] = hashlib.sha256(altered).hexdigest()
    block["length"] = len(altered)
    out.write_bytes(altered + b"\n%BLOCKTRADE-SIGNATURE " + json.dumps(block).encode() + b"\n")
    result = verify_report(out)
    assert not result.valid and "signature does not match" in result.reason


def test_signing_key_is_created_private_with_public_key_exported(signing_dir):
    key = load_or_create_signing_key()
    private = signing_dir / "report-signing.pem"
    assert private.stat().st_mode & 0o077 == 0
    assert (signing_dir / "report-signing.pub.pem").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    again = load_or_create_signing_key()
    assert again.public_key().public_bytes_raw() == key.public_key().public_bytes_raw()


def test_not_yet_examined_is_a_clear_error():
    with pytest.raises(ReportInputError, match=r"not been examined yet .status: ocr_running"):
        render_html(DiscrepancyReportInput(None, status="ocr_running"))


def test_bad_decisions_are_rejected_with_their_number(report, presentation):
    with pytest.raises(ReportInputError, match=r"decision 1: field action"):
        render_html(DiscrepancyReportInput(report, decisions=[{"rule": "x", "action": "ignore", "reason": "r",
                                                                "who": "a", "when": "2026-06-08T10:00:00Z"}]))
    with pytest.raises(ReportInputError, match=r"decision 1: no finding of rule ucp600.nope"):
        render_html(DiscrepancyReportInput(report, decisions=[
            ReviewerDecision(rule="ucp600.nope", action="waive", reason="r", who="a", when=dt.datetime(2026, 6, 8))
        ]))
    report.findings[0].hold = True
    with pytest.raises(ReportInputError, match="a waiver cannot cure it"):
        render_html(DiscrepancyReportInput(report, decisions=[
            ReviewerDecision(rule=report.findings[0].rule, action="waive", reason="r", who="a",
                             when=dt.datetime(2026, 6, 8))
        ]))


def test_wrong_suffix_is_refused(report, tmp_path):
    with pytest.raises(ReportInputError, match=r"r\.docx: the report file must end in \.pdf or \.html"):
        write_discrepancy_report(DiscrepancyReportInput(report), tmp_path / "r.docx")


def test_pdf_renders_without_any_fonts_configured(tmp_path):
    """A machine with no fonts known to fontconfig still gets a PDF (WeasyPrint falls back)."""
    fonts_conf = tmp_path / "fonts.conf"
    cache = tmp_path / "cache"
    fonts_conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
        f"<fontconfig><cachedir>{cache}</cachedir></fontconfig>"
    )
    script = (
        "from engine.findings import Report\n"
        "from reports.discrepancy import DiscrepancyReportInput, render_pdf\n"
        "pdf = render_pdf(DiscrepancyReportInput(Report(outcome='compliant', documents=[], findings=[],"
        " lc_number='LC-NOFONTS')))\n"
        "assert pdf.startswith(b'%PDF-'), pdf[:8]\n"
        "import io, pdfplumber\n"
        "print(pdfplumber.open(io.BytesIO(pdf)).pages[0].extract_text().count('LC-NOFONTS'))\n"
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(fonts_conf), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip().splitlines()[-1]) >= 1, "the text is rendered with the fallback font"


def test_no_font_at_all_is_a_clear_error(monkeypatch):
    import reports.discrepancy as discrepancy

    discrepancy._font_fallback_css.cache_clear()
    monkeypatch.setattr(discrepancy, "system_fonts_available", lambda: False)
    monkeypatch.setattr(discrepancy, "bundled_fallback_font", lambda: None)
    try:
        with pytest.raises(ReportInputError, match="no fonts are installed"):
            discrepancy.render_pdf(DiscrepancyReportInput(Report(outcome="compliant", documents=[], findings=[])))
    finally:
        discrepancy._font_fallback_css.cache_clear()


def test_scanned_image_page_is_cropped_by_its_dpi(tmp_path):
    # A 144-dpi scan: a box in points maps to twice as many pixels.
    page = Image.new("RGB", (1190, 1684), "white")
    buffer = io.BytesIO()
    page.save(buffer, format="PNG", dpi=(144, 144))
    (tmp_path / "scan.png").write_bytes(buffer.getvalue())
    crop = PageRenderer(folder_source(tmp_path)).crop("scan.png", 1, [200, 400, 300, 420])
    assert crop.png is not None
    image = Image.open(io.BytesIO(crop.png))
    # The minimum crop width (320 pt) around a 100 pt box, at 2 px per point (PNG stores
    # dpi as pixels per metre, so allow a pixel of rounding); height 20 pt + 36 pt each side.
    assert abs(image.width - 2 * 320) <= 2
    assert abs(image.height - 2 * (20 + 2 * 36)) <= 2
    assert PageRenderer(folder_source(tmp_path)).crop("scan.png", 2, [1, 1, 2, 2]).reason.endswith("no page 2")


def test_examinations_own_screening_record_is_shown_when_none_is_supplied(report, presentation, bundle):
    from engine.findings import ScreeningSummary

    screened = report.model_copy(update={"screening": ScreeningSummary(
        available=True,
        list_versions=["OFAC-SDN 2024-05-03 (sha256 1a2b3c4d)"],
        screened=[
            {"role": "beneficiary", "document": "letter_of_credit", "field": "beneficiary",
             "query": "EGE MERMER SANAYI", "type": "", "hits": 1},
            {"role": "carrier", "document": "bill_of_lading", "field": "carrier",
             "query": "ORIENT STAR LINES", "type": "", "hits": 0},
        ],
        hits=[{"role": "beneficiary", "query": "EGE MERMER SANAYI", "entry_id": "OFAC-SDN:4242",
               "entry_name": "EGE MERMER SANAYI LTD", "score": 0.93, "programs": ["SDGT"],
               "list_version_label": "OFAC-SDN 2024-05-03 (sha256 1a2b3c4d)", "decision": "false_positive",
               "decided_by": "officer@bank.example", "decision_reason": "other company, other city"}],
    )})
    html = render_html(_input(screened, presentation, bundle))
    assert "OFAC-SDN 2024-05-03 (sha256 1a2b3c4d)" in html
    assert "ORIENT STAR LINES" in html  # screened without a hit is listed too
    assert "OFAC-SDN:4242" in html and "0.93" in html
    assert "officer@bank.example" in html
