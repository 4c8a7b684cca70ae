"""Page images for OCR: format sniffing, safety caps, multi-page TIFF, rendering scanned PDF pages.

Every input becomes a list of ``PageImage``: one grayscale image file per page on disk (OCR is
handed file paths, never in-memory images: pytesseract re-encodes a PIL image on every call),
plus the scale that turns its pixels into page points, so words read by OCR get boxes in the
same units as a text PDF's words (points, origin top-left).

Bad input is refused with ``ImageInputError`` naming the file and, where it applies, the page:
zero-byte files, formats we do not read, images over ``MAX_PIXELS`` (decompression bombs: the
size is checked from the header, before any pixel is decoded), more than ``MAX_PAGES`` pages.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from extractors.pdf_text import PDFIUM_LOCK

# A4 at 600 dpi is 35 Mpx; anything past 80 Mpx a page is not a trade document but an attack
# or a mistake, and decoding it would take gigabytes.
MAX_PIXELS = int(os.environ.get("BLOCKTRADE_MAX_IMAGE_PIXELS", 80_000_000))
MAX_PAGES = int(os.environ.get("BLOCKTRADE_MAX_PAGES", 200))
RENDER_DPI = 300
# When an image says nothing of its resolution, scale it so the page is Letter/A4 wide (612 pt):
# the line and segment thresholds of pdf_text are set for page-sized coordinates.
ASSUMED_PAGE_WIDTH_PT = 612.0
PLAUSIBLE_DPI = (100.0, 1300.0)  # 72 and 96 are software defaults, not scan resolutions

FileFormat = Literal[
    "pdf", "png", "jpeg", "tiff", "gif", "bmp", "webp", "heic", "zip", "text", "empty", "unknown"
]
OCR_IMAGE_FORMATS: frozenset[str] = frozenset({"png", "jpeg", "tiff"})
ImageErrorCode = Literal["empty", "unreadable", "unsupported_format", "too_large"]


class ImageInputError(Exception):
    """An image or scanned PDF that cannot be turned into page images."""

    def __init__(self, file: str, code: ImageErrorCode, message: str, page: int | None = None):
        self.file = file
        self.code: ImageErrorCode = code
        self.message = message
        self.page = page
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file if self.page is None else f"{self.file}: page {self.page}"
        return f"{where}: {self.message}"


def sniff_format(data: bytes) -> FileFormat:
    """The file format from its magic bytes; the file name is never consulted."""
    if not data:
        return "empty"
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "tiff"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith(b"BM") and len(data) > 26:
        return "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1"):
        return "heic"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    head = data[:1024]
    if b"\x00" not in head:
        try:
            head[:-4].decode("utf-8")
            return "text"
        except UnicodeDecodeError:
            pass
    return "unknown"


@dataclass(frozen=True, slots=True)
class PageImage:
    """One page as an image file ready for OCR."""

    file: str  # the document's name in the bundle (for messages and provenance)
    page: int  # 1-based page number in that document
    path: Path  # grayscale image on disk
    width_px: int
    height_px: int
    points_per_pixel: float  # multiply a pixel coordinate by this to get page points

    @property
    def width_pt(self) -> float:
        return self.width_px * self.points_per_pixel

    @property
    def height_pt(self) -> float:
        return self.height_px * self.points_per_pixel


def _points_per_pixel(width_px: int, dpi: object) -> float:
    try:
        horizontal = float(dpi[0])  # type: ignore[index]  # TIFF gives an IFDRational
    except (TypeError, ValueError, IndexError, ZeroDivisionError):
        horizontal = 0.0
    if horizontal:
        if abs(horizontal - round(horizontal)) < 0.01:
            horizontal = float(round(horizontal))  # PNG stores dots per metre: 300 dpi reads 299.9994
        if PLAUSIBLE_DPI[0] <= horizontal <= PLAUSIBLE_DPI[1]:
            return 72.0 / horizontal
    return ASSUMED_PAGE_WIDTH_PT / max(width_px, 1)


# Tesseract reads text best at an x-height of 20+ pixels (~300 dpi); a screenshot or a small
# photo is enlarged up to this width before OCR (only ever enlarged, at most 3x).
MIN_OCR_WIDTH_PX = 2000


def _upscale_small(image):  # PIL.Image.Image -> PIL.Image.Image
    from PIL import Image

    if image.width >= MIN_OCR_WIDTH_PX:
        return image
    factor = min(3.0, MIN_OCR_WIDTH_PX / image.width)
    return image.resize((round(image.width * factor), round(image.height * factor)), Image.LANCZOS)


def _check_pixels(file: str, page: int | None, width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ImageInputError(file, "unreadable", f"image has no pixels ({width}x{height})", page)
    if width * height > MAX_PIXELS:
        raise ImageInputError(
            file,
            "too_large",
            f"image is {width}x{height} = {width * height:,} pixels, over the cap of {MAX_PIXELS:,} "
            "(possible decompression bomb)",
            page,
        )


def image_pages(data: bytes, file: str, workdir: Path) -> list[PageImage]:
    """The pages of a PNG, JPEG or (multi-page) TIFF, written as grayscale files in ``workdir``."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    kind = sniff_format(data)
    if kind == "empty":
        raise ImageInputError(file, "empty", "the file is empty (0 bytes)")
    if kind not in OCR_IMAGE_FORMATS:
        raise ImageInputError(
            file, "unsupported_format", f"not a PNG, JPEG or TIFF image (content is {kind})"
        )
    pages: list[PageImage] = []
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own cap and twice that; we check the size ourselves.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                frames = getattr(image, "n_frames", 1)
                if frames > MAX_PAGES:
                    raise ImageInputError(file, "too_large", f"{frames} pages, over the limit of {MAX_PAGES}")
                first_dpi = image.info.get("dpi")
                for index in range(frames):
                    number = index + 1
                    image.seek(index)
                    _check_pixels(file, number if frames > 1 else None, *image.size)
                    dpi = image.info.get("dpi", first_dpi)  # later TIFF frames may not repeat it
                    frame = ImageOps.exif_transpose(image) if kind == "jpeg" else image
                    gray = _upscale_small(frame.convert("L"))
                    target = _page_file(workdir, file, number)
                    gray.save(target, format="PPM")
                    pages.append(
                        PageImage(
                            file=file,
                            page=number,
                            path=target,
                            width_px=gray.width,
                            height_px=gray.height,
                            # page points stay those of the image as scanned, enlarged or not
                            points_per_pixel=_points_per_pixel(frame.width, dpi) * frame.width / gray.width,
                        )
                    )
    except ImageInputError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageInputError(file, "too_large", f"image over Pillow's pixel cap: {exc}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        page = len(pages) + 1 if pages else None
        raise ImageInputError(
            file, "unreadable", f"not a readable {kind.upper()} image ({exc})", page
        ) from None
    return pages


def pdf_page_count(path: Path, file: str) -> int:
    with PDFIUM_LOCK:  # pdfium is not thread-safe (extractors/pdf_text.py)
        return _pdf_page_count_unlocked(path=path, file=file)


def _pdf_page_count_unlocked(path: Path, file: str) -> int:
    """How many pages a PDF has, refusing absurd counts before anything is rendered."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise ImageInputError(file, "unreadable", f"not a readable PDF ({exc})") from None
    try:
        count = len(document)
    finally:
        document.close()
    if count > MAX_PAGES:
        raise ImageInputError(file, "too_large", f"{count} pages, over the limit of {MAX_PAGES}")
    return count


def render_pdf_pages(
    path: Path, file: str, pages: list[int], workdir: Path, dpi: int = RENDER_DPI
) -> list[PageImage]:
    with PDFIUM_LOCK:  # pdfium is not thread-safe (extractors/pdf_text.py)
        return _render_pdf_pages_unlocked(path=path, file=file, pages=pages, workdir=workdir, dpi=dpi)


def _render_pdf_pages_unlocked(
    path: Path, file: str, pages: list[int], workdir: Path, dpi: int = RENDER_DPI
) -> list[PageImage]:
    """Render the given 1-based ``pages`` of a PDF at ``dpi`` as grayscale images.

    A page so large that ``dpi`` would exceed ``MAX_PIXELS`` is rendered at the resolution that
    fits the cap (a plan drawing is still a page; refusing it would lose a document).
    """
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise ImageInputError(file, "unreadable", f"not a readable PDF ({exc})") from None
    out: list[PageImage] = []
    try:
        total = len(document)
        if total > MAX_PAGES:
            raise ImageInputError(file, "too_large", f"{total} pages, over the limit of {MAX_PAGES}")
        for number in pages:
            if not 1 <= number <= total:
                raise ImageInputError(file, "unreadable", f"no page {number} (the PDF has {total})", number)
            page = document[number - 1]
            try:
                width_pt, height_pt = page.get_size()
                scale = dpi / 72.0
                if width_pt * height_pt * scale * scale > MAX_PIXELS:
                    scale = (MAX_PIXELS / max(width_pt * height_pt, 1.0)) ** 0.5 * 0.99
                bitmap = page.render(scale=scale, grayscale=True)
                image = bitmap.to_pil().convert("L")
            except pdfium.PdfiumError as exc:
                raise ImageInputError(file, "unreadable", f"cannot render the page ({exc})", number) from None
            finally:
                page.close()
            target = _page_file(workdir, file, number)
            image.save(target, format="PPM")
            out.append(
                PageImage(
                    file=file,
                    page=number,
                    path=target,
                    width_px=image.width,
                    height_px=image.height,
                    points_per_pixel=width_pt / image.width,
                )
            )
    finally:
        document.close()
    return out


def crop_png(
    page_image: Path,
    bbox: tuple[float, float, float, float],
    points_per_pixel: float,
    margin_pt: float = 12.0,
) -> bytes:
    """A PNG of the area ``bbox`` (points) of a page image, with a margin: what a reviewer is shown."""
    from PIL import Image

    with Image.open(page_image) as image:
        x0, top, x1, bottom = (v / points_per_pixel for v in bbox)
        margin = margin_pt / points_per_pixel
        box = (
            max(0, int(x0 - margin)),
            max(0, int(top - margin)),
            min(image.width, int(x1 + margin) + 1),
            min(image.height, int(bottom + margin) + 1),
        )
        if box[2] <= box[0] or box[3] <= box[1]:
            raise ValueError(f"{page_image.name}: box {bbox} lies outside the page")
        buffer = io.BytesIO()
        image.crop(box).save(buffer, format="PNG")
        return buffer.getvalue()


def _page_file(workdir: Path, file: str, number: int) -> Path:
    """Where a page image is kept while it is read: an uncompressed grayscale PGM. Writing a
    noisy 300 dpi scan as PNG took 0.4 s and decoding it again 0.1 s, more than half of what
    Tesseract spends on the page; a PGM is written and read in ~5 ms (it is ~9 MB, and it
    lives only in the reading's temporary folder)."""
    return workdir / f"{_safe_stem(file)}-p{number:04d}.pgm"


def _safe_stem(file: str) -> str:
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in Path(file).stem)
    return stem[:60] or "page"


# --------------------------------------------------------------------------- ruling lines

# Ruling lines are found on a half-resolution copy (150 dpi for a 300-dpi scan): rules are
# 1-2 pt thick, so they survive the reduction, and the search costs a quarter as much.
RULE_SEARCH_SCALE = 0.5
# A horizontal ink run this long (inches) is a rule: no letter has a bar 0.35" wide.
RULE_MIN_HORIZONTAL_IN = 0.35
# A vertical run this tall is a column rule: taller than an 18-pt capital (0.18") by a margin.
RULE_MIN_VERTICAL_IN = 0.3
# A stamp box is at most this tall (inches): a frame around one or two lines of text.
BOX_MAX_HEIGHT_IN = 0.8
BOX_MIN_HEIGHT_IN = 0.12
RULE_INK_LEVEL = 140  # grey below this is ink


@dataclass(frozen=True, slots=True)
class Rules:
    """Straight lines on a page image, in that image's pixels.

    ``vertical``: column rules as (x, top, bottom); ``boxes``: small closed frames — a stamp
    such as ORIGINAL — as (x0, top, x1, bottom), their inside without the frame.
    """

    vertical: list[tuple[float, float, float]]
    boxes: list[tuple[float, float, float, float]]


def _runs(mask, min_length: int):  # (numpy bool 2-D, int) -> numpy bool 2-D
    """Where ``mask`` is part of a run of at least ``min_length`` true cells along axis 1.

    A window of ``min_length`` cells is a run when (almost) all of it is ink: noise may knock
    out a pixel or two. OpenCV's box filter sums the windows and its dilation spreads each full
    window over its cells: four times faster than the same sums by cumulative sums in NumPy."""
    import cv2
    import numpy as np

    cols = mask.shape[1]
    if cols < min_length:
        return np.zeros_like(mask)
    cv2.setNumThreads(1)  # pages already run one per core in the process pool
    cells = np.ascontiguousarray(mask, dtype=np.uint8)
    # the sum of the window starting at each cell (anchor 0); windows past the edge do not count
    sums = cv2.boxFilter(
        cells, cv2.CV_32S, (min_length, 1), anchor=(0, 0), normalize=False, borderType=cv2.BORDER_CONSTANT
    )
    full = (sums >= int(min_length * 0.95)).astype(np.uint8)
    full[:, cols - min_length + 1 :] = 0
    # a cell is covered when a full window starts within min_length cells to its left
    covered = cv2.dilate(
        full,
        np.ones((1, min_length), np.uint8),
        anchor=(min_length - 1, 0),
        borderType=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    return covered.astype(bool)


def _spans(indices, gap: int) -> list[tuple[int, int]]:
    """Consecutive integer indices (allowing ``gap``) grouped into (first, last) spans."""
    spans: list[tuple[int, int]] = []
    for index in (int(i) for i in indices):
        if spans and index - spans[-1][1] <= gap:
            spans[-1] = (spans[-1][0], index)
        else:
            spans.append((index, index))
    return spans


def _ink_mask(image, scale: float):  # (PIL image, float) -> numpy bool 2-D
    """Where a copy of ``image`` reduced by ``scale`` (box-averaged) is ink."""
    import numpy as np
    from PIL import Image

    small = image.convert("L").resize(
        (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.BOX
    )
    return np.asarray(small) < RULE_INK_LEVEL


def find_rules(image, dpi: float) -> Rules:  # image: PIL.Image.Image, a straightened page
    """Column rules and stamp boxes of a page, for cutting words at rules and re-reading stamps.

    Tesseract runs text touching a cell border into the next column and drops the word inside
    a tight frame as a picture; knowing where the lines are fixes both without touching the
    image Tesseract reads (whitening the rules left residue that cost more than it saved).
    """
    import numpy as np

    scale = RULE_SEARCH_SCALE
    ink = _ink_mask(image, scale)
    small_dpi = dpi * scale
    unit = 1.0 / scale
    vertical_mask = _runs(ink.T, max(4, round(RULE_MIN_VERTICAL_IN * small_dpi))).T
    vertical: list[tuple[float, float, float]] = []
    columns = np.flatnonzero(vertical_mask.any(axis=0))
    for first, last in _spans(columns, gap=2):
        rows = np.flatnonzero(vertical_mask[:, first : last + 1].any(axis=1))
        for top, bottom in _spans(rows, gap=3):
            vertical.append(((first + last + 1) / 2 * unit, top * unit, (bottom + 1) * unit))

    horizontal_mask = _runs(ink, max(4, round(RULE_MIN_HORIZONTAL_IN * small_dpi)))
    segments: list[tuple[int, int, int]] = []  # (row, x0, x1): one per rule, its middle row
    rows = np.flatnonzero(horizontal_mask.any(axis=1))
    for top, bottom in _spans(rows, gap=1):
        band = horizontal_mask[top : bottom + 1].any(axis=0)
        for x0, x1 in _spans(np.flatnonzero(band), gap=3):
            segments.append(((top + bottom) // 2, x0, x1))
    boxes: list[tuple[float, float, float, float]] = []
    low, high = BOX_MIN_HEIGHT_IN * small_dpi, BOX_MAX_HEIGHT_IN * small_dpi
    tolerance = max(3, round(0.03 * small_dpi))
    for index, (row_a, a0, a1) in enumerate(segments):
        for row_b, b0, b1 in segments[index + 1 :]:
            if not (low <= row_b - row_a <= high):
                continue
            if abs(a0 - b0) > tolerance or abs(a1 - b1) > tolerance:
                continue
            left, right = max(a0, b0), min(a1, b1)
            # closed on both sides: ink down (nearly) the whole height at each end
            sides = [
                ink[row_a:row_b, max(0, x - tolerance) : x + tolerance + 1].any(axis=1).mean()
                for x in (left, right)
            ]
            if min(sides) < 0.9:
                continue
            inset = tolerance
            boxes.append(
                (
                    (left + inset) * unit,
                    (row_a + inset) * unit,
                    (right - inset) * unit,
                    (row_b - inset) * unit,
                )
            )
            break
    return Rules(vertical=vertical, boxes=boxes)


# find_unread_ink: searched on a copy at this scale (75 dpi from 300); a region needs this
# many ink pixels there, and at least this width and height in font heights, to be text.
UNREAD_SEARCH_SCALE = 0.25
UNREAD_MIN_INK_PX = 8
UNREAD_MIN_WIDTH_EM = 0.8
UNREAD_HEIGHT_EM = (0.45, 2.2)


def find_unread_ink(
    image, words: list[tuple[float, float, float, float]], em_px: float, dpi: float
) -> list[tuple[int, int, int, int]]:
    """Text-like ink no OCR word covers, as (x0, top, x1, bottom) boxes in ``image`` pixels.

    In one block (page segmentation 6) Tesseract can drop a whole word it did not fit into a
    line: the second line of a wrapped caption ("Issue:" under "Place and Date of"), a bold
    table header between column rules. What is left after whitening every word box and every
    rule is grouped into line bands, then into runs along each band (gaps under one font
    height join); bands of a text line's height with enough ink are returned to be read alone.
    """
    import numpy as np

    scale = UNREAD_SEARCH_SCALE
    ink = _ink_mask(image, scale)
    small_dpi = dpi * scale
    ruled = (
        _runs(ink, max(4, round(RULE_MIN_HORIZONTAL_IN * small_dpi)))
        | _runs(ink.T, max(4, round(RULE_MIN_VERTICAL_IN * small_dpi))).T
    )
    ink &= ~(ruled | np.roll(ruled, 1, axis=0) | np.roll(ruled, -1, axis=0) | np.roll(ruled, 1, axis=1)
             | np.roll(ruled, -1, axis=1))  # fmt: skip
    height, width = ink.shape
    for x0, top, x1, bottom in words:
        ink[
            max(0, int(top * scale) - 1) : min(height, int(bottom * scale) + 2),
            max(0, int(x0 * scale) - 1) : min(width, int(x1 * scale) + 2),
        ] = False
    em = max(1.0, em_px * scale)
    low, high = UNREAD_HEIGHT_EM[0] * em, UNREAD_HEIGHT_EM[1] * em
    found: list[tuple[int, int, int, int]] = []
    for top, bottom in _spans(np.flatnonzero(ink.any(axis=1)), gap=1):
        if not low <= bottom - top + 1 <= high:
            continue
        band = ink[top : bottom + 1]
        for x0, x1 in _spans(np.flatnonzero(band.any(axis=0)), gap=max(1, round(em))):
            if x1 - x0 + 1 < UNREAD_MIN_WIDTH_EM * em or band[:, x0 : x1 + 1].sum() < UNREAD_MIN_INK_PX:
                continue
            found.append(
                (int(x0 / scale), int(top / scale), int((x1 + 1) / scale), int((bottom + 1) / scale))
            )
    return found
