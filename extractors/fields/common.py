"""Label-anchored field reading shared by the per-type templates.

A field is found by its label, then its value is looked for where documents put it, in
this order: after the label in the same segment (``Invoice No.: INV-1``), in the next
segment of the same line (label column / value column), or below the label (a box whose
caption sits above the value). Each candidate is offered to a parser; the first one it
accepts wins, so a caption row such as ``Invoice No.    Date`` never yields "Date" as the
invoice number. Every value comes back with the words it was read from, for provenance.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from extractors import normalize
from extractors.models import Extracted, Party, Provenance
from extractors.pdf_text import Line, PdfDocument, Segment, Word, union_bbox

V = TypeVar("V")

# Every caption the templates know; a value candidate that is itself a caption is rejected
# and a party block stops at one.
CAPTIONS = [
    r"commercial invoice", r"(ref\.? )?invoice no\.?", r"invoice number", r"inv\. no\.?", r"invoice date", r"date of issue",
    r"date", r"seller", r"exporter", r"beneficiary", r"buyer", r"sold to", r"bill to", r"messrs\.?",
    r"l[/il1|]c\s*no\.?", r"u/?c no\.?", r"lc no\.?", r"documentary credit no\.?", r"credit number", r"lc ref\.?", r"terms of delivery", r"incoterms?",
    r"delivery terms", r"country of origin", r"shipping marks", r"marks (&|and) nos\.?", r"marks", r"gross weight",
    r"net weight", r"b[/il1|]l\s*no\.?", r"bill of lading no\.?", r"shipper(/exporter)?", r"consignee", r"notify( party)?",
    r"(ocean )?vessel( ?/? ?voy(age)?\.? no\.?)?", r"voyage no\.?", r"place of receipt", r"port of loading",
    r"port of discharge", r"place of delivery", r"number of original b/ls", r"no\. of original b\(s\)/l",
    r"place and date of issue", r"carrier", r"port of transhipment", r"packing list no\.?", r"total packages",
    r"no\. of packages", r"n\.w\.", r"g\.w\.", r"certificate no\.?", r"consignor", r"origin of goods",
    r"certifying authority", r"means of transport", r"policy no\.?", r"assured", r"insured", r"amount insured",
    r"sum insured", r"insured value", r"claims payable at", r"from", r"to", r"number of originals", r"producer",
    r"importer", r"description( of goods)?", r"quantity", r"unit price", r"amount", r"total", r"tel\.?", r"fax",
    r"e-?mail", r"phone", r"due date", r"reference", r"order (no|number|date)\.?", r"payment terms",
    r"freight", r"container( no\.?)?s?", r"seal( no\.?)?s?", r"signature", r"name", r"addr",
]  # fmt: skip
_CAPTION_RE = re.compile(r"^(?:" + "|".join(CAPTIONS) + r")\s*[:.]?\s*$", re.IGNORECASE)

BELOW_LINES = 3  # how many lines under a caption a boxed value may start
BLOCK_MAX_LINES = 7


def is_caption(text: str) -> bool:
    return bool(_CAPTION_RE.match(text.strip()))


# Values of at least this many words are free text (goods, marks, clauses): their confidence is
# their least sure word of two or more letters or digits.
FREE_TEXT_MIN_WORDS = 5

# A signature's marks read by OCR beside the text it signs ("I[0.43] Underwriters Bae[0.20]"):
# words at this confidence or below. (Whole lines of such words are dropped earlier, in
# extractors.ocr; these share a line with sure words.)
SIGNATURE_MARK_MAX_CONFIDENCE = 0.5


def without_scribble(segment: Segment) -> Segment | None:
    """The segment without the unsure OCR words at its ends, nor unsure marks of one or two
    characters inside it ("as ie agent for the insurers"); None when nothing else is left."""
    words = [
        w
        for w in segment.words
        if getattr(w, "confidence", 1.0) > SIGNATURE_MARK_MAX_CONFIDENCE
        or sum(ch.isalnum() for ch in w.text) > 2
    ]
    while words and getattr(words[0], "confidence", 1.0) <= SIGNATURE_MARK_MAX_CONFIDENCE:
        words.pop(0)
    while words and getattr(words[-1], "confidence", 1.0) <= SIGNATURE_MARK_MAX_CONFIDENCE:
        words.pop()
    if len(words) == len(segment.words):
        return segment
    return Segment(words) if words else None


@dataclass(slots=True)
class Found:
    """A candidate value: its text and the words it came from."""

    text: str
    words: list[Word]
    line: Line

    @property
    def page(self) -> int:
        return self.line.page


def _label_regex(labels: Sequence[str]) -> re.Pattern[str]:
    # Longest first so "Invoice Date" wins over "Date"; the label must start the segment.
    # A space inside a label may be missing: OCR often drops the narrow one in "L/C No.".
    ordered = [label.replace(" ", r"\s*") for label in sorted(labels, key=len, reverse=True)]
    return re.compile(r"^\s*(?:" + "|".join(ordered) + r")(?![A-Za-z])\s*[:.#\-]*\s*", re.IGNORECASE)


def _words_from(segment: Segment, char_offset: int) -> tuple[str, list[Word]]:
    """The text and words of ``segment`` from character ``char_offset`` of its joined text."""
    position = 0
    words: list[Word] = []
    for word in segment.words:
        end = position + len(word.text)
        if end > char_offset:
            words.append(word)
        position = end + 1
    return segment.text[char_offset:].strip(), words


class Reader:
    """Label lookups over one parsed PDF, producing ``Extracted`` values with provenance."""

    def __init__(self, pdf: PdfDocument, file: str):
        self.pdf = pdf
        self.file = file
        self.text = pdf.text
        self._lines: list[Line] = list(pdf.lines())
        self._wrapped: dict[tuple[int, int, int], str] | None = None

    # ------------------------------------------------------------------ provenance
    def provenance(self, found: Found, confidence: float = 0.9) -> Provenance:
        ocr_confidences = [c for c in (getattr(w, "confidence", None) for w in found.words) if c is not None]
        if not ocr_confidences:
            return Provenance(
                file=self.file,
                page=found.page,
                bbox=union_bbox(found.words),
                raw=found.text,
                extractor="text",
                confidence=confidence,
            )
        # Read by OCR: the value is as sure as its least sure word, and a person checks it
        # below the threshold instead of the examination trusting it.
        from extractors.ocr import LOW_CONFIDENCE
        from extractors.ocr_normalize import ENGINES_DISAGREE_REASON

        if len(ocr_confidences) >= FREE_TEXT_MIN_WORDS:
            # in a description, a one-character token ("1 X 40' HC": "1" at 0.61) is where
            # Tesseract is least sure and a misread matters least; the words decide
            worded = [
                c
                for w in found.words
                if (c := getattr(w, "confidence", None)) is not None
                and sum(ch.isalnum() for ch in w.text) >= 2
            ]
            ocr_confidences = worded or ocr_confidences
        lowest = min(ocr_confidences)
        as_read = " ".join(getattr(w, "raw", w.text) for w in found.words)
        notes = [] if as_read == " ".join(w.text for w in found.words) else [f"OCR read '{as_read}'"]
        low = lowest < LOW_CONFIDENCE
        reason = f"OCR confidence {lowest:.2f} below {LOW_CONFIDENCE:.2f}" if low else None
        # words a second OCR engine read again (extractors/ocr_second.py)
        seconded = [w for w in found.words if getattr(w, "first_reading", "")]
        respelled = [w for w in seconded if w.first_reading != w.raw]
        if respelled:
            first = " ".join(dict.fromkeys(w.first_reading for w in respelled))  # a split word once
            second = " ".join(w.raw for w in respelled)
            notes.append(f"Tesseract read '{first}', a second OCR engine '{second}'")
            if low and any(w.disputed for w in respelled):
                reason = f"{ENGINES_DISAGREE_REASON}: Tesseract read '{first}', the second '{second}'"
        elif seconded:
            notes.append("read alike by a second OCR engine")
        return Provenance(
            file=self.file,
            page=found.page,
            bbox=union_bbox(found.words),
            raw=found.text,
            extractor="ocr",
            confidence=round(confidence * lowest, 3),
            ocr_confidence=round(lowest, 3),
            needs_review=low,
            review_reason=reason,
            notes=notes,
        )

    def extracted(self, value: V, found: Found, confidence: float = 0.9) -> Extracted[V]:
        return Extracted[type(value)](value=value, source=self.provenance(found, confidence))  # type: ignore[misc]

    # ------------------------------------------------------------------ label hits
    def label_hits(self, labels: Sequence[str]) -> Iterable[tuple[Line, int, re.Match[str]]]:
        """Lines and segments where one of ``labels`` starts a segment. A caption wrapped
        onto a second line ("Place and Date of" / "Issue:") is matched whole; its match then
        ends past the first line's text, so its value is looked for beside or below it."""
        pattern = _label_regex(labels)
        wrapped = self._wrapped_captions()
        for line in self._lines:
            for index, segment in enumerate(line.segments):
                match = pattern.match(segment.text)
                if match:
                    if not self._ends_sentence(line, segment):
                        yield line, index, match
                    continue
                joined = wrapped.get((line.page, line.index, index))
                if joined is not None:
                    match = pattern.match(joined)
                    if match and not joined[match.end() :].strip():
                        yield line, index, match

    def _ends_sentence(self, line: Line, segment: Segment) -> bool:
        """Whether ``segment`` finishes a sentence from the line above ("Signed by X as" /
        "carrier"), which makes it wording, not a caption."""
        if line.index == 0:
            return False
        above = self.pdf.pages[line.page - 1].lines[line.index - 1]
        if line.top - above.bottom > 1.6 * max(above.height, 6.0):
            return False
        for other in above.segments:
            if abs(other.x0 - segment.x0) <= 2:
                return bool(_SENTENCE_OPEN_RE.search(other.text))
        return False

    def _wrapped_captions(self) -> dict[tuple[int, int, int], str]:
        """Captions set on two lines of a narrow label column, keyed by their first segment:
        the first part has no colon, the second is a few words under it ending in one."""
        if self._wrapped is not None:
            return self._wrapped
        self._wrapped = {}
        for page in self.pdf.pages:
            for line in page.lines[:-1]:
                # the next line of the label column; a line of the other column may sit between
                below_lines = [
                    b
                    for b in page.lines[line.index + 1 : line.index + 3]
                    if b.top - line.bottom <= 1.2 * max(line.height, 6.0)
                ]
                if not below_lines:
                    continue
                for index, segment in enumerate(line.segments):
                    text = segment.text
                    if text.endswith(":") or any(ch.isdigit() for ch in text) or len(text.split()) > 5:
                        continue
                    rest = next(
                        (s for b in below_lines for s in b.segments if abs(s.x0 - segment.x0) <= 2), None
                    )
                    if rest is not None and rest.text.endswith(":") and len(rest.text.split()) <= 3:
                        self._wrapped[(line.page, line.index, index)] = f"{text} {rest.text}"
        return self._wrapped

    def candidates(self, line: Line, index: int, match: re.Match[str]) -> Iterable[Found]:
        segment = line.segments[index]
        rest, words = _words_from(segment, match.end())
        if rest and words:
            yield Found(rest, words, line)
        if index + 1 < len(line.segments):
            nxt = line.segments[index + 1]
            if not _is_caption_or_pair(nxt.text):
                yield Found(nxt.text, list(nxt.words), line)
        yield from self._below(line, segment)

    def _below(self, line: Line, caption: Segment) -> Iterable[Found]:
        page_lines = self.pdf.pages[line.page - 1].lines
        for below in page_lines[line.index + 1 : line.index + 1 + BELOW_LINES]:
            if below.top - line.bottom > 4.0 * max(line.height, 6.0):
                break
            for segment in below.segments:
                if caption.x0 - 15 <= segment.x0 <= caption.x1 or (segment.x0 <= caption.x0 <= segment.x1):
                    if is_caption(segment.text):
                        return
                    yield Found(segment.text, list(segment.words), below)
                    return

    def continuation(self, found: Found, *, captions: bool = False) -> Found | None:
        """The line a value wrapped onto: the next segment starting where the value starts,
        one or two lines down (a line of another column may sit between). A caption there
        starts another field, unless ``captions`` (wording such as "... as" / "carrier")."""
        line = found.line
        page_lines = self.pdf.pages[line.page - 1].lines
        x0 = found.words[0].x0
        for below in page_lines[line.index + 1 : line.index + 3]:
            if below.top - line.bottom > 1.6 * max(line.height, 6.0):
                return None
            for segment in below.segments:
                if abs(segment.x0 - x0) <= 4:
                    if not captions and _is_caption_or_pair(segment.text):
                        return None
                    return Found(segment.text, list(segment.words), below)
        return None

    def find(
        self, labels: Sequence[str], parse: Callable[[str], V | None], confidence: float = 0.9
    ) -> Extracted[V] | None:
        """The first value after one of ``labels`` that ``parse`` accepts."""
        for line, index, match in self.label_hits(labels):
            for found in self.candidates(line, index, match):
                value = parse(found.text)
                if value is not None:
                    return self.extracted(value, found, confidence)
        return None

    def find_wrapped(
        self,
        labels: Sequence[str],
        parse: Callable[[str], V | None],
        tail: re.Pattern[str],
        *,
        always: bool = False,
        confidence: float = 0.85,
    ) -> Extracted[V] | None:
        """Like ``find``, but a value that ``parse`` refuses is tried again with the line it
        wrapped onto ("HO CHI MINH CITY, 30 MAY" / "2026") when that line fully matches
        ``tail`` and the caption column beside it holds no other caption (only the rest of
        this one, when it wrapped too). ``always``: join such a line even to a value that
        parses alone (a name cut at the end of its line: "BY SEA, MV NORTHERN" / "DAWN")."""
        for line, index, match in self.label_hits(labels):
            caption = line.segments[index]
            caption_wrapped = match.end() > len(caption.text)
            for found in self.candidates(line, index, match):
                value = parse(found.text)
                if value is not None and not always:
                    return self.extracted(value, found, confidence)
                wrapped = self.continuation(found)
                if wrapped is None or not tail.fullmatch(wrapped.text.strip()):
                    if value is not None:
                        return self.extracted(value, found, confidence)
                    continue
                value_x = found.words[0].x0
                other_caption = any(
                    caption.x0 - 10 <= s.x0
                    and s.x1 <= value_x - 2
                    and not (caption_wrapped and s.text.endswith(":"))
                    for s in wrapped.line.segments
                )
                joined_value = None if other_caption else parse(f"{found.text} {wrapped.text}")
                if joined_value is not None:
                    joined = Found(f"{found.text} {wrapped.text}", [*found.words, *wrapped.words], found.line)
                    return self.extracted(joined_value, joined, confidence)
                if value is not None:
                    return self.extracted(value, found, confidence)
        return None

    def find_all_lines(self, pattern: re.Pattern[str]) -> Iterable[tuple[Line, re.Match[str]]]:
        for line in self._lines:
            match = pattern.search(line.text)
            if match:
                yield line, match

    def find_phrase(self, pattern: re.Pattern[str]) -> Found | None:
        """The first line where ``pattern`` matches, with the words the match covers."""
        for line, match in self.find_all_lines(pattern):
            return self.found_in_line(line, match.start(), match.end())
        return None

    def found_in_line(self, line: Line, start: int, end: int) -> Found:
        position = 0
        words: list[Word] = []
        for word in line.words:
            word_end = position + len(word.text)
            if word_end > start and position < end:
                words.append(word)
            position = word_end + 1
        return Found(line.text[start:end].strip(), words or list(line.words), line)

    # ------------------------------------------------------------------ blocks
    def find_first(
        self, labels: Sequence[str], parse: Callable[[str], V | None], confidence: float = 0.9
    ) -> Extracted[V] | None:
        """Like ``find`` but the labels are tried one by one, in order of preference."""
        for label in labels:
            found = self.find([label], parse, confidence)
            if found is not None:
                return found
        return None

    def block(self, labels: Sequence[str], *, max_lines: int = BLOCK_MAX_LINES) -> Found | None:
        """A multi-line block (a party) under or beside its caption."""
        for line, index, match in self.label_hits(labels):
            segment = line.segments[index]
            rest, words = _words_from(segment, match.end())
            if words and without_scribble(Segment(words)) is None:
                rest, words = "", []  # a signature beside its caption ("Certifying Authority")
            label_x: float | None = segment.x0  # the value sits beside its caption
            if rest and words:
                anchor_x = words[0].x0
                collected: list[tuple[str, list[Word], Line]] = [(rest, words, line)]
            elif (
                index + 1 < len(line.segments)
                and not _is_caption_or_pair(line.segments[index + 1].text)
                and without_scribble(line.segments[index + 1]) is not None
            ):
                nxt = line.segments[index + 1]
                anchor_x = nxt.x0
                collected = [(nxt.text, list(nxt.words), line)]
            else:
                anchor_x = segment.x0
                collected = []
                label_x = None  # the caption sits above its value (a box)
            more = self._column_lines(
                line, anchor_x, max_lines - len(collected), require_near=not collected, label_x=label_x
            )
            collected.extend(more)
            if collected:
                text = "\n".join(c[0] for c in collected)
                all_words = [w for c in collected for w in c[1]]
                return Found(text, all_words, collected[0][2])
        return None

    def _column_lines(
        self, line: Line, anchor_x: float, limit: int, *, require_near: bool, label_x: float | None = None
    ) -> list[tuple[str, list[Word], Line]]:
        """Lines continuing a block down its value column at ``anchor_x``.

        ``label_x``: where the block's caption starts when the value sits beside it; a line
        with something new in that caption column starts the next field, so the block ends.
        A line holding only words of a column further right (two-column layouts interleave
        the rows of both columns) is stepped over.
        """
        page_lines = self.pdf.pages[line.page - 1].lines
        out: list[tuple[str, list[Word], Line]] = []
        anchors = [anchor_x]
        previous = line
        for below in page_lines[line.index + 1 :]:
            if len(out) >= limit:
                break
            gap = below.top - previous.bottom
            if gap > 1.6 * max(previous.height, 6.0) and (
                out or not require_near or gap > 4 * previous.height
            ):
                break
            if label_x is not None and any(
                label_x - 10 <= s.x0 and s.x1 <= anchor_x - 2 for s in below.segments
            ):
                break
            if out and all(s.x0 > anchor_x + 40 for s in below.segments):
                continue
            chosen = None
            for segment in below.segments:
                aligned = any(abs(segment.x0 - x) <= 12 for x in anchors)
                if aligned or (segment.x0 < anchor_x < segment.x1 and not out):
                    chosen = segment
                    break
            if chosen is None:
                if out:
                    break
                continue
            position = below.segments.index(chosen)
            if _INNER_PREFIX_RE.match(chosen.text) and position + 1 < len(below.segments):
                # "Addr:   LOT E4..." set as a caption column inside the party box
                value = below.segments[position + 1]
                out.append((f"{chosen.text} {value.text}", [*chosen.words, *value.words], below))
                anchors.append(value.x0)  # its wrapped lines continue under the value
                previous = below
                continue
            if is_caption(chosen.text) or _starts_with_caption(chosen.text):
                break
            out.append((chosen.text, list(chosen.words), below))
            previous = below
        return out

    def table_column(self, labels: Sequence[str], *, max_lines: int = BLOCK_MAX_LINES) -> Found | None:
        """The cells under a caption that heads a table column ("Marks & Nos" beside
        "Description of Goods"): the caption is alone in its segment and another caption
        shares its line. The cells are the segments starting where the caption starts; the
        column ends at a line reaching further left (text below the table), a caption, or a
        gap wider than a wrapped header line.
        """
        for line, index, match in self.label_hits(labels):
            segment = line.segments[index]
            if segment.text[match.end() :].strip() or not any(
                is_caption(other.text) or _TABLE_HEADER_WORD_RE.search(other.text)
                for i, other in enumerate(line.segments)
                if i != index
            ):
                continue
            page_lines = self.pdf.pages[line.page - 1].lines
            collected: list[tuple[str, list[Word], Line]] = []
            previous = line
            for below in page_lines[line.index + 1 :]:
                if len(collected) >= max_lines:
                    break
                if below.top - previous.bottom > 2.5 * max(previous.height, 6.0):
                    break
                if any(s.x0 < segment.x0 - 2 for s in below.segments):
                    break
                cell = next((s for s in below.segments if abs(s.x0 - segment.x0) <= 6), None)
                if cell is None:
                    if collected:
                        break
                    previous = below  # the header's own second line ("No. of" / "Packages")
                    continue
                if is_caption(cell.text) or _starts_with_caption(cell.text):
                    break
                collected.append((cell.text, list(cell.words), below))
                previous = below
            if collected:
                text = "\n".join(c[0] for c in collected)
                return Found(text, [w for c in collected for w in c[1]], collected[0][2])
        return None

    def party(self, labels: Sequence[str], confidence: float = 0.85) -> Extracted[Party] | None:
        found = self.block(labels)
        if found is None:
            return None
        party = normalize.parse_party(found.text.splitlines())
        if party is None:
            return None
        return Extracted[Party](value=party, source=self.provenance(found, confidence))


