"""The narrative fields of a credit: 45A goods, 46A documents required, 47A conditions.

Narrative fields hold a list of items. Items begin with ``+`` at the start of a line (the
usual layout); without any ``+``, numbered items (``1)``, ``2.``) are recognised when they
count up from 1; otherwise the field is one item. Continuation lines are joined with a
space for reading; the raw text keeps its line breaks.

What is read from the wording is deliberately literal: a value is set only when the words
for it are there, and anything not recognised is left ``None`` (the raw text stays with
each item so a rule or an examiner can still read it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from extractors.models import (
    DocumentRequirement,
    DocumentType,
    GoodsItem,
    Money,
    Provenance,
    Quantity,
)
from extractors.swift_fields import ISO4217_MINOR_UNITS, number_word


@dataclass(frozen=True)
class NarrativeItem:
    """One item of a narrative field."""

    text: str  # marker removed, whitespace collapsed (case kept)
    raw: str  # as written (marker kept, line breaks kept)
    line: int  # file line of the item's first line


_NUMBERED = re.compile(r"^\s*(\d{1,2})\s*[.)]\s*")


def split_items(value: str, first_line: int) -> list[NarrativeItem]:
    """Split a narrative field into items; ``first_line`` is the file line of the tag."""
    lines = value.split("\n")
    starts: list[int] = [i for i, line in enumerate(lines) if line.startswith("+")]
    if not starts:
        expected = 1
        for i, line in enumerate(lines):
            match = _NUMBERED.match(line)
            if match and int(match.group(1)) == expected:
                starts.append(i)
                expected += 1
    if not starts or starts[0] != 0:
        starts.insert(0, 0)  # text before the first marker is an item of its own
    items: list[NarrativeItem] = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        raw = "\n".join(lines[start:end]).strip("\n")
        text = item_text(raw)
        if text:
            items.append(NarrativeItem(text=text, raw=raw, line=first_line + start))
    return items


def item_text(raw: str) -> str:
    """An item's reading text: marker removed, whitespace collapsed."""
    text = raw.lstrip()
    text = text[1:] if text.startswith("+") else _NUMBERED.sub("", text, count=1)
    return " ".join(text.split())


# --------------------------------------------------------------------------- numbers


