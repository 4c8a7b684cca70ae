"""The second OCR engine: its own readings (real model), how two readings are compared, and how
its opinion changes Tesseract's words (decision rules with a stand-in reader, then once with the
real model on real pixels)."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from extractors import ocr, ocr_second
from extractors.ocr_second import SecondReading, compare


def _font(size: int) -> ImageFont.FreeTypeFont:
    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    pytest.fail("DejaVu Sans is not installed (scripts/setup.sh installs fonts-dejavu-core)")


def _word_image(text: str, size: int = 40) -> Image.Image:
    font = _font(size)
    left, top, right, _ = font.getbbox(text)
    image = Image.new("L", (right - left + size, int(1.3 * size)), 255)
    ImageDraw.Draw(image).text((size // 2 - left, int(0.15 * size) - top), text, fill=0, font=font)
    return image


# ---------------------------------------------------------------------------- the real model


def test_the_model_is_installed() -> None:
    # a machine set up by scripts/setup.sh has it; without it every doubt stands (fail closed)
    assert ocr_second.model_path() is not None
    assert ocr_second.is_available()


@pytest.mark.parametrize("text", ["CO26107099", "TPSC001173713", "OSCLKL0920941", "IMP94889LZ26", "061E"])
def test_codes_tesseract_doubts_are_read_surely(text: str) -> None:
    reading = ocr_second.read_line(_word_image(text))
    assert reading is not None
    assert reading.text == text
    assert reading.least >= 0.9
    assert len(reading.probabilities) == len(text)
    stretched = ocr_second.read_line(_word_image(text), ocr_second_stretch := 1.5)
    assert stretched is not None and stretched.text == text, ocr_second_stretch


def test_typographic_marks_come_back_plain() -> None:
    reading = ocr_second.read_line(_word_image("12 X 40' GP"))
    assert reading is not None
    assert reading.text.isascii()
    assert "40'" in reading.text


def test_without_the_model_there_is_no_second_reading(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("BLOCKTRADE_OCR_SECOND_MODEL", str(tmp_path / "missing.onnx"))
    monkeypatch.setattr(ocr_second, "_loaded", {})
    assert ocr_second.model_path() is None
    assert ocr_second.read_line(_word_image("CO26107099")) is None
    assert not ocr_second.is_available()


# ---------------------------------------------------------------------------- comparing two readings


@pytest.mark.parametrize(
    ("first", "second", "shape_only", "positions"),
    [
        ("520Y", "520Y", True, ()),
        ("C026369085", "CO26369085", True, (1,)),  # a zero for an O
        ("OSCLKLO0920941", "OSCLKL0920941", True, (5, 6)),  # an O beside a 0, read twice
        ("IMP94889L2Z26", "IMP94889LZ26", True, (8, 9)),  # a 2 beside a Z
        ("SANAYIA.S.", "SANAYI A.S.", True, (6,)),  # a space lost
        ("IN\\V-2025", "INV-2025", True, (1, 2)),  # a stray mark
        ("SANAYIASS.", "SANAYI A.S.", False, None),
        ("235251700", "23.251,00", False, None),
        ("1000", "100", False, None),  # a repeat dropped is never a matter of shape
        ("SHANGHAT", "SHANGHAI", False, None),
    ],
)
def test_compare(first: str, second: str, shape_only: bool, positions: tuple[int, ...] | None) -> None:
    difference = compare(first, second)
    assert difference.shape_only is shape_only
    if positions is not None:
        assert difference.positions == positions


# ---------------------------------------------------------------------------- the decision rules


class _Reader:
    """Stands in for the model: a fixed reading, and optionally another when stretched."""

    def __init__(self, text: str, probabilities: list[float], stretched: str | None = None):
        self.reading = SecondReading(text, tuple(probabilities))
        self.stretched = SecondReading(stretched if stretched is not None else text, tuple(probabilities))
        self.calls: list[float] = []

    def __call__(self, image, stretch: float = 1.0) -> SecondReading:
        self.calls.append(stretch)
        return self.reading if stretch == 1.0 else self.stretched


PAGE = Image.new("L", (800, 200), 255)


def _opinion(monkeypatch: pytest.MonkeyPatch, word: tuple, reader) -> list[tuple]:
    monkeypatch.setattr(ocr_second, "read_line", reader)
    return ocr._second_engine_opinion(PAGE, [word])


def test_a_lookalike_the_second_engine_is_sure_of_settles_the_word(monkeypatch) -> None:
    reader = _Reader("CO26369085", [0.99] * 10)
    (word,) = _opinion(monkeypatch, ("C026369085", 100, 50, 300, 80, 0.69), reader)
    assert word[0] == "CO26369085"
    assert word[5] == pytest.approx(0.99)  # trusted now
    assert word[1:5] == (100, 50, 300, 80)
    assert reader.calls == [1.0]  # as many characters: no need for a stretched reading


def test_what_the_second_engine_changed_is_kept_for_the_evidence(monkeypatch) -> None:
    monkeypatch.setattr(ocr_second, "read_line", _Reader("CO26369085", [0.99] * 10))
    changes: list[tuple] = []
    ocr._second_engine_opinion(
        PAGE, [("C026369085", 100, 50, 300, 80, 0.69), ("Ok", 310, 50, 330, 80, 0.99)], None, changes
    )
    assert changes == [("C026369085", "CO26369085", False, 100, 50, 300, 80)]


def test_a_lookalike_the_second_engine_doubts_leaves_the_word(monkeypatch) -> None:
    probabilities = [0.99] * 10
    probabilities[1] = 0.7  # unsure of the very character the engines disagree on
    (word,) = _opinion(
        monkeypatch, ("C026369085", 100, 50, 300, 80, 0.69), _Reader("CO26369085", probabilities)
    )
    assert word == ("C026369085", 100, 50, 300, 80, 0.69)


def test_a_shorter_reading_is_checked_stretched(monkeypatch) -> None:
    # Tesseract read an O too many ("TPSCO001173713"); the second engine's shorter reading is
    # taken only when, stretched, it still has that many characters
    reader = _Reader("TPSC001173713", [1.0] * 13, stretched="TPSC0001173713")
    (word,) = _opinion(monkeypatch, ("TPSCO001173713", 100, 50, 300, 80, 0.48), reader)
    assert word[0] == "TPSCO001173713" and word[5] == 0.48
    assert reader.calls == [1.0, 1.5]
    reader = _Reader("TPSC001173713", [1.0] * 13)
    (word,) = _opinion(monkeypatch, ("TPSCO001173713", 100, 50, 300, 80, 0.48), reader)
    assert word[0] == "TPSC001173713" and word[5] == 1.0


def test_both_engines_alike_trust_the_word(monkeypatch) -> None:
    reader = _Reader("520Y", [1.0, 0.99, 1.0, 0.98])
    (word,) = _opinion(monkeypatch, ("520Y", 100, 50, 300, 80, 0.65), reader)
    assert word[0] == "520Y" and word[5] == pytest.approx(0.9925)
    assert reader.calls == [1.0]  # nothing to change, no stretched reading


def test_an_unsure_word_read_otherwise_takes_the_spelling_but_keeps_its_doubt(monkeypatch) -> None:
    reader = _Reader("SANAYI A.S.", [0.98, 0.95, 0.97, 0.97, 0.98, 0.98, 0.61, 0.98, 0.93, 0.9, 0.95])
    words = _opinion(monkeypatch, ("SANAYIASS.", 500, 50, 610, 80, 0.37), reader)
    assert [w[0] for w in words] == ["SANAYI", "A.S."]
    assert all(w[5] == 0.37 for w in words)  # a person still checks it unless it is confirmed
    assert words[0][1] == 500 and words[1][3] == 610 and words[0][3] <= words[1][1]


def test_a_sure_reference_read_otherwise_becomes_doubtful(monkeypatch) -> None:
    reader = _Reader("IMP56795GF26", [0.97] * 12)
    (word,) = _opinion(monkeypatch, ("IMP56795GE26", 100, 50, 300, 80, 0.90), reader)
    assert word[0] == "IMP56795GF26"
    assert word[5] == ocr.DISPUTED_CONFIDENCE < ocr.LOW_CONFIDENCE


def test_a_sure_reference_with_a_broken_stroke_takes_the_second_reading(monkeypatch) -> None:
    reader = _Reader("AJ/PL/948", [0.97] * 9)
    (word,) = _opinion(monkeypatch, ("A\\/PL/948", 100, 50, 300, 80, 0.72), reader)
    assert word[0] == "AJ/PL/948" and word[5] == pytest.approx(0.97)


def test_pieces_of_a_broken_word_are_not_spelled_anew(monkeypatch) -> None:
    # Tesseract read "Original" as "Dee ed at"; the second engine, reading each piece, made them
    # "Ori gi nal", and the B/L's "originals issued" was then read from the wrong words
    (word,) = _opinion(monkeypatch, ("ed", 100, 50, 140, 80, 0.46), _Reader("gi", [0.95, 0.95]))
    assert word[0] == "ed"


def test_junk_is_not_replaced_by_the_line_around_it(monkeypatch) -> None:
    reader = _Reader("rthecarrierORIENT", [0.95] * 17)
    (word,) = _opinion(monkeypatch, ("ee", 100, 50, 300, 80, 0.31), reader)
    assert word[0] == "ee"
    (word,) = _opinion(monkeypatch, ("egteNSipge", 100, 50, 300, 80, 0.0), _Reader(")", [0.95]))
    assert word[0] == "egteNSipge"


def test_a_sure_word_that_is_no_reference_is_not_asked(monkeypatch) -> None:
    reader = _Reader("SHANGHAI", [0.99] * 8)
    (word,) = _opinion(monkeypatch, ("SHANGHAT", 100, 50, 300, 80, 0.91), reader)
    assert word[0] == "SHANGHAT" and reader.calls == []


def test_junk_read_unsurely_by_the_second_engine_too_stays(monkeypatch) -> None:
    (word,) = _opinion(
        monkeypatch, ("Pata", 100, 50, 300, 80, 0.05), _Reader("Authorise", [0.89, 0.39] + [0.9] * 7)
    )
    assert word[0] == "Pata"


def test_no_second_engine_leaves_every_doubt(monkeypatch) -> None:
    (word,) = _opinion(monkeypatch, ("C026369085", 100, 50, 300, 80, 0.69), lambda image, stretch=1.0: None)
    assert word == ("C026369085", 100, 50, 300, 80, 0.69)


def test_the_real_engine_settles_a_code_on_real_pixels() -> None:
    """The same path with the model itself: the word box of a rendered code that Tesseract
    (say) read "C026107099" at 0.55 comes back as the code, trusted."""
    code = _word_image("CO26107099")
    page = Image.new("L", (code.width + 200, code.height + 100), 255)
    page.paste(code, (100, 50))
    font_box = _font(40).getbbox("CO26107099")
    box = (120, 50 + 6, 120 + font_box[2] - font_box[0], 50 + 6 + font_box[3] - font_box[1])
    (word,) = ocr._second_engine_opinion(page, [("C026107099", *box, 0.55)])
    assert word[0] == "CO26107099"
    assert word[5] >= ocr.LOW_CONFIDENCE


# ---------------------------------------------------------------------------- evidence


def _page_with(second_readings: list[tuple], confidence: float):
    from extractors.ocr import OcrPageResult, page_from_result

    words = [
        ("EGE", 100.0, 50.0, 120.0, 59.0, 0.95),
        ("MERMER", 124.0, 50.0, 160.0, 59.0, 0.95),
        ("SANAYI", 164.0, 50.0, 196.0, 59.0, confidence),
        ("A.S.", 199.0, 50.0, 216.0, 59.0, confidence),
    ]
    result = OcrPageResult(
        file="draft.png", page=1, width_pt=595, height_pt=842, words=words, rotation=0,
        skew_degrees=0.0, points_per_pixel=0.24, tesseract_seconds=0.0, seconds=0.0,
        second_readings=second_readings,
    )  # fmt: skip
    return page_from_result(result)


def _provenance(page):
    from extractors.fields.common import Found, Reader
    from extractors.pdf_text import PdfDocument

    (line,) = page.lines
    reader = Reader(PdfDocument(file="draft.png", pages=[page]), "draft.png")
    return reader.provenance(Found(text=line.text, words=list(line.words), line=line))


def test_a_value_the_engines_disagree_on_says_so() -> None:
    page = _page_with([("SANAYIASS.", "SANAYI A.S.", True, 164.0, 50.0, 216.0, 59.0)], 0.37)
    sanayi = next(w for w in page.words if w.text == "SANAYI")
    assert sanayi.first_reading == "SANAYIASS." and sanayi.disputed
    source = _provenance(page)
    assert source.needs_review
    assert source.review_reason == (
        "the two OCR engines disagree: Tesseract read 'SANAYIASS.', the second 'SANAYI A.S.'"
    )
    assert "Tesseract read 'SANAYIASS.', a second OCR engine 'SANAYI A.S.'" in source.notes


def test_a_value_the_second_engine_settled_or_confirmed_is_noted() -> None:
    settled = _provenance(_page_with([("SANAYIA.S.", "SANAYI A.S.", False, 164.0, 50.0, 216.0, 59.0)], 0.98))
    assert not settled.needs_review
    assert "Tesseract read 'SANAYIA.S.', a second OCR engine 'SANAYI A.S.'" in settled.notes
    confirmed = _provenance(_page_with([("SANAYI", "SANAYI", False, 164.0, 50.0, 196.0, 59.0)], 0.98))
    assert confirmed.notes == ["read alike by a second OCR engine"]
    untouched = _provenance(_page_with([], 0.98))
    assert untouched.notes == []


def test_separators_read_as_digits_are_settled(monkeypatch) -> None:
    reader = _Reader("5.176,00", [0.99, 0.95, 0.99, 0.99, 0.99, 0.93, 0.99, 0.99])
    (word,) = _opinion(monkeypatch, ("52176700", 100, 50, 300, 80, 0.49), reader)
    assert word[0] == "5.176,00" and word[5] >= ocr.LOW_CONFIDENCE
    assert ocr._separators_read_as_digits("52176700", "5.176,00") == (1, 5)
    assert ocr._separators_read_as_digits("52176700", "5.17,600") == ()  # not a grouped number
    assert ocr._separators_read_as_digits("52176709", "5.176,00") == ()  # a digit differs too
