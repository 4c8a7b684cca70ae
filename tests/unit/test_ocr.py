"""OCR with Tesseract: scans read into the same structures as text PDFs, with confidences.

Each test OCRs one or two single pages (about a second each on this machine); the big
measurements are in benchmarks/bench_ocr.py.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from PIL import Image

from extractors import ocr
from extractors.bundle import read_document
from extractors.fields import extract_document
from extractors.models import CommercialInvoice
from extractors.ocr import (
    OcrPage,
    OcrPageResult,
    OcrSettings,
    OcrWord,
    estimate_skew,
    ocr_pdf_file,
    page_from_result,
)
from extractors.ocr_normalize import review_items
from extractors.pdf_text import read_pdf
from tests.fixtures.scans import Degradation, degrade, render_pages
from tests.unit.pdf_samples import PageSpec, build_pdf, documents


def _scan(pdf: Path, target: Path, how: Degradation, turn: int = 0) -> Path:
    (page,) = render_pages(pdf)
    image = degrade(page, how, random.Random(1))
    if turn:
        image = image.rotate(turn, expand=True, fillcolor=255)
    image.save(target, format="PNG", dpi=(300, 300))
    return target


MILD = Degradation(rotation_degrees=1.5, blur_radius=0.5, noise_sigma=8.0, jpeg_quality=75)


@pytest.fixture(scope="module")
def invoice_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("scan")
    text = documents.invoice_labels_left(folder / "invoice.pdf")
    return text, _scan(text, folder / "invoice-scan.png", MILD)


@pytest.fixture(scope="module")
def scanned_invoice(invoice_pair: tuple[Path, Path]):
    return read_document(invoice_pair[1])


def test_scan_reads_the_same_fields_as_the_text_version(invoice_pair, scanned_invoice) -> None:
    text = extract_document("commercial_invoice", read_pdf(invoice_pair[0]), "invoice.pdf")
    scan = scanned_invoice.document
    assert isinstance(scan, CommercialInvoice) and isinstance(text, CommercialInvoice)
    assert scanned_invoice.info.type == "commercial_invoice"
    assert scanned_invoice.info.extraction == "ocr" and scan.extraction == "ocr"
    for name in ("number", "date", "lc_number", "total", "currency", "incoterm", "country_of_origin"):
        assert getattr(scan, name) is not None, name
        assert getattr(scan, name).value == getattr(text, name).value, name


def test_ocr_provenance_has_the_text_shape_plus_confidence(scanned_invoice) -> None:
    page = scanned_invoice.pdf.pages[0]
    assert isinstance(page, OcrPage) and all(isinstance(w, OcrWord) for w in page.words)
    source = scanned_invoice.document.number.source
    assert source.extractor == "ocr" and source.page == 1 and source.file == "invoice-scan.png"
    assert source.ocr_confidence is not None and 0.0 < source.ocr_confidence <= 1.0
    assert source.confidence <= 0.9 * source.ocr_confidence + 0.001  # both rounded to 3 places
    x0, top, x1, bottom = source.bbox
    assert 0 <= x0 < x1 <= page.width and 0 <= top < bottom <= page.height
    # the invoice number sits on the left half, in the upper third, as on the text page
    assert x1 < page.width / 2 and bottom < page.height / 3


def test_skew_is_measured_and_corrected(scanned_invoice) -> None:
    page = scanned_invoice.pdf.pages[0]
    assert page.skew_degrees == pytest.approx(-1.5, abs=0.3)
    assert page.tesseract_seconds > 0 and page.seconds >= page.tesseract_seconds


def test_a_skewed_page_is_turned_level_about_its_centre(invoice_pair) -> None:
    import numpy as np

    (page,) = render_pages(invoice_pair[0])
    skewed = page.rotate(-1.5, resample=Image.BICUBIC, fillcolor=255)
    level = ocr._turned(skewed, estimate_skew(skewed))
    assert level.mode == "L" and level.size == page.size
    # the same turn as Pillow's, which it replaced for speed: same direction, same centre
    pillows = skewed.rotate(1.5, resample=Image.BICUBIC, fillcolor=255)
    assert np.abs(np.asarray(level, int) - np.asarray(pillows, int)).mean() < 2
    # the text is level again: the page's own ink lands back where it was (0.99 here; turned
    # the wrong way, 0.12)
    ink = np.asarray(page) < 128
    assert (ink & (np.asarray(level) < 128)).sum() > 0.6 * ink.sum()
    assert (ink & (np.asarray(skewed) < 128)).sum() < 0.3 * ink.sum()


def test_estimate_skew_on_a_level_page_is_zero(invoice_pair) -> None:
    (page,) = render_pages(invoice_pair[0])
    assert estimate_skew(page) == pytest.approx(0.0, abs=0.2)


def test_low_confidence_values_need_a_human_check(scanned_invoice, monkeypatch: pytest.MonkeyPatch) -> None:
    calm = review_items([scanned_invoice.document])
    assert all(item.source.ocr_confidence < ocr.LOW_CONFIDENCE for item in calm)
    monkeypatch.setattr(ocr, "LOW_CONFIDENCE", 1.01)  # every OCR value is now below the threshold
    strict = extract_document("commercial_invoice", scanned_invoice.pdf, "invoice-scan.png", templates=False)
    items = review_items([strict])
    fields = {item.field for item in items}
    assert {"number", "total", "date"} <= fields
    assert all(item.reason.startswith("OCR confidence") and "below 1.01" in item.reason for item in items)


def test_page_on_its_side_is_turned_upright(invoice_pair, tmp_path: Path) -> None:
    sideways = _scan(invoice_pair[0], tmp_path / "sideways.png", MILD, turn=90)
    result = read_document(sideways, document_type="commercial_invoice")
    page = result.pdf.pages[0]
    assert page.rotation in (90, 270)
    assert result.document.number is not None and result.document.number.value == "BT-INV-2026-017"


def test_time_limit_is_an_error_naming_file_and_page(invoice_pair) -> None:
    result = read_document(invoice_pair[1], ocr_settings=OcrSettings(page_timeout_s=0.01, orientation=False))
    assert result.document is None
    (problem,) = result.problems
    assert (problem.file, problem.page, problem.code) == ("invoice-scan.png", 1, "ocr_timeout")
    assert "within 0.01 s" in problem.message


def test_mixed_pdf_is_read_page_by_page(tmp_path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    stamp = build_pdf(tmp_path / "stamp.pdf", [PageSpec().text(60, 80, "PACKING LIST No. PL-4471", size=20)])
    (rendered,) = render_pages(stamp)
    rendered.save(tmp_path / "stamp.png")
    mixed = tmp_path / "mixed.pdf"
    pdf = canvas.Canvas(str(mixed), pagesize=A4)
    pdf.setFont("Helvetica", 11)
    pdf.drawString(60, 760, "COMMERCIAL INVOICE No. CI-2026-0042 for the goods below")
    pdf.showPage()
    pdf.drawImage(str(tmp_path / "stamp.png"), 0, 0, width=A4[0], height=A4[1])
    pdf.showPage()
    pdf.save()
    result = ocr_pdf_file(mixed, "mixed.pdf", tmp_path)
    first, second = result.document.pages
    assert not isinstance(first, OcrPage) and "CI-2026-0042" in first.text
    assert isinstance(second, OcrPage) and "PL-4471" in second.text
    assert second.width == pytest.approx(A4[0], abs=1)


def test_unreadable_image_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    Image.new("L", (800, 1000), 255).save(blank, dpi=(300, 300))
    result = read_document(blank)
    assert result.document is None
    assert [(p.code, p.page) for p in result.problems] == [("unreadable", 1)]


def _result_with_words(words: list[tuple]) -> OcrPageResult:
    return OcrPageResult(
        file="bl.png", page=1, width_pt=595, height_pt=842, words=words, rotation=0, skew_degrees=0.0,
        points_per_pixel=0.24, tesseract_seconds=0.0, seconds=0.0, vertical_rules=[],
    )  # fmt: skip


def test_goods_table_columns_follow_their_captions_without_rules() -> None:
    """Columns 8 pt apart at 9-pt type: too close for the OCR word gap, split by the header."""

    def row(y: float, *cells: tuple[str, float]) -> list[tuple]:
        out = []
        for text, x in cells:
            for word in text.split():
                out.append((word, x, y, x + 6 * len(word), y + 9, 0.95))
                x += 6 * len(word) + 3
        return out

    words = [
        *row(
            300, ("Marks & Nos", 50), ("Packages", 204), ("Description of Goods", 255), ("Gross Weight", 502)
        ),
        *row(320, ("BALTIC C/NO.", 50), ("248 CARTONS", 185), ("1 X 40' HC", 255), ("2,530.60 KG", 502)),
        *row(332, ("1-248", 50), ("COTTON T-SHIRTS", 255)),
        *row(350, ("The undersigned hereby certifies that the goods described above are", 50)),
    ]
    page = page_from_result(_result_with_words(words))
    texts = [[s.text for s in line.segments] for line in page.lines]
    assert texts[0] == ["Marks & Nos", "Packages", "Description of Goods", "Gross Weight"]
    assert texts[1] == ["BALTIC C/NO.", "248 CARTONS", "1 X 40' HC", "2,530.60 KG"]
    assert texts[2] == ["1-248", "COTTON T-SHIRTS"]
    # prose under the table runs across the columns: not cut
    assert len(texts[3]) == 1


def test_unsure_run_spelled_alike_at_every_scale_replaces_the_page_reading() -> None:
    from extractors.ocr import _agreed_reading

    old = [("KEJ", 0, 0, 30, 10, 0.47), ("SOUTH", 35, 0, 80, 10, 0.96)]
    same = [[("KEJI", 0, 0, 30, 10, c), ("SOUTH", 35, 0, 80, 10, 0.96)] for c in (0.09, 0.31, 0.40)]
    agreed = _agreed_reading(same, old)
    assert agreed is not None and agreed[0][0] == "KEJI" and agreed[0][5] == 0.40
    differing = [same[0], same[1], [("KEJ", 0, 0, 30, 10, 0.2), ("SOUTH", 35, 0, 80, 10, 0.9)]]
    assert _agreed_reading(differing, old) is None
    assert _agreed_reading(same[:2], old) is None  # a scale not tried is no agreement


def test_a_line_read_twice_keeps_the_surer_words() -> None:
    from extractors.ocr import _without_overlaps

    words = [
        ("STFFI", 107, 304, 130, 311, 0.87),
        ("MODEFI", 206, 304, 233, 311, 0.53),
        ("STEEL", 107, 304, 133, 312, 0.95),
        ("MODEL", 206, 304, 236, 312, 0.96),
        ("KITCHEN", 137, 304, 172, 312, 0.96),
    ]
    assert [w[0] for w in _without_overlaps(words)] == ["STEEL", "MODEL", "KITCHEN"]
    side_by_side = [("2600", 313, 304, 331, 312, 0.97), ("PCS", 335, 304, 351, 312, 0.96)]
    assert _without_overlaps(side_by_side) == side_by_side


def test_a_signature_read_as_junk_is_not_text() -> None:
    words = [
        ("For", 310, 390, 325, 399, 0.97),
        ("CHINA", 328, 390, 355, 399, 0.95),
        ("CHAMBER", 358, 390, 400, 399, 0.95),
        ("eating", 310, 405, 340, 415, 0.24),
        ("ain", 345, 405, 360, 415, 0.38),
        ("Certifying", 310, 420, 355, 429, 0.96),
        ("Authority", 358, 420, 400, 429, 0.97),
        ("KEJ", 100, 440, 120, 449, 0.40),  # a real word read unsurely beside sure ones stays
        ("SOUTH", 125, 440, 150, 449, 0.96),
        ("Co", 310, 460, 360, 489, 0.56),  # a stroke of the signature: three lines tall
        ("Underwriters", 310, 475, 370, 485, 0.94),
    ]
    page = page_from_result(_result_with_words(words))
    assert [line.text for line in page.lines] == [
        "For CHINA CHAMBER", "Certifying Authority", "KEJ SOUTH", "Underwriters",
    ]  # fmt: skip


def test_a_box_drawn_too_wide_does_not_swallow_its_neighbours() -> None:
    from extractors.ocr import _without_overlaps

    words = [
        ("MARIS", 363.8, 278.9, 427.4, 288.0, 0.92),
        ("/", 392.2, 278.9, 397.4, 288.0, 0.92),
        ("4602W", 400.6, 278.9, 427.4, 288.0, 0.84),
    ]
    assert _without_overlaps(words) == words


def test_a_partial_second_reading_inside_a_word_goes() -> None:
    from extractors.ocr import _without_overlaps

    words = [
        ("CONTAINER", 100, 300, 160, 309, 0.95),
        ("CONITA", 110, 301, 150, 309, 0.52),
        ("LINES", 164, 300, 190, 309, 0.96),
    ]
    assert [w[0] for w in _without_overlaps(words)] == ["CONTAINER", "LINES"]


def test_a_container_number_read_unsurely_is_trusted_when_its_check_digit_agrees() -> None:
    from extractors.fields import extract_document
    from extractors.ocr import assemble

    words = [
        ("BILL", 50, 60, 80, 69, 0.96), ("OF", 84, 60, 96, 69, 0.96), ("LADING", 100, 60, 150, 69, 0.96),
        ("Container:", 50, 100, 110, 109, 0.95), ("NOCU5594625", 120, 100, 200, 109, 0.67),
        ("Seal:", 50, 120, 80, 129, 0.95), ("NOCU5594626", 120, 120, 200, 129, 0.67),
    ]  # fmt: skip
    pdf = assemble("bl.png", [_result_with_words(words)]).document
    bl = extract_document("bill_of_lading", pdf, "bl.png", templates=False)
    assert [c.value for c in bl.containers] == ["NOCU5594625"]  # the second fails its check digit
    source = bl.containers[0].source
    assert source.ocr_confidence == 0.67 and not source.needs_review
    assert "ISO 6346 check digit agrees" in source.notes[-1]


def test_unread_ink_is_read_with_all_of_the_junk_over_it(tmp_path: Path) -> None:
    """The page pass read "2 300 PCS" as "2-300) 2CS"; the ink found unread is only "300" (the
    "2" is too narrow to be found alone). The junk goes, so its "2" must be read with it, and
    "PCS", read beside the junk, is read again with it."""
    from PIL import ImageDraw, ImageFont

    from extractors.images import PageImage
    from extractors.ocr import OcrSettings, _read_unread

    font = ImageFont.load_default(size=36)
    page = Image.new("L", (1400, 160), 255)
    draw = ImageDraw.Draw(page)
    words = []
    for text, x, confidence in (("SINKS,", 40, 0.96), ("MODEL", 190, 0.96), ("SK-8045,", 340, 0.93)):
        draw.text((x, 60), text, fill=0, font=font)
        left, top, right, bottom = draw.textbbox((x, 60), text, font=font)
        words.append((text, left, top, right, bottom, confidence))
    draw.text((760, 60), "2", fill=0, font=font)
    draw.text((830, 60), "300", fill=0, font=font)
    draw.text((912, 60), "PCS", fill=0, font=font)
    two, three_hundred = draw.textbbox((760, 60), "2", font=font), draw.textbbox((830, 60), "300", font=font)
    pcs = draw.textbbox((912, 60), "PCS", font=font)
    words.append(("2-300)", two[0], two[1], three_hundred[2], three_hundred[3], 0.25))
    words.append(("2CS", *pcs, 0.73))
    words += [(f"W{i}", 40 + 60 * i, 120, 80 + 60 * i, 150, 0.95) for i in range(6)]  # a page, not a line
    path = tmp_path / "line.png"
    page.save(path)
    image = PageImage(file="inv.png", page=1, path=path, width_px=1400, height_px=160, points_per_pixel=0.24)
    kept, _seconds = _read_unread(page, words, OcrSettings(), image)
    texts = [w[0] for w in kept]
    assert "2-300)" not in texts and "2CS" not in texts
    assert {"2", "300", "PCS"} <= set(texts)


def test_a_reference_read_surely_but_wrongly_in_its_line_is_read_again_alone(tmp_path: Path) -> None:
    from PIL import ImageDraw, ImageFont

    from extractors.images import PageImage
    from extractors.ocr import OcrSettings, _check_references

    font = ImageFont.load_default(size=40)
    page = Image.new("L", (1400, 200), 255)
    draw = ImageDraw.Draw(page)
    words = []
    # as the page pass read them: the credit number one letter wrong but sure, the invoice right
    for text, read_as, x, y, confidence in (
        ("IMP56795GF26", "IMP56795GE26", 60, 40, 0.90),
        ("CI26-494", "CI26-494", 60, 110, 0.93),
        ("SHENZHEN", "SHENZHEN", 700, 40, 0.95),
    ):
        draw.text((x, y), text, fill=0, font=font)
        words.append((read_as, *draw.textbbox((x, y), text, font=font), confidence))
    path = tmp_path / "page.png"
    page.save(path)
    image = PageImage(file="ins.png", page=1, path=path, width_px=1400, height_px=200, points_per_pixel=0.24)
    checked, seconds = _check_references(page, words, OcrSettings(), image)
    assert [w[0] for w in checked] == ["IMP56795GF26", "CI26-494", "SHENZHEN"]
    assert checked[0][1:5] == words[0][1:5]  # the page's box stays
    assert seconds > 0
