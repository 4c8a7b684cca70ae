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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from extractors import ocr_normalize
from extractors.images import PageImage
from extractors.pdf_text import Page, PdfDocument, Word, group_lines

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

OcrErrorCode = Literal["ocr_timeout", "ocr_failed"]
# Table rules and box edges that Tesseract reads as characters ("|", "_", "[", "—"): not words.
# A lone "-" or "/" stays: "1 - 120", "Vessel / Voy." are text.
_RULING = re.compile(r"^[|_—–=~\[\]!]+$|^-{2,}$")


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


def _run_tesseract(path: Path, settings: OcrSettings, file: str, page: int) -> tuple[list[tuple], float]:
    pytesseract = _pytesseract()

    started = time.perf_counter()
    try:
        data = pytesseract.image_to_data(
            str(path),
            lang=settings.lang,
            config=f"--psm {settings.psm}",
            timeout=settings.page_timeout_s,
            output_type=pytesseract.Output.DICT,
        )
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            raise OcrError(
                file, page, "ocr_timeout", f"OCR did not finish within {settings.page_timeout_s:g} s"
            ) from None
        raise OcrError(file, page, "ocr_failed", f"Tesseract failed: {exc}") from None
    except pytesseract.TesseractNotFoundError:
        raise OcrError(
            file, page, "ocr_failed", "Tesseract is not installed (Debian package tesseract-ocr)"
        ) from None
    except pytesseract.TesseractError as exc:
        raise OcrError(file, page, "ocr_failed", f"Tesseract failed: {exc.message}") from None
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
        key = (block, paragraph, line)
        ratio = _ink_ratio(text)
        sizes.setdefault(key, []).append(height / ratio)
        read.append((text, left, top, left + width, top + height, confidence / 100.0, key))
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


_DESCENDERS = frozenset("gjpqy,;()[]")
_ASCENDERS = frozenset("bdfhklt()[]/|!?%&#@$")
_DESCENT = 0.22  # of the font size, below the baseline


def _ink_ratio(text: str) -> float:
    """How tall a word's ink is, as a fraction of its font size (caps ~0.72, x-height ~0.5)."""
    tall = any(ch.isupper() or ch.isdigit() or ch in _ASCENDERS for ch in text)
    return (0.72 if tall else 0.5) + (_DESCENT if any(ch in _DESCENDERS for ch in text) else 0.0)


def _orientation(path: Path, settings: OcrSettings) -> int:
    """Clockwise degrees that make the page upright, per Tesseract OSD (0 when it cannot tell)."""
    pytesseract = _pytesseract()

    try:
        text = pytesseract.image_to_osd(str(path), config="--psm 0", timeout=settings.page_timeout_s)
    except (pytesseract.TesseractError, RuntimeError):
        return 0  # too little text to tell: keep the page as it is
    match = re.search(r"Rotate:\s*(\d+)", text)
    return int(match.group(1)) % 360 if match else 0


def _mean_confidence(words: Sequence[tuple]) -> float:
    return sum(w[5] for w in words) / len(words) if words else 0.0


def ocr_page(image: PageImage, settings: OcrSettings | None = None) -> OcrPageResult:
    """Read one page image. Raises ``OcrError`` naming file and page."""
    from PIL import Image

    settings = settings or OcrSettings()
    _limit_threads()
    started = time.perf_counter()
    path = image.path
    skew = 0.0
    if settings.deskew or settings.remove_rules:
        with Image.open(path) as loaded:
            page = loaded
            if settings.deskew:
                skew = estimate_skew(loaded)
                if abs(skew) >= DESKEW_MIN_DEGREES:
                    page = loaded.rotate(skew, resample=Image.BICUBIC, fillcolor=255)
                else:
                    skew = 0.0
            if settings.remove_rules:
                page = remove_rules(page)
            if page is not loaded:
                path = path.with_name(path.stem + "-prepared.png")
                page.save(path, format="PNG", compress_level=1)
    words, tesseract_seconds = _run_tesseract(path, settings, image.file, image.page)
    rotation = 0
    width_px, height_px = image.width_px, image.height_px
    if settings.orientation and (
        len(words) < OSD_BELOW_WORDS or _mean_confidence(words) < OSD_BELOW_MEAN_CONFIDENCE
    ):
        osd_started = time.perf_counter()
        rotation = _orientation(path, settings)
        tesseract_seconds += time.perf_counter() - osd_started
        if rotation:
            # turn the page as received, then straighten it again: the skew measured on a page
            # lying on its side means nothing
            turned_skew = 0.0
            with Image.open(image.path) as original:
                turned = original.rotate(-rotation, expand=True, fillcolor=255)
                if settings.deskew:
                    turned_skew = estimate_skew(turned)
                    if abs(turned_skew) >= DESKEW_MIN_DEGREES:
                        turned = turned.rotate(turned_skew, resample=Image.BICUBIC, fillcolor=255)
                    else:
                        turned_skew = 0.0
                if settings.remove_rules:
                    turned = remove_rules(turned)
                turned_path = image.path.with_name(image.path.stem + f"-r{rotation}.png")
                turned.save(turned_path, format="PNG", compress_level=1)
                turned_size = turned.size
            second, seconds = _run_tesseract(turned_path, settings, image.file, image.page)
            tesseract_seconds += seconds
            # OSD said turn it: keep the turned reading unless it reads worse on average
            if _mean_confidence(second) >= _mean_confidence(words):
                words, path, skew = second, turned_path, turned_skew
                width_px, height_px = turned_size
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
    )


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


def page_from_result(result: OcrPageResult) -> OcrPage:
    """An ``OcrPage`` (lines and segments built the same way as for a text PDF)."""
    words: list[Word] = []
    for text, x0, top, x1, bottom, confidence in result.words:
        words.append(
            OcrWord(
                text=ocr_normalize.normalize_token(text),
                x0=x0,
                top=top,
                x1=x1,
                bottom=bottom,
                page=result.page,
                confidence=round(confidence, 3),
                raw=text,
            )
        )
    words = ocr_normalize.merge_broken_numbers(words)
    lines = group_lines(words, result.page)
    for line in lines:
        line.segments = _segments(line.words)
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
