"""In-process Tesseract (extractors.tesseract_api) against the ``tesseract`` command it replaces.

The binding is only worth having if it reads what the command reads: every comparison here is
row for row with ``tesseract FILE - --psm N tsv`` on the same file (same words, boxes, layout
numbers, and confidences to the command's 6 decimals).

Known difference, not tested as equal: a palette image passed *in memory* (a PIL "P" image;
a path is read by Leptonica like the command and matches, see the Sammy test). Tesseract's LSTM
reads lines of a colour-mapped Leptonica image differently from the same grey pixels without
the map: on invoice2data's SammyMaystoneLinesTest.png, 19 of 130 rows get other confidences
and "Taylor" is read "Tayler" by the command; boxes are identical. In memory the binding passes
the grey pixels, and equals the command run on that page saved as 8-bit grey.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from extractors import tesseract_api
from extractors.tesseract_api import (
    TSV_COLUMNS,
    TesseractTimeout,
    TesseractUnavailable,
    detect_orientation,
    image_to_data,
)

LINES = [
    "COMMERCIAL INVOICE No. INV-2024-0173",
    "Seller: Hanseatic Machine Tools GmbH, Bremen",
    "Buyer: Pacific Import Trading Co. Ltd, Osaka",
    "Letter of credit 0042LC7781 dated 12 March 2024",
    "Goods: 40 pallets of stainless steel fasteners",
    "Total amount USD 48,250.00 CIF Osaka Incoterms 2020",
]
OTHER_LINES = [
    "BILL OF LADING number MAEU 2231 8870",
    "Vessel: Nordic Star voyage 118E",
    "Port of loading: Rotterdam, Netherlands",
    "Port of discharge: Singapore",
]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def render(
    lines: list[str], mode: str = "L", size: tuple[int, int] = (1700, 800), dpi: int = 300
) -> Image.Image:
    """A clean page of text at ``dpi`` (42 px text: 10 pt at 300 dpi)."""
    ink = (20, 40, 120) if mode == "RGB" else 0
    image = Image.new(mode, size, (255, 255, 255) if mode == "RGB" else 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((80, 80 + i * 90), line, fill=ink, font=_font(42))
    image.info["dpi"] = (dpi, dpi)
    return image


def command_rows(path: Path, psm: int = 6) -> list[list[str]]:
    """The TSV rows of the ``tesseract`` command (header dropped), one OpenMP thread as here."""
    done = subprocess.run(
        ["tesseract", str(path), "-", "--psm", str(psm), "tsv"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    )
    rows = [line.split("\t") for line in done.stdout.rstrip("\n").split("\n")]
    assert rows[0] == list(TSV_COLUMNS)
    return [row + [""] * (len(TSV_COLUMNS) - len(row)) for row in rows[1:]]


def api_rows(data: dict[str, list]) -> list[list[str]]:
    """``image_to_data`` rows in the command's text form (confidence to 6 decimals)."""
    return [
        [f"{data[name][i]:.6f}" if name == "conf" else str(data[name][i]) for name in TSV_COLUMNS]
        for i in range(len(data["text"]))
    ]


def words(data: dict[str, list]) -> list[str]:
    return [
        text for text, level in zip(data["text"], data["level"], strict=True) if level == 5 and text.strip()
    ]


def same_rows(command: list[list[str]], api: list[list[str]]) -> None:
    assert len(api) == len(command)
    for mine, theirs in zip(api, command, strict=True):
        assert mine[:10] == theirs[:10] and mine[11] == theirs[11], (mine, theirs)
        # the command prints "%f"; a float32 printed twice can differ in the last digit
        assert float(mine[10]) == pytest.approx(float(theirs[10]), abs=2e-6), (mine, theirs)


@pytest.mark.parametrize(("mode", "dpi"), [("L", 300), ("RGB", 200)])
def test_rendered_page_reads_as_the_command_reads_its_file(tmp_path: Path, mode: str, dpi: int) -> None:
    page = render(LINES, mode, dpi=dpi)
    path = tmp_path / f"page-{mode}.png"
    page.save(path, dpi=(dpi, dpi))

    from_image = image_to_data(page)
    from_path = image_to_data(path)

    same_rows(command_rows(path), api_rows(from_image))
    assert api_rows(from_path) == api_rows(from_image)
    assert " ".join(words(from_image)) == " ".join(LINES)
    assert set(from_image) == set(TSV_COLUMNS)
    assert all(isinstance(c, float) for c in from_image["conf"])
    assert {c for c, level in zip(from_image["conf"], from_image["level"], strict=True) if level < 5} == {
        -1.0
    }


@pytest.mark.parametrize(
    "name",
    [
        # JPEG in colour at 96 dpi: decoding, colour and resolution all have to match
        "invoices/mindee/default_sample.jpg",
        # palette PNG at 200 dpi, which Tesseract reads differently from its grey pixels
        "invoices/invoice2data/compare/SammyMaystoneLinesTest.png",
    ],
)
def test_real_files_read_as_the_command_reads_them(shared_data: Path, name: str) -> None:
    path = shared_data / name
    data = image_to_data(path)
    same_rows(command_rows(path), api_rows(data))
    assert len(words(data)) > 50


def test_crops_at_psm_7_after_a_page_at_psm_6_match_the_command(tmp_path: Path) -> None:
    page = render(LINES)
    image_to_data(page, psm=6)  # the same warm engine then reads single lines
    for i in (0, 3, 5):
        crop = page.crop((60, 70 + i * 90, 1650, 140 + i * 90))
        path = tmp_path / f"line{i}.png"
        crop.save(path, dpi=(300, 300))
        data = image_to_data(crop, psm=7)
        same_rows(command_rows(path, psm=7), api_rows(data))
        assert " ".join(words(data)) == LINES[i]