_BLOCK_STOP_RE = re.compile(
    # "Name:" / "Addr:" lines are the inside of a party block (CPTPP forms), not a new caption
    r"^(?:(?:"
    + "|".join(c for c in CAPTIONS if len(c) > 6)
    + r")\s*[:.]|(?:"
    + "|".join(c for c in CAPTIONS if c not in ("name", "addr"))
    + r")\s*:)",
    re.IGNORECASE,
)


# Words of the other column headers of a goods table ("No. of Packages Description of Goods"
# set close enough to be one segment).
_TABLE_HEADER_WORD_RE = re.compile(r"\b(description|packages|quantity|gross|weight)\b", re.IGNORECASE)
# A line ending in one of these words continues on the next line.
_SENTENCE_OPEN_RE = re.compile(r"\b(as|the|by|of|for|and|to|on|at|in|with)\s*$", re.IGNORECASE)
_INNER_PREFIX_RE = re.compile(r"^\s*(name|addr|address)\s*:?\s*$", re.IGNORECASE)


def _is_caption_or_pair(text: str) -> bool:
    """A caption, or another caption with its own value ("Country of Origin: CHINA")."""
    return is_caption(text) or _starts_with_caption(text)


def _starts_with_caption(text: str) -> bool:
    return bool(_BLOCK_STOP_RE.match(text))


