"""OCR noise: the characters Tesseract confuses, numbers it breaks apart, and what a person must check.

Tesseract on a clean 300-dpi page is ~99.7% right per character; the errors that remain are
systematic — ``O``/``0`` and ``l``/``I``/``1`` inside references and amounts, ``CI-`` read as
``Cl-``, a thousands group split off ("12, 500.00"). They are corrected only where the
token's shape leaves no doubt (a letter among digits), and the text as read is kept, so
provenance shows both. Where a value read by OCR comes close to the credit's own value, the
evidence says so; where it was read with low confidence it is marked for a person to check.
This module holds no OCR itself and imports nothing heavy, so the engine may use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from extractors.models import Extracted, LetterOfCredit, Money, Party, Provenance
from extractors.pdf_text import Word

# Letters that stand for digits when they sit among digits.
_AS_DIGIT = {
    "O": "0",
    "o": "0",
    "D": "0",
    "Q": "0",
    "l": "1",
    "I": "1",
    "|": "1",
    "i": "1",
    "S": "5",
    "B": "8",
}
# Only these are applied inside a reference part: S and B are real letters in references too.
_SAFE_AS_DIGIT = {"O": "0", "o": "0", "l": "1", "I": "1", "|": "1"}
_NUMBER_SHAPE = re.compile(r"^[(\-+]?[$€£¥]?\d[\d.,']*\d?%?[)]?[.,:;]?$")
_SEPARATORS = re.compile(r"([\-/.,:_#])")
_GROUPED_NUMBER = re.compile(r"^\d{1,3}(?:[,.]\d{3})+(?:[.,]\d{1,2})?$")


# Trade abbreviations written with a slash, whose thin slash Tesseract often reads as I, l,
# 1 or |: "LIC No." is "L/C No.". Only these exact shapes are mended, so a real word is safe.
_SLASH_ABBREVIATIONS = frozenset({"L/C", "B/L", "C/O", "P/L", "S/C", "C/NO", "D/P", "D/A", "A/C"})
_RULE_MARKS = "|[]"
# Legal forms with a letter misread, where the misreading is no word a document would use
# ("LID." wrapped under a company's name). "ETD." is left alone: it is a shipping date.
_LEGAL_FORM_MISREADS = {"LID.": "LTD.", "LID.,": "LTD.,", "LTD:": "LTD."}
_BRACE_FOR_J = re.compile(r"^[A-Z]{2,}\}[A-Z]*[.,]?$")
_CAPITALS_WITH_BAR = re.compile(r"^(?:[|\[\]][A-Z]{2,}|[A-Z]{2,}[|\[\]])$")  # one bar, at one end
_BAR_AS_I = str.maketrans({"|": "I", "[": "I", "]": "I"})
_SLASH_READ_AS_LETTER = re.compile(r"^([A-Z])[Il1|]([A-Z]{1,2})([.:,]*)$")


# The Polish legal form "Z O.O." (limited liability) with its letters read as zeros: no
# number is written "0.0.".
_ZERO_LEGAL_FORM = re.compile(r"^[0O]\.[0O]\.([,;]?)$")


def is_grouped_number(text: str) -> bool:
    """A number with its thousands grouped and perhaps decimals: "5.176,00", "12,500.00"."""
    return bool(_GROUPED_NUMBER.match(text))


def normalize_token(token: str, rule_beside: bool = True) -> str:
    """One word as the fields should see it: confusable letters among digits made digits.

    ``2O26-0l7`` → ``2026-017``, ``l2,5OO.OO`` → ``12,500.00``, ``Cl-2026`` → ``CI-2026``.
    Words without a digit are left alone (``Clause``, ``OIL``, ``Ltd``).
    ``rule_beside``: a column rule stands at the word's edge, so a bar there is the rule.
    """
    if token.strip("_") and token.strip("_") != token and any(ch.isalnum() for ch in token):
        token = token.strip("_")  # a rule or a signature line under a word read as "_NHAVA"
    if token in _LEGAL_FORM_MISREADS:
        return _LEGAL_FORM_MISREADS[token]
    if _BRACE_FOR_J.match(token):
        token = token.replace("}", "J")  # "POLSKIE}": J read as a brace, which no document uses
    if len(token) > 2 and token[0] == "(" and token[-1] in "]|":
        token = token[:-1] + ")"  # "(CARGO]": a bracket closed the way it opened
    elif len(token) > 2 and token[0] in "[|" and token[-1] == ")":
        token = "(" + token[1:]
    if len(token) > 2 and (token[0] in _RULE_MARKS or token[-1] in _RULE_MARKS):
        trimmed = token.strip(_RULE_MARKS)
        if not rule_beside and _CAPITALS_WITH_BAR.match(token):
            # no rule there: a bar against capitals is a capital I ("KEJI" read "KEJ|", "KEJ]")
            token = token.translate(_BAR_AS_I)
        elif sum(ch.isalpha() for ch in trimmed) >= 2:
            # a table rule touching a word is read as its first or last character ("Quantity|")
            token = trimmed
    legal_form = _ZERO_LEGAL_FORM.match(token)
    if legal_form:
        return f"O.O.{legal_form.group(1)}"
    slashed = _SLASH_READ_AS_LETTER.match(token)
    if slashed and f"{slashed[1]}/{slashed[2]}" in _SLASH_ABBREVIATIONS:
        return f"{slashed[1]}/{slashed[2]}{slashed[3]}"
    if not any(ch.isdigit() for ch in token):
        return token
    # An amount or plain number: every confusable letter is a digit.
    as_number = "".join(_AS_DIGIT.get(ch, ch) for ch in token)
    starts_numeric = token[0].isdigit() or token[0] in "(-+$€£¥" or (len(token) > 1 and token[1].isdigit())
    if starts_numeric and _NUMBER_SHAPE.match(as_number) and sum(ch.isdigit() for ch in token) >= 2:
        return as_number
    parts = _SEPARATORS.split(token)
    return "".join(_normalize_part(part) for part in parts)


_RUNS = re.compile(r"[A-Za-z|]+|\d+|[^A-Za-z|\d]+")


def _normalize_part(part: str) -> str:
    """A reference part between separators: letter runs beside digits judged one by one."""
    if not part or _SEPARATORS.fullmatch(part):
        return part
    runs = _RUNS.findall(part)
    digits = sum(len(r) for r in runs if r.isdigit())
    out: list[str] = []
    for index, run in enumerate(runs):
        if not run[0].isalpha() and run[0] != "|":
            out.append(run)
            continue
        before = index > 0 and runs[index - 1].isdigit()
        after = index + 1 < len(runs) and runs[index + 1].isdigit()
        confusable = all(ch in _SAFE_AS_DIGIT for ch in run) and len(run) <= 2
        if (
            confusable
            and digits
            and ((before and after) or ((before or after) and digits >= 2 and len(runs) == 2))
        ):
            # "2O26", "0l7": a letter between digits, or a lone letter at the end of a number
            out.append("".join(_SAFE_AS_DIGIT[ch] for ch in run))
        elif len(run) >= 2 and "l" in run and run.replace("l", "").isupper():
            out.append(run.replace("l", "I"))  # "Cl", "lNV": a lower-case l among capitals
        else:
            out.append(run)
    return "".join(out)


def merge_broken_numbers(words: Sequence[Word]) -> list[Word]:
    """Join a number that OCR split at its thousands separator ("12," "500.00" → "12,500.00").

    Two neighbouring words on one line are joined only when the gap between them is narrow
    and together (not apart) they form a correctly grouped number.
    """
    from dataclasses import replace

    out: list[Word] = []
    for word in words:
        previous = out[-1] if out else None
        if previous is not None and _broken_pair(previous, word):
            raw = f"{getattr(previous, 'raw', previous.text)} {getattr(word, 'raw', word.text)}"
            merged = replace(
                previous,
                text=previous.text + word.text,
                x1=max(previous.x1, word.x1),
                top=min(previous.top, word.top),
                bottom=max(previous.bottom, word.bottom),
            )
            if hasattr(merged, "raw"):
                merged = replace(
                    merged,
                    raw=raw,
                    confidence=min(getattr(previous, "confidence", 1.0), getattr(word, "confidence", 1.0)),
                )
            out[-1] = merged
        else:
            out.append(word)
    return out


def _broken_pair(left: Word, right: Word) -> bool:
    if left.page != right.page or right.x0 < left.x1 - 1:
        return False
    height = max(left.height, right.height, 1.0)
    overlap = min(left.bottom, right.bottom) - max(left.top, right.top)
    if overlap < 0.5 * min(left.height, right.height) or right.x0 - left.x1 > 0.6 * height:
        return False
    joined = left.text + right.text
    return bool(_GROUPED_NUMBER.match(joined)) and not _GROUPED_NUMBER.match(left.text)


# "US$" whose dollar sign Tesseract read as an S or a 5 ("USS 84,000.00"). Mended only right
# before an amount on the same line: "USS" alone is a ship's prefix, not money.
_DOLLAR_READ_AS_LETTER = re.compile(r"^(US|HK)[S5s]$")
_AMOUNT_SHAPE = re.compile(r"^\d{1,3}(?:[,.]\d{3})*(?:[.,]\d{2})?$")


def mend_dollar_signs(words: Sequence[Word]) -> list[Word]:
    """``USS`` / ``US5`` before an amount read back as ``US$``."""
    from dataclasses import replace

    out = list(words)
    for index, word in enumerate(out[:-1]):
        after = out[index + 1]
        match = _DOLLAR_READ_AS_LETTER.match(word.text)
        if (
            match
            and word.page == after.page
            and _AMOUNT_SHAPE.match(after.text)
            and 0 <= after.x0 - word.x1 < 1.5 * max(word.height, 1.0)
            and min(word.bottom, after.bottom) - max(word.top, after.top) > 0.5 * word.height
        ):
            out[index] = replace(word, text=f"{match.group(1)}$")
    return out


# --------------------------------------------------------------------------- closeness to the credit


def _canonical(text: str) -> str:
    upper = re.sub(r"[\s\-/.]", "", text.upper())
    return "".join(_AS_DIGIT.get(ch, ch) for ch in upper).replace("L", "1")


def closeness_hint(read: str, expected: str, what: str) -> str | None:
    """A sentence for the evidence when ``read`` (OCR) is close to ``expected`` (the credit's).

    None when they are equal or not close at all.
    """
    from rapidfuzz.distance import Levenshtein

    if read.strip().upper() == expected.strip().upper():
        return None
    if _canonical(read) == _canonical(expected):
        return (
            f"OCR read '{read}': the same as the credit's {what} '{expected}' once letters OCR "
            "confuses with digits (O/0, l/1, I/1) are allowed for"
        )
    distance = Levenshtein.distance(_canonical(read), _canonical(expected))
    if len(expected) >= 5 and distance <= 2:
        return (
            f"OCR read '{read}', {distance} character(s) from the credit's {what} '{expected}': "
            "possibly a misread, check the scan"
        )
    return None


def money_hint(read: Money, expected: Money, what: str) -> str | None:
    """A hint when an amount read by OCR differs from the credit's in a way OCR causes."""
    if read.currency != expected.currency or read.amount == expected.amount or not expected.amount:
        return None
    ratio = read.amount / expected.amount
    if ratio in (Decimal(10), Decimal(100), Decimal("0.1"), Decimal("0.01")):
        return (
            f"OCR read {read}, a factor {ratio.normalize():f} from the credit's {what} {expected}: "
            "a decimal or thousands separator may be misread, check the scan"
        )
    read_digits = re.sub(r"\D", "", f"{read.amount:.2f}")
    expected_digits = re.sub(r"\D", "", f"{expected.amount:.2f}")
    if len(read_digits) == len(expected_digits):
        differing = sum(a != b for a, b in zip(read_digits, expected_digits, strict=True))
        if differing == 1:
            return (
                f"OCR read {read}, one digit from the credit's {what} {expected}: "
                "possibly a misread, check the scan"
            )
    return None


# Document field → (credit field, label in the hint); compared when the document was OCR'd.
_AGAINST_LC: dict[str, tuple[str, str]] = {
    "lc_number": ("number", "number (20)"),
    "port_of_loading": ("port_of_loading", "port of loading (44E)"),
    "port_of_discharge": ("port_of_discharge", "port of discharge (44F)"),
}
_AMOUNTS_AGAINST_LC = ("total", "amount", "insured_amount")


def annotate_against_lc(document: Any, lc: LetterOfCredit) -> None:
    """Add closeness hints to OCR-read values of ``document`` that nearly match the credit.

    A hint also marks the value for review: a near-miss is either a misread or a real
    discrepancy, and a person should see which.
    """
    for field_name, (lc_field, label) in _AGAINST_LC.items():
        read = getattr(document, field_name, None)
        expected = getattr(lc, lc_field, None)
        if not isinstance(read, Extracted) or not isinstance(expected, Extracted):
            continue
        if read.source.extractor != "ocr" or not isinstance(read.value, str):
            continue
        as_read = read.source.raw or read.value
        hint = closeness_hint(as_read, str(expected.value), label)
        if not hint:
            continue
        if field_name != "lc_number":
            # "LASPEZIA" for LA SPEZIA differs only in what OCR confuses: nothing to check
            differs = _canonical(as_read) != _canonical(str(expected.value))
            _add_hint(read.source, hint, review=differs and _unsure(read.source))
        elif _one_misread_apart(as_read, str(expected.value)) or _one_misread_apart(
            read.value, str(expected.value)
        ):
            # "LCDJD26 334023" (split in two by OCR) or "IMP56795GE26": the credit's number
            _take_reference(document, field_name, str(expected.value), f"the credit's {label}")
        else:
            _add_hint(read.source, hint, review=True)
    for field_name in _AMOUNTS_AGAINST_LC:
        read = getattr(document, field_name, None)
        if (
            not isinstance(read, Extracted)
            or read.source.extractor != "ocr"
            or not isinstance(read.value, Money)
        ):
            continue
        hint = money_hint(read.value, lc.amount.value, "amount (32B)")
        if hint:
            _add_hint(read.source, hint, review=_unsure(read.source))


# Characters a scan leaves no way to tell apart inside a word of a goods description: "$3" for
# the safety class "S3", "C0TTON" for "COTTON". S/5 and B/8 are not among them: in the fonts
# of trade documents they differ, and "SIZE 5" against "SIZE S" may be a real discrepancy.
_GOODS_LOOKALIKES = str.maketrans({"$": "S", "0": "O", "1": "I", "l": "I", "|": "I"})
_WORD_EDGES = re.compile(r"([(\[\"']*)(.*?)([.,;:)\]\"']*)", re.DOTALL)


def _split_edges(token: str) -> tuple[str, str, str]:
    """Opening punctuation, the word, closing punctuation ("(S3," -> "(", "S3", ",")."""
    head, core, tail = _WORD_EDGES.fullmatch(token).groups()  # type: ignore[union-attr]  # matches any text
    return head, core, tail


def _lookalike(word: str) -> str:
    return word.translate(_GOODS_LOOKALIKES).upper()


def mend_goods_against_lc(document: Any, lc: LetterOfCredit) -> None:
    """Words of an OCR-read goods description that differ from a word of the credit's 45A only
    in characters a scan cannot tell apart are taken as the credit spells them. What was read
    stays in the evidence; no human check, as for a reference that differs only in O/0."""
    credit = getattr(lc, "goods_description", None)
    if not isinstance(credit, Extracted) or not isinstance(credit.value, str):
        return
    credit_words = {_split_edges(w)[1] for w in credit.value.split()}
    by_shape: dict[str, set[str]] = {}
    for word in credit_words:
        if any(ch.isalnum() for ch in word):
            by_shape.setdefault(_lookalike(word), set()).add(word)

    def mended(text: str) -> tuple[str, list[str]]:
        out, changed = [], []
        for token in re.split(r"(\s+)", text):
            head, core, tail = _split_edges(token)
            spelled = by_shape.get(_lookalike(core), set()) if core else set()
            if core and core not in credit_words and len(spelled) == 1:
                (word,) = spelled
                changed.append(f"'{core}' as '{word}'")
                token = f"{head}{word}{tail}"
            out.append(token)
        return "".join(out), changed

    description = getattr(document, "goods_description", None)
    if isinstance(description, Extracted) and description.source.extractor == "ocr":
        text, changed = mended(description.value)
        if changed:
            description.source.notes.append(_lookalike_note(changed))
            document.goods_description = Extracted[str](value=text, source=description.source)
    for line in getattr(document, "lines", None) or []:
        if line.source is None or line.source.extractor != "ocr":
            continue
        text, changed = mended(line.description)
        if changed:
            line.source.notes.append(_lookalike_note(changed))
            line.description = text


def _lookalike_note(changed: list[str]) -> str:
    return (
        f"read by OCR with {', '.join(changed)} of the credit's goods description (45A): taken"
        " as the credit spells them, since the characters that differ look alike on a scan"
    )


def _one_misread_apart(read: str, expected: str) -> bool:
    """Equal once OCR's confusable letters are allowed for, or one character apart in a
    reference long enough that one character cannot make it another reference by chance."""
    from rapidfuzz.distance import Levenshtein

    left, right = _canonical(read), _canonical(expected)
    return left == right or (min(len(left), len(right)) >= 6 and Levenshtein.distance(left, right) <= 1)


def _take_reference(document: Any, field_name: str, value: str, where: str) -> None:
    """An OCR'd reference one misread away from ``where``'s is taken as that one: the rules then
    do not call a misread a discrepancy. Differing only in what OCR confuses (O/0, I/1, a space
    inside the reference) it is the same reference; one character more, less or other is sent
    for a human check, since it may be a real typing error on the document."""
    read: Extracted[str] = getattr(document, field_name)
    source = read.source
    as_read = source.raw or read.value
    if _canonical(as_read) == _canonical(value) or _canonical(read.value) == _canonical(value):
        source.notes.append(
            f"read by OCR as '{as_read}', the same as {where} '{value}' once letters OCR confuses"
            " with digits and spaces inside a reference are allowed for"
        )
        source.needs_review = False
        source.review_reason = None
    else:
        note = f"read by OCR as '{as_read}', one character from {where} '{value}': taken as '{value}'; check the scan"
        source.notes.append(note)
        source.needs_review = True
        source.review_reason = note
    setattr(document, field_name, Extracted[str](value=value, source=source))


def _sureness(value: Extracted[Any]) -> float:
    """How sure the reading is: its OCR confidence, or 1 for a text layer."""
    if value.source.extractor != "ocr":
        return 1.0
    return value.source.ocr_confidence or 0.0


def reconcile_invoice_references(documents: Sequence[Any]) -> None:
    """A document's reference to the invoice and the invoice's own number, when OCR read one of
    them one misread away from the other: the less sure reading takes the surer one's value."""
    invoice = next((d for d in documents if getattr(d, "type", None) == "commercial_invoice"), None)
    number = getattr(invoice, "number", None)
    if not isinstance(number, Extracted) or not isinstance(number.value, str):
        return
    for document in documents:
        reference = getattr(document, "invoice_number", None)
        if (
            document is invoice
            or not isinstance(reference, Extracted)
            or not isinstance(reference.value, str)
        ):
            continue
        if reference.value == number.value or "ocr" not in (
            reference.source.extractor,
            number.source.extractor,
        ):
            continue
        if not _one_misread_apart(reference.value, number.value):
            continue
        if _sureness(reference) <= _sureness(number):
            _take_reference(
                document, "invoice_number", number.value, f"the invoice's number ({number.source.file})"
            )
        else:
            _take_reference(invoice, "number", reference.value, f"the reference on {reference.source.file}")
            number = invoice.number


# A value read at least this surely that differs from the credit's is taken as written: the
# hint stays in its evidence, but a person is not asked to check it (an invoice for less than
# the credit amount is common, and Tesseract's misreads this sure are rare).
HINT_REVIEW_BELOW = 0.9


def _unsure(source: Provenance) -> bool:
    return source.ocr_confidence is None or source.ocr_confidence < HINT_REVIEW_BELOW


def _add_hint(source: Provenance, hint: str, *, review: bool) -> None:
    if hint not in source.notes:
        source.notes.append(hint)
    if review and not source.needs_review:
        source.needs_review = True
        source.review_reason = hint


# --------------------------------------------------------------------------- what a person must check


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One value a person must confirm before it is trusted (low OCR confidence or a near-miss)."""

    document_type: str
    field: str  # path inside the document model: "total", "clauses[1]", "lines[0].amount"
    value: Any
    source: Provenance

    @property
    def reason(self) -> str:
        return self.source.review_reason or "needs human check"


def review_items(documents: Iterable[Any]) -> list[ReviewItem]:
    """Every value marked ``needs_review`` in the presented documents, in document order."""
    items: list[ReviewItem] = []
    for document in documents:
        doc_type = getattr(document, "type", "presentation")
        for path, extracted in _walk(document, ""):
            if extracted.source.needs_review:
                items.append(ReviewItem(doc_type, path, extracted.value, extracted.source))
    return items


def _walk(value: Any, path: str) -> Iterable[tuple[str, Extracted[Any]]]:
    from pydantic import BaseModel

    if isinstance(value, Extracted):
        yield path, value
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
        return
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            child = getattr(value, name)
            if isinstance(child, (Extracted, list, BaseModel)):
                yield from _walk(child, f"{path}.{name}" if path else name)


# --------------------------------------------------------------------------- corroboration

# A low-confidence value is trusted when an independent source shows the same value: the
# credit (SWIFT text, no OCR) or a document of another file (another scan, read on its own).
# A misread that happens to spell exactly what another source says is very unlikely for a value
# this informative; a short one ("1", "KG") agrees by chance and still goes to a person.
CORROBORATE_MIN_CHARS = 4


_THOUSANDS = re.compile(r"(?<=\d)[,.'’](?=\d{3}(?!\d))")
# A place of receipt or delivery is often written with the facility: "NHAVA SHEVA CY".
_FACILITY_SUFFIX = re.compile(r" (?:CY|CFS|CY CY|CFS CFS|TERMINAL|DEPOT|ICD)$")


def _canonical_text(text: str) -> str:
    # "TO THE ORDER OF" and "TO ORDER OF" say the same (ISBP 821 E8); "4,500 SETS" in 45A is
    # the quantity 4500 SETS read from a packing list
    text = _THOUSANDS.sub("", text.upper())
    return " ".join(re.findall(r"[A-Z0-9]+", text)).replace("TO THE ORDER OF", "TO ORDER OF")


def _renderings(value: Any) -> list[str]:
    """The texts a value stands for, canonical: a party is its name, and so on."""
    from extractors.models import Quantity

    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, Party):  # the address too: a misread street is still a misread
        return [_canonical_text(" ".join([value.name, *value.address]))]
    if isinstance(value, Money):
        return [_canonical_text(f"{value.currency} {value.amount:.2f}")]
    if isinstance(value, Quantity):
        return [_canonical_text(f"{value.amount.normalize():f} {value.unit}")]
    if isinstance(value, str):
        return [_canonical_text(value)]
    return []


def _informative(canonical: str) -> bool:
    return sum(ch.isalnum() for ch in canonical) >= CORROBORATE_MIN_CHARS


def _corpus(value: Any) -> list[str]:
    """What a source value offers to corroborate others: its renderings, and a party's name and
    address lines alone too (a consignee's name can appear inside a 46A narrative)."""
    texts = _renderings(value)
    if isinstance(value, Party):
        texts += [_canonical_text(value.name), *(_canonical_text(line) for line in value.address)]
    return [t for t in texts if t]


# An address line this long that is one character from a line elsewhere is the same line with a
# slip of the scan or the typist: only an address's country is examined (14(j)), and it is
# still required to match exactly.
ADDRESS_SLIP_MIN_CHARS = 6

# Why a value may be sent for a human check, and whether another source can settle it: low
# confidence, or a near-miss of the credit's value (then only another document can confirm the
# reading; the credit is what it nearly missed).
_UNSURE_REASON = "OCR confidence"
_NEAR_MISS_REASON = "OCR read "
# a word Tesseract and the second OCR engine spell differently (extractors/ocr.py): as unsure
ENGINES_DISAGREE_REASON = "the two OCR engines disagree"


def corroborate(documents: Sequence[Any], lc: LetterOfCredit) -> None:
    """Clear the human check of OCR values that another source confirms.

    Considered: values marked for their OCR confidence, and near-misses of the credit's value
    (an amount one digit from 32B) that another document shows as read. A reference taken as the
    credit's with one character changed stays marked. Text is compared canonically (upper case,
    letters and digits, no thousands separators), and a value matches as whole words inside a
    source text: "POLDER COMMERCIAL BANK N.V." inside 46A's "... TO ORDER OF POLDER COMMERCIAL
    BANK N.V.". The evidence says what confirmed it.
    """
    unsure = [
        (path, extracted)
        for document in documents
        for path, extracted in _walk(document, "")
        if unsure_by_ocr(extracted.source) or _near_miss(extracted.source)
    ]
    if not unsure:
        return  # text documents, or OCR read surely: nothing to confirm
    sources: list[tuple[str, str, str]] = []  # (file, where, canonical text)
    for path, extracted in _walk(lc, ""):
        for text in _corpus(extracted.value):
            sources.append((lc.file, f"the credit ({path})", text))
    for number, requirement in enumerate(lc.documents_required, start=1):
        sources.append((lc.file, f"the credit (46A item {number})", _canonical_text(requirement.raw)))
    for document in documents:
        doc_type = getattr(document, "type", "document")
        for path, extracted in _walk(document, ""):
            for text in _corpus(extracted.value):
                sources.append(
                    (extracted.source.file, f"the {doc_type} ({extracted.source.file}, {path})", text)
                )

    def confirmed(text: str, file: str, *, credit: bool = True) -> str | None:
        return next(
            (
                where
                for f, where, t in sources
                if f != file and (credit or f != lc.file) and f" {text} " in f" {t} "
            ),
            None,
        )

    def nearly_confirmed(line: str, file: str) -> tuple[str, str] | None:
        """Where a line one character from ``line`` is, and that line."""
        from rapidfuzz.distance import Levenshtein

        if len(line) < ADDRESS_SLIP_MIN_CHARS:
            return None
        return next(
            ((where, t) for f, where, t in sources if f != file and Levenshtein.distance(line, t) == 1),
            None,
        )

    for path, extracted in unsure:
        source = extracted.source
        near_miss = _near_miss(source)
        wanted = [t for t in _renderings(extracted.value) if _informative(t)]
        if path.split(".")[-1].startswith(("place_of", "port_of")):
            wanted += [
                short for t in wanted if (short := _FACILITY_SUFFIX.sub("", t)) != t and _informative(short)
            ]
        where = next(
            (w for w in (confirmed(t, source.file, credit=not near_miss) for t in wanted) if w), None
        )
        if (
            where is None
            and not near_miss
            and isinstance(extracted.value, Party)
            and _informative(name := _canonical_text(extracted.value.name))
        ):
            # laid out differently elsewhere: the name and each address line confirmed apart,
            # a long line also one character off if the country read stays the one confirmed
            lines = [line for line in (_canonical_text(a) for a in extracted.value.address) if line]
            as_confirmed: list[str] = []
            slips: list[tuple[str, str]] = []
            for line in lines:
                near = None if confirmed(line, source.file) else nearly_confirmed(line, source.file)
                as_confirmed.append(near[1] if near else line)
                slips += [near] if near else []
            unconfirmed = [t for t in as_confirmed if not confirmed(t, source.file)]
            if not unconfirmed and _same_country(lines, as_confirmed):
                where = confirmed(name, source.file)
                if where and slips:
                    where += f", an address line one character from {slips[0][0]} ('{slips[0][1]}')"
        if where is None:
            continue
        if source.ocr_confidence is not None and not near_miss:
            reading = f"read at OCR confidence {source.ocr_confidence:.2f}"
        else:
            reading = "a near-miss of the credit's value"
        confirm(source, f"{reading}; the same value is on {where}")


def unsure_by_ocr(source: Provenance) -> bool:
    """Marked for a human check because OCR was unsure of it: read below the confidence
    threshold, or spelled differently by the two OCR engines."""
    return source.needs_review and (source.review_reason or "").startswith(
        (_UNSURE_REASON, ENGINES_DISAGREE_REASON)
    )


def _near_miss(source: Provenance) -> bool:
    """Marked for a human check as an OCR reading one character from the credit's value."""
    return source.needs_review and (source.review_reason or "").startswith(_NEAR_MISS_REASON)


def confirm(source: Provenance, why: str) -> None:
    """Clear the human check of a value something else confirms; ``why`` goes in its evidence."""
    source.needs_review = False
    source.notes.append(f"{why}, so it is not sent for a human check")
    source.review_reason = None


def _same_country(read: Sequence[str], confirmed: Sequence[str]) -> bool:
    from extractors.countries import country_from_address

    return country_from_address(list(read)) == country_from_address(list(confirmed))


# --------------------------------------------------------------------------- glued words

# A legal form Tesseract joined to the word before it: "BANKN.V." is "BANK N.V.",
# "SANAYIA.S." is "SANAYI A.S.". Only dotted capitals (two or more "X." pairs) after three or
# more capitals: no ordinary word ends like that.
_GLUED_LEGAL_FORM = re.compile(r"^([A-Z]{3,})((?:[A-Z][.:]){2,}[,]?)$")  # "SANAYIA:S.": a dot read as ":"


def split_glued_legal_forms(words: Sequence[Word]) -> list[Word]:
    """OCR words with a glued dotted legal form split in two, the box shared by characters."""
    out: list[Word] = []
    for word in words:
        match = _GLUED_LEGAL_FORM.match(word.text)
        if not match:
            out.append(word)
            continue
        out.extend(_split_word(word, match.group(1), match.group(2).replace(":", ".")))
    return out


def _split_word(word: Word, head: str, tail: str) -> tuple[Word, Word]:
    """``word`` as two words, its box shared in proportion to the characters of each; each piece
    keeps what was read of it as its raw text."""
    from dataclasses import replace

    split_at = word.x0 + (word.x1 - word.x0) * len(head) / len(word.text)
    first, second = replace(word, text=head, x1=split_at), replace(word, text=tail, x0=split_at)
    if hasattr(word, "raw"):
        first, second = replace(first, raw=head), replace(second, raw=word.text[len(head) :])
    return first, second


# "1 X 40' HC": the count and the multiplication sign read as one word ("1X") when the space
# between them is narrow. Split only before a container size, where "X" can mean nothing else.
_COUNT_TIMES = re.compile(r"^(\d{1,3})[Xx]$")
_CONTAINER_SIZE = re.compile(r"^(?:20|40|45)(?:'|FT|’)")


def split_count_and_times(words: Sequence[Word]) -> list[Word]:
    """``1X 40'`` read back as ``1 X 40'``, the box shared by characters."""
    out: list[Word] = []
    for index, word in enumerate(words):
        match = _COUNT_TIMES.match(word.text)
        after = words[index + 1] if index + 1 < len(words) else None
        if not match or after is None or after.page != word.page or not _CONTAINER_SIZE.match(after.text):
            out.append(word)
            continue
        out.extend(_split_word(word, match.group(1), "X"))
    return out
