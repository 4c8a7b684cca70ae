"""Crops of document pages with the evidence box drawn on them, for the discrepancy report.

A bundle file is read through a ``FileSource`` (a folder, a .zip, or anything that returns
bytes by file name), the page is rendered with pypdfium2, cropped around the evidence box
(pdfplumber coordinates: x0, top, x1, bottom in PDF points from the top-left) and the box
is drawn with Pillow. Anything missing — the file, the page, the box, a page that will not
render — gives a ``Crop`` with no image and a reason the report prints as a placeholder.
"""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, UnidentifiedImageError

from extractors.pdf_text import PDFIUM_LOCK

FileSource = Callable[[str], bytes | None]
"""Bytes of a bundle file by its name in the bundle, or None when there is no such file."""

RENDER_SCALE = 2.0  # 144 dpi: small print stays legible in the crop
MARGIN_X_PT = 90.0  # context left and right of the box
MARGIN_Y_PT = 36.0  # about three lines above and below
MIN_CROP_WIDTH_PT = 320.0
BOX_COLOUR = (220, 30, 30)


@dataclass(frozen=True)
class Crop:
    """A PNG of the evidence region, or the reason there is none."""

    file: str
    page: int | None
    png: bytes | None = None
    reason: str = ""

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png or b"").decode("ascii")


def folder_source(folder: Path) -> FileSource:
    root = folder.resolve()

    def read(name: str) -> bytes | None:
        candidate = (root / name).resolve()
        # A file name from a finding must stay inside the bundle folder.
        if root not in candidate.parents or not candidate.is_file():
            return None
        return candidate.read_bytes()

    return read


def zip_source(archive: Path) -> FileSource:
    def read(name: str) -> bytes | None:
        try:
            with zipfile.ZipFile(archive) as zipped:
                for info in zipped.infolist():
                    if not info.is_dir() and (info.filename == name or PurePosixPath(info.filename).name == name):
                        return zipped.read(info)
        except (OSError, zipfile.BadZipFile):
            return None
        return None

    return read


def bundle_source(path: Path) -> FileSource:
    """The files of a bundle folder or .zip, as the bundle loader reads them."""
    if path.is_dir():
        return folder_source(path)
    if path.is_file():
        return zip_source(path)
    return lambda _name: None


class PageRenderer:
    """Renders each (file, page) once and crops evidence boxes from it."""

    def __init__(self, source: FileSource | None, scale: float = RENDER_SCALE):
        self.source = source
        self.scale = scale
        # (file, page) -> (image, points-to-pixels factor) or the reason it cannot be had
        self._pages: dict[tuple[str, int], tuple[Image.Image, float] | str] = {}

    def crop(self, file: str | None, page: int | None, bbox: list[float] | tuple[float, ...] | None) -> Crop:
        if not file:
            return Crop("", page, reason="the evidence names no file")
        if page is None:
            return Crop(file, page, reason="the evidence names no page")
        if bbox is None or len(bbox) != 4:
            return Crop(file, page, reason="no position on the page was recorded for this value")
        rendered = self._page(file, page)
        if isinstance(rendered, str):
            return Crop(file, page, reason=rendered)
        image, factor = rendered
        x0, top, x1, bottom = (float(v) for v in bbox)
        if not (x1 >= x0 and bottom >= top):
            return Crop(file, page, reason=f"the recorded box {list(bbox)} is not a rectangle")
        return Crop(file, page, png=_crop_png(image, factor, (x0, top, x1, bottom)))

    def _page(self, file: str, page: int) -> tuple[Image.Image, float] | str:
        key = (file, page)
        if key not in self._pages:
            self._pages[key] = self._render(file, page)
        return self._pages[key]

    def _render(self, file: str, page: int) -> tuple[Image.Image, float] | str:
        with PDFIUM_LOCK:  # pdfium is not thread-safe (extractors/pdf_text.py)
            return self._render_page_unlocked(file=file, page=page)

    def _render_page_unlocked(self, file: str, page: int) -> tuple[Image.Image, float] | str:
        if self.source is None:
            return "page images are not available for this report (no bundle given)"
        data = self.source(file)
        if data is None:
            return f"{file} is not in the bundle, so its page cannot be shown"
        # By content, not by name: bundle files may be named anything (DESIGN.md).
        if data.lstrip()[:5] != b"%PDF-":
            return _open_image(data, file, page)
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as err:
            return f"{file} does not render as a PDF ({err})"
        try:
            if not 1 <= page <= len(pdf):
                return f"{file} has {len(pdf)} page(s), there is no page {page}"
            bitmap = pdf[page - 1].render(scale=self.scale)
            return bitmap.to_pil().convert("RGB"), self.scale
        except pdfium.PdfiumError as err:
            return f"{file} page {page} does not render ({err})"
        finally:
            pdf.close()


def _open_image(data: bytes, file: str, page: int) -> tuple[Image.Image, float] | str:
    """A scanned page: boxes are in points, so pixels per point come from the image's dpi."""
    try:
        image = Image.open(io.BytesIO(data))
        if page > getattr(image, "n_frames", 1):
            return f"{file} has {getattr(image, 'n_frames', 1)} page(s), there is no page {page}"
        image.seek(page - 1)
        dpi = image.info.get("dpi", (72, 72))[0] or 72
        return image.convert("RGB"), float(dpi) / 72.0
    except (UnidentifiedImageError, OSError, EOFError) as err:
        return f"{file} is not a readable image ({err})"


def _crop_png(image: Image.Image, factor: float, box: tuple[float, float, float, float]) -> bytes:
    x0, top, x1, bottom = box
    width_pt, height_pt = image.width / factor, image.height / factor
    centre = (x0 + x1) / 2
    half = max((x1 - x0) / 2 + MARGIN_X_PT, MIN_CROP_WIDTH_PT / 2)
    left, right = max(0.0, centre - half), min(width_pt, centre + half)
    upper, lower = max(0.0, top - MARGIN_Y_PT), min(height_pt, bottom + MARGIN_Y_PT)
    region = image.crop(tuple(round(v * factor) for v in (left, upper, right, lower)))
    draw = ImageDraw.Draw(region)
    pad = 2.0
    rectangle = [
        (x0 - pad - left) * factor,
        (top - pad - upper) * factor,
        (x1 + pad - left) * factor,
        (bottom + pad - upper) * factor,
    ]
    draw.rectangle(rectangle, outline=BOX_COLOUR, width=max(2, round(factor * 1.2)))
    out = io.BytesIO()
    region.save(out, format="PNG", optimize=False)
    return out.getvalue()