# --------------------------------------------------------------------------- parsers


REFERENCE_RE = re.compile(
    r"#?\s*([A-Z0-9][A-Z0-9/_\-.]*\d[A-Z0-9/_\-.]*|[A-Z0-9]*\d[A-Z0-9/_\-.]*)", re.IGNORECASE
)


def parse_reference(text: str) -> str | None:
    """A document reference: the first token that holds a digit (``INV-2026-001``, ``42183017``)."""
    first = text.strip().split("  ")[0]
    # no reference ends or starts with its separator: "AS/ 26/9092" is one reference split by OCR
    first = re.sub(r"(?<=[A-Za-z0-9][/-]) (?=[A-Za-z0-9])", "", first)
    # and its slash read as a comma: "JX, 26/3127" is JX/26/3127
    first = re.sub(r"\b([A-Z]{1,4}), (?=\d+/\d)", r"\1/", first)
    for token in first.split()[:3]:
        token = token.strip(":#,;")
        if is_caption(token):
            return None
        if normalize.parse_leading_date(token) and re.fullmatch(r"[\d./\-]+", token):
            return None  # a date under a caption row is not the reference
        if REFERENCE_RE.fullmatch(token) and any(ch.isdigit() for ch in token):
            return token.rstrip(".")
    return None


def parse_text(text: str) -> str | None:
    value = text.strip(" :;,")
    if not value or is_caption(value):
        return None
    return value