def test_resolution_comes_from_the_argument_then_the_file_then_300(shared_data: Path) -> None:
    # With automatic layout (psm 3) the resolution changes the blocks Tesseract finds.
    path = shared_data / "invoices" / "mindee" / "default_sample.jpg"  # JFIF says 96 dpi
    with Image.open(path) as photo:
        photo.load()
    assert round(photo.info["dpi"][1]) == 96
    from_file = api_rows(image_to_data(path, psm=3))
    same_rows(command_rows(path, psm=3), from_file)
    assert api_rows(image_to_data(photo, psm=3, dpi=96)) == from_file
    at_300 = api_rows(image_to_data(photo, psm=3, dpi=300))
    assert at_300 != from_file
    bare = photo.copy()
    bare.info.pop("dpi")
    assert api_rows(image_to_data(bare, psm=3)) == at_300


def test_no_resolution_warning_on_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    page = render(LINES)
    page.info.pop("dpi")
    image_to_data(page)
    detect_orientation(page)
    assert "resolution" not in capfd.readouterr().err.lower()


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_orientation_of_a_turned_page(turn: int) -> None:
    page = render(LINES + OTHER_LINES, size=(1700, 1100))
    turned = page.rotate(turn, expand=True, fillcolor=255)  # counter-clockwise
    turned.info["dpi"] = (300, 300)
    # the clockwise turn that makes it upright, as `tesseract --psm 0` reports "Rotate:"
    assert detect_orientation(turned) == turn


def test_orientation_of_a_blank_page_is_unknown() -> None:
    assert detect_orientation(Image.new("L", (1200, 800), 255)) is None


def test_timeout_raises_quickly_and_the_next_call_gets_a_fresh_engine(shared_data: Path) -> None:
    with Image.open(shared_data / "trade_docs" / "bill_of_lading" / "mindee" / "default_sample.jpg") as page:
        page.load()
    started = time.perf_counter()
    image_to_data(page)
    full = time.perf_counter() - started
    inits = tesseract_api._inits

    started = time.perf_counter()
    with pytest.raises(TesseractTimeout):
        image_to_data(page, timeout_s=0.02)
    stopped = time.perf_counter() - started

    # layout analysis cannot be interrupted, recognition stops at the next word
    assert stopped < 0.6 * full, (stopped, full)
    assert words(image_to_data(render(LINES[:1], size=(1700, 200)))) == LINES[0].split()
    assert tesseract_api._inits == inits + 1  # the timed-out engine was not used again


@pytest.mark.parametrize("lang", ["xyz", "eng+xyz"])
def test_unknown_language_is_named(lang: str) -> None:
    with pytest.raises(TesseractUnavailable, match=r"'xyz' not installed in .*tessdata"):
        image_to_data(render(LINES[:1], size=(1700, 200)), lang=lang)


def test_available() -> None:
    assert tesseract_api.available() is True


def test_a_warm_engine_is_not_initialised_again() -> None:
    page = render(LINES[:2], size=(1700, 300))
    image_to_data(page)  # this thread's eng engine exists from here on
    inits = tesseract_api._inits
    image_to_data(page)
    image_to_data(page, psm=7)
    image_to_data(page, psm=4)
    assert tesseract_api._inits == inits


def test_threads_reading_at_once_get_their_own_engines_and_words() -> None:
    pages = {"first": render(LINES), "second": render(OTHER_LINES)}
    expected = {name: " ".join(lines) for name, lines in (("first", LINES), ("second", OTHER_LINES))}
    start = threading.Barrier(2)
    read: dict[str, list[str]] = {"first": [], "second": []}
    failures: list[BaseException] = []
    inits = tesseract_api._inits

    def work(name: str) -> None:
        try:
            start.wait()
            for _ in range(3):
                read[name].append(" ".join(words(image_to_data(pages[name]))))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in pages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not failures
    assert read == {name: [expected[name]] * 3 for name in pages}
    assert tesseract_api._inits == inits + 2  # one engine per thread, each initialised once


def test_recognition_does_not_hold_the_gil() -> None:
    # the GIL is released for the C call, so Python threads (and other readers) keep running
    page = render(LINES + OTHER_LINES, size=(1700, 1100))
    image_to_data(page)
    ticks = 0
    running = True

    def tick() -> None:
        nonlocal ticks
        while running:
            ticks += 1
            time.sleep(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    started = time.perf_counter()
    image_to_data(page)
    elapsed = time.perf_counter() - started
    running = False
    ticker.join()
    # holding it would leave the ticker ~1 tick; released, it ticks most of its ~1000/s
    assert ticks > max(10, 0.1 * elapsed / 0.001), (ticks, elapsed)


def test_confidence_with_a_decimal_comma_is_read() -> None:
    # Tesseract prints confidences with std::to_string, i.e. with LC_NUMERIC's decimal point:
    # a process in a German locale gets "96,917450" (seen with LC_ALL=de_DE.UTF-8)
    row = "5\t1\t1\t1\t1\t1\t540\t25\t60\t18\t96,917450\tPlace\n"
    data = tesseract_api._parse_tsv("1\t1\t0\t0\t0\t0\t0\t0\t600\t60\t-1\t\n" + row)
    assert data["conf"] == [-1.0, 96.91745] and data["text"] == ["", "Place"]
