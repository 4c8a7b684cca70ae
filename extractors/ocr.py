"""OCR of page images with Tesseract, producing the same ``PdfDocument`` structure as a text PDF.

Each page image goes through: skew estimate (projection profile on a reduced copy; the page
is straightened only when the skew is large enough to merge or split lines), Tesseract on the
image *file* (pytesseract re-encodes in-memory images: +1.4 s a page), and, only when that
first pass reads little or reads it badly, orientation detection (OSD) and a second pass on
the turned page, so a normal page costs one Tesseract run. Words keep Tesseract's confidence
(0..1) and the text as read; the text used for fields is OCR-normalised (see ocr_normalize).

Pages run in a process pool across cores, one Tesseract thread each (``OMP_THREAD_LIMIT=1``:
0.95 s/page instead of 4.4 s with OpenMP fighting over 2 cores). Each Tesseract run has a
time limit; a page that does not finish is an ``OcrError`` naming file and page, and the other
pages still come back.
"""

from __future__ import annotations

import itertools
import os
import re
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from extractors import ocr_normalize
from extractors.images import PageImage, Rules, find_rules
from extractors.pdf_text import Page, PdfDocument, Segment, Word, group_lines

DEFAULT_LANG = os.environ.get("BLOCKTRADE_OCR_LANG", "eng")
PAGE_TIMEOUT_S = float(os.environ.get("BLOCKTRADE_OCR_PAGE_TIMEOUT", 90))
# Below this Tesseract word confidence (0..1) a value read from the word is shown to a person.
LOW_CONFIDENCE = float(os.environ.get("BLOCKTRADE_OCR_MIN_CONFIDENCE", 0.70))
# Straighten a page only past this skew: below it, lines still group correctly.
DESKEW_MIN_DEGREES = 0.3
DESKEW_MAX_DEGREES = 4.0
# A first pass this poor suggests a page on its side or upside down: ask OSD.
OSD_BELOW_MEAN_CONFIDENCE = 0.55
OSD_BELOW_WORDS = 8
# remove_rules: a run this long (~3.4 mm at 300 dpi) this full of ink is a rule, not text.
RULE_RUN_PX = 40
RULE_INK = 0.93

# A word of punctuation only, read below this confidence (0..100 as Tesseract gives it), is noise.
NOISE_BELOW_CONFIDENCE = 50.0

OcrErrorCode = Literal["ocr_timeout", "ocr_failed"]
# Table rules and box edges that Tesseract reads as characters ("|", "_", "[", "—"): not words.
# A lone "-" or "/" stays: "1 - 120", "Vessel / Voy." are text.
_RULING = re.compile(r"^[|_—–=~\[\]!]+$|^-{2,}$")
# Symbols a speck of scanner noise is read as, that trade documents do not print on their own.
_SPECK = re.compile(r"^[©®™°•·«»¢§¶¬¦¤]+$")


class OcrError(Exception):
    """A page OCR could not read; names the file and the page."""

    def __init__(self, file: str, page: int, code: OcrErrorCode, message: str):
        self.file = file
        self.page = page
        self.code: OcrErrorCode = code
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.file}: page {self.page}: {self.message}"

    def __reduce__(self):  # picklable across the process pool with all its fields
        return (OcrError, (self.file, self.page, self.code, self.message))


@dataclass(frozen=True, slots=True)
class OcrWord(Word):
    """A word read by OCR: its confidence (0..1) and the text exactly as Tesseract read it."""

    confidence: float = 1.0
    raw: str = ""
    # when the second engine changed the word: what Tesseract read, and whether the two
    # engines disagree (rather than the second settling a lookalike)
    first_reading: str = ""
    disputed: bool = False


@dataclass(slots=True)
class OcrPage(Page):
    """A page read by OCR, with what was done to it and how long it took."""

    rotation: int = 0  # degrees turned clockwise after OSD (0, 90, 180, 270)
    skew_degrees: float = 0.0  # counter-clockwise correction applied
    mean_confidence: float = 0.0
    points_per_pixel: float = 1.0
    tesseract_seconds: float = 0.0  # time inside Tesseract runs
    seconds: float = 0.0  # time for the whole page, image handling included


@dataclass(slots=True)
class OcrPageResult:
    """What a pool worker sends back for one page (plain data, cheap to pickle)."""

    file: str
    page: int
    width_pt: float
    height_pt: float
    words: list[tuple[str, float, float, float, float, float]]  # text, x0, top, x1, bottom, confidence
    rotation: int
    skew_degrees: float
    points_per_pixel: float
    tesseract_seconds: float
    seconds: float
    # column rules found on the page, in points: (x, top, bottom); words are cut at them
    vertical_rules: list[tuple[float, float, float]] = field(default_factory=list)
    # words the second engine changed: (Tesseract's reading, the second engine's, whether they
    # disagree, x0, top, x1, bottom in points)
    second_readings: list[tuple] = field(default_factory=list)


@dataclass(slots=True)
class OcrSettings:
    lang: str = DEFAULT_LANG
    page_timeout_s: float = PAGE_TIMEOUT_S
    # Page segmentation: 6 (one block) keeps text inside ruled boxes — an "ORIGINAL" stamp —
    # that mode 3's layout analysis drops as a picture; lines and columns are rebuilt from the
    # word boxes by pdf_text anyway, so Tesseract's reading order is not needed.
    psm: int = int(os.environ.get("BLOCKTRADE_OCR_PSM", 6))
    deskew: bool = True
    # off by default: on the generated scans it cost more (box residue around stamps) than it
    # saved (text touching table rules), measured with benchmarks/bench_ocr.py
    remove_rules: bool = os.environ.get("BLOCKTRADE_OCR_REMOVE_RULES", "0") == "1"
    orientation: bool = True
    # find table rules and stamp frames: cut words at column rules, re-read framed stamps alone
    rules: bool = os.environ.get("BLOCKTRADE_OCR_RULES", "1") == "1"
    # read a run of words again on its own where the page pass was unsure of one of them
    reread_unsure: bool = os.environ.get("BLOCKTRADE_OCR_REREAD", "1") == "1"
    # time for those second looks, as a share of the page pass's own time (see _read_page)
    extra_reads_share: float = float(os.environ.get("BLOCKTRADE_OCR_EXTRA_READS", 0.4))
    # ask a second OCR engine about the words Tesseract stays unsure of (extractors/ocr_second)
    second_engine: bool = os.environ.get("BLOCKTRADE_OCR_SECOND_ENGINE", "1") == "1"
    workers: int | None = None  # None: one per core


def is_available() -> bool:
    """Whether the Tesseract program can be run here."""
    try:
        _pytesseract().get_tesseract_version()
    except Exception:  # any failure means "not usable", which is the answer
        return False
    return True


# --------------------------------------------------------------------------- one page


