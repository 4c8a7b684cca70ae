"""Custom CEL functions of the rule language (docs/rules.md, "Custom functions").

CEL hands Python plain values: ``str``, ``int``, ``float`` (CEL double), ``bool``, timezone-aware
``datetime`` (CEL timestamp), ``dict`` (map), ``list`` and ``None``. Every function here accepts
those, accepts int and double alike where it does arithmetic (CEL itself never coerces), does
money arithmetic in ``Decimal`` so 110000.00 against 100000 + 10% is exactly on the limit, and
raises ``TypeError`` with a plain message on a value it cannot use (the engine turns that into an
``engine.rule-error`` finding: fail closed).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rapidfuzz import fuzz

from engine import places

UTC = dt.UTC
CENT = Decimal("0.01")


# --------------------------------------------------------------------------- value helpers


def to_decimal(value: Any, name: str = "value") -> Decimal:
    """A CEL number as Decimal; a double goes through its shortest repr (100000.1 -> 100000.1)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got bool")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise TypeError(f"{name} must be a finite number, got {value}")
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    if isinstance(value, dict) and "amount" in value:  # a Money / Quantity map
        return to_decimal(value["amount"], name)
    raise TypeError(f"{name} must be a number, got {type(value).__name__}")


def to_date(value: Any, name: str = "value") -> dt.date:
    """A CEL timestamp (aware datetime) as a calendar date in UTC."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"{name} must be a timestamp, got {type(value).__name__}")


def to_timestamp(day: dt.date) -> dt.datetime:
    """A date as the CEL timestamp at 00:00 UTC (the facts convention)."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=UTC)


