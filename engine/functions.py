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


# Compiled patterns of text_matches(), by pattern text. The cel runtime recompiles the regular
# expression of `.matches()` on every call (~0.2-1 ms for an alternation); this keeps each
# pattern compiled once per process. Bounded so patterns built from facts cannot grow it forever.
_PATTERNS: dict[str, re.Pattern[str]] = {}
_PATTERN_CACHE_SIZE = 512


def compiled_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled (Python ``re`` syntax), cached; ``TypeError`` naming it when it is invalid."""
    found = _PATTERNS.get(pattern)
    if found is None:
        try:
            found = re.compile(pattern)
        except re.error as err:
            raise TypeError(f"pattern {pattern!r} is not a valid regular expression: {err}") from None
        if len(_PATTERNS) >= _PATTERN_CACHE_SIZE:
            _PATTERNS.clear()
        _PATTERNS[pattern] = found
    return found


def text_matches(text: Any, pattern: Any) -> bool:
    """The regular expression occurs somewhere in norm(text) (searched, not anchored; write it upper case)."""
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a string, got {type(pattern).__name__}")
    return compiled_pattern(pattern).search(norm(to_text(text, "text"))) is not None


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
ELECTRONIC ELECTRONICS COMMODITY COMMODITIES CARGO ARTICLE ARTICLES ACCESSORIES SUPPLIES
CLOTHING WEARING FOOTWEAR LIGHTING FURNITURE FURNISHINGS TOYS TOOLS HARDWARE FOOD FOODS BEVERAGES
SEAFOOD CEREALS GRAINS FERTILIZER FERTILIZERS FERTILISER FERTILISERS CERAMICS COMPONENTS STATIONERY
COSMETICS UTENSILS APPLIANCES FIXTURES FITTINGS LUGGAGE GOODS HOME HOUSEHOLD DOMESTIC INDUSTRIAL
CONSUMER GENERAL ASSORTED VARIOUS MIXED MISC MISCELLANEOUS"""
_GENERAL_TERMS = frozenset(_GENERAL_TERMS_TEXT.split())
# Category words by their ending: KITCHENWARE, GLASSWARE, SANITARYWARE; KNITWEAR, SPORTSWEAR.
_GENERAL_ENDINGS = ("WARE", "WARES", "WEAR")


def _general_term(word: str) -> bool:
    return word in _GENERAL_TERMS or (len(word) > 6 and word.endswith(_GENERAL_ENDINGS))
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
    """UCP 600 18(c): every significant word of the 45A description is on the invoice.

    Two of those words run together ("BASMATIRICE", a space lost in typing or by OCR) count as
    both: ISBP 821 A23, a typing error that does not affect the meaning is no discrepancy."""
    required = significant_words(to_text(lc_desc, "lc_desc"))
    text = to_text(desc, "desc")
    present = significant_words(text)
    if not required <= present:
        present |= _run_together(text, required)
    return required <= present


def _run_together(text: str, words: set[str]) -> set[str]:
    """The ``words`` found as two of them written as one word of ``text``."""
    found: set[str] = set()
    for token in _WORD.findall(norm(text)):
        for cut in range(2, len(token) - 1):
            first, second = _singular(token[:cut]), _singular(token[cut:])
            if first in words and second in words:
                found |= {first, second}
    return found


# Words that describe packing or the transport unit, not goods ("8375 CARTONS", "4 X 20' GP
# CONTAINERS", "SAID TO CONTAIN", units of measure): a document may add them (14(e)).
_PACKING_WORDS_TEXT = """CARTON CARTONS CTN CTNS PACKAGE PACKAGES PKG PKGS PALLET PALLETS PLT PLTS BAG BAGS SACK
    SACKS BALE BALES BOX BOXES CASE CASES CRATE CRATES DRUM DRUMS ROLL ROLLS COIL COILS BUNDLE BUNDLES
    CONTAINER CONTAINERS CNTR CNTRS GP HC HQ DV RF FCL LCL STC SLAC SAID CONTAIN CONTAINS CONTAINING
    SHIPPER LOAD COUNT STOW PACKED PACKING PC PCS PIECE PIECES SET SETS UNIT UNITS KG KGS KGM MT MTS
    LB LBS NET GROSS WEIGHT CBM TOTAL"""
_PACKING_WORDS = frozenset(_singular(w) for w in _PACKING_WORDS_TEXT.split())

