"""Normalisation of values as documents write them: dates, numbers, money, quantities,
container numbers, party blocks.

Each ``parse_*`` returns ``None`` when the text does not hold a value of that kind (the
caller decides whether that is a problem); none of them guesses silently: an ambiguous
number such as ``1,234`` is read as thousands only when exactly three digits follow the
separator, the way trade documents write them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from extractors.models import Money, Party, Quantity

# --------------------------------------------------------------------------- dates

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "jan january januar janvier januari enero gennaio janeiro",
        "feb february februar fevrier février februari febrero febbraio fevereiro",
        "mar march marz märz mars maart marzo marco março",
        "apr april avril abril aprile",
        "may mai mei mayo maggio maio",
        "jun june juni juin junio giugno junho",
        "jul july juli juillet julio luglio julho",
        "aug august aout août augustus agosto",
        "sep sept september septembre septiembre settembre setembro",
        "oct october oktober octobre octubre ottobre outubro",
        "nov november novembre noviembre novembro",
        "dec december dezember decembre décembre diciembre dicembre dezembro",
    ],
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _number

_MONTH_WORD = r"(?P<mon>[A-Za-zÀ-ÿ]{3,10})\.?"
_DATE_PATTERNS: list[re.Pattern[str]] = [
    # 2026-03-15
    re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)"),
    # 15 MAR 2026, 15-Mar-2026, 15th March 2026, 7. Mai 2014, 15 MAR 26
    re.compile(
        r"(?<![\dA-Za-z])(?P<d>\d{1,2})(?:st|nd|rd|th)?\.?[\s\-/]*"
        + _MONTH_WORD
        + r"[\s\-/,]*(?P<y>\d{4}|\d{2})(?!\d)"
    ),
    # March 15, 2026 / Jan 1, 2022 / August 3 , 2014
    re.compile(
        r"(?<![A-Za-z])" + _MONTH_WORD + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\s*,?\s*(?P<y>\d{4})(?!\d)"
    ),
    # 15.03.2026, 15/03/2026, 15-03-2026 (day first; month first only when day-first is impossible)
    re.compile(r"(?<![\d.])(?P<d>\d{1,2})[./\-](?P<m>\d{1,2})[./\-](?P<y>\d{4}|\d{2})(?![\d])"),
    # 260315 as in SWIFT fields
]


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _build_date(groups: dict[str, str | None]) -> dt.date | None:
    try:
        year = _year(groups["y"] or "")
        day = int(groups["d"] or "")
        if groups.get("mon"):
            month = MONTHS.get((groups["mon"] or "").lower().rstrip("."))
            if month is None:
                return None
            return dt.date(year, month, day)
        month = int(groups["m"] or "")
    except (ValueError, TypeError):
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        pass
    try:  # 03/20/2023: month first, because day-first cannot be a date
        return dt.date(year, day, month)
    except ValueError:
        return None


def find_dates(text: str) -> list[tuple[int, int, dt.date]]:
    """All dates in ``text`` as (start, end, date), in order of position."""
    found: list[tuple[int, int, dt.date]] = []
    taken: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if any(match.start() < e and s < match.end() for s, e in taken):
                continue
            groups = match.groupdict()
            value = _build_date(groups)
            if value is None or not 1900 <= value.year <= 2100:
                continue
            found.append((match.start(), match.end(), value))
            taken.append((match.start(), match.end()))
    found.sort()
    return found


def parse_date(text: str) -> dt.date | None:
    """The first date written in ``text`` in any of the accepted forms."""
    dates = find_dates(text)
    return dates[0][2] if dates else None


def parse_leading_date(text: str) -> dt.date | None:
    """A date that opens ``text`` (a caption's value), not one buried later in a sentence."""
    dates = find_dates(text)
    if dates and dates[0][0] <= 3:
        return dates[0][2]
    return None


# --------------------------------------------------------------------------- numbers

NUMBER_RE = re.compile(
    r"(?<![\w.,])-?\d{1,3}(?:[ .,\u00a0\u202f']\d{3})+(?:[.,]\d{1,4})?(?![\d])|(?<![\w.,])-?\d+(?:[.,]\d{1,4})?(?!\d)"
)


def parse_number(text: str) -> Decimal | None:
    """A number written with either decimal convention: 1,234.56 / 1.234,56 / 1 234,56 / 1234.56."""
    raw = text.strip().replace("\u00a0", " ").replace("\u202f", " ").replace("'", " ")
    if not re.fullmatch(r"-?[\d][\d ,.]*", raw):
        return None
    raw = raw.replace(" ", "")
    last_dot, last_comma = raw.rfind("."), raw.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal_sep = "." if last_dot > last_comma else ","
    elif last_dot >= 0 or last_comma >= 0:
        sep = "." if last_dot >= 0 else ","
        tail = raw[raw.rfind(sep) + 1 :]
        # one separator followed by exactly three digits, or several: thousands separators
        decimal_sep = "" if raw.count(sep) > 1 or len(tail) == 3 else sep
    else:
        decimal_sep = ""
    if decimal_sep:
        integer, fraction = raw.rsplit(decimal_sep, 1)
        integer = integer.replace(".", "").replace(",", "")
        normal = f"{integer}.{fraction}"
    else:
        normal = raw.replace(".", "").replace(",", "")
    try:
        return Decimal(normal)
    except InvalidOperation:
        return None


def find_numbers(text: str) -> list[tuple[int, int, Decimal]]:
    out: list[tuple[int, int, Decimal]] = []
    for match in NUMBER_RE.finditer(text):
        value = parse_number(match.group())
        if value is not None:
            out.append((match.start(), match.end(), value))
    return out


# --------------------------------------------------------------------------- money

# ISO 4217 active codes (the ones a credit can be in); symbols map to the usual code.
CURRENCY_CODES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
    GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
    KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
    NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
    SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS
    VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL""".split()  # noqa: SIM905
)
CURRENCY_SYMBOLS: dict[str, str] = {
    "US$": "USD",
    "U.S.$": "USD",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "RMB": "CNY",
    "RS": "INR",
    "RS.": "INR",
    "₹": "INR",
    "HK$": "HKD",
    "S$": "SGD",
    "A$": "AUD",
    "C$": "CAD",
    "ZŁ": "PLN",
    "ZL": "PLN",
}
CURRENCY_WORDS: dict[str, str] = {
    "US DOLLARS": "USD",
    "U.S. DOLLARS": "USD",
    "UNITED STATES DOLLARS": "USD",
    "EURO": "EUR",
    "EUROS": "EUR",
    "POUNDS STERLING": "GBP",
    "JAPANESE YEN": "JPY",
    "SWISS FRANCS": "CHF",
    "CHINESE YUAN": "CNY",
    "RENMINBI": "CNY",
}

_SYMBOL_ALT = "|".join(re.escape(s) for s in sorted(CURRENCY_SYMBOLS, key=len, reverse=True))
_AMOUNT = r"-?\d{1,3}(?:[ .,\u00a0\u202f']\d{3})+(?:[.,]\d{1,4})?|-?\d+(?:[.,]\d{1,4})?"
MONEY_RE = re.compile(
    rf"(?:(?P<pre>\b[A-Z]{{3}}\b|{_SYMBOL_ALT})\s*(?P<a1>{_AMOUNT})(?!\d))"
    rf"|(?:(?<![\w.,])(?P<a2>{_AMOUNT})\s*(?P<post>\b[A-Z]{{3}}\b|€|£|¥|₹|\$))",
    re.IGNORECASE,
)


def currency_of(token: str) -> str | None:
    token = token.strip().upper()
    if token in CURRENCY_CODES:
        return token
    return CURRENCY_SYMBOLS.get(token)


def find_money(text: str, default_currency: str | None = None) -> list[tuple[int, int, Money]]:
    """Amounts with a currency next to them (``USD 1,234.56``, ``1.234,56 EUR``, ``US$ 5``).

    A bare number counts only when ``default_currency`` is given.
    """
    found: list[tuple[int, int, Money]] = []
    for match in MONEY_RE.finditer(text):
        token = match.group("pre") or match.group("post")
        amount_text = match.group("a1") or match.group("a2")
        currency = currency_of(token)
        if currency is None:
            continue
        amount = parse_number(amount_text)
        if amount is None:
            continue
        found.append((match.start(), match.end(), Money(amount=amount, currency=currency)))
    if not found and default_currency:
        for start, end, value in find_numbers(text):
            found.append((start, end, Money(amount=value, currency=default_currency)))
    return found


def parse_money(text: str, default_currency: str | None = None) -> Money | None:
    found = find_money(text, default_currency)
    return found[-1][2] if found else None


def find_currency(text: str) -> str | None:
    """The first currency named in ``text`` (code, symbol or words)."""
    upper = text.upper()
    for words, code in CURRENCY_WORDS.items():
        if words in upper:
            return code
    for match in MONEY_RE.finditer(text):
        code = currency_of(match.group("pre") or match.group("post"))
        if code:
            return code
    for token in re.findall(r"\b[A-Z]{3}\b", upper):
        if token in CURRENCY_CODES:
            return token
    return None


# --------------------------------------------------------------------------- quantities

UNITS: dict[str, str] = {}
for _canonical, _spellings in {
    "PCS": "PCS PC PCE PIECE PIECES",
    "KGS": "KG KGS KILO KILOS KILOGRAM KILOGRAMS KGM",
    "MT": "MT MTS TON TONS TONNE TONNES METRIC TONS",
    "LBS": "LB LBS POUNDS",
    "CARTONS": "CARTON CARTONS CTN CTNS CARTON(S)",
    "SETS": "SET SETS",
    "UNITS": "UNIT UNITS",
    "PALLETS": "PALLET PALLETS PLT PLTS",
    "BAGS": "BAG BAGS",
    "BOXES": "BOX BOXES",
    "DRUMS": "DRUM DRUMS",
    "BALES": "BALE BALES",
    "CASES": "CASE CASES",
    "ROLLS": "ROLL ROLLS",
    "PACKAGES": "PKG PKGS PACKAGE PACKAGES PACKAGE(S)",
    "CBM": "CBM M3",
    "PAIRS": "PAIR PAIRS PRS",
    "DOZEN": "DOZ DOZEN",
    "L": "L LTR LITRE LITRES LITER LITERS",
    "M": "M MTR METRE METRES METER METERS",
    "G": "G GRM GRAM GRAMS",
}.items():
    for _spelling in _spellings.split(";"):
        for _token in _spelling.split():
            UNITS[_token] = _canonical
UNITS["METRIC TONS"] = "MT"

_UNIT_ALT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
QUANTITY_RE = re.compile(rf"(?<![\w.,])(?P<n>{_AMOUNT})\s*(?P<u>{_UNIT_ALT})(?![A-Za-z])", re.IGNORECASE)


def normalise_unit(unit: str) -> str:
    key = unit.strip().upper().rstrip(".")
    return UNITS.get(key, key)


def find_quantities(text: str) -> list[tuple[int, int, Quantity]]:
    out: list[tuple[int, int, Quantity]] = []
    for match in QUANTITY_RE.finditer(text):
        amount = parse_number(match.group("n"))
        if amount is None:
            continue
        out.append(
            (match.start(), match.end(), Quantity(amount=amount, unit=normalise_unit(match.group("u"))))
        )
    return out


def parse_quantity(text: str, default_unit: str | None = None) -> Quantity | None:
    found = find_quantities(text)
    if found:
        return found[0][2]
    if default_unit:
        numbers = find_numbers(text)
        if numbers:
            return Quantity(amount=numbers[0][2], unit=default_unit)
    return None


NUMBER_WORDS = {
    "ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5, "SIX": 6, "SEVEN": 7, "EIGHT": 8,
    "NINE": 9, "TEN": 10, "SINGLE": 1, "DUPLICATE": 2, "TRIPLICATE": 3, "QUADRUPLICATE": 4,
}  # fmt: skip


def parse_count(text: str) -> int | None:
    """A small count as written for originals: ``THREE (3)``, ``3/3``, ``3``, ``TWO``."""
    upper = text.upper()
    match = re.search(r"\((\d{1,2})\)", upper)
    if match:
        return int(match.group(1))
    match = re.search(r"(?<!\d)(\d{1,2})\s*/\s*(\d{1,2})(?!\d)", upper)
    if match:
        issued, of_set = int(match.group(1)), int(match.group(2))
        # "n/m": n originals of a set of m; more than the set is a misread ("1/1" read "4/1")
        return of_set if issued > of_set else issued
    for word in re.findall(r"[A-Z]+", upper):
        if word in NUMBER_WORDS:
            return NUMBER_WORDS[word]
    match = re.search(r"(?<![\d.,])(\d{1,2})(?![\d.,])", upper)
    return int(match.group(1)) if match else None


# --------------------------------------------------------------------------- containers

CONTAINER_RE = re.compile(r"\b([A-Z]{3}[UJZ])\s?(\d{6})\s?-?\s?(\d)\b")
_CONTAINER_LETTER_VALUES: dict[str, int] = {}
_value = 10
for _letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    if _value % 11 == 0:  # multiples of 11 are skipped by ISO 6346
        _value += 1
    _CONTAINER_LETTER_VALUES[_letter] = _value
    _value += 1


def container_check_digit(owner_and_serial: str) -> int:
    """ISO 6346 check digit of the first ten characters (owner code, category, serial)."""
    total = 0
    for position, char in enumerate(owner_and_serial[:10]):
        value = _CONTAINER_LETTER_VALUES[char] if char.isalpha() else int(char)
        total += value * (2**position)
    return total % 11 % 10


def is_valid_container(number: str) -> bool:
    compact = re.sub(r"[\s\-]", "", number.upper())
    if not re.fullmatch(r"[A-Z]{3}[UJZ]\d{7}", compact):
        return False
    return container_check_digit(compact[:10]) == int(compact[10])


def find_containers(text: str, *, ocr: bool = False) -> list[tuple[int, int, str]]:
    """ISO 6346 container numbers with a correct check digit, written compact or spaced.

    ``ocr``: the text was read by OCR, so a letter in the seven digit places is a digit misread
    ("BMLUS919130") and one letter too many there was read into it ("BMLUS5586560"); such a
    reading counts only when exactly one way of mending it passes the check digit.
    """
    out: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    pattern = _OCR_CONTAINER_RE if ocr else CONTAINER_RE
    for match in pattern.finditer(text.upper()):
        number = "".join(match.groups())
        if not is_valid_container(number):
            if not ocr:
                continue
            mended = _mended_container(number)
            if mended is None:
                continue
            number = mended
        if number not in seen:
            seen.add(number)
            out.append((match.start(), match.end(), number))
    return out


_OCR_CONTAINER_RE = re.compile(r"\b([A-Z]{3}[UJZ])\s?([0-9OISBZGDQ]{6,7})\s?-?\s?([0-9OISBZGDQ])\b")
_DIGIT_MISREADS = str.maketrans("OISBZGDQ", "01582600")


def _mended_container(number: str) -> str | None:
    owner, digits = number[:4], number[4:]
    candidates = {owner + digits.translate(_DIGIT_MISREADS)}
    if len(digits) == 8:  # one character too many: each letter in turn taken out
        candidates |= {owner + (digits[:i] + digits[i + 1 :]).translate(_DIGIT_MISREADS)
                       for i, ch in enumerate(digits) if ch.isalpha()}  # fmt: skip
    valid = [c for c in candidates if is_valid_container(c)]
    return valid[0] if len(valid) == 1 else None


# --------------------------------------------------------------------------- parties


def country_of(text: str) -> str | None:
    """ISO alpha-2 of a country named in ``text`` (delegates to extractors.countries)."""
    try:
        from extractors.countries import country_code
    except ImportError:  # the countries module is written in parallel; until then, unknown
        return None
    return country_code(text)


_CONTACT_RE = re.compile(r"^\s*(tel|phone|fax|e-?mail|mob|web|www\.|http)", re.IGNORECASE)
_FIELD_PREFIX_RE = re.compile(r"^\s*(name|addr|address)\s*[:.]\s*", re.IGNORECASE)


# Legal forms that end a company name. Two-letter forms that are also ordinary words or
# country codes (AS, SA, SE, AB) count only when they stand alone on the wrapped line.
_LEGAL_FORM = (
    r"(?:CO\.?,?\s*)?(?:LTD\.?|LIMITED|CORP\.?|CORPORATION|INC\.?|INCORPORATED|L\.?L\.?C\.?|GMBH|"
    r"S\.A\.|S\.P\.A\.|SPA|S\.R\.L\.|SRL|S\.L\.|B\.V\.|N\.V\.|PLC|A\.S\.|A/S|JSC|PTE\.?(?:\s+LTD\.?)?|"
    r"PVT\.?(?:\s+LTD\.?)?|LLP|PTY\.?(?:\s+LTD\.?)?|SP\.\s*Z\s*O\.?\s*O\.?|AG|KG|COMPANY(?:\s+LIMITED)?|"
    r"CO\.?|PRIVATE\s+LIMITED|JOINT\s+STOCK\s+COMPANY)"
)
_ONLY_LEGAL_FORM_RE = re.compile(rf"^(?:{_LEGAL_FORM}|AS|SA|SE|AB|OY|S\.A\.S\.|SAS)[\s.,]*$", re.IGNORECASE)
_ENDS_LEGAL_FORM_RE = re.compile(rf"(?:^|[\s,]){_LEGAL_FORM}[\s.,]*$", re.IGNORECASE)
# A first line that cannot be the whole name: it ends in "AND", "&", a comma or a hyphen,
# or in a legal form that is still open ("CO." before "LTD").
_OPEN_NAME_RE = re.compile(r"(?:\b(?:AND|OF|FOR)|&|,|-|\bCO\.?)\s*$", re.IGNORECASE)


def split_name_lines(lines: Sequence[str]) -> tuple[str, list[str]]:
    """The party name, joining lines the name wrapped onto, and the address lines after it.

    A name wraps when its first line is open ("... IMPORT AND" / "EXPORT CO., LTD") or the
    next line is only its legal form ("... TEXTILE CO.," / "LTD"), or is a short run of
    words ending in a legal form when the first line has none ("SHENZHEN LUMENTEK" /
    "LIGHTING LTD."). Address lines hold digits or place names, so a line with a digit is
    never taken into the name.
    """
    name, rest = lines[0], list(lines[1:])
    while rest and len(name) < 90:
        nxt = rest[0]
        if any(ch.isdigit() for ch in nxt) or _CONTACT_RE.match(nxt):
            break
        wraps = (
            bool(_OPEN_NAME_RE.search(name))
            or bool(_ONLY_LEGAL_FORM_RE.match(nxt))
            or (
                not _ENDS_LEGAL_FORM_RE.search(name)
                and bool(_ENDS_LEGAL_FORM_RE.search(nxt))
                and len(nxt.split()) <= 6
            )
        )
        if not wraps:
            break
        name = f"{name.rstrip()} {nxt.strip()}"
        rest.pop(0)
    return name, rest


def parse_party(lines: Sequence[str]) -> Party | None:
    """A party block: the first line is the name, the rest the address as written.

    The country is resolved from the address lines, last line first (where it is written),
    and from the name line only when the block is a single line.
    """
    # trailing commas are cut after the name is joined: "TEXTILE CO.," / "LTD" is "CO., LTD"
    cleaned = [_FIELD_PREFIX_RE.sub("", ln).strip() for ln in lines]
    cleaned = [ln for ln in cleaned if ln.strip(" ,;")]
    if not cleaned:
        return None
    name, address = split_name_lines(cleaned)
    name, address = name.strip(" ,;"), [a.strip(" ,;") for a in address]
    country = None
    for candidate in reversed(address):
        if _CONTACT_RE.match(candidate):
            continue
        country = country_of(candidate)
        if country:
            break
        # "..., HUNG YEN PROVINCE, VIETNAM": the last comma-separated part names the country
        tail = candidate.rsplit(",", 1)[-1].strip()
        if tail != candidate:
            country = country_of(tail)
            if country:
                break
    if country is None and not address:
        country = None
    return Party(name=name, address=address, country=country)