def to_text(value: Any, name: str = "value") -> str:
    """A CEL string; a Party map counts as its name, a list of lines as the lines joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return value["name"]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(value)
    if value is None:
        return ""
    raise TypeError(f"{name} must be a string, got {type(value).__name__}")


# --------------------------------------------------------------------------- dates


def days_between(a: Any, b: Any) -> int:
    """Whole calendar days from timestamp a to timestamp b (b - a)."""
    return (to_date(b, "b") - to_date(a, "a")).days


def add_days(t: Any, n: Any) -> dt.datetime:
    """Timestamp t plus n calendar days."""
    return to_timestamp(to_date(t, "t") + dt.timedelta(days=_whole(n, "n")))


def add_banking_days(t: Any, n: Any) -> dt.datetime:
    """Timestamp t plus n banking days (Monday to Friday; no holiday calendar)."""
    day = to_date(t, "t")
    remaining = _whole(n, "n")
    step = 1 if remaining >= 0 else -1
    while remaining != 0:
        day += dt.timedelta(days=step)
        if day.weekday() < 5:
            remaining -= step
    return to_timestamp(day)


def _whole(value: Any, name: str) -> int:
    number = to_decimal(value, name)
    if number != number.to_integral_value():
        raise TypeError(f"{name} must be a whole number of days, got {value}")
    return int(number)


# --------------------------------------------------------------------------- text

def norm(s: Any) -> str:
    """Upper case, diacritics folded, punctuation to spaces, whitespace collapsed."""
    return places.normalise(to_text(s, "s"))


def same_text(a: Any, b: Any) -> bool:
    """Equal after normalising case, diacritics, punctuation and spacing."""
    return norm(to_text(a, "a")) == norm(to_text(b, "b"))


def contains_text(haystack: Any, needle: Any) -> bool:
    """The normalised needle occurs in the normalised haystack, on word boundaries."""
    needle_text = norm(to_text(needle, "needle"))
    if not needle_text:
        return True
    return f" {needle_text} " in f" {norm(to_text(haystack, 'haystack'))} "


def similarity(a: Any, b: Any) -> float:
    """Token similarity 0..1 of the normalised strings (word order ignored)."""
    left, right = norm(to_text(a, "a")), norm(to_text(b, "b"))
    if not left and not right:
        return 1.0
    return fuzz.token_sort_ratio(left, right) / 100.0


# Legal forms written in different ways; each maps to one short form before comparing names.
_LEGAL_FORMS = {
    "LIMITED": "LTD", "LTD": "LTD", "COMPANY": "CO", "CO": "CO", "CORPORATION": "CORP",
    "CORP": "CORP", "INCORPORATED": "INC", "INC": "INC", "PRIVATE": "PVT", "PVT": "PVT",
    "PTE": "PVT", "PUBLIC LIMITED COMPANY": "PLC", "PLC": "PLC", "GESELLSCHAFT MIT BESCHRANKTER HAFTUNG": "GMBH",
    "GMBH": "GMBH", "AKTIENGESELLSCHAFT": "AG", "AG": "AG", "SOCIETE ANONYME": "SA", "SA": "SA",
    "SOCIEDAD ANONIMA": "SA", "BESLOTEN VENNOOTSCHAP": "BV", "BV": "BV", "SPA": "SPA",
    "SOCIETA PER AZIONI": "SPA", "SRL": "SRL", "LLC": "LLC", "LIMITED LIABILITY COMPANY": "LLC",
    "INTERNATIONAL": "INTL", "INTL": "INTL", "TRADING": "TRDG", "TRDG": "TRDG",
    "AND": "&", "&": "&", "THE": "",
}  # fmt: skip
_LEGAL_FORM_PATTERN = re.compile(
    r"\b(" + "|".join(sorted((re.escape(k) for k in _LEGAL_FORMS if k != "&"), key=len, reverse=True)) + r")\b"
)


def party_key(name: str) -> str:
    """A party name with its legal forms written one way: "ACME TRADING CO., LIMITED" -> "ACME TRDG CO LTD"."""
    text = norm(name.replace("&", " AND "))
    # "G.M.B.H." / "S. A." -> "GMBH" / "SA": join runs of single letters left by dotted abbreviations
    text = re.sub(r"\b[A-Z](?: [A-Z]\b)+", lambda m: m.group(0).replace(" ", ""), text)
    text = _LEGAL_FORM_PATTERN.sub(lambda m: _LEGAL_FORMS[m.group(1)], text)
    return " ".join(text.split())


def same_party(a: Any, b: Any) -> bool:
    """Same party: names equal after normalising legal forms, or token similarity >= 0.9."""
    left, right = party_key(to_text(a, "a")), party_key(to_text(b, "b"))
    if not left or not right:
        return False
    if left == right:
        return True
    return fuzz.token_sort_ratio(left, right) >= 90.0


def same_place(a: Any, b: Any) -> bool:
    """Same port/place: country suffixes, "PORT OF" and UN/LOCODE aliases ignored (engine/places.py)."""
    return places.same_place(to_text(a, "a"), to_text(b, "b"))


def country_in(address_lines: Any) -> str:
    """ISO alpha-2 country found in an address (a string, a list of lines or a Party map), or ""."""
    if isinstance(address_lines, dict):  # a Party map: its address lines
        address_lines = address_lines.get("address") or []
    if isinstance(address_lines, list):
        return places.country_in([to_text(x, "address line") for x in address_lines])
    return places.country_in(to_text(address_lines, "address"))


# --------------------------------------------------------------------------- amounts


def within(value: Any, base: Any, minus_pct: Any, plus_pct: Any) -> bool:
    """base x (1 - minus/100) <= value <= base x (1 + plus/100), in Decimal arithmetic."""
    number = to_decimal(value, "value")
    reference = to_decimal(base, "base")
    low = reference * (1 - to_decimal(minus_pct, "minus_pct") / 100)
    high = reference * (1 + to_decimal(plus_pct, "plus_pct") / 100)
    return low <= number <= high


def exceeds(value: Any, limit: Any) -> bool:
    """value > limit, both rounded to cents first (so float noise never decides)."""
    number = to_decimal(value, "value").quantize(CENT, rounding=ROUND_HALF_UP)
    ceiling = to_decimal(limit, "limit").quantize(CENT, rounding=ROUND_HALF_UP)
    return number > ceiling


# --------------------------------------------------------------------------- goods

# Words that carry no goods meaning: compared descriptions ignore them.
_STOP_WORDS_TEXT = """A AN THE OF AND OR FOR TO IN ON AT BY WITH AS PER AS GOODS DESCRIPTION QUANTITY UNIT PRICE
    TOTAL AMOUNT ABOUT APPROXIMATELY CIRCA APPROX EACH ONLY NEW ITEM ITEMS NO NOS QTY TERMS
    INCOTERMS INCOTERM CIF CFR FOB FCA CPT CIP DAP DPU DDP EXW FAS USD EUR GBP JPY CNY"""
_STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
# Category words a document may use "in general terms" (14(e)): they never conflict by themselves.
_GENERAL_TERMS_TEXT = """MERCHANDISE PRODUCT PRODUCTS GARMENT GARMENTS APPAREL TEXTILE TEXTILES MACHINERY MACHINE
EQUIPMENT PART PARTS SPARE SPARES MATERIAL MATERIALS FOODSTUFF FOODSTUFFS CHEMICAL CHEMICALS
ELECTRONIC ELECTRONICS COMMODITY COMMODITIES CARGO ARTICLE ARTICLES ACCESSORIES SUPPLIES"""
_GENERAL_TERMS = frozenset(_GENERAL_TERMS_TEXT.split())
_WORD = re.compile(r"[A-Z][A-Z0-9\-]*[A-Z0-9]|[A-Z]")


def significant_words(text: str) -> set[str]:
    """Goods words of a description: no numbers, units of one letter, trade terms or filler."""
    words = set()
    for word in _WORD.findall(norm(text)):
        if word in _STOP_WORDS or len(word) < 2:
            continue
        words.add(_singular(word))
    return words


def _singular(word: str) -> str:
    # "SHIRTS" and "SHIRT" are the same goods; keep short words and "-SS" endings as they are.
    if len(word) > 3 and word.endswith("S") and not word.endswith("SS"):
        return word[:-1]
    return word


def goods_correspond(desc: Any, lc_desc: Any) -> bool:
    """UCP 600 18(c): every significant word of the 45A description is on the invoice."""
    required = significant_words(to_text(lc_desc, "lc_desc"))
    present = significant_words(to_text(desc, "desc"))
    return required <= present


def goods_conflict(desc: Any, lc_desc: Any) -> bool:
    """UCP 600 14(e): true when the description names goods 45A does not (general terms are fine).

    A description in general terms uses a subset of 45A's words; a conflict is a document whose
    goods words are mostly absent from 45A (more than half of them unknown).
    """
    stated = {w for w in significant_words(to_text(desc, "desc")) if w not in _GENERAL_TERMS}
    stated -= {_singular(w) for w in _GENERAL_TERMS}
    if not stated:
        return False
    known = significant_words(to_text(lc_desc, "lc_desc"))
    unknown = stated - known
    return len(unknown) * 2 > len(stated)


# --------------------------------------------------------------------------- tenor

_SIGHT = re.compile(r"\b(AT SIGHT|SIGHT|ON DEMAND|AT VUE)\b")
_TERM = re.compile(r"\b\d+\s+DAYS?\b|\bDAYS AFTER\b|\bAFTER SIGHT\b|\bUSANCE\b")


def is_sight(tenor: Any) -> bool:
    """The tenor reads "at sight" (and is not "... days after sight")."""
    text = norm(to_text(tenor, "tenor"))
    return bool(_SIGHT.search(text)) and not _TERM.search(text)


# Name -> implementation, as registered with the CEL runtime; packs may call only these and builtins.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "days_between": days_between,
    "add_days": add_days,
    "add_banking_days": add_banking_days,
    "norm": norm,
    "same_text": same_text,
    "contains_text": contains_text,
    "similarity": similarity,
    "same_party": same_party,
    "same_place": same_place,
    "within": within,
    "exceeds": exceeds,
    "goods_correspond": goods_correspond,
    "goods_conflict": goods_conflict,
    "country_in": country_in,
    "is_sight": is_sight,
}