def parse_place(text: str) -> str | None:
    value = parse_text(text)
    if value is None or not re.search(r"[A-Za-z]{2}", value):
        return None
    return value.upper()


def parse_count_value(text: str) -> int | None:
    return normalize.parse_count(text)


def parse_weight(text: str):  # -> Quantity | None
    found = normalize.find_quantities(text)
    for _, _, quantity in found:
        if quantity.unit in {"KGS", "MT", "LBS", "G"}:
            return quantity
    return None


def parse_packages(text: str):  # -> Quantity | None
    found = normalize.find_quantities(text)
    for _, _, quantity in found:
        if quantity.unit not in {"KGS", "MT", "LBS", "G", "CBM"}:
            return quantity
    return None


# "u/c": OCR reads the "L/" of L/C as a U ("UC No.:", "U/C No.:"); "l[/il1|]c": it reads the
# slash as an I, l, 1 or bar ("LICNo.")
LC_LABELS = [r"l[/il1|]c no\.?", r"l[/il1|]c number", r"lc no\.?", r"u/?c no\.?", r"documentary credit no\.?", r"documentary credit number",
             r"credit number", r"credit no\.?", r"lc ref\.?", r"l/c ref\.?", r"letter of credit no\.?"]  # fmt: skip
INVOICE_REFERENCE_LABELS = [r"(ref\.?\s+)?invoice no\.?", r"(ref\.?\s+)?invoice number", r"commercial invoice no\.?",
                            r"inv\.? no\.?", r"invoice ref(erence)?\.?( no\.?)?", r"against invoice( no\.?)?"]  # fmt: skip