# Words of which a description names one: a document naming another member of a group than
# 45A does (and not 45A's own) contradicts it, however many other words agree
# (POLYESTER shirts are not the COTTON shirts of the credit). Spelling variants map to one word.
_EXCLUSIVE_GROUPS_TEXT = {
    "fibre": "COTTON POLYESTER NYLON POLYAMIDE WOOL SILK LINEN ACRYLIC VISCOSE RAYON CASHMERE JUTE",
    "metal": "STEEL IRON ALUMINIUM COPPER BRASS BRONZE ZINC TITANIUM NICKEL",
    "preservation": "FROZEN CHILLED FRESH DRIED",
    "condition": "NEW USED REFURBISHED SECONDHAND REMANUFACTURED",
    "wearer": "MEN WOMEN LADIES BOYS GIRLS CHILDREN KIDS INFANTS BABIES",
}
_EXCLUSIVE_GROUPS = {name: frozenset(words.split()) for name, words in _EXCLUSIVE_GROUPS_TEXT.items()}
_WORD_VARIANTS = {"ALUMINUM": "ALUMINIUM", "LADY": "LADIES", "KID": "KIDS", "BABY": "BABIES", "INFANT": "INFANTS",
                  "GIRL": "GIRLS", "BOY": "BOYS", "CHILD": "CHILDREN", "MAN": "MEN", "WOMAN": "WOMEN"}
_GRADE = re.compile(r"\bGRADE ([A-Z0-9]+)\b")


def _all_words(text: str) -> set[str]:
    """Every word of a normalised text, stop words included (NEW, USED), variants folded."""
    words = set()
    for word in _WORD.findall(text):
        word = _WORD_VARIANTS.get(word, word)
        words.add(word)
        words.add(_WORD_VARIANTS.get(_singular(word), _singular(word)))
    return words


def contradicting_words(desc: str, lc_desc: str) -> list[str]:
    """Material/grade words of ``desc`` that contradict ``lc_desc`` ("POLYESTER" against "COTTON", "GRADE B" against "GRADE A")."""
    stated_text, credit_text = norm(desc), norm(lc_desc)
    stated, credit = _all_words(stated_text), _all_words(credit_text)
    found: list[str] = []
    for group in _EXCLUSIVE_GROUPS.values():
        named, required = stated & group, credit & group
        if named and required and not named & required:
            found.extend(sorted(named))
    stated_grades, credit_grades = set(_GRADE.findall(stated_text)), set(_GRADE.findall(credit_text))
    if stated_grades and credit_grades and not stated_grades & credit_grades:
        found.extend(f"GRADE {g}" for g in sorted(stated_grades))
    return found


def goods_conflict(desc: Any, lc_desc: Any) -> bool:
    """UCP 600 14(e): true when the description names goods 45A does not (general terms are fine).

    A description in general terms uses a subset of 45A's words, plus packing words it may add
    (cartons, containers, units). A conflict is a document whose goods words are mostly absent
    from 45A (more than half of them unknown), or that names a material, state or grade that
    contradicts 45A's (see ``contradicting_words``).
    """
    desc_text, lc_text = to_text(desc, "desc"), to_text(lc_desc, "lc_desc")
    if contradicting_words(desc_text, lc_text):
        return True
    known = significant_words(lc_text)
    stated = {w for w in significant_words(desc_text) if not _general_term(w)}
    stated -= {_singular(w) for w in _GENERAL_TERMS}
    stated -= _PACKING_WORDS - known
    if not stated:
        return False
    unknown = stated - known
    return len(unknown) * 2 > len(stated)


# --------------------------------------------------------------------------- quantities

# Units by what they measure, with the factor to that measure's base unit. Mass converts
# (KGS / MT x 1000 / LBS); packing and count units only match their own spellings. TON(S) is
# left out on purpose: short, long and metric tons differ and the word alone does not say which.
_POUND = Decimal("0.45359237")
_UNIT_TABLE: dict[str, tuple[str, Decimal]] = {}
for _names, _measure, _factor in (
    ("KG KGS KGM KILO KILOS KILOGRAM KILOGRAMS KILOGRAMME KILOGRAMMES", "mass", Decimal(1)),
    ("MT MTS TNE TONNE TONNES METRIC-TON METRIC-TONS", "mass", Decimal(1000)),
    ("GRAM GRAMS GRAMME GRAMMES GRM", "mass", Decimal("0.001")),
    ("LB LBS POUND POUNDS", "mass", _POUND),
    ("CBM M3 MTQ CUBIC-METRE CUBIC-METRES CUBIC-METER CUBIC-METERS", "volume", Decimal(1)),
    ("L LTR LTRS LITRE LITRES LITER LITERS", "volume", Decimal("0.001")),
    ("PC PCS PCE PIECE PIECES", "pieces", Decimal(1)),
    ("CTN CTNS CARTON CARTONS", "cartons", Decimal(1)),
    ("PKG PKGS PACKAGE PACKAGES", "packages", Decimal(1)),
    ("PLT PLTS PALLET PALLETS", "pallets", Decimal(1)),
    ("SET SETS", "sets", Decimal(1)),
    ("UNIT UNITS", "units", Decimal(1)),
    ("BAG BAGS", "bags", Decimal(1)),
    ("BOX BOXES", "boxes", Decimal(1)),
    ("DOZ DOZEN DOZENS", "pieces", Decimal(12)),
):
    for _name in _names.split():
        _UNIT_TABLE[_name] = (_measure, _factor)


