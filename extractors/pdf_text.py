"""Text-layer PDF reading: pages → words with boxes → lines → segments, plus borderless tables.

Each PDF is parsed once (pdfium's characters, ~6 ms a page, are the only per-page work);
everything downstream — classification, field templates, tables — works on the
``PdfDocument`` built here. Coordinates are points with the origin at the top-left of the
page, as pdfplumber gives them (its word boxes were the reference when this was tuned).

A *segment* is a run of words on one line separated by ordinary word spacing; a wider gap
starts a new segment. Label/value pairs ("Invoice No.:  INV-1") and columns of two-column
layouts fall apart into segments naturally, which is what the field templates anchor on.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

BBox = tuple[float, float, float, float]

# A gap wider than this many times the font height starts a new segment. Word spacing in a
# proportional font is ~0.28 em; column gaps in documents are several em.
SEGMENT_GAP_EM = 0.9
# OCR word boxes hug the glyphs (no side bearings), so ordinary spacing between OCR'd
# words measures ~0.6-1.0 of their height: the segment gap is wider for them.
OCR_SEGMENT_GAP_EM = 1.5
# Words whose vertical centres are within this fraction of their height share a line.
LINE_TOLERANCE_EM = 0.45

PdfErrorCode = Literal["unreadable", "encrypted", "empty"]


class PdfReadError(Exception):
    """A PDF that cannot be read: ``code`` is unreadable / encrypted / empty."""

    def __init__(self, file: str, code: PdfErrorCode, message: str):
        self.file = file
        self.code: PdfErrorCode = code
        self.message = message
        super().__init__(f"{file}: {message}")


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    page: int  # 1-based

    @property
    def height(self) -> float:
        return self.bottom - self.top


def union_bbox(words: Iterable[Word]) -> BBox:
    items = list(words)
    if not items:
        raise ValueError("no words to box")
    return (
        round(min(w.x0 for w in items), 2),
        round(min(w.top for w in items), 2),
        round(max(w.x1 for w in items), 2),
        round(max(w.bottom for w in items), 2),
    )


@dataclass(slots=True)
class Segment:
    """Words of one line that belong together (no column-sized gap between them)."""

    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def bbox(self) -> BBox:
        return union_bbox(self.words)


@dataclass(slots=True)
class Line:
    page: int
    words: list[Word]
    segments: list[Segment] = field(default_factory=list)
    index: int = 0  # position of the line in its page, top to bottom

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def height(self) -> float:
        return max(w.height for w in self.words)


@dataclass(slots=True)
class Page:
    number: int  # 1-based
    width: float
    height: float
    words: list[Word]
    lines: list[Line]
    has_text_layer: bool

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass(slots=True)
class PdfDocument:
    file: str
    pages: list[Page]

    @property
    def text(self) -> str:
        """The text in reading order: lines top to bottom, pages separated by a form feed."""
        return "\n\f".join(p.text for p in self.pages)

    @property
    def has_text_layer(self) -> bool:
        return all(p.has_text_layer for p in self.pages)

    def lines(self) -> Iterable[Line]:
        for page in self.pages:
            yield from page.lines


# --------------------------------------------------------------------------- building lines


def group_lines(words: Sequence[Word], page: int) -> list[Line]:
    """Cluster words into lines by vertical centre, then split each line into segments.

    Sort by top once and sweep, so the cost is O(n log n) for a page of n words.
    """
    ordered = sorted(words, key=lambda w: (w.top + w.bottom) / 2)
    lines: list[list[Word]] = []
    current: list[Word] = []
    centre = 0.0
    for word in ordered:
        mid = (word.top + word.bottom) / 2
        if current and abs(mid - centre) <= LINE_TOLERANCE_EM * max(word.height, 1.0):
            current.append(word)
            centre = sum((w.top + w.bottom) / 2 for w in current[-4:]) / min(len(current), 4)
        else:
            if current:
                lines.append(current)
            current = [word]
            centre = mid
    if current:
        lines.append(current)
    result: list[Line] = []
    for index, members in enumerate(lines):
        members.sort(key=lambda w: w.x0)
        line = Line(page=page, words=members, index=index)
        line.segments = split_segments(members)
        result.append(line)
    return result


def split_segments(words: Sequence[Word], gap_em: float | None = None) -> list[Segment]:
    """Split a line's words where the gap is wider than ``gap_em`` times the font height;
    by default ``SEGMENT_GAP_EM``, or ``OCR_SEGMENT_GAP_EM`` for words read by OCR (they
    carry a ``confidence``)."""
    if gap_em is None:
        ocr = bool(words) and getattr(words[0], "confidence", None) is not None
        gap_em = OCR_SEGMENT_GAP_EM if ocr else SEGMENT_GAP_EM
    segments: list[Segment] = []
    current: list[Word] = []
    for word in words:
        if current:
            gap = word.x0 - current[-1].x1
            if gap > gap_em * max(current[-1].height, word.height, 4.0):
                segments.append(Segment(current))
                current = []
        current.append(word)
    if current:
        segments.append(Segment(current))
    return segments


# --------------------------------------------------------------------------- reading


# pdfium is not thread-safe (the service examines in a thread pool): every call into it, here
# and where pages are rendered for OCR or report crops, holds this lock. A document's text is
# read in a few milliseconds, so the lock is never held long.
PDFIUM_LOCK = threading.RLock()

# Word building from characters, as pdfplumber's defaults do it: a gap wider than X_TOLERANCE
# points or a baseline shift beyond Y_TOLERANCE starts a new word; whitespace always does.
X_TOLERANCE = 3.0
Y_TOLERANCE = 3.0


def read_pdf(path: Path) -> PdfDocument:
    """Read a PDF's text layer. Raises ``PdfReadError`` (never another exception) on bad input.

    Characters and their boxes come from pdfium (C++): about 6 ms for a one-page document, where
    pdfplumber's Python parse of the same page took about 45 ms — most of a whole check. The
    words are the ones pdfplumber's `extract_words()` gives (same text on all 377 generated
    test PDFs); boxes are one em tall from the font's descent, like pdfplumber's.
    """
    import pypdfium2 as pdfium

    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise PdfReadError(name, "unreadable", f"cannot open the file: {exc.strerror}") from None
    if size == 0:
        raise PdfReadError(name, "empty", "the file is empty (0 bytes)")
    pages: list[Page] = []
    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise PdfReadError(name, "encrypted", "the PDF is encrypted (a password is needed)") from None
            raise PdfReadError(name, "unreadable", f"not a readable PDF ({exc})") from None
        try:
            for index in range(len(document)):
                page = document[index]
                try:
                    width, height = page.get_size()
                    words = _page_words(page, index + 1, height)
                finally:
                    page.close()
                pages.append(
                    Page(
                        number=index + 1,
                        width=float(width),
                        height=float(height),
                        words=words,
                        lines=group_lines(words, index + 1),
                        has_text_layer=_has_text(words),
                    )
                )
        except pdfium.PdfiumError as exc:
            raise PdfReadError(name, "unreadable", f"page {len(pages) + 1} cannot be read ({exc})") from None
        finally:
            document.close()
    if not pages:
        raise PdfReadError(name, "empty", "the PDF has no pages")
    return PdfDocument(file=name, pages=pages)


def _page_words(page: object, number: int, height: float) -> list[Word]:
    """Words of one page in reading order (line by line, left to right), from pdfium's characters."""
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()  # type: ignore[attr-defined]
    try:
        handle = textpage.raw
        box = pdfium_c.FS_RECTF()
        words: list[Word] = []
        text: list[str] = []
        x0 = top = x1 = bottom = 0.0

        def flush() -> None:
            if text:
                words.append(Word("".join(text), round(x0, 2), round(top, 2), round(x1, 2), round(bottom, 2), number))
                text.clear()

        for i in range(pdfium_c.FPDFText_CountChars(handle)):
            code = pdfium_c.FPDFText_GetUnicode(handle, i)
            char = chr(code) if code else ""
            if not char or char.isspace() or char == "\ufffe":
                flush()
                continue
            if "\ufb00" <= char <= "\ufb06":  # ligatures (fi, fl, ffi...): spell them out, as pdfplumber does
                char = unicodedata.normalize("NFKC", char)
            pdfium_c.FPDFText_GetLooseCharBox(handle, i, box)
            c_x0, c_x1, c_bottom = box.left, box.right, height - box.bottom
            # pdfium's loose box spans the font's ascent to descent (~1.15 em); pdfminer's, which
            # the layout thresholds were tuned on, is one em tall from the descent. Use that.
            size = pdfium_c.FPDFText_GetFontSize(handle, i)
            c_top = c_bottom - size if size > 0 else height - box.top
            if text and (c_x0 - x1 > X_TOLERANCE or abs(c_top - top) > Y_TOLERANCE or c_x1 < x0):
                flush()
            if not text:
                x0, top, x1, bottom = c_x0, c_top, c_x1, c_bottom
            else:
                x1, bottom, top = max(x1, c_x1), max(bottom, c_bottom), min(top, c_top)
            text.append(char)
        flush()
    finally:
        textpage.close()
    return _reading_order(words)