MARKS_LABELS = [r"shipping marks", r"marks (&|and) nos\.?", r"marks (&|and) numbers", r"marks"]
# in order of preference: a totals caption before a table column caption
GROSS_LABELS = [r"total gross weight", r"gross weight", r"g\.\s?w\."]
NET_LABELS = [r"total net weight", r"net weight", r"n\.\s?w\."]
PACKAGES_LABELS = [
    r"total packages",
    r"no\. of packages",
    r"number of packages",
    r"packages",
    r"total cartons",
]

SIGNED_RE = re.compile(
    r"for and on behalf of|authori[sz]ed signatory|\bsigned\b|\bsignature\b|duly authori[sz]ed", re.IGNORECASE
)
ORIGINAL_RE = re.compile(
    r"^\s*(?:(?:first|second|third|fourth|1st|2nd|3rd|4th)\s+)?"
    r"(original|duplicate|copy|copy not negotiable|non-negotiable copy)\s*$",
    re.IGNORECASE,
)
# A stamp or copy marking printed at the top of a page ("ORIGINAL", "THIRD ORIGINAL",
# "FIRST OF EXCHANGE"): never the issuer's letterhead.
STAMP_RE = re.compile(
    r"^\s*(?:(?:first|second|third|fourth|1st|2nd|3rd|4th)\s+)?"
    r"(?:original|duplicate|triplicate|copy|copy not negotiable|non-negotiable( copy)?|draft)\s*$"
    r"|^\s*(?:first|second|third|sole)\s+of\s+exchange\s*$",
    re.IGNORECASE,
)