def parse_number(text: str) -> Decimal | None:
    """A number as written in trade documents: ``5,000``, ``1.250,50``, ``12,50``, ``12.50``.

    With both separators the later one is the decimal mark. A lone comma followed by
    groups of three digits groups thousands, else it is a decimal comma (SWIFT style);
    a lone point is a decimal point unless it groups thousands more than once (1.000.000).
    """
    text = text.rstrip(".,")
    if not text or not text[0].isdigit():
        return None
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        grouping = "." if decimal_mark == "," else ","
        text = text.replace(grouping, "").replace(decimal_mark, ".")
    elif "," in text:
        text = text.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+", text) else text.replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3}){2,}", text):
        text = text.replace(".", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


# --------------------------------------------------------------------------- 45A goods

# Written unit -> normalised unit (Quantity.unit).
UNITS: dict[str, str] = {
    "PCS": "PCS", "PC": "PCS", "PCE": "PCS", "PIECE": "PCS", "PIECES": "PCS",
    "UNITS": "UNITS", "UNIT": "UNITS", "SETS": "SETS", "SET": "SETS",
    "KGS": "KGS", "KG": "KGS", "KILOGRAMS": "KGS", "KILOGRAM": "KGS", "KILOS": "KGS",
    "MT": "MT", "MTS": "MT", "M/T": "MT", "METRIC TONS": "MT", "METRIC TONNES": "MT", "TONNES": "MT",
    "TONS": "TONS", "LBS": "LBS",
    "CARTONS": "CARTONS", "CARTON": "CARTONS", "CTNS": "CARTONS", "CTN": "CARTONS",
    "BAGS": "BAGS", "BAG": "BAGS", "BALES": "BALES", "DRUMS": "DRUMS", "PALLETS": "PALLETS",
    "BOXES": "BOXES", "CASES": "CASES", "ROLLS": "ROLLS", "COILS": "COILS", "BOTTLES": "BOTTLES",
    "PAIRS": "PAIRS", "PRS": "PAIRS", "DOZEN": "DOZEN", "DOZ": "DOZEN",
    "LITRES": "LITRES", "LITERS": "LITRES", "LTRS": "LITRES",
    "METRES": "METRES", "METERS": "METRES", "MTRS": "METRES", "YARDS": "YARDS", "YDS": "YARDS",
    "SQM": "SQM", "CBM": "CBM", "BARRELS": "BARRELS", "BBLS": "BARRELS", "BBL": "BARRELS",
    "CONTAINERS": "CONTAINERS", "SHEETS": "SHEETS",
}  # fmt: skip
_UNIT_PATTERN = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
# UCP 600 30(a): "about", "approximately" (and the usual abbreviations) before a quantity.
_ABOUT = r"(?:ABOUT|APPROXIMATELY|APPROX\.?|CIRCA|CA\.?)"
_NUMBER = r"\d[\d,.]*\d|\d"

_QUANTITY = re.compile(
    rf"(?:\b(?P<about>{_ABOUT})\s*)?(?<![\d,.])(?P<num>{_NUMBER})\s*(?P<unit>{_UNIT_PATTERN})(?![A-Z])"
)
_UNIT_PRICE = re.compile(
    rf"(?:\b(?P<about>{_ABOUT})\s+)?(?:\bAT\s+|@\s*|\bUNIT\s+PRICE\s*:?\s*)?"
    rf"\b(?P<cur>[A-Z]{{3}})\s?(?P<num>{_NUMBER})\s*(?:/\s*|\bPER\s+|\bEACH\b)(?P<unit>[A-Z/]*)"
)
_MONEY = re.compile(rf"\b(?P<cur>[A-Z]{{3}})\s?(?P<num>{_NUMBER})")
# A count at the start of an item ("+400 FUEL TANKS ...") counts individual items.
_LEADING_COUNT = re.compile(rf"^(?:(?P<about>{_ABOUT})\s*)?(?P<num>\d[\d,]*)\s+(?P<word>[A-Z][A-Z-]{{2,}})")
_NOT_A_COUNT = {
    "PCT",
    "PERCENT",
    "PER",
    "DAYS",
    "YEARS",
    "MONTHS",
    "INCH",
    "INCHES",
    "MM",
    "CM",
    "GSM",
    "DEGREES",
}
_HS_CODE = re.compile(r"\bH\.?\s?S\.?\s*(?:CODE|NO\.?|NUMBER)?\s*:?\s*(\d{4}(?:[.\s]?\d{2}){0,3})\b")

INCOTERMS_2020 = ("EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF")
_INCOTERM = re.compile(
    r"\b(?P<term>" + "|".join(INCOTERMS_2020) + r")\b\s*:?\s*"
    r"(?P<place>[A-Z][A-Z0-9 .'/-]*?)?"
    r"\s*(?=[,;(]|\bINCOTERMS?\b|\bAT\b|@|\bAS\s+PER\b|\bUNDER\b|\bTOTAL\b|\bPRICE\b|\bVALUE\b|\bAMOUNT\b|$)"
)
_NOT_A_PLACE = {"VALUE", "PRICE", "TERMS", "BASIS", "INCOTERMS", "INCOTERM"}
_SUMMARY_WORDS = {"TOTAL", "VALUE", "AMOUNT", "OF", "THE", "CONTRACT"}
_TRADE_TERM_WORDS = {"TRADE", "TERMS", "TERM", "DELIVERY", "PRICE", "BASIS", "INCOTERMS", "INCOTERM", "2020", "2010", "SHIPPING"}  # fmt: skip


@dataclass(frozen=True)
class Incoterm:
    term: str
    place: str | None
    item: NarrativeItem


def find_incoterm(items: list[NarrativeItem]) -> Incoterm | None:
    """The first Incoterms 2020 rule named in 45A, with its named place when given."""
    for item in items:
        match = _INCOTERM.search(item.text.upper())
        if match:
            place = (match.group("place") or "").strip(" .-/")
            if place in _NOT_A_PLACE:
                place = ""
            return Incoterm(term=match.group("term"), place=place or None, item=item)
    return None


def _is_not_goods(item: NarrativeItem) -> bool:
    """An item that only states trade terms or a total: ``+FCA SINGAPORE``, ``+TOTAL USD 1,000.00``."""
    text = item.text.upper()
    match = _INCOTERM.search(text)
    if match:
        text = text[: match.start()]  # what follows the rule is its place and version
    without_money = _MONEY.sub(lambda m: " " if m.group("cur") in ISO4217_MINOR_UNITS else m.group(0), text)
    if match is None and without_money == text:
        return False
    words = re.sub(r"[():,.]", " ", without_money).split()
    return all(word in _TRADE_TERM_WORDS or word in _SUMMARY_WORDS for word in words)


def _money(currency: str, number: str) -> Money | None:
    amount = parse_number(number)
    if currency not in ISO4217_MINOR_UNITS or amount is None:
        return None
    return Money(amount=amount, currency=currency)


def goods_item(item: NarrativeItem, source: Provenance) -> GoodsItem | None:
    """One 45A item as a GoodsItem; None for an item that only states the trade terms or a total."""
    if _is_not_goods(item):
        return None
    text = item.text.upper()
    about = False
    unit_price: Money | None = None
    price_spans: list[tuple[int, int]] = []
    for match in _UNIT_PRICE.finditer(text):
        price = _money(match.group("cur"), match.group("num"))
        if price is None:
            continue
        price_spans.append(match.span())
        if unit_price is None:
            unit_price = price
            about = about or bool(match.group("about"))

    def in_price(position: int) -> bool:
        return any(start <= position < end for start, end in price_spans)

    quantity: Quantity | None = None
    for match in _QUANTITY.finditer(text):
        if in_price(match.start("num")):
            continue
        amount = parse_number(match.group("num"))
        if amount is None:
            continue
        quantity = Quantity(amount=amount, unit=UNITS[match.group("unit")])
        about = about or bool(match.group("about"))
        break
    if quantity is None:
        leading = _LEADING_COUNT.match(text)
        if leading and leading.group("word") not in _NOT_A_COUNT and leading.group("word") not in UNITS:
            amount = parse_number(leading.group("num"))
            if amount is not None:
                # a bare count of articles is a count of individual items (UCP 600 30(b))
                quantity = Quantity(amount=amount, unit="PCS")
                about = about or bool(leading.group("about"))

    stated_amount: Money | None = None
    for match in _MONEY.finditer(text):
        if in_price(match.start()):
            continue
        stated_amount = _money(match.group("cur"), match.group("num"))
        if stated_amount is not None:
            break
    hs_match = _HS_CODE.search(text)
    return GoodsItem(
        description=item.text,
        quantity=quantity,
        unit_price=unit_price,
        amount=stated_amount,
        about=about,
        hs_code=re.sub(r"\s", "", hs_match.group(1)) if hs_match else None,
        source=source,
    )


# --------------------------------------------------------------------------- 46A documents

# Each pattern names a document; in an item the earliest name wins (the longest on a tie),
# so "BENEFICIARY'S CERTIFICATE STATING THAT ... COMMERCIAL INVOICE ..." is a certificate.
_DOCUMENT_NAMES: list[tuple[DocumentType | None, re.Pattern[str]]] = [
    ("commercial_invoice", re.compile(r"\b(?:COMMERCIAL\s+)?INVOICES?\b")),
    (
        "bill_of_lading",
        re.compile(
            r"\bBILLS?\s+OF\s+LADING\b|\bB/LS?\b|\bMARINE\s+BILLS?\b|\bOCEAN\s+BILLS?\b"
            r"|\bMULTI-?MODAL\b|\bCOMBINED\s+TRANSPORT\s+DOCUMENTS?\b"
        ),
    ),
    (
        "packing_list",
        re.compile(r"\bPACKING\s+(?:AND\s+WEIGHT\s+)?LISTS?\b|\bPACKING\s*/\s*WEIGHT\s+LISTS?\b"),
    ),
    (
        "certificate_of_origin",
        re.compile(r"\bCERTIFICATES?\s+OF\s+(?:[A-Z]+\s+)?ORIGIN\b|\bORIGIN\s+CERTIFICATES?\b"),
    ),
    (
        "insurance_certificate",
        re.compile(
            r"\bINSURANCE\s+(?:POLICY|POLICIES|CERTIFICATES?|DOCUMENTS?)\b"
            r"|\b(?:POLICY|POLICIES|CERTIFICATES?)\s+OF\s+INSURANCE\b"
        ),
    ),
    ("draft", re.compile(r"\bDRAFTS?\b|\bBILLS?\s+OF\s+EXCHANGE\b")),
    (
        None,
        re.compile(
            r"\bCERTIFICATES?\b|\bDECLARATIONS?\b|\bSTATEMENTS?\b|\bADVICE\b|\bAIR\s*WAY\s*BILLS?\b"
            r"|\bWAYBILLS?\b|\bREPORTS?\b|\bATTESTATIONS?\b|\bRECEIPTS?\b|\bLETTERS?\b|\bFAX\b"
            r"|\bTELEX\b|\bE-?MAIL\b|\bPRO-?\s?FORMA\b|\bCUSTOMS\s+INVOICES?\b|\bCONSULAR\s+INVOICES?\b"
            r"|\bSURVEY\b|\bLICEN[CS]ES?\b|\bPERMITS?\b|\bWEIGHT\s+LISTS?\b|\bSPECIFICATIONS?\b"
        ),
    ),
]

_COUNT = r"\d{1,2}|ONE|TWO|THREE|FOUR|FIVE|SIX|SEVEN|EIGHT|NINE|TEN"
_ORIGINALS = re.compile(rf"\b(?P<n>{_COUNT})\s*(?:\(\s*\d{{1,2}}\s*\)\s*)?(?:SIGNED\s+)?ORIGINALS?\b")
_ORIGINAL_SINGLE = re.compile(r"\bIN\s+(?:THE\s+)?ORIGINAL\b|\bORIGINAL\s+(?:AND|PLUS|\+)\s+")
_COPIES = re.compile(
    rf"\b(?P<n>{_COUNT})\s*(?:\(\s*\d{{1,2}}\s*\)\s*)?(?:NON-?\s?NEGOTIABLE\s+|PHOTO-?)?COP(?:Y|IES)\b"
)
_SINGLE_COPY = re.compile(r"\b(?:PHOTO-?)?COPY\s+OF\b")
_FOLD = re.compile(rf"\b(?P<n>{_COUNT})\s*-?\s*FOLD\b")
_PLICATE = {"DUPLICATE": 2, "TRIPLICATE": 3, "QUADRUPLICATE": 4, "QUINTUPLICATE": 5, "SEXTUPLICATE": 6}
_PLICATE_PATTERN = re.compile(r"\bIN\s+(" + "|".join(_PLICATE) + r")\b")
_FRACTION = re.compile(r"\b(?P<n>[1-9])\s*/\s*(?P<of>[1-9])\b(?=\s*\)?\s*(?:SETS?|ORIGINALS?|OF|\)))")

# Where a name ends in "ISSUED BY X", "TO THE ORDER OF X", "NOTIFY X".
_NAME_END = (
    r"(?=\s*(?:[,;]|\bIN\s+(?:\d|ONE|TWO|THREE|FOUR|FIVE|DUPLICATE|TRIPLICATE|ORIGINAL)|\bTHAT\b"
    r"|\bCERTIFYING\b|\bSTATING\b|\bEVIDENCING\b|\bINDICATING\b|\bSHOWING\b|\bCONFIRMING\b"
    r"|\bCOVERING\b|\bMADE\s+OUT\b|\bMARKED\b|\bBLANK\b|\bENDORSED\b|\bNOTIFY(?:ING)?\b"
    r"|\bAND\s+(?:BLANK|ENDORSED|MARKED|NOTIFY|LEGALI[SZ]ED|CERTIFIED|STAMPED|SIGNED|SHOWING|INDICATING|\d)"
    r"|\bFOR\s+\d|\bDATED\b|\bBEARING\b|\bQUOTING\b|\bMENTIONING\b|\bWITH\b|$))"
)
_ISSUED_BY = re.compile(r"\bISSUED\s+BY\s+(?:THE\s+)?(?P<name>.+?)" + _NAME_END)
_TO_ORDER_OF = re.compile(r"\bTO\s+(?:THE\s+)?ORDER\s+OF\s+(?:THE\s+)?(?P<name>.+?)" + _NAME_END)
_TO_ORDER = re.compile(r"\bTO\s+(?:THE\s+)?ORDER\b(?!\s+OF\b)")
_CONSIGNED_TO = re.compile(
    r"\b(?:CONSIGNED\s+TO|CONSIGNEE\s*:)\s*(?!(?:THE\s+)?ORDER\b)(?:THE\s+)?(?P<name>.+?)" + _NAME_END
)
_NOTIFY = re.compile(r"\bNOTIFY(?:ING)?\s*(?:PARTY\s*)?:?\s*(?:THE\s+)?(?P<name>.+?)" + _NAME_END)
_BLANK_ENDORSED = re.compile(r"\bBLANK\s+ENDORSED\b|\bENDORSED\s+IN\s+BLANK\b|\bBLANK\s+ENDORSEMENT\b")

# snake_case notation -> wording. "clean_on_board" also adds "on_board" and "clean".
_NOTATIONS: list[tuple[str, re.Pattern[str]]] = [
    ("clean_on_board", re.compile(r"\bCLEAN\s+(?:SHIPPED\s+)?ON\s*BOARD\b")),
    ("on_board", re.compile(r"\bON\s*BOARD\b")),
    ("clean", re.compile(r"\bCLEAN\b")),
    ("freight_prepaid", re.compile(r"\bFREIGHT\s+(?:PRE-?\s?PAID|PAID)\b")),
    ("freight_collect", re.compile(r"\bFREIGHT\s+(?:COLLECT|TO\s+COLLECT|PAYABLE\s+AT\s+DESTINATION)\b")),
    (
        "shows_credit_number",
        re.compile(
            r"\b(?:INDICATING|SHOWING|QUOTING|BEARING|MENTIONING|STATING)\s+(?:THE\s+|THIS\s+|OUR\s+)?"
            r"(?:L/?C|(?:DOCUMENTARY\s+)?CREDIT)\s+(?:NO\b|NUMBER)"
        ),
    ),
    ("non_negotiable", re.compile(r"\bNON-?\s?NEGOTIABLE\b")),
    ("legalized", re.compile(r"\bLEGALI[SZ]ED\b")),
]

_INSURANCE_PERCENT = re.compile(
    r"\b(?P<pct>\d{2,3}(?:[.,]\d{1,2})?)\s*(?:PCT|%|PERCENT|PER\s*CENT)\s+(?:OF\s+)?(?:THE\s+)?"
    r"(?P<basis>CIF|CIP|(?:FULL\s+|GROSS\s+|TOTAL\s+)?(?:COMMERCIAL\s+)?INVOICE)\b"
)
_INSURANCE_PLUS = re.compile(
    r"\b(?P<basis>CIF|CIP|INVOICE)\s+VALUE\s+PLUS\s+(?P<pct>\d{1,2})\s*(?:PCT|%|PERCENT|PER\s*CENT)"
)
_CLAUSES: list[tuple[re.Pattern[str], tuple[str, ...] | None]] = [
    # None: the clause name is built from the letter matched
    (
        re.compile(r"\b(?:INSTITUTE\s+CARGO\s+CLAUSES?|I\.?C\.?C\.?)\s*\(?\s*(?P<letter>A|B|C|AIR)\b\s*\)?"),
        None,
    ),
    (
        re.compile(r"\bINSTITUTE\s+WAR\s+AND\s+STRIKES?\s+CLAUSES?\b"),
        ("INSTITUTE WAR CLAUSES (CARGO)", "INSTITUTE STRIKES CLAUSES (CARGO)"),
    ),
    (re.compile(r"\bINSTITUTE\s+WAR\s+CLAUSES?\b"), ("INSTITUTE WAR CLAUSES (CARGO)",)),
    (re.compile(r"\bINSTITUTE\s+STRIKES?\s+CLAUSES?\b"), ("INSTITUTE STRIKES CLAUSES (CARGO)",)),
    (re.compile(r"\bSRCC\b|\bSTRIKES?,?\s+RIOTS?\s+(?:AND\s+)?CIVIL\s+COMMOTIONS?\b"), ("SRCC",)),
    (re.compile(r"\bALL\s+RISKS?\b"), ("ALL RISKS",)),
    (re.compile(r"(?<!INSTITUTE\s)\bWAR\s+RISKS?\b"), ("WAR RISKS",)),
]


def document_type(text: str) -> DocumentType | None:
    """The type of document an item asks for, from the earliest document name in it."""
    best: tuple[int, int, DocumentType | None] | None = None
    for doc_type, pattern in _DOCUMENT_NAMES:
        match = pattern.search(text)
        if match is None:
            continue
        key = (match.start(), -(match.end() - match.start()), doc_type)
        if best is None or key[:2] < best[:2]:
            best = key
    return best[2] if best else None


def _counts(text: str) -> tuple[int | None, int | None, bool]:
    """(originals, copies, full_set) from the item's wording."""
    originals: int | None = None
    copies: int | None = None
    full_set = bool(re.search(r"\b(?:FULL|COMPLETE)\s+SETS?\b", text))
    fraction = _FRACTION.search(text)
    if fraction:
        originals = int(fraction.group("n"))
        full_set = full_set or fraction.group("n") == fraction.group("of")
    else:
        match = _ORIGINALS.search(text)
        if match:
            originals = number_word(match.group("n"))
        elif _ORIGINAL_SINGLE.search(text):
            originals = 1
    match = _COPIES.search(text)
    if match:
        copies = number_word(match.group("n"))
    elif _SINGLE_COPY.search(text) and originals is None:
        copies = 1
    multiple: int | None = None
    fold = _FOLD.search(text)
    plicate = _PLICATE_PATTERN.search(text)
    if fold:
        multiple = number_word(fold.group("n"))
    elif plicate:
        multiple = _PLICATE[plicate.group(1)]
    elif originals is None and copies is not None and copies >= 2:
        multiple = copies
    if multiple is not None and originals is None:
        # UCP 600 17(e): "in duplicate", "in two fold", "in two copies" is satisfied by at
        # least one original and the remaining number in copies (17(d) lets originals stand
        # in for copies). So N-fold is 1 original + N-1 copies, not N originals.
        originals, copies = 1, multiple - 1
    return originals, copies, full_set


def _name(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    if not match:
        return None
    name = match.group("name").strip(" :")
    # a full stop ends the sentence, except after a legal form ("INC.", "N.V.", "CO.")
    if name.endswith(".") and not re.search(
        r"(?:\b[A-Z]\.[A-Z]|\b(?:INC|LTD|CO|CORP|BHD|LLC|PLC|GMBH))\.$", name
    ):
        name = name.rstrip(".")
    return name or None


def document_requirement(item: NarrativeItem, source: Provenance) -> DocumentRequirement:
    """One 46A item as a DocumentRequirement."""
    text = item.text.upper()
    doc_type = document_type(text)
    originals, copies, full_set = _counts(text)
    to_order_of = _name(_TO_ORDER_OF, text)
    if to_order_of is None and _TO_ORDER.search(text):
        to_order_of = "SHIPPER"  # a B/L "to order" with no name is to the order of the shipper
    notations: list[str] = []
    for name, pattern in _NOTATIONS:
        if pattern.search(text) and name not in notations:
            notations.append(name)
            if name == "clean_on_board":
                notations.extend(extra for extra in ("on_board", "clean") if extra not in notations)
    insurance_percent: Decimal | None = None
    insurance_basis: str | None = None
    clauses: list[str] = []
    if doc_type == "insurance_certificate":
        percent = _INSURANCE_PERCENT.search(text)
        plus = _INSURANCE_PLUS.search(text)
        if percent:
            insurance_percent = parse_number(percent.group("pct"))
            insurance_basis = percent.group("basis").split()[-1]
        elif plus:
            insurance_percent = Decimal(100) + Decimal(plus.group("pct"))
            insurance_basis = plus.group("basis")
        found: list[tuple[int, str]] = []
        for pattern, names in _CLAUSES:
            for match in pattern.finditer(text):
                if names is None:
                    found.append((match.start(), f"INSTITUTE CARGO CLAUSES ({match.group('letter')})"))
                else:
                    found.extend((match.start(), name) for name in names)
        for _, name in sorted(found, key=lambda pair: pair[0]):
            if name not in clauses:
                clauses.append(name)
    return DocumentRequirement(
        raw=item.raw,
        document_type=doc_type,
        originals=originals,
        copies=copies,
        full_set=full_set,
        signed=bool(re.search(r"\bSIGNED\b", text)),
        issuer=_name(_ISSUED_BY, text),
        to_order_of=to_order_of,
        blank_endorsed=bool(_BLANK_ENDORSED.search(text)),
        consignee=_name(_CONSIGNED_TO, text),
        notify=_name(_NOTIFY, text),
        notations=notations,
        insurance_percent=insurance_percent,
        insurance_basis=insurance_basis,
        insurance_clauses=clauses,
        source=source,
    )