def _reading_order(words: list[Word]) -> list[Word]:
    """Cluster words into lines by their tops (within Y_TOLERANCE), each line left to right."""
    ordered: list[Word] = []
    line: list[Word] = []
    line_top = 0.0
    for word in sorted(words, key=lambda w: w.top):
        if line and word.top - line_top > Y_TOLERANCE:
            ordered.extend(sorted(line, key=lambda w: w.x0))
            line = []
        if not line:
            line_top = word.top
        line.append(word)
    ordered.extend(sorted(line, key=lambda w: w.x0))
    return ordered


def _has_text(words: Sequence[Word]) -> bool:
    # A scan sometimes carries a stray page number or producer stamp as text; that is not a
    # text layer we can read fields from.
    return sum(len(w.text) for w in words) >= 20


# --------------------------------------------------------------------------- borderless tables


@dataclass(slots=True)
class TableColumn:
    name: str  # canonical column name given by the caller
    header: Segment

    @property
    def x0(self) -> float:
        return self.header.x0

    @property
    def x1(self) -> float:
        return self.header.x1


@dataclass(slots=True)
class TableRow:
    cells: dict[str, list[Word]]
    lines: list[Line]

    def text(self, column: str) -> str:
        return " ".join(w.text for w in self.cells.get(column, []))

    @property
    def words(self) -> list[Word]:
        return [w for ws in self.cells.values() for w in ws]


