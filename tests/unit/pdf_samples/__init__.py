"""Small trade-document PDFs drawn with reportlab at test time (no binaries in the repo).

A page is described as text placed at (x, y-from-top) in points, optionally with ruled
boxes, so tests can produce the layouts the extractor must read: labels left of values,
captions above values in boxes, two columns, ruled and borderless tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

PAGE_WIDTH, PAGE_HEIGHT = A4


@dataclass
class Text:
    x: float
    y: float  # from the top of the page
    text: str
    size: float = 9
    bold: bool = False


@dataclass
class Box:
    x: float
    y: float  # top edge, from the top of the page
    width: float
    height: float


@dataclass
class PageSpec:
    items: list[Text | Box] = field(default_factory=list)

    def text(self, x: float, y: float, text: str, size: float = 9, bold: bool = False) -> PageSpec:
        self.items.append(Text(x, y, text, size, bold))
        return self

    def lines(
        self, x: float, y: float, texts: Sequence[str], size: float = 9, leading: float = 11
    ) -> PageSpec:
        for offset, text in enumerate(texts):
            self.items.append(Text(x, y + offset * leading, text, size))
        return self

    def box(self, x: float, y: float, width: float, height: float) -> PageSpec:
        self.items.append(Box(x, y, width, height))
        return self


def build_pdf(path: Path, pages: Sequence[PageSpec], encrypt: str | None = None) -> Path:
    pdf = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
    for page in pages:
        for item in page.items:
            if isinstance(item, Box):
                pdf.rect(item.x, PAGE_HEIGHT - item.y - item.height, item.width, item.height)
            else:
                pdf.setFont("Helvetica-Bold" if item.bold else "Helvetica", item.size)
                pdf.drawString(item.x, PAGE_HEIGHT - item.y, item.text)
        pdf.showPage()
    pdf.save()
    return path


def image_only_pdf(path: Path) -> Path:
    """A page with drawings but no text: what a scan looks like to the text layer."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for row in range(10):
        pdf.rect(50, 100 + row * 40, 400, 20, fill=1)
    pdf.showPage()
    pdf.save()
    return path


def table_rows(
    page: PageSpec,
    top: float,
    columns: Sequence[tuple[float, str]],
    rows: Sequence[Sequence[str]],
    *,
    ruled: bool = False,
    leading: float = 14,
) -> float:
    """Draw a header and rows at the given column x positions; return the y below the table."""
    for x, header in columns:
        page.text(x, top, header, bold=True)
    y = top
    for row in rows:
        y += leading
        for (x, _), cell in zip(columns, row, strict=True):
            if cell:
                page.text(x, y, cell)
    if ruled:
        xs = [x - 4 for x, _ in columns] + [560]
        for left, right in pairwise(xs):
            page.box(left, top - 10, right - left, y - top + 14)
    return y + leading
