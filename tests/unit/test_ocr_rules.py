"""Ruling lines on scans: column rules cut OCR words into cells, framed stamps are read alone,
noise-inflated word boxes are trimmed, and lone marks left of a dropped word are read again."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from extractors import ocr
from extractors.images import PageImage, find_rules
from extractors.ocr import OcrPageResult, OcrSettings, page_from_result

DPI = 300


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in ("DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _ruled_page() -> Image.Image:
    """A 300-dpi page with a two-column ruled table and a framed stamp at the top right."""
    page = Image.new("L", (2400, 1400), 255)
    draw = ImageDraw.Draw(page)
    # stamp frame 240 x 70 px (0.8" x 0.23")
    draw.rectangle((2000, 80, 2240, 150), outline=0, width=6)
    draw.text((2030, 95), "ORIGINAL", fill=0, font=_font(36))
    # table: outer frame and one column rule at x = 900
    draw.rectangle((200, 600, 2200, 1000), outline=0, width=5)
    draw.line((900, 600, 900, 1000), fill=0, width=5)
    draw.line((200, 700, 2200, 700), fill=0, width=5)
    draw.text((230, 630), "Marks and numbers", fill=0, font=_font(36))
    # text that is not a rule: a capital I's stroke is short, a dash is thin and short
    draw.text((230, 300), "I I I - - - TITLE", fill=0, font=_font(60))
    return page


def test_find_rules_finds_column_rules_and_the_stamp_frame_only() -> None:
    rules = find_rules(_ruled_page(), DPI)
    xs = sorted(round(x) for x, top, bottom in rules.vertical)
    assert len(xs) == 3 and abs(xs[0] - 202) <= 4 and abs(xs[1] - 900) <= 4 and abs(xs[2] - 2198) <= 4
    for _x, top, bottom in rules.vertical:
        assert abs(top - 600) <= 10 and abs(bottom - 1000) <= 10  # half-resolution search
    stamps = [b for b in rules.boxes if b[2] - b[0] < 0.35 * 2400]
    assert len(stamps) == 1
    x0, top, x1, bottom = stamps[0]
    # the inside of the frame, not the frame
    assert 2000 < x0 < 2030 and 2210 < x1 < 2240 and 80 < top < 100 and 130 < bottom < 150


def test_runs_are_long_enough_stretches_of_ink_with_a_dropped_pixel_forgiven() -> None:
    import numpy as np

    from extractors.images import _runs

    row = np.zeros((1, 60), dtype=bool)
    row[0, 2:24] = True  # 22 cells: a run of 20
    row[0, 12] = False  # one pixel knocked out by noise: still one run (21 of 22 >= 95%)
    row[0, 30:45] = True  # 15 cells: too short
    row[0, 41:60] = True  # 19 cells to the edge (with 30..40: 30 cells in all): a run
    covered = _runs(row, 20)[0]
    assert covered[2:24].all() and not covered[:2].any() and not covered[24:29].any()
    assert covered[30:60].all()  # (and cell 29: a window may start one blank cell early)
    assert not _runs(row[:, :10], 20).any()  # narrower than a run
    assert not _runs(np.ones((3, 40), dtype=bool) & (np.arange(40) % 3 != 0), 20).any()  # dotted


def test_find_rules_on_a_page_without_lines_finds_none() -> None:
    page = Image.new("L", (1200, 800), 255)
    ImageDraw.Draw(page).text((100, 100), "Invoice No.: CI-2026-017  Total 12,500.00", fill=0, font=_font(40))
    rules = find_rules(page, DPI)
    assert rules.vertical == [] and rules.boxes == []


def _result(words: list[tuple], rules: list[tuple[float, float, float]]) -> OcrPageResult:
    return OcrPageResult(
        file="bl.png",
        page=1,
        width_pt=600,
        height_pt=800,
        words=words,
        rotation=0,
        skew_degrees=0.0,
        points_per_pixel=0.24,
        tesseract_seconds=0.0,
        seconds=0.0,
        vertical_rules=rules,
    )


# "NORTHSEA ROTTERDAM" ends 5 pt before a rule at x=199 and "8375 CARTONS" starts 5 pt after
# it: a gap of 10 pt, under the OCR segment gap for 10-pt words (12 pt), so only the rule splits.
_CELL_WORDS = [
    ("NORTHSEA", 100.0, 300.0, 150.0, 310.0, 0.95),
    ("ROTTERDAM", 154.0, 300.0, 194.0, 310.0, 0.95),
    ("8375", 204.0, 300.0, 226.0, 310.0, 0.95),
    ("CARTONS", 230.0, 300.0, 270.0, 310.0, 0.95),
]


def test_words_either_side_of_a_column_rule_are_separate_segments() -> None:
    page = page_from_result(_result(_CELL_WORDS, [(199.0, 280.0, 340.0)]))
    assert [s.text for s in page.lines[0].segments] == ["NORTHSEA ROTTERDAM", "8375 CARTONS"]


def test_without_a_rule_or_with_a_rule_elsewhere_the_words_stay_together() -> None:
    assert [s.text for s in page_from_result(_result(_CELL_WORDS, [])).lines[0].segments] == [
        "NORTHSEA ROTTERDAM 8375 CARTONS"
    ]
    # a rule of another table row (below this line) does not cut it
    below = page_from_result(_result(_CELL_WORDS, [(199.0, 350.0, 420.0)]))
    assert [s.text for s in below.lines[0].segments] == ["NORTHSEA ROTTERDAM 8375 CARTONS"]


def test_a_noise_speck_under_a_word_does_not_move_it_off_its_line(tmp_path: Path) -> None:
    page = Image.new("L", (600, 200), 255)
    draw = ImageDraw.Draw(page)
    draw.rectangle((20, 50, 120, 76), fill=0)  # the word's ink, 26 px tall
    draw.rectangle((60, 92, 63, 96), fill=0)  # a speck 16 px below it
    path = tmp_path / "page.png"
    page.save(path)
    key = (1, 1, 1)
    read = [
        ("Assured:", 20, 50, 120, 97, 0.96, key),  # Tesseract's box took the speck in
        ("SHENZHEN", 300, 50, 400, 76, 0.93, key),
        ("LTD.", 420, 51, 460, 76, 0.95, key),
    ]
    trimmed = ocr._trim_tall_boxes(path, read)
    assert trimmed[0][2:5] == (50, 120, 77)
    assert trimmed[1:] == read[1:]


def test_stamp_wording_ignores_stray_marks_but_not_other_words() -> None:
    assert ocr._stamp_text([("ORIGINAL.", 0, 0, 1, 1, 0.9)]) == "ORIGINAL"
    assert ocr._stamp_text([("[ORIGINAL", 0, 0, 1, 1, 0.9), ("|", 0, 0, 1, 1, 0.9)]) == "ORIGINAL"
    assert ocr._stamp_text([("ORTGTNAT.", 0, 0, 1, 1, 0.9)]) is None
    assert ocr._stamp_text([("INVOICE", 0, 0, 1, 1, 0.9)]) is None


def test_unsure_runs_take_low_confidence_words_and_lone_marks_not_sure_slashes() -> None:
    words = [
        ("COMMERCIAL", 100, 100, 200, 120, 0.95),
        ("BANK", 210, 100, 250, 120, 0.40),  # unsure: its run is re-read
        ("Vessel", 100, 200, 160, 220, 0.95),
        ("/", 166, 200, 170, 220, 0.93),  # a sure slash between words: text
        ("Voy.", 176, 200, 210, 220, 0.95),
        (":", 400, 300, 404, 320, 0.90),  # alone: what is left of a dropped caption
    ]
    runs = [[words[i][0] for i in run] for run in ocr._unsure_runs(words)]
    assert runs == [["COMMERCIAL", "BANK"], [":"]]


def test_framed_stamp_is_read_even_when_the_page_pass_drops_it(tmp_path: Path) -> None:
    if not ocr.is_available():
        raise AssertionError("Tesseract is part of the set-up (Debian tesseract-ocr) and must be installed")
    path = tmp_path / "page.png"
    _ruled_page().save(path, dpi=(DPI, DPI))
    image = PageImage(
        file="page.png", page=1, path=path, width_px=2400, height_px=1400, points_per_pixel=72 / DPI
    )
    with_rules = ocr.ocr_page(image, OcrSettings(workers=1, orientation=False))
    texts = [w[0] for w in with_rules.words]
    assert "ORIGINAL" in texts
    assert with_rules.vertical_rules and any(
        abs(x - 900 * 72 / DPI) < 2 for x, _t, _b in with_rules.vertical_rules
    )