def is_stamp(text: str) -> bool:
    return bool(STAMP_RE.match(text))


def common_fields(reader: Reader, *, invoice_reference: bool = True) -> dict[str, object]:
    """Fields of ``DocumentBase`` read the same way on every type.

    ``invoice_reference``: read the commercial invoice this document refers to ("Invoice
    No." on a packing list or B/L); off for the invoice itself, where it is its own number.
    """
    fields: dict[str, object] = {"text": reader.text, "pages": len(reader.pdf.pages), "file": reader.file}
    lc = reader.find(LC_LABELS, parse_reference)
    if lc:
        fields["lc_number"] = lc
    if invoice_reference:
        invoice = reader.find(INVOICE_REFERENCE_LABELS, parse_reference)
        if invoice:
            fields["invoice_number"] = invoice
    marks = reader.table_column(MARKS_LABELS, max_lines=6) or reader.block(MARKS_LABELS, max_lines=4)
    if marks:
        fields["marks"] = Extracted[str](
            value=marks.text.replace("\n", " "), source=reader.provenance(marks, 0.8)
        )
    signed = reader.find_phrase(SIGNED_RE)
    if signed:
        fields["signed"] = Extracted[bool](value=True, source=reader.provenance(signed, 0.7))
    for line in reader._lines[:12]:
        for segment in line.segments:
            match = ORIGINAL_RE.match(segment.text)
            if match:
                found = Found(segment.text, list(segment.words), line)
                is_original = match.group(1).upper() == "ORIGINAL"
                fields["original"] = Extracted[bool](value=is_original, source=reader.provenance(found, 0.8))
                break
        if "original" in fields:
            break
    return fields