def unit_measure(unit: str) -> tuple[str, Decimal]:
    """(what the unit measures, factor to the base unit); an unknown unit measures only itself."""
    key = "-".join(unit.upper().replace(".", "").split())
    return _UNIT_TABLE.get(key, (f"unit:{key}", Decimal(1)))


def _quantity(value: Any, name: str) -> tuple[Decimal, str]:
    if not isinstance(value, dict) or "amount" not in value or not isinstance(value.get("unit"), str):
        raise TypeError(f"{name} must be a quantity {{amount, unit}}, got {type(value).__name__}")
    return to_decimal(value["amount"], f"{name}.amount"), value["unit"]


def comparable_units(a: Any, b: Any) -> bool:
    """Both quantities (or unit strings) measure the same thing: KGS and MT yes, CARTONS and PALLETS no."""
    unit_a = a if isinstance(a, str) else _quantity(a, "a")[1]
    unit_b = b if isinstance(b, str) else _quantity(b, "b")[1]
    return unit_measure(unit_a)[0] == unit_measure(unit_b)[0]


def lines_quantity(lines: Any) -> dict[str, Any]:
    """{amount, unit}: the sum of the lines' quantities when they all share one unit, else {}.

    Lines without a quantity (freight, insurance, a packing summary) are left out; goods split
    over several lines (sizes, colours, lots) add up. Test the result with `"amount" in ...`.
    """
    if not isinstance(lines, list):
        raise TypeError(f"lines must be a list of goods lines, got {type(lines).__name__}")
    quantities = [line["quantity"] for line in lines if isinstance(line, dict) and isinstance(line.get("quantity"), dict)]
    units = {q.get("unit") for q in quantities}
    if not quantities or len(units) != 1:
        return {}
    unit = next(iter(units))
    if not isinstance(unit, str):
        return {}
    total = sum((to_decimal(q.get("amount"), "quantity.amount") for q in quantities), Decimal(0))
    return {"amount": float(total), "unit": unit}


def same_quantity(a: Any, b: Any) -> bool:
    """The same quantity in convertible units: 12.5 MT = 12,500 KGS; 27,558 LBS = 12,500 KGS.

    Metric units compare exactly (Decimal). A figure in pounds is taken at the precision it
    is written with (27,558 LBS or 27,557.8 LBS both state 12,500 KGS). Quantities in units
    that do not convert (CARTONS vs PALLETS) are not the same: guard with comparable_units().
    """
    amount_a, unit_a = _quantity(a, "a")
    amount_b, unit_b = _quantity(b, "b")
    measure_a, factor_a = unit_measure(unit_a)
    measure_b, factor_b = unit_measure(unit_b)
    if measure_a != measure_b:
        return False
    if factor_a == factor_b or (factor_a != _POUND and factor_b != _POUND):
        return amount_a * factor_a == amount_b * factor_b
    if factor_a == _POUND:  # compare in the pound figure's own unit and precision
        amount_a, factor_a, amount_b, factor_b = amount_b, factor_b, amount_a, factor_a
    in_pounds = amount_a * factor_a / factor_b
    step = Decimal(1).scaleb(min(amount_b.normalize().as_tuple().exponent, 0))  # type: ignore[arg-type]
    return in_pounds.quantize(step, rounding=ROUND_HALF_UP) == amount_b.quantize(step, rounding=ROUND_HALF_UP)


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
    "text_matches": text_matches,
    "similarity": similarity,
    "same_party": same_party,
    "same_place": same_place,
    "within": within,
    "exceeds": exceeds,
    "goods_correspond": goods_correspond,
    "goods_conflict": goods_conflict,
    "same_quantity": same_quantity,
    "comparable_units": comparable_units,
    "lines_quantity": lines_quantity,
    "country_in": country_in,
    "is_sight": is_sight,
}