def remove_rules(image):  # PIL.Image.Image "L" -> PIL.Image.Image
    """The page with its long straight lines (table rules, box edges) whitened.

    Tesseract misreads text that touches a cell border ("2,46" beside a rule became "S| ee")
    and drops text in a tight box (an "ORIGINAL" stamp). A row of pixels is a rule where a run
    of ``RULE_RUN_PX`` pixels is almost all ink — text never is; columns likewise. Done by box
    down-sampling, so it costs ~0.1 s on a 300-dpi page. Needs a deskewed page.
    """
    from PIL import Image, ImageChops

    width, height = image.size
    ink = ImageChops.invert(image)
    cut = int(255 * RULE_INK)

    def mask(size: tuple[int, int], shift: tuple[int, int]):
        found = (
            ink.resize(size, Image.BOX)
            .point(lambda v: 255 if v > cut else 0)
            .resize((width, height), Image.NEAREST)
        )
        # one pixel either side: the anti-aliased edge of the rule goes too
        wider = ImageChops.lighter(found, ImageChops.offset(found, *shift))
        return ImageChops.lighter(wider, ImageChops.offset(found, -shift[0], -shift[1]))

    horizontal = mask((max(1, width // RULE_RUN_PX), height), (0, 1))
    vertical = mask((width, max(1, height // RULE_RUN_PX)), (1, 0))
    return ImageChops.lighter(image, ImageChops.lighter(horizontal, vertical))


def _pytesseract():
    """pytesseract, imported without pandas and numpy when nothing else loaded them.

    pytesseract imports both only for DataFrame/ndarray conveniences we do not use; with pandas
    in the environment that costs ~1 s in every process (each pool worker too), a third of a
    page's OCR. A ``None`` entry in ``sys.modules`` makes those optional imports fail fast.
    """
    import sys

    if "pytesseract" in sys.modules:
        return sys.modules["pytesseract"]
    hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import pytesseract
    finally:
        for name in hidden:
            del sys.modules[name]
    return pytesseract


def _limit_threads() -> None:
    # Tesseract's OpenMP threads fight each other when pages run side by side.
    os.environ["OMP_THREAD_LIMIT"] = "1"


def estimate_skew(image) -> float:  # image: PIL.Image.Image in mode "L"
    """Degrees to rotate ``image`` counter-clockwise so its text lines are horizontal.

    Text lines make the horizontal ink profile spiky when they are level; the angle whose
    profile is sharpest (largest sum of squared row-to-row differences) wins. Searched coarse
    then fine on a copy 500 pixels wide, which keeps it to a few milliseconds.
    """
    from PIL import Image

    width = 500
    if image.width > width:
        small = image.resize((width, max(1, round(image.height * width / image.width))), Image.BILINEAR)
    else:
        small = image
    ink = small.point(lambda v: 255 if v < 150 else 0)

    def sharpness(angle: float) -> float:
        turned = ink.rotate(angle, resample=Image.NEAREST, fillcolor=0) if angle else ink
        profile = turned.resize((1, turned.height), Image.BOX).tobytes()
        return float(sum((a - b) ** 2 for a, b in itertools.pairwise(profile)))

    scores = {0.0: sharpness(0.0)}
    limit = int(DESKEW_MAX_DEGREES * 2)
    for step in range(-limit, limit + 1):
        scores.setdefault(step * 0.5, sharpness(step * 0.5) if step else scores[0.0])
    coarse = max(scores, key=lambda a: scores[a])
    for offset in (-0.2, -0.1, 0.1, 0.2):
        angle = round(coarse + offset, 2)
        scores.setdefault(angle, sharpness(angle))
    best_angle = max(scores, key=lambda a: (scores[a], -abs(a)))
    return best_angle


@contextmanager
def _as_file(image):  # PIL image -> Iterator[Path]
    """``image`` written to a temporary PGM, for the ``tesseract`` program (the fallback)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="blocktrade-ocr-") as folder:
        written = Path(folder) / "page.pgm"
        image.convert("L").save(written, format="PPM")
        yield written


def _image_to_data(image, settings: OcrSettings) -> dict[str, list]:  # image: PIL image
    """Tesseract's words for ``image``: libtesseract in this process (one model kept per
    process, so a re-read cut-out costs ~10 ms instead of a 0.17 s program start); the
    ``tesseract`` program through pytesseract where the library cannot be used. Raises the
    tesseract_api errors."""
    from extractors import tesseract_api

    try:
        return tesseract_api.image_to_data(
            image, lang=settings.lang, psm=settings.psm, timeout_s=settings.page_timeout_s
        )
    except tesseract_api.TesseractUnavailable:
        pass  # the program says what is missing, in its own words
    pytesseract = _pytesseract()
    try:
        with _as_file(image) as written:
            return pytesseract.image_to_data(
                str(written),
                lang=settings.lang,
                config=f"--psm {settings.psm}",
                timeout=settings.page_timeout_s,
                output_type=pytesseract.Output.DICT,
            )
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            raise tesseract_api.TesseractTimeout(str(exc)) from None
        raise tesseract_api.TesseractFailed(str(exc)) from None
    except pytesseract.TesseractNotFoundError:
        raise tesseract_api.TesseractUnavailable(
            "Tesseract is not installed (Debian packages tesseract-ocr, libtesseract5)"
        ) from None
    except pytesseract.TesseractError as exc:
        raise tesseract_api.TesseractFailed(exc.message) from None


def _run_tesseract(source, settings: OcrSettings, file: str, page: int) -> tuple[list[tuple], float]:
    """Words of ``source`` (a PIL image) with font-sized boxes (see below)."""
    from extractors import tesseract_api

    started = time.perf_counter()
    try:
        data = _image_to_data(source, settings)
    except tesseract_api.TesseractTimeout:
        raise OcrError(
            file, page, "ocr_timeout", f"OCR did not finish within {settings.page_timeout_s:g} s"
        ) from None
    except (tesseract_api.TesseractFailed, tesseract_api.TesseractUnavailable) as exc:
        raise OcrError(file, page, "ocr_failed", f"Tesseract failed: {exc}") from None
    elapsed = time.perf_counter() - started
    read: list[tuple] = []
    sizes: dict[tuple[int, int, int], list[float]] = {}
    for text, conf, left, top, width, height, block, paragraph, line in zip(
        data["text"],
        data["conf"],
        data["left"],
        data["top"],
        data["width"],
        data["height"],
        data["block_num"],
        data["par_num"],
        data["line_num"],
        strict=True,
    ):
        text = str(text).strip()
        confidence = float(conf)
        if not text or confidence < 0 or _RULING.match(text):
            continue
        if confidence < NOISE_BELOW_CONFIDENCE and not any(ch.isalnum() for ch in text):
            continue  # a speck read as a quote or a dot: it would bridge the gap between columns
        read.append(
            (text, left, top, left + width, top + height, confidence / 100.0, (block, paragraph, line))
        )
    read = _trim_tall_boxes(source, read)
    for text, _x0, top, _x1, bottom, _conf, key in read:
        sizes.setdefault(key, []).append((bottom - top) / _ink_ratio(text))
    # Tesseract boxes hug the ink ("on" is x-height tall, "Ltd" is not); a text PDF's word box is
    # the font's, so its height is the font size and its bottom sits just below the baseline.
    # Each word gets such a box: the size is the median over its Tesseract line (robust to one
    # odd word), the baseline is the word's own (so two columns Tesseract put on one line still
    # fall apart when their baselines differ).
    words: list[tuple] = []
    for text, x0, _top, x1, bottom, conf, key in read:
        em = statistics.median(sizes[key])
        baseline = bottom - (_DESCENT * em if any(ch in _DESCENDERS for ch in text) else 0.0)
        words.append(
            (text, x0, round(baseline - (1 - _DESCENT) * em), x1, round(baseline + _DESCENT * em), conf)
        )
    return words, elapsed


# A word box this much taller than its line's typical word holds a speck of noise or a rule
# piece as well: its true height is measured from the image.
TALL_BOX_RATIO = 1.35


def _trim_tall_boxes(source, read: list[tuple]) -> list[tuple]:  # source: Path | PIL image
    """Word boxes with a noise speck above or below shrunk back to the word's ink.

    Tesseract's word box is the bounding box of every blob it took for the word; one speck of
    scanner noise under "Assured:" doubled its height and moved its baseline half a line down,
    off the line its value sits on. The rows of the box are scanned for ink, and the longest
    band of inked rows (short gaps allowed: the dot of an i) is kept.
    """
    by_line: dict[tuple, list[float]] = {}
    for word in read:
        by_line.setdefault(word[6], []).append(word[4] - word[2])
    tall = [
        index
        for index, word in enumerate(read)
        if len(by_line[word[6]]) >= 2
        and word[4] - word[2] > TALL_BOX_RATIO * statistics.median(by_line[word[6]])
    ]
    if not tall:
        return read
    import numpy as np
    from PIL import Image

    trimmed = list(read)
    with Image.open(source) if isinstance(source, Path) else nullcontext(source) as image:
        page = image.convert("L")
        for index in tall:
            text, x0, top, x1, bottom, conf, key = read[index]
            typical = statistics.median(by_line[key])
            rows = (np.asarray(page.crop((x0, top, x1, bottom))) < 128).sum(axis=1).tolist()
            bands: list[list[int]] = []  # [first, last, ink]
            allowed_gap = max(2, round(0.25 * typical))
            for y, count in enumerate(rows):
                if count == 0:
                    continue
                if bands and y - bands[-1][1] <= allowed_gap:
                    bands[-1][1] = y
                    bands[-1][2] += count
                else:
                    bands.append([y, y, count])
            if not bands:
                continue
            first, last, _ink = max(bands, key=lambda band: band[2])
            if last - first + 1 >= 0.5 * typical:
                trimmed[index] = (text, x0, top + first, x1, top + last + 1, conf, key)
    return trimmed


_DESCENDERS = frozenset("gjpqy,;()[]")
_ASCENDERS = frozenset("bdfhklt()[]/|!?%&#@$")
_DESCENT = 0.22  # of the font size, below the baseline


def _ink_ratio(text: str) -> float:
    """How tall a word's ink is, as a fraction of its font size (caps ~0.72, x-height ~0.5)."""
    tall = any(ch.isupper() or ch.isdigit() or ch in _ASCENDERS for ch in text)
    return (0.72 if tall else 0.5) + (_DESCENT if any(ch in _DESCENDERS for ch in text) else 0.0)


def _orientation(page, settings: OcrSettings) -> int:  # page: PIL image
    """Clockwise degrees that make the page upright, per Tesseract OSD (0 when it cannot tell)."""
    from extractors import tesseract_api

    try:
        return tesseract_api.detect_orientation(page, timeout_s=settings.page_timeout_s) or 0
    except tesseract_api.TesseractFailed:
        return 0  # too little text to tell: keep the page as it is
    except tesseract_api.TesseractUnavailable:
        pass
    pytesseract = _pytesseract()
    try:
        with _as_file(page) as written:
            text = pytesseract.image_to_osd(str(written), config="--psm 0", timeout=settings.page_timeout_s)
    except (pytesseract.TesseractError, RuntimeError):
        return 0  # too little text to tell: keep the page as it is
    match = re.search(r"Rotate:\s*(\d+)", text)
    return int(match.group(1)) % 360 if match else 0


def _mean_confidence(words: Sequence[tuple]) -> float:
    return sum(w[5] for w in words) / len(words) if words else 0.0


def _turned(page, degrees: float):  # PIL image "L" -> PIL image "L"
    """``page`` turned ``degrees`` counter-clockwise about its centre, bicubic, white brought in.

    OpenCV's bicubic warp does in 0.08 s what Pillow's did in 0.32 s on a 300 dpi page.
    Cheaper resampling is not good enough: bilinear blurs strokes and nearest-neighbour jags
    them, and either cost several presentations their identical findings on the generated
    scans (docs/benchmarks.md)."""
    import cv2
    import numpy as np
    from PIL import Image

    cv2.setNumThreads(1)  # pages already run one per core in the process pool
    pixels = np.asarray(page)
    height, width = pixels.shape
    # Pillow's centre (width/2, height/2) is a pixel corner; OpenCV counts from pixel centres
    matrix = cv2.getRotationMatrix2D((width / 2 - 0.5, height / 2 - 0.5), degrees, 1.0)
    turned = cv2.warpAffine(
        pixels,
        matrix,
        (width, height),
        flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=255,
    )
    return Image.fromarray(turned)  # 8-bit, one channel: mode "L"


def _prepare(page, settings: OcrSettings, dpi: float):  # -> (PIL image "L", skew, Rules | None)
    """The page straightened (when skewed enough to matter), its rules found."""
    skew = 0.0
    if settings.deskew:
        skew = estimate_skew(page)
        if abs(skew) >= DESKEW_MIN_DEGREES:
            page = _turned(page, skew)
        else:
            skew = 0.0
    rules = find_rules(page, dpi) if settings.rules else None
    if settings.remove_rules:
        page = remove_rules(page)
    page.info["dpi"] = (dpi, dpi)  # Tesseract's resolution, as the file said
    return page, skew, rules


# Time for the cut-outs read after the page pass: a share of the page pass's own time
# (OcrSettings.extra_reads_share), plus a floor for the stamps of a small page.
EXTRA_READS_FLOOR_S = 0.05


def _read_page(
    page, rules: Rules | None, settings: OcrSettings, image: PageImage, changes: list[tuple] | None = None
) -> tuple[list[tuple], float]:
    """The page pass, then the stamps, unread ink and unsure runs read again alone, then the
    second engine's opinion (what it changed is added to ``changes``)."""
    words, tesseract_seconds = _run_tesseract(page, settings, image.file, image.page)
    # the second looks share a budget proportional to the page pass, stamps first, then unread
    # ink, then unsure runs (least sure first): a small page is not read three times over
    deadline = time.perf_counter() + settings.extra_reads_share * tesseract_seconds + EXTRA_READS_FLOOR_S
    if rules is not None:
        words, extra_seconds = _read_boxes(page, rules, words, settings, image, deadline)
        tesseract_seconds += extra_seconds
    if settings.reread_unsure:
        words, extra_seconds = _read_unread(page, words, settings, image, deadline)
        tesseract_seconds += extra_seconds
        words, extra_seconds = _reread_unsure(page, words, settings, image, rules, deadline)
        tesseract_seconds += extra_seconds
        words, extra_seconds = _check_references(page, words, settings, image, rules, deadline)
        tesseract_seconds += extra_seconds
    if settings.second_engine:
        words = _second_engine_opinion(page, words, rules, changes)
    return words, tesseract_seconds


def ocr_page(image: PageImage, settings: OcrSettings | None = None) -> OcrPageResult:
    """Read one page image. Raises ``OcrError`` naming file and page."""
    from PIL import Image

    settings = settings or OcrSettings()
    _limit_threads()
    started = time.perf_counter()
    # decoded once and handed to every stage (each used to decode the page file again: ~0.1 s)
    with Image.open(image.path) as loaded:
        received = loaded.convert("L")
    dpi = 72.0 / image.points_per_pixel
    page, skew, rules = _prepare(received, settings, dpi)
    changes: list[tuple] = []
    words, tesseract_seconds = _read_page(page, rules, settings, image, changes)
    rotation = 0
    width_px, height_px = image.width_px, image.height_px
    if settings.orientation and (
        len(words) < OSD_BELOW_WORDS or _mean_confidence(words) < OSD_BELOW_MEAN_CONFIDENCE
    ):
        osd_started = time.perf_counter()
        rotation = _orientation(page, settings)
        tesseract_seconds += time.perf_counter() - osd_started
        if rotation:
            # turn the page as received, then straighten it again: the skew measured on a page
            # lying on its side means nothing
            turned = received.rotate(-rotation, expand=True, fillcolor=255)
            turned.info["dpi"] = (dpi, dpi)
            turned, turned_skew, turned_rules = _prepare(turned, settings, dpi)
            turned_changes: list[tuple] = []
            second, seconds = _read_page(turned, turned_rules, settings, image, turned_changes)
            tesseract_seconds += seconds
            # OSD said turn it: keep the turned reading unless it reads worse on average
            if _mean_confidence(second) >= _mean_confidence(words):
                words, skew, rules, changes = second, turned_skew, turned_rules, turned_changes
                width_px, height_px = turned.size
            else:
                rotation = 0
    scale = image.points_per_pixel
    return OcrPageResult(
        file=image.file,
        page=image.page,
        width_pt=round(width_px * scale, 2),
        height_pt=round(height_px * scale, 2),
        words=[
            (
                text,
                round(x0 * scale, 2),
                round(top * scale, 2),
                round(x1 * scale, 2),
                round(bottom * scale, 2),
                conf,
            )
            for text, x0, top, x1, bottom, conf in words
        ],
        rotation=rotation,
        skew_degrees=skew,
        points_per_pixel=scale,
        tesseract_seconds=tesseract_seconds,
        seconds=time.perf_counter() - started,
        vertical_rules=[
            (round(x * scale, 2), round(top * scale, 2), round(bottom * scale, 2))
            for x, top, bottom in (rules.vertical if rules is not None else [])
        ],
        second_readings=[
            (first, second, disputed, *(round(v * scale, 2) for v in box))
            for first, second, disputed, *box in changes
        ],
    )


# White margin put around a stamp cut out of the page: Tesseract wants space around text.
BOX_MARGIN_PX = 24
# Stamps are set large and bold; Tesseract reads such letters more surely a little smaller
# (ORIGINAL in 14-pt bold Courier: confidence 0.34 at 300 dpi, 0.96 at 1/2).
BOX_SCALES = (1.0, 0.5, 0.75)
BOX_SURE = 0.9  # a stamp reading this sure ends the search over scales
BOX_FRAME_IN = 0.05  # the frame's width and a little white beyond it, in inches
# A frame narrower than this share of the page is a stamp, a wider one a table row.
STAMP_MAX_WIDTH = 0.35


_STAMP_STRAY = ".,:;'[]|"


def _stamp_text(reading: Sequence[tuple]) -> str | None:
    """The stamp wording ("ORIGINAL", "COPY", ...) a box's words spell, ignoring stray punctuation."""
    from extractors.fields.common import is_stamp

    text = " ".join(w[0].strip(_STAMP_STRAY) for w in reading).strip()
    return text if text and is_stamp(text) else None


def _read_crop(
    page, box: tuple[int, int, int, int], factor: float, settings: OcrSettings, image: PageImage
) -> tuple[list[tuple], float]:
    """Read ``box`` of ``page`` alone as one line (page segmentation 7), scaled by ``factor``
    and set on a white margin; words come back in ``page`` pixels."""
    from PIL import Image

    left, upper = box[0], box[1]
    crop = page.crop(box)
    if factor != 1.0:
        crop = crop.resize(
            (max(1, round(crop.width * factor)), max(1, round(crop.height * factor))), Image.LANCZOS
        )
    canvas = Image.new("L", (crop.width + 2 * BOX_MARGIN_PX, crop.height + 2 * BOX_MARGIN_PX), 255)
    canvas.paste(crop, (BOX_MARGIN_PX, BOX_MARGIN_PX))
    canvas.info["dpi"] = page.info.get("dpi", (300, 300))
    read, elapsed = _run_tesseract(canvas, replace(settings, psm=7), image.file, image.page)
    return [
        (
            text,
            (a - BOX_MARGIN_PX) / factor + left,
            (b - BOX_MARGIN_PX) / factor + upper,
            (c - BOX_MARGIN_PX) / factor + left,
            (d - BOX_MARGIN_PX) / factor + upper,
            conf,
        )
        for text, a, b, c, d, conf in read
    ], elapsed


def _surest(readings: Sequence[list[tuple]]) -> list[tuple]:
    """The reading whose least sure word is surest (then the surest on average)."""
    return max(readings, key=lambda r: (min((w[5] for w in r), default=0.0), _mean_confidence(r)))


# At most this many unsure runs are re-read on a page (each is a Tesseract run of ~0.1 s): a
# page of bad print is for a person.
REREAD_MAX_RUNS = 8
# An unsure run is read alone at these scales until every word is sure: Tesseract splits or
# misreads a long reference at one size and reads it whole at another ("TPSC789 163519" at
# 0.06 at full size, "TPSC789163519" at 0.91 at 3/4).
REREAD_SCALES = (1.0, 0.75, 1.5)


# An unsure word this many times taller than the page's usual word is junk over several lines.
TALL_JUNK_FACTOR = 2.0


def _has_alnum(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _unsure_runs(words: list[tuple]) -> list[list[int]]:
    """Indices of word runs (one line, no column gap) holding a word read below LOW_CONFIDENCE
    or a lone mark without letters or digits (often all that is left of a dropped word)."""
    order = sorted(range(len(words)), key=lambda i: (words[i][2], words[i][1]))
    runs: list[list[int]] = []
    placed: set[int] = set()
    usual = statistics.median(w[4] - w[2] for w in words) if words else 0.0
    for index in order:
        if index in placed or (words[index][5] >= LOW_CONFIDENCE and _has_alnum(words[index][0])):
            continue
        if words[index][4] - words[index][2] > TALL_JUNK_FACTOR * usual:
            # a box two lines tall or more is not a line to read again: cut out, it takes in
            # the lines around it ("STFFI KITCHEN" from the top of the row under a header)
            continue
        top, bottom = words[index][2], words[index][4]
        height = bottom - top
        middle = (top + bottom) / 2
        same_line = sorted(
            (
                i
                for i, w in enumerate(words)
                if i not in placed and abs((w[2] + w[4]) / 2 - middle) < 0.4 * height
            ),
            key=lambda i: words[i][1],
        )
        run = [index]
        for step in (-1, 1):  # grow left, then right, while the gap stays inside a column
            position = same_line.index(index)
            while 0 <= position + step < len(same_line):
                nxt, cur = same_line[position + step], same_line[position]
                gap = words[nxt][1] - words[cur][3] if step == 1 else words[cur][1] - words[nxt][3]
                if gap > OCR_GAP_EM * height:
                    break
                run.append(nxt)
                position += step
        if (
            len(run) > 1
            and all(_has_alnum(words[i][0]) == (i != index) for i in run)
            and words[index][5] >= LOW_CONFIDENCE
        ):
            continue  # a sure "/" or "-" between words is text ("Vessel / Voy."), not a remnant
        placed.update(run)
        runs.append(sorted(run, key=lambda i: words[i][1]))

    # the least sure first: a lone mark (read surely, but a remnant) counts as half sure
    def priority(run: list[int]) -> float:
        return min(words[i][5] if _has_alnum(words[i][0]) else 0.5 for i in run)

    return sorted(runs, key=priority)[:REREAD_MAX_RUNS]


# Pixels kept clear of a column rule when a re-read is clipped to its table cell.
CELL_RULE_CLEARANCE_PX = 4


def _inside_cell(rules: Rules, run: list[tuple], left: int, right: int) -> tuple[int, int]:
    """``left``..``right`` clipped to the table cell the run's middle is in: a column rule in a
    cut-out is read as a letter or swallows the one beside it ("Quantity" at a rule read "on")."""
    middle_x = (min(w[1] for w in run) + max(w[3] for w in run)) / 2
    middle_y = (min(w[2] for w in run) + max(w[4] for w in run)) / 2
    for x, top, bottom in rules.vertical:
        if not top <= middle_y <= bottom:
            continue
        if left <= x <= middle_x:
            left = int(x) + CELL_RULE_CLEARANCE_PX
        elif middle_x < x <= right:
            right = int(x) - CELL_RULE_CLEARANCE_PX
    return left, right


def _agreed_reading(readings: Sequence[list[tuple]], old: Sequence[tuple]) -> list[tuple] | None:
    """The reading of an unsure run that every scale agrees on, when it differs from the page
    pass and no scale read it surely (a sure reading wins on confidence alone)."""
    if len(readings) < len(REREAD_SCALES) or not any(_has_alnum(w[0]) for w in old):
        return None

    def spelled(reading: Sequence[tuple]) -> str:
        return " ".join(w[0] for w in reading)

    texts = {spelled(r) for r in readings}
    if len(texts) != 1 or texts == {spelled(old)}:
        return None
    # a reading that drops words the page pass had is not the same run read better
    if len(readings[0]) < len(old):
        return None
    return _surest(readings)


# How far (in word heights) a re-read of a stray mark looks either side for the word it was.
REREAD_WIDEN_EM = 4.0


def _widen_to_neighbours(
    words: list[tuple], run: list[int], left: int, right: int, height: float
) -> tuple[int, int]:
    middle = sum((words[i][2] + words[i][4]) / 2 for i in run) / len(run)
    first, last = words[run[0]], words[run[-1]]
    neighbours = [
        w for i, w in enumerate(words) if i not in run and abs((w[2] + w[4]) / 2 - middle) < 0.5 * height
    ]
    reach = REREAD_WIDEN_EM * height
    wide_left = max([first[1] - reach] + [w[3] + 0.2 * height for w in neighbours if w[3] <= first[1]])
    wide_right = min([last[3] + reach] + [w[1] - 0.2 * height for w in neighbours if w[1] >= last[3]])
    return max(0, min(left, int(wide_left))), max(right, int(wide_right) + 1)


def _cut_out(page, run: Sequence[tuple]) -> tuple[int, int, int, int]:
    """The box a run of words is read again from: its words' box with a margin of 0.4 of the
    word height either side and 0.1 above and below, inside the page."""
    height = max(w[4] - w[2] for w in run)
    pad_x, pad_y = 0.4 * height, 0.1 * height
    return (
        max(0, int(min(w[1] for w in run) - pad_x)),
        max(0, int(min(w[2] for w in run) - pad_y)),
        min(page.width, int(max(w[3] for w in run) + pad_x) + 1),
        min(page.height, int(max(w[4] for w in run) + pad_y) + 1),
    )


def _reread_unsure(
    page,
    words: list[tuple],
    settings: OcrSettings,
    image: PageImage,
    rules: Rules | None = None,
    deadline: float = float("inf"),
) -> tuple[list[tuple], float]:
    """Re-read, each cut out on its own as one line, the runs of words the page pass was unsure of.

    In one block (page segmentation 6) Tesseract sometimes takes a bold caption beside a
    column of values for noise ("Place and" read as "ee", 0.23); cut out alone, the same run
    usually reads cleanly. The new reading replaces the old one only when it is surer.
    (Stacking all cut-outs on one sheet for a single Tesseract run was tried: faster, but
    field accuracy on the generated scans fell from 94.1% to 92.0%.)
    """

    runs = _unsure_runs(words)
    if not runs:
        return words, 0.0
    seconds = 0.0
    replaced: dict[int, list[tuple]] = {}
    for run in runs:
        if time.perf_counter() > deadline:
            break
        old = [words[i] for i in run]
        left, top, right, bottom = _cut_out(page, old)
        if sum(ch.isalnum() for w in old for ch in w[0]) <= 2:
            # a stray mark is often all the page pass kept of a word ("Issue:" read as ":"):
            # look either side, up to the neighbouring words of the line
            height = max(w[4] - w[2] for w in old)
            left, right = _widen_to_neighbours(words, run, left, right, height)
            right = min(page.width, right)
        if rules is not None:
            left, right = _inside_cell(rules, old, left, right)
        if right <= left or bottom <= top:
            continue
        readings: list[list[tuple]] = []
        for factor in REREAD_SCALES:
            if readings and time.perf_counter() > deadline:
                break
            read, elapsed = _read_crop(page, (left, top, right, bottom), factor, settings, image)
            seconds += elapsed
            if read:
                readings.append(read)
                if min(w[5] for w in read) >= LOW_CONFIDENCE:
                    break
        new = _surest(readings) if readings else []
        if not new:
            continue
        agreed = _agreed_reading(readings, old)
        if agreed is not None:
            # every scale spells the run the same, and not as the page pass did: a word no
            # dictionary knows ("KEJI" read "KEJ" at 0.47 on the page, "KEJI" at 0.09-0.40
            # at each scale) stays unsure, but its letters are the ones the scales agree on
            better, new = True, agreed
        elif any(_has_alnum(w[0]) for w in old):
            better = _mean_confidence(new) > _mean_confidence(old) and min(w[5] for w in new) > min(
                w[5] for w in old
            )
        else:  # a lone mark: what it was a piece of, when that reads surely
            better = any(_has_alnum(w[0]) for w in new) and _mean_confidence(new) >= LOW_CONFIDENCE
        if better:
            replaced[run[0]] = new
            for i in run[1:]:
                replaced[i] = []
    if not replaced:
        return words, seconds
    out: list[tuple] = []
    for index, word in enumerate(words):
        out.extend(replaced.get(index, [word]))
    return out, seconds


# Reference-like words (letters and digits, six characters or more: credit, invoice and B/L
# numbers) read surely on the page are read again alone, at most this many a page. In a line
# Tesseract can misread one character surely ("IMP56795GE26" at 0.90 where the document says
# GF); cut out alone, the same word read "IMP56795GF26" at every scale from 0.6 to 2.
REFERENCE_CHECKS_MAX = 12
REFERENCE_CHECK_SCALES = (1.0, 0.75)
_REFERENCE_EDGES = ".,;:()"


def _reference_like(text: str) -> bool:
    core = text.strip(_REFERENCE_EDGES)
    return len(core) >= 6 and any(ch.isalpha() for ch in core) and sum(ch.isdigit() for ch in core) >= 2


def _check_references(
    page,
    words: list[tuple],
    settings: OcrSettings,
    image: PageImage,
    rules: Rules | None = None,
    deadline: float = float("inf"),
) -> tuple[list[tuple], float]:
    """A second opinion on each sure reference-like word: read alone at two scales. When both
    spell it alike, surely, and not as the page pass did, their spelling is taken (the box
    stays the page's); otherwise the page's reading stands."""
    checks = [i for i, w in enumerate(words) if w[5] >= LOW_CONFIDENCE and _reference_like(w[0])]
    seconds = 0.0
    out = list(words)
    for index in checks[:REFERENCE_CHECKS_MAX]:
        if time.perf_counter() > deadline:
            break
        text, x0, top, x1, bottom, confidence = words[index]
        left, upper, right, lower = _cut_out(page, [words[index]])
        if rules is not None:
            left, right = _inside_cell(rules, [words[index]], left, right)
        box = (left, upper, right, lower)
        if right <= left or lower <= upper:
            continue
        core = text.strip(_REFERENCE_EDGES)
        readings = []
        for factor in REFERENCE_CHECK_SCALES:
            read, elapsed = _read_crop(page, box, factor, settings, image)
            seconds += elapsed
            if len(read) != 1 or read[0][5] < LOW_CONFIDENCE or read[0][0].strip(_REFERENCE_EDGES) == core:
                break  # unsure, or the page pass confirmed: no need for the next scale
            readings.append(read[0])
        spelled = {r[0].strip(_REFERENCE_EDGES) for r in readings}
        if len(readings) < len(REFERENCE_CHECK_SCALES) or len(spelled) != 1:
            continue
        (alone,) = spelled
        if not _reference_like(alone):
            continue
        edges_left = text[: len(text) - len(text.lstrip(_REFERENCE_EDGES))]
        edges_right = text[len(text.rstrip(_REFERENCE_EDGES)) :]
        surest = min(confidence, max(r[5] for r in readings))
        out[index] = (f"{edges_left}{alone}{edges_right}", x0, top, x1, bottom, surest)
    return out, seconds


# At most this many words a page are put to the second engine (~16 ms each): every word
# Tesseract stays unsure of, then the sure reference-like words.
SECOND_OPINION_MAX_WORDS = 30
# The second engine's reading settles a word when it is this sure of the characters where the
# two engines differ (and of the whole word on average), and reads the same when stretched.
SECOND_SURE = 0.9
SECOND_SURE_MEAN = 0.85
# ...and when no character of it is below this.
SECOND_LEAST = 0.5
SECOND_STRETCH = 1.5
# A word Tesseract read surely that the second engine reads, just as surely, otherwise: the
# spelling of the engine trained apart is kept, as doubtful as a coin toss (a person checks
# it unless another document confirms it).
DISPUTED_CONFIDENCE = 0.5


def _second_engine_opinion(
    page, words: list[tuple], rules: Rules | None = None, changes: list[tuple] | None = None
) -> list[tuple]:
    """Words read again by a second engine (extractors/ocr_second): each word Tesseract stays
    unsure of, and each reference-like word it read surely.

    - The two readings are alike (once OCR-normalised), or differ only in lookalike characters
      ("C026369085" and "CO26369085"), a stray mark or a space, and the second engine is sure
      where they differ: its reading is taken, with its confidence. Two engines trained apart
      settle what Tesseract's own re-reads flip back and forth on.
    - They differ otherwise and the second engine is sure of every character: its spelling is
      taken ("SANAYIASS." is "SANAYI A.S."), with doubt: an unsure word keeps Tesseract's
      confidence, a sure one gets ``DISPUTED_CONFIDENCE``. A value it gives goes to a person
      unless another document confirms it.
    - Anything else leaves Tesseract's reading as it was.
    A reading with fewer letters and digits than Tesseract's is taken only when a stretched
    reading has the same characters (up to lookalikes), so two characters run together ("00")
    cannot pass for a misread.
    """
    from extractors import ocr_second

    def candidate(word: tuple) -> bool:
        return word[0].isascii() and _alnum_count(word[0]) >= 2

    unsure = sorted(
        (i for i, w in enumerate(words) if w[5] < LOW_CONFIDENCE and candidate(w)),
        key=lambda i: words[i][5],
    )
    references = [
        i for i, w in enumerate(words) if w[5] >= LOW_CONFIDENCE and candidate(w) and _reference_like(w[0])
    ]
    replaced: dict[int, list[tuple]] = {}
    for index in (unsure + references[:REFERENCE_CHECKS_MAX])[:SECOND_OPINION_MAX_WORDS]:
        text, x0, top, x1, bottom, confidence = words[index]
        left, upper, right, lower = _cut_out_alone(page, words, index)
        if rules is not None:
            left, right = _inside_cell(rules, [words[index]], left, right)
        if right - left < 2 or lower - upper < 2:
            continue
        crop = page.crop((left, upper, right, lower))
        reading = ocr_second.read_line(crop)
        if reading is None:
            return words  # no second engine here: every doubt stands
        reading = reading.without_stray_edges()
        if not reading.text or not reading.text.isascii() or reading.least < SECOND_LEAST:
            continue
        was_sure = confidence >= LOW_CONFIDENCE
        difference = ocr_second.compare(text, reading.text)
        normalized_differ = ocr_normalize.normalize_token(text) != ocr_normalize.normalize_token(reading.text)
        if not normalized_differ:
            sure, new_confidence = reading.mean >= SECOND_SURE_MEAN, max(confidence, reading.mean)
        elif difference.shape_only or (separators := _separators_read_as_digits(text, reading.text)):
            # a lookalike, or a number whose separators Tesseract read as digits ("52176700"
            # for "5.176,00"): settled where the second engine is sure of those characters
            positions = difference.positions if difference.shape_only else separators
            sure = reading.mean >= SECOND_SURE_MEAN and all(
                reading.probabilities[p] >= SECOND_SURE for p in positions
            )
            new_confidence = max(confidence, reading.mean)
        elif not _about_as_long(text, reading.text):
            continue  # junk read over its neighbours ("ee" for "for the carrier ORIENT")
        elif was_sure and any(ch in _NO_DOCUMENT_MARKS for ch in text):
            # a mark no document prints is a broken stroke, not a reading to weigh ("A\/PL/948")
            sure, new_confidence = reading.least >= SECOND_SURE, reading.mean
        elif was_sure:
            # a character fewer is no dispute: one lost at the cut-out's edge ("TPSC92445" for
            # "TPSC924451"); a character more is one Tesseract dropped ("W4J" read "WJ")
            sure = reading.least >= SECOND_SURE and _alnum_count(reading.text) >= _alnum_count(text)
            new_confidence = DISPUTED_CONFIDENCE
        else:
            # the doubt stays, so a spelling the engine is sure of on average will do; but not
            # for pieces of a broken word ("Dee ed at" for "Original"), read apart they are noise
            sure = reading.mean >= SECOND_SURE and _alnum_count(text) >= SECOND_RESPELL_MIN_CHARS
            new_confidence = confidence
        if not sure or (was_sure and reading.text == text):
            continue
        if _alnum_count(reading.text) < _alnum_count(text) and not reading.same_characters(
            ocr_second.read_line(crop, SECOND_STRETCH)
        ):
            continue  # fewer characters: two may have run together
        replaced[index] = _split_reading(reading.text, (x0, top, x1, bottom), new_confidence)
        if changes is not None:
            disputed = new_confidence < LOW_CONFIDENCE and normalized_differ
            changes.append((text, reading.text, disputed, x0, top, x1, bottom))
    if not replaced:
        return words
    out: list[tuple] = []
    for index, word in enumerate(words):
        out.extend(replaced.get(index, [word]))
    return out


def _cut_out_alone(page, words: Sequence[tuple], index: int) -> tuple[int, int, int, int]:
    """``_cut_out`` of one word, kept short of the words beside it on its line: a neighbour's
    last letter inside the cut-out is read as part of the word ("A.S." read "IA.S.")."""
    left, upper, right, lower = _cut_out(page, [words[index]])
    _, x0, top, x1, bottom, _ = words[index]
    middle = (top + bottom) / 2
    for other, w in enumerate(words):
        if other == index or not w[2] < middle < w[4]:
            continue
        if w[3] <= x0:
            left = max(left, int(w[3]) + 1)
        elif w[1] >= x1:
            right = min(right, int(w[1]))
    return left, upper, right, lower


# Marks Tesseract makes of a broken stroke that no trade document prints inside a word.
_NO_DOCUMENT_MARKS = frozenset("\\{}~^`")
# An unsure word is spelled as the second engine reads it only from this many letters and digits.
SECOND_RESPELL_MIN_CHARS = 4
# Two readings of one word differ by at most this many letters and digits in length.
SECOND_LENGTH_SLACK = 2


def _separators_read_as_digits(first: str, second: str) -> tuple[int, ...]:
    """Where ``second``, a correctly grouped number, has a separator that ``first`` read as a
    digit, all else alike ("52176700" and "5.176,00": (1, 5)); empty when it is not so."""
    if len(first) != len(second) or not ocr_normalize.is_grouped_number(second):
        return ()
    positions = tuple(i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b)
    if all(first[i].isdigit() and second[i] in ".," for i in positions):
        return positions
    return ()


def _alnum_count(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def _about_as_long(first: str, second: str) -> bool:
    count = _alnum_count(second)
    return count >= 2 and abs(count - _alnum_count(first)) <= SECOND_LENGTH_SLACK


def _split_reading(text: str, box: tuple[float, float, float, float], confidence: float) -> list[tuple]:
    """Words of ``text`` in ``box``, the box shared out by character count."""
    x0, top, x1, bottom = box
    parts = text.split()
    if len(parts) == 1:
        return [(text, x0, top, x1, bottom, confidence)]
    per_char = (x1 - x0) / max(1, len(text))
    out, position = [], 0
    for part in parts:
        start = text.index(part, position)
        position = start + len(part)
        out.append((part, x0 + start * per_char, top, x0 + position * per_char, bottom, confidence))
    return out


# At most this many regions of ink no word covers are read on a page; text read there is kept
# only when Tesseract is this sure of it (a signature or a smudge reads as low-confidence junk).
UNREAD_MAX_REGIONS = 8
UNREAD_MIN_CONFIDENCE = 0.6
UNREAD_COVER_CONFIDENCE = 0.45


def _beside(words: Sequence[tuple], junk: Sequence[tuple], gap: float) -> list[tuple]:
    """The sure words of the junk's line that start or end within ``gap`` of it."""
    left, right = min(w[1] for w in junk), max(w[3] for w in junk)
    middle = sum((w[2] + w[4]) / 2 for w in junk) / len(junk)
    height = max(w[4] - w[2] for w in junk)
    return [
        w
        for w in words
        if w[5] >= UNREAD_COVER_CONFIDENCE
        and abs((w[2] + w[4]) / 2 - middle) < 0.4 * height
        and (0 <= w[1] - right < gap or 0 <= left - w[3] < gap)
    ]


def _centre_inside(word: tuple, box: tuple[int, int, int, int]) -> bool:
    return box[0] <= (word[1] + word[3]) / 2 <= box[2] and box[1] <= (word[2] + word[4]) / 2 <= box[3]


def _read_unread(
    page, words: list[tuple], settings: OcrSettings, image: PageImage, deadline: float = float("inf")
) -> tuple[list[tuple], float]:
    """Read, each alone as one line, the text-like ink the page pass left without a word."""

    from extractors.images import find_unread_ink

    if len(words) < OSD_BELOW_WORDS:
        return words, 0.0  # a page read this poorly is for orientation detection, not patching
    em = statistics.median(w[4] - w[2] for w in words)
    # a word read as junk (confidence near 0) does not count as covering its ink: a bold table
    # header between rules comes back from the page pass as "RW IKI GW." at 0.0-0.4
    sure = [w for w in words if w[5] >= UNREAD_COVER_CONFIDENCE]
    regions = find_unread_ink(page, [w[1:5] for w in sure], em, 72.0 / image.points_per_pixel)
    # ink just beside a sure word of its line is a piece of that word its box left out
    # ("LIGHTING" boxed without its G), not a word of its own
    regions = [
        region
        for region in regions
        if not any(
            min(region[3], w[4]) - max(region[1], w[2]) > 0.3 * em
            and region[0] - 0.5 * em < w[3]
            and w[1] < region[2] + 0.5 * em
            for w in sure
        )
    ]
    seconds = 0.0
    kept = list(words)
    for x0, top, x1, bottom in regions[:UNREAD_MAX_REGIONS]:
        if time.perf_counter() > deadline:
            break
        pad = round(0.3 * em)
        box = (max(0, x0 - pad), max(0, top - pad), min(page.width, x1 + pad), min(page.height, bottom + pad))
        junk = [w for w in kept if w[5] < UNREAD_COVER_CONFIDENCE and _centre_inside(w, box)]
        beside: list[tuple] = []
        if junk:
            # the junk the page pass made of this ink may reach past the ink found unread: read
            # all of it, or its ends are lost with it ("2-300)" at 0.25 over "2 300", whose
            # "2" is too small to be found as ink of its own). The words right beside it were
            # read in the same confused breath ("PCS" as "2CS"): they are read again with it,
            # and where both readings are kept the surer wins (_without_overlaps)
            beside = _beside(kept, junk, OCR_GAP_EM * em)
            box = (
                max(0, min([box[0], *(int(w[1]) - pad for w in junk + beside)])),
                box[1],
                min(page.width, max([box[2], *(int(w[3]) + pad for w in junk + beside)])),
                box[3],
            )
        read, elapsed = _read_crop(page, box, 1.0, settings, image)
        seconds += elapsed
        if any(_has_alnum(w[0]) for w in read) and _mean_confidence(read) >= UNREAD_MIN_CONFIDENCE:
            # the junk the page pass made of this ink goes, and the words read beside it when
            # the new reading is sure throughout (else the surer of each pair stays)
            gone = [w for w in kept if w[5] < UNREAD_COVER_CONFIDENCE and _centre_inside(w, box)]
            if beside and min(w[5] for w in read) >= LOW_CONFIDENCE:
                gone += [w for w in beside if _centre_inside(w, box)]
            kept = [w for w in kept if w not in gone]
            kept.extend(read)
    return kept, seconds


def _read_boxes(
    page,
    rules: Rules,
    words: list[tuple],
    settings: OcrSettings,
    image: PageImage,
    deadline: float = float("inf"),
) -> tuple[list[tuple], float]:
    """Re-read the inside of each framed box that the page pass read nothing (or nothing sure) in.

    Tesseract's page pass treats a word in a tight frame (an ORIGINAL stamp) as a picture and
    drops it; cut out without its frame, with a white margin, the same word reads as one line
    (page segmentation 7). The box's words replace whatever the page pass had inside it.
    """

    seconds = 0.0
    for x0, top, x1, bottom in rules.boxes:
        if time.perf_counter() > deadline:
            break
        inside = [w for w in words if x0 <= (w[1] + w[3]) / 2 <= x1 and top <= (w[2] + w[4]) / 2 <= bottom]
        # a small frame is a stamp: Tesseract's confidence on stamp lettering is no guide (it
        # read ORIGINAL as "ORTGTNAT." at 0.9), so it is always read again; a wide one is a
        # table row, re-read only when the page pass found nothing sure in it
        stamp_sized = (x1 - x0) < STAMP_MAX_WIDTH * page.width
        if not stamp_sized and inside and _mean_confidence(inside) >= LOW_CONFIDENCE:
            continue
        if not stamp_sized and any(x0 < x < x1 and t < bottom and b > top for x, t, b in rules.vertical):
            # a row of table cells: read as one line its column rules turn into letters; what
            # the page pass left unread in its cells is read cell by cell (_read_unread)
            continue
        # cut out with its frame: alone on white, a frame does not trouble Tesseract (it reads
        # the sides as "|", dropped as ruling), while whitening it ate the letters touching it
        pad = round(BOX_FRAME_IN * 72.0 / image.points_per_pixel)
        box = (
            max(0, int(x0) - pad), max(0, int(top) - pad),
            min(page.width, int(x1) + pad + 1), min(page.height, int(bottom) + pad + 1),
        )  # fmt: skip
        readings: list[list[tuple]] = [inside] if inside else []
        for factor in BOX_SCALES:
            if readings and _stamp_text(readings[-1]) and _mean_confidence(readings[-1]) >= BOX_SURE:
                break
            read, elapsed = _read_crop(page, box, factor, settings, image)
            seconds += elapsed
            # the margin around the frame can take in the top of the line below it: only what
            # stands inside the frame is the box's ("STEEL" cut in half read as "STFFI")
            read = [w for w in read if top <= (w[2] + w[4]) / 2 <= bottom]
            if read:
                readings.append(read)
        if not readings:
            continue
        best = max(
            readings, key=lambda reading: (_stamp_text(reading) is not None, _mean_confidence(reading))
        )
        stamp = _stamp_text(best)
        if stamp is not None:
            # a framed stamp carries no sentence punctuation: "ORIGINAL." is ORIGINAL
            best = [(w[0].strip(_STAMP_STRAY), *w[1:]) for w in best]
        if best is not inside:
            words = [w for w in words if w not in inside] + best
    return words, seconds


def _ocr_page_or_error(image: PageImage, settings: OcrSettings) -> OcrPageResult | OcrError:
    try:
        return ocr_page(image, settings)
    except OcrError as exc:
        return exc
    except Exception as exc:  # a damaged page image must not take the others down
        return OcrError(image.file, image.page, "ocr_failed", f"{type(exc).__name__}: {exc}")


# --------------------------------------------------------------------------- many pages


Progress = Callable[[int, int, PageImage], None]


def ocr_pages(
    images: Sequence[PageImage], settings: OcrSettings | None = None, progress: Progress | None = None
) -> list[OcrPageResult | OcrError]:
    """OCR every page, in parallel across cores; results in the order of ``images``."""
    settings = settings or OcrSettings()
    _limit_threads()
    workers = min(settings.workers or os.cpu_count() or 1, len(images))
    results: list[OcrPageResult | OcrError | None] = [None] * len(images)
    if workers <= 1:
        for index, image in enumerate(images):
            results[index] = _ocr_page_or_error(image, settings)
            if progress:
                progress(index + 1, len(images), image)
    else:
        with ProcessPoolExecutor(max_workers=workers, initializer=_limit_threads) as pool:
            futures: dict[Future, int] = {
                pool.submit(_ocr_page_or_error, image, settings): index for index, image in enumerate(images)
            }
            from concurrent.futures import as_completed

            for done, future in enumerate(as_completed(futures), start=1):
                index = futures[future]
                image = images[index]
                try:
                    results[index] = future.result()
                except Exception as exc:  # a worker that died still names its page
                    results[index] = OcrError(
                        image.file, image.page, "ocr_failed", f"OCR worker failed: {exc}"
                    )
                if progress:
                    progress(done, len(images), image)
    return [r for r in results if r is not None]


# Two readings of one place: Tesseract can return a line twice, once cut short ("STFFI KITCHEN
# SINKS MODEFI" over "STAINLESS STEEL KITCHEN SINKS, MODEL"). Of two words whose boxes overlap
# by this share of their union, the surer stays (a box drawn too wide over its neighbours,
# "MARIS" over "/ 4602W", shares little of its union with each).
DUPLICATE_OVERLAP = 0.5


def _without_overlaps(words: Sequence[tuple]) -> list[tuple]:
    from rapidfuzz import fuzz

    order = sorted(range(len(words)), key=lambda i: words[i][1])
    dropped: set[int] = set()
    for position, i in enumerate(order):
        a = words[i]
        for j in order[position + 1 :]:
            b = words[j]
            if b[1] >= a[3]:
                break  # sorted by left edge: nothing further right overlaps a
            width = min(a[3], b[3]) - max(a[1], b[1])
            height = min(a[4], b[4]) - max(a[2], b[2])
            if width <= 0 or height <= 0:
                continue
            overlap = width * height
            unsure, sure = (b, a) if b[5] < a[5] else (a, b)
            unsure_area = (unsure[3] - unsure[1]) * (unsure[4] - unsure[2])
            union = (a[3] - a[1]) * (a[4] - a[2]) + (b[3] - b[1]) * (b[4] - b[2]) - overlap
            same_place = union > 0 and overlap >= DUPLICATE_OVERLAP * union
            # a partial second reading lies inside the surer word and spells much of it
            # ("CONITA" in "CONTAINER"); a neighbour under a box drawn too wide does not
            inside = unsure_area > 0 and overlap >= DUPLICATE_OVERLAP * unsure_area
            if same_place or (inside and fuzz.ratio(unsure[0].upper(), sure[0].upper()) >= 50):
                dropped.add(j if unsure is b else i)
    return [w for index, w in enumerate(words) if index not in dropped]


# A handwritten signature comes back as a line of junk words, each read at this confidence or
# below ("eating[0.24] ain[0.38]"); as text it would be taken for the signer or the authority.
SCRIBBLE_MAX_CONFIDENCE = 0.45
SCRIBBLE_HEIGHT_FACTOR = 2.2  # times the page's usual word height


def _is_scribble(words: Sequence[Word]) -> bool:
    return all(getattr(w, "confidence", 1.0) <= SCRIBBLE_MAX_CONFIDENCE for w in words)


def page_from_result(result: OcrPageResult) -> OcrPage:
    """An ``OcrPage`` (lines and segments built the same way as for a text PDF)."""
    words: list[Word] = []
    for text, x0, top, x1, bottom, confidence in _without_overlaps(result.words):
        if _SPECK.match(text):
            continue
        reach = 0.5 * (bottom - top)
        rule_beside = any(
            top < rule_bottom and bottom > rule_top and (abs(x - x0) <= reach or abs(x - x1) <= reach)
            for x, rule_top, rule_bottom in result.vertical_rules
        )
        middle_x, middle_y = (x0 + x1) / 2, (top + bottom) / 2
        first_reading, disputed = next(
            (
                (first, was_disputed)
                for first, _, was_disputed, left, upper, right, lower in result.second_readings
                if left <= middle_x <= right and upper <= middle_y <= lower
            ),
            ("", False),
        )
        words.append(
            OcrWord(
                text=ocr_normalize.normalize_token(text, rule_beside),
                x0=x0,
                top=top,
                x1=x1,
                bottom=bottom,
                page=result.page,
                confidence=round(confidence, 3),
                raw=text,
                first_reading=first_reading,
                disputed=disputed,
            )
        )
    words = ocr_normalize.merge_broken_numbers(words)
    words = ocr_normalize.split_glued_legal_forms(ocr_normalize.mend_dollar_signs(words))
    words = ocr_normalize.split_count_and_times(words)
    lines = group_lines(words, result.page)
    scribbles = {id(w) for line in lines if _is_scribble(line.words) for w in line.words}
    if words:
        # a signature's strokes read as a word: a box far taller than the text, read unsurely
        usual = statistics.median(w.height for w in words)
        scribbles |= {
            id(w)
            for w in words
            if w.height > SCRIBBLE_HEIGHT_FACTOR * usual and getattr(w, "confidence", 1.0) < LOW_CONFIDENCE
        }
    if scribbles:
        words = [w for w in words if id(w) not in scribbles]
        lines = group_lines(words, result.page)
    for line in lines:
        line.segments = _cut_at_rules(_segments(line.words), result.vertical_rules)
    _cut_at_header_columns(lines)
    return OcrPage(
        number=result.page,
        width=result.width_pt,
        height=result.height_pt,
        words=words,
        lines=lines,
        has_text_layer=sum(len(w.text) for w in words) >= 20,
        rotation=result.rotation,
        skew_degrees=result.skew_degrees,
        mean_confidence=round(_mean_confidence(result.words), 3),
        points_per_pixel=result.points_per_pixel,
        tesseract_seconds=result.tesseract_seconds,
        seconds=result.seconds,
    )


# Word gap (in font heights) that starts a new segment on an OCR'd line. OCR word boxes here
# are font-sized (see _run_tesseract) but their widths are ink, without the side bearings, and
# the font size is estimated from capitals whose height varies by typeface (0.57 em in
# Courier, 0.72 in Helvetica): a little wider than the text rule's 0.9 keeps monospaced word
# spacing together while column gaps (2 em and more) still split.
OCR_GAP_EM = 1.2


def _segments(words: Sequence[Word]) -> list:
    from extractors import pdf_text

    try:
        return pdf_text.split_segments(words, gap_em=OCR_GAP_EM)  # type: ignore[call-arg]
    except TypeError:  # a split_segments without the gap parameter uses the text rule anyway
        return pdf_text.split_segments(words)


def _cut_at_rules(segments: list, rules: Sequence[tuple[float, float, float]]) -> list:
    """Segments split wherever a column rule stands between two of their words.

    Text in one table cell can end a few points from the rule and the next cell's text start a
    few points after it: closer than the column gap OCR segments need, but the rule says where
    one cell ends. A text PDF's cells are far enough apart without it.
    """
    if not rules:
        return segments
    out: list = []
    for segment in segments:
        words = segment.words
        middle = (min(w.top for w in words) + max(w.bottom for w in words)) / 2
        cuts = [x for x, top, bottom in rules if top <= middle <= bottom]
        current: list[Word] = [words[0]]
        for left, right in itertools.pairwise(words):
            between = any(
                (left.x0 + left.x1) / 2 < x < (right.x0 + right.x1) / 2
                and x >= left.x1 - 0.25 * left.height
                and x <= right.x0 + 0.25 * right.height
                for x in cuts
            )
            if between:
                out.append(Segment(current))
                current = []
            current.append(right)
        out.append(Segment(current))
    return out


# Captions that head a goods table's columns. In a table without column rules, OCR word gaps
# between columns can be narrower than OCR_GAP_EM ("Packages  Description of Goods" 8 pt apart
# at 9-pt type): the header, split into its captions, says where each column starts.
_COLUMN_CAPTION_RE = re.compile(
    r"marks (?:&|and) (?:nos|numbers)\.?|(?:no\. of |number and kind of |kind of )?packages|"
    r"description of (?:packages and )?goods|description|quantity|gross weight|net weight|"
    r"measurement|unit price|amount|weight|no\. of|number of",  # "No. of" over a wrapped "Packages"
    re.IGNORECASE,
)
# How many lines under a header its columns are applied to, and the most a cut may stand off
# the gap (in word heights: OCR boxes are ink, a column's cells start within this of its caption).
HEADER_COLUMNS_MAX_LINES = 15
HEADER_CUT_SLACK_EM = 0.6
# A word space in OCR boxes is ~0.3 em; a gap between columns is wider than this.
HEADER_CUT_MIN_GAP_EM = 0.6


def _caption_starts(segment) -> list[int] | None:
    """Indices of the words that start each caption, when the segment is captions only."""
    words = [
        w.text.rstrip(":.") if i == len(segment.words) - 1 else w.text for i, w in enumerate(segment.words)
    ]
    starts: list[int] = []
    index = 0
    while index < len(words):
        for end in range(len(words), index, -1):  # the longest caption first
            if _COLUMN_CAPTION_RE.fullmatch(" ".join(words[index:end]).rstrip(":.")):
                starts.append(index)
                index = end
                break
        else:
            return None
    return starts


def _cut_at_header_columns(lines: list) -> None:
    """Split a goods table's header into its captions and the rows under it where a column
    starts: what column rules do for a ruled table (_cut_at_rules)."""
    position = 0
    while position < len(lines):
        header = lines[position]
        columns: list[float] = []
        segments: list = []
        for segment in header.segments:
            starts = _caption_starts(segment)
            if starts is None:
                segments.append(segment)
                continue
            bounds = [*starts, len(segment.words)]
            for first, last in itertools.pairwise(bounds):
                segments.append(Segment(segment.words[first:last]))
                columns.append(segment.words[first].x0)
        position += 1
        if len(columns) < 2:
            continue
        header.segments = segments
        previous = header
        for row in lines[position : position + HEADER_COLUMNS_MAX_LINES]:
            if (
                row.top - previous.bottom > 2.5 * max(previous.height, 6.0)
                or row.words[0].x0 < columns[0] - 3 * row.height
            ):
                break
            cut = _cut_row_at_columns(row, columns)
            if cut is None:
                break  # a line running across the columns: the table has ended
            row.segments = cut
            previous = row


def _cut_row_at_columns(row, columns: Sequence[float]) -> list | None:
    """The row's segments cut where a column starts in a wide gap; None when a segment runs
    across two column starts without such a gap (prose under the table, not a table row)."""
    cut: list = []
    for segment in row.segments:
        height = max(w.height for w in segment.words)
        slack = HEADER_CUT_SLACK_EM * height
        crossed = [x for x in columns if segment.x0 + slack < x < segment.x1 - slack]
        current = [segment.words[0]]
        for left, right in itertools.pairwise(segment.words):
            wide = right.x0 - left.x1 >= HEADER_CUT_MIN_GAP_EM * height
            at = [x for x in columns if left.x1 - slack <= x <= right.x0 + slack]
            if wide and at:
                cut.append(Segment(current))
                current = []
                crossed = [x for x in crossed if x not in at]
            current.append(right)
        cut.append(Segment(current))
        if len(crossed) >= 2:  # a cell may reach past its own column's caption, not past two
            return None
    return cut


@dataclass(slots=True)
class OcrDocument:
    """A document whose pages were (partly) read by OCR, and the pages that could not be."""

    document: PdfDocument
    errors: list[OcrError] = field(default_factory=list)

    @property
    def ocr_pages(self) -> list[OcrPage]:
        return [p for p in self.document.pages if isinstance(p, OcrPage)]


def is_ocr_document(pdf: PdfDocument) -> bool:
    return any(isinstance(p, OcrPage) for p in pdf.pages)


def assemble(file: str, pages: Sequence[Page | OcrPageResult | OcrError]) -> OcrDocument:
    """Put a document together from text pages, OCR results and errors (in page order)."""
    built: list[Page] = []
    errors: list[OcrError] = []
    for item in pages:
        if isinstance(item, OcrError):
            errors.append(item)
        elif isinstance(item, OcrPageResult):
            built.append(page_from_result(item))
        else:
            built.append(item)
    built.sort(key=lambda p: p.number)
    return OcrDocument(PdfDocument(file=file, pages=built), errors)


def ocr_image_file(
    data: bytes,
    file: str,
    workdir: Path,
    settings: OcrSettings | None = None,
    progress: Progress | None = None,
) -> OcrDocument:
    """OCR a PNG/JPEG/TIFF given as bytes. Raises ``ImageInputError`` for bad images."""
    from extractors.images import image_pages

    images = image_pages(data, file, workdir)
    return assemble(file, ocr_pages(images, settings, progress))


def ocr_pdf_file(
    path: Path,
    file: str,
    workdir: Path,
    settings: OcrSettings | None = None,
    progress: Progress | None = None,
) -> OcrDocument:
    """Read a PDF page by page: the text layer where a page has one, OCR where it does not."""
    from extractors.images import pdf_page_count, render_pdf_pages
    from extractors.pdf_text import read_pdf

    pdf_page_count(path, file)  # refuses absurd page counts before pdfplumber parses every page
    text = read_pdf(path)
    text.file = file
    scanned = [p.number for p in text.pages if not p.has_text_layer]
    if not scanned:
        return OcrDocument(text)
    images = render_pdf_pages(path, file, scanned, workdir)
    results = ocr_pages(images, settings, progress)
    kept: list[Page | OcrPageResult | OcrError] = [p for p in text.pages if p.has_text_layer]
    return assemble(file, [*kept, *results])