def letterhead(reader: Reader, title_re: re.Pattern[str]) -> Extracted[Party] | None:
    """The issuer's letterhead: the first lines at the top of page 1, minus the title."""
    page = reader.pdf.pages[0]
    lines = [
        ln
        for ln in page.lines
        if ln.top < page.height * 0.25 and not all(is_stamp(s.text) for s in ln.segments)
    ]
    if not lines:
        return None
    first = lines[0]
    segment = next(s for s in first.segments if not is_stamp(s.text))
    name_text = title_re.sub("", segment.text).strip(" :-")
    words = list(segment.words)
    if not name_text or is_caption(name_text):
        # the title stands alone on the first line: the letterhead may sit beside it or under it
        if len(first.segments) > 1:
            segment = first.segments[1]
            name_text, words = segment.text, list(segment.words)
        elif len(lines) > 1:
            first = lines[1]
            segment = first.segments[0]
            name_text, words = title_re.sub("", segment.text).strip(" :-"), list(segment.words)
    if not name_text or is_caption(name_text) or _starts_with_caption(name_text):
        return None
    found = Found(name_text, words, first)
    collected = [name_text]
    for text, more_words, _ in reader._column_lines(first, segment.x0, 4, require_near=True):
        collected.append(text)
        found.words.extend(more_words)
    # a sender line "QualityHosting AG - Uferweg 40-42 - D-63571 Gelnhausen" packs the address in
    parts = re.split(r"\s+[-–|•]\s+", collected[0])
    if len(parts) > 1 and any(ch.isdigit() for ch in " ".join(parts[1:])):
        collected = [parts[0], *parts[1:], *collected[1:]]
    party = normalize.parse_party(collected)
    if party is None:
        return None
    found.text = "\n".join(collected)
    return Extracted[Party](value=party, source=reader.provenance(found, 0.6))