@dataclass(slots=True)
class Table:
    page: int
    columns: list[TableColumn]
    rows: list[TableRow]
    header_line: Line


def find_table(
    pdf: PdfDocument,
    header_patterns: dict[str, re.Pattern[str]],
    *,
    required: Sequence[str],
    stop: re.Pattern[str] | None = None,
) -> Table | None:
    """Find a table by its header line and read its rows from word positions.

    ``header_patterns`` maps a canonical column name to a pattern that matches the
    header segment ("Unit Price", "Price per Unit", "Rate" → ``unit_price``). The header line
    is the first line with a segment for every ``required`` column. A word belongs to the
    column whose header span it overlaps most (or the nearest one), which handles left,
    right and centred alignment, ruled or not. Rows continue until a line matching
    ``stop`` (a totals line) or a vertical gap of more than three line heights. A line
    with nothing in the first required numeric column but text in the description column
    continues the previous row (wrapped descriptions).
    """
    for page in pdf.pages:
        for line in page.lines:
            columns = _match_header(line, header_patterns)
            if columns is None or not all(any(c.name == r for c in columns) for r in required):
                continue
            return _read_rows(page, line, columns, stop)
    return None


def _match_header(line: Line, patterns: dict[str, re.Pattern[str]]) -> list[TableColumn] | None:
    columns: list[TableColumn] = []
    for segment in line.segments:
        # A header segment may hold two column names that were set close together
        # ("Qty Unit Price"): split it at word boundaries greedily.
        columns.extend(_split_header_segment(segment, patterns))
    if len(columns) < 2:
        return None
    return columns


def _split_header_segment(segment: Segment, patterns: dict[str, re.Pattern[str]]) -> list[TableColumn]:
    words = segment.words
    found: list[TableColumn] = []
    start = 0
    while start < len(words):
        match_end = None
        match_name = None
        for end in range(len(words), start, -1):
            text = " ".join(w.text for w in words[start:end])
            for name, pattern in patterns.items():
                if pattern.fullmatch(text.strip(" :")):
                    match_end, match_name = end, name
                    break
            if match_end is not None:
                break
        if match_end is None or match_name is None:
            start += 1
            continue
        if not any(c.name == match_name for c in found):
            found.append(TableColumn(match_name, Segment(list(words[start:match_end]))))
        start = match_end
    return found


def _read_rows(page: Page, header: Line, columns: list[TableColumn], stop: re.Pattern[str] | None) -> Table:
    rows: list[TableRow] = []
    previous_bottom = header.bottom
    numeric_columns = [c.name for c in columns if c.name != "description"]
    for line in page.lines[header.index + 1 :]:
        if line.top - previous_bottom > 3.0 * max(line.height, 6.0):
            break
        if stop is not None and stop.search(line.text):
            break
        cells: dict[str, list[Word]] = {}
        for segment in line.segments:
            for column, words in _segment_cells(segment, columns):
                cells.setdefault(column.name, []).extend(words)
        has_numbers = any(name in cells for name in numeric_columns)
        if rows and not has_numbers and "description" in cells:
            # a wrapped description line continues the row above
            rows[-1].cells.setdefault("description", []).extend(cells["description"])
            rows[-1].lines.append(line)
        else:
            rows.append(TableRow(cells=cells, lines=[line]))
        previous_bottom = line.bottom
    return Table(page=page.number, columns=columns, rows=rows, header_line=header)


def _segment_cells(segment: Segment, columns: list[TableColumn]) -> list[tuple[TableColumn, list[Word]]]:
    """Which column(s) the words of one segment go to.

    A segment is one cell's text unless its words sit under two different headers: a long
    description ("RICE, CROP 2025, IN 25 KG PP") reaches far right of its short header
    and must not lose its tail to the next column, so a segment under at most one header
    goes whole to the column of the header it is under (or of its first word).
    """
    under = {
        column.name
        for word in segment.words
        for column in columns
        if min(word.x1, column.x1) - max(word.x0, column.x0) > 0
    }
    if len(under) > 1:
        return [(_column_for(word, columns), [word]) for word in segment.words]
    column = next(c for c in columns if c.name in under) if under else _column_for(segment.words[0], columns)
    return [(column, list(segment.words))]


def _column_for(word: Word, columns: list[TableColumn]) -> TableColumn:
    best = columns[0]
    best_score = float("-inf")
    for column in columns:
        overlap = min(word.x1, column.x1) - max(word.x0, column.x0)
        if overlap > 0:
            score = overlap
        else:
            centre = (word.x0 + word.x1) / 2
            score = -min(abs(centre - column.x0), abs(centre - column.x1))
        if score > best_score:
            best, best_score = column, score
    return best
