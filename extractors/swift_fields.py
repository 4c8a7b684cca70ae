"""SWIFT MT field formats and the parsers of single field values (dates, amounts, parties...).

Formats follow the Category 7 standards release in force since November 2018 (SR2018, kept
through SR2025): narrative fields of the credit (44A-F, 45A/46A/47A, 49G/49H, 71D, 72Z)
use the wider "z" character set, the other fields the "x" set. Every parser raises
``InputError`` naming the file, the line and the tag; none returns a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, NamedTuple

from extractors.countries import country_from_address
from extractors.errors import InputError
from extractors.models import Money, Party, PresentationPeriod
from extractors.normalize import split_name_lines


class SwiftField(NamedTuple):
    """One field of block 4: tag (with its option letter), value (lines joined by \\n), line."""

    tag: str
    value: str
    line: int  # 1-based line of the file where the tag stands


# --------------------------------------------------------------------------- character sets

# SWIFT "x" set: a-z A-Z 0-9 / - ? : ( ) . , ' + space (and CrLf between lines).
X_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
# SWIFT "z" set: the x set plus = ! " % & * < > ; { @ # _
Z_CHARACTERS = X_CHARACTERS | frozenset('=!"%&*<>;{@#_')

Charset = Literal["x", "z"]


@dataclass(frozen=True)
class FieldFormat:
    """Line limits of a field: at most ``lines`` lines of at most ``width`` characters."""

    lines: int
    width: int
    charset: Charset = "x"


def _narrative(lines: int, width: int) -> FieldFormat:
    return FieldFormat(lines, width, "z")


# Line limits per tag. Option-A bank fields are "[/1!a][/34x]" + BIC: up to 37 characters on
# the account line; party fields with an account line ("[/34x]" + 4*35x) get 5 lines.
FIELD_FORMATS: dict[str, FieldFormat] = {
    "27": FieldFormat(1, 3),
    "40A": FieldFormat(1, 24),
    "40B": FieldFormat(2, 24),  # MT720's form of credit (2*24x); not part of the MT700
    "20": FieldFormat(1, 16),
    "21": FieldFormat(1, 16),
    "23": FieldFormat(1, 16),
    "31C": FieldFormat(1, 6),
    "40E": FieldFormat(1, 66),  # 30x[/35x]
    "31D": FieldFormat(1, 35),  # 6!n29x
    "51A": FieldFormat(2, 37),
    "51D": FieldFormat(5, 35),
    "52A": FieldFormat(2, 37),
    "52D": FieldFormat(5, 35),
    "50": FieldFormat(4, 35),
    "50B": FieldFormat(4, 35),
    "59": FieldFormat(5, 35),
    "32B": FieldFormat(1, 18),  # 3!a15d
    "33B": FieldFormat(1, 18),
    "34B": FieldFormat(1, 18),
    "39A": FieldFormat(1, 5),  # 2n/2n
    "39B": FieldFormat(1, 13),  # pre-2018 "maximum credit amount"
    "39C": FieldFormat(12, 65),
    "41A": FieldFormat(2, 14),  # BIC, then "BY PAYMENT" (14x)
    "41D": FieldFormat(5, 35),  # 4*35x, then 14x
    "42C": FieldFormat(3, 35),
    "42A": FieldFormat(2, 37),
    "42D": FieldFormat(5, 35),
    "42M": FieldFormat(4, 35),
    "42P": FieldFormat(4, 35),
    "43P": FieldFormat(1, 11),
    "43T": FieldFormat(1, 11),
    "44A": _narrative(1, 140),
    "44E": _narrative(1, 140),
    "44F": _narrative(1, 140),
    "44B": _narrative(1, 140),
    "44C": FieldFormat(1, 6),
    "44D": FieldFormat(6, 65),
    "45A": _narrative(100, 65),
    "46A": _narrative(100, 65),
    "47A": _narrative(100, 65),
    "45B": _narrative(100, 65),
    "46B": _narrative(100, 65),
    "47B": _narrative(100, 65),
    "49G": _narrative(100, 65),
    "49H": _narrative(100, 65),
    "49M": _narrative(100, 65),
    "49N": _narrative(100, 65),
    "71D": _narrative(6, 35),
    "71N": _narrative(7, 35),  # 4!c[CrLf 6*35z]
    # 3n[/35x] since SR2021; 4*35x free text before it, still seen in older credits
    "48": FieldFormat(4, 39),
    "49": FieldFormat(1, 7),
    "58A": FieldFormat(2, 37),
    "58D": FieldFormat(5, 35),
    "53A": FieldFormat(2, 37),
    "53D": FieldFormat(5, 35),
    "78": FieldFormat(12, 65),
    "57A": FieldFormat(2, 37),
    "57B": FieldFormat(2, 35),
    "57D": FieldFormat(5, 35),
    "72Z": _narrative(6, 35),
    "72": FieldFormat(6, 35),
    "26E": FieldFormat(1, 3),
    "30": FieldFormat(1, 6),
    "22A": FieldFormat(1, 4),
    "23S": FieldFormat(1, 6),
    "31E": FieldFormat(1, 6),
    "79": FieldFormat(35, 50),
    "79Z": _narrative(35, 50),
}


def fail(file: str, field: SwiftField, message: str, *, line: int | None = None) -> InputError:
    """An InputError located at a field (or at one of its lines)."""
    return InputError(file, message, line=field.line if line is None else line, tag=field.tag)


def check_field_format(field: SwiftField, file: str) -> None:
    """Character set, number of lines and line widths of one field; raises InputError."""
    spec = FIELD_FORMATS.get(field.tag)
    if spec is None:
        raise fail(file, field, f"unknown tag {field.tag}")
    allowed = X_CHARACTERS if spec.charset == "x" else Z_CHARACTERS
    lines = field.value.split("\n")
    if len(lines) > spec.lines:
        raise fail(
            file,
            field,
            f"{len(lines)} lines, the format allows at most {spec.lines}",
            line=field.line + spec.lines,
        )
    for offset, text in enumerate(lines):
        for char in text:
            if char not in allowed:
                raise fail(
                    file,
                    field,
                    f"character {char!r} (U+{ord(char):04X}) is not in the SWIFT {spec.charset} character set",
                    line=field.line + offset,
                )
        if len(text) > spec.width:
            raise fail(
                file,
                field,
                f"line of {len(text)} characters, the format allows {spec.width}: {text[:40]!r}",
                line=field.line + offset,
            )


# --------------------------------------------------------------------------- ISO 4217

# Active ISO 4217 codes with their minor units (ISO 4217 list one, 2024), used to validate
# 3!a15d amounts: SWIFT rejects a code that is not ISO and decimals beyond the minor unit.
# fmt: off
ISO4217_MINOR_UNITS: dict[str, int] = {
    # 0 decimal place(s)
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    # 2 decimal place(s)
    "AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2, "AWG": 2,
    "AZN": 2, "BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BMD": 2, "BND": 2, "BOB": 2, "BOV": 2,
    "BRL": 2, "BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2, "CHE": 2,
    "CHF": 2, "CHW": 2, "CNY": 2, "COP": 2, "COU": 2, "CRC": 2, "CUC": 2, "CUP": 2, "CVE": 2,
    "CZK": 2, "DKK": 2, "DOP": 2, "DZD": 2, "EGP": 2, "ERN": 2, "ETB": 2, "EUR": 2, "FJD": 2,
    "FKP": 2, "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2, "GTQ": 2, "GYD": 2, "HKD": 2,
    "HNL": 2, "HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "IRR": 2, "JMD": 2, "KES": 2,
    "KGS": 2, "KHR": 2, "KPW": 2, "KYD": 2, "KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2,
    "LSL": 2, "MAD": 2, "MDL": 2, "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2,
    "MUR": 2, "MVR": 2, "MWK": 2, "MXN": 2, "MXV": 2, "MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2,
    "NIO": 2, "NOK": 2, "NPR": 2, "NZD": 2, "PAB": 2, "PEN": 2, "PGK": 2, "PHP": 2, "PKR": 2,
    "PLN": 2, "QAR": 2, "RON": 2, "RSD": 2, "RUB": 2, "SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2,
    "SEK": 2, "SGD": 2, "SHP": 2, "SLE": 2, "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2, "SVC": 2,
    "SYP": 2, "SZL": 2, "THB": 2, "TJS": 2, "TMT": 2, "TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2,
    "TZS": 2, "UAH": 2, "USD": 2, "USN": 2, "UYU": 2, "UZS": 2, "VED": 2, "VES": 2, "WST": 2,
    "XCD": 2, "YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2,
    # 3 decimal place(s)
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    # 4 decimal place(s)
    "CLF": 4, "UYW": 4,
}
# fmt: on


# --------------------------------------------------------------------------- scalar values


def swift_date(text: str, file: str, field: SwiftField) -> dt.date:
    """YYMMDD; years 00-79 are 20xx, 80-99 are 19xx."""
    if not re.fullmatch(r"\d{6}", text):
        raise fail(file, field, f"date {text!r} is not YYMMDD")
    year, month, day = int(text[:2]), int(text[2:4]), int(text[4:6])
    try:
        return dt.date(2000 + year if year < 80 else 1900 + year, month, day)
    except ValueError:
        raise fail(file, field, f"date {text!r} does not exist") from None


def swift_decimal(text: str, file: str, field: SwiftField) -> Decimal:
    """SWIFT "d" number: digits with one mandatory decimal comma ("1000,", "1000,50")."""
    if not re.fullmatch(r"\d+,\d*", text):
        raise fail(file, field, f"amount {text!r} is not a SWIFT number (digits with a decimal comma)")
    return Decimal(text.replace(",", "."))


def swift_money(text: str, file: str, field: SwiftField) -> Money:
    """3!a15d: ISO 4217 currency then amount, e.g. ``USD100000,50``."""
    match = re.fullmatch(r"([A-Z]{3})(.*)", text)
    if not match:
        raise fail(file, field, f"{text!r} does not start with a currency code")
    currency, number = match.groups()
    if currency not in ISO4217_MINOR_UNITS:
        raise fail(file, field, f"currency {currency!r} is not an active ISO 4217 code")
    if len(number) > 15:
        raise fail(file, field, f"amount {number!r} is longer than 15 characters")
    amount = swift_decimal(number, file, field)
    decimals = len(number.split(",", 1)[1])
    if decimals > ISO4217_MINOR_UNITS[currency]:
        raise fail(
            file,
            field,
            f"amount {number!r} has {decimals} decimals, {currency} allows {ISO4217_MINOR_UNITS[currency]}",
        )
    return Money(amount=amount, currency=currency)


def tolerance(text: str, file: str, field: SwiftField) -> tuple[Decimal, Decimal]:
    """39A ``10/5``: percent plus / percent minus."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})", text)
    if not match:
        raise fail(file, field, f"tolerance {text!r} is not NN/NN (percent plus/minus)")
    return Decimal(match.group(1)), Decimal(match.group(2))


def date_and_place(text: str, file: str, field: SwiftField) -> tuple[dt.date, str]:
    """31D: 6!n29x, expiry date then place."""
    place = text[6:].strip()
    if not place:
        raise fail(file, field, "place of expiry is missing after the date")
    return swift_date(text[:6], file, field), place


BIC_PATTERN = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")


def bank_party(field: SwiftField, file: str) -> Party:
    """Option A (BIC), B (location) or D (name and address) of a bank field."""
    lines = field.value.split("\n")
    # An optional party identifier line: "/C/12345", "/12345678".
    if lines and lines[0].startswith("/") and len(lines) > 1:
        lines = lines[1:]
    option = field.tag[-1]
    if option == "A":
        if len(lines) != 1 or not BIC_PATTERN.fullmatch(lines[0]):
            raise fail(file, field, f"{lines[-1]!r} is not a BIC (4!a2!a2!c[3!c])")
        return Party(name=lines[0], bic=lines[0], country=lines[0][4:6])
    if not lines or not lines[0].strip():
        raise fail(file, field, "the bank's name is missing")
    return Party(
        name=lines[0].strip(), address=[x.strip() for x in lines[1:]], country=country_from_address(lines[1:])
    )


def bank_text(party: Party) -> str:
    """A bank field as one string: the BIC, or name and address on one line."""
    return party.bic or ", ".join([party.name, *party.address])


def named_party(field: SwiftField, file: str, *, account_allowed: bool) -> Party:
    """50 / 59 / 50B: name on the first line, address after; 59 may start with ``/account``."""
    lines = [x.strip() for x in field.value.split("\n")]
    if account_allowed and lines and lines[0].startswith("/"):
        lines = lines[1:]
    if not lines or not lines[0]:
        raise fail(file, field, "the party's name is missing")
    if len(lines) > 4:
        raise fail(file, field, f"{len(lines)} name and address lines, the format allows 4")
    # a name too long for one 35-character line continues on the next ("... IMPORT AND" /
    # "EXPORT CO., LTD"); the address starts after it
    name, address = split_name_lines(lines)
    return Party(name=name, address=address, country=country_from_address(address))


AVAILABLE_BY = ("BY ACCEPTANCE", "BY DEF PAYMENT", "BY MIXED PYMT", "BY NEGOTIATION", "BY PAYMENT")


def available_with_by(field: SwiftField, file: str) -> tuple[str, str]:
    """41a: the bank (BIC or name/address) and, on the last line, how the credit is available."""
    lines = [x.strip() for x in field.value.split("\n")]
    if len(lines) < 2:
        raise fail(file, field, "expected the bank and then a line 'BY PAYMENT', 'BY NEGOTIATION', ...")
    how = lines[-1]
    if how not in AVAILABLE_BY:
        raise fail(
            file, field, f"{how!r} is not one of {', '.join(AVAILABLE_BY)}", line=field.line + len(lines) - 1
        )
    bank_lines = lines[:-1]
    if field.tag == "41A":
        if len(bank_lines) != 1 or not BIC_PATTERN.fullmatch(bank_lines[0]):
            raise fail(file, field, f"{bank_lines[0]!r} is not a BIC")
    elif len(bank_lines) > 4:
        raise fail(file, field, f"{len(bank_lines)} name and address lines, the format allows 4")
    return ", ".join(bank_lines), how


def one_of(text: str, allowed: tuple[str, ...], file: str, field: SwiftField) -> str:
    """A coded field: the value must be one of the codes of the standard."""
    if text not in allowed:
        raise fail(file, field, f"{text!r} is not one of: {', '.join(allowed)}")
    return text


FORMS_OF_CREDIT = (
    "IRREVOCABLE",
    "IRREVOCABLE TRANSFERABLE",
    "IRREVOCABLE STANDBY",
    "IRREVOC TRANS STANDBY",
    # revocable forms were removed in SR2006 but still appear in old copies
    "REVOCABLE",
    "REVOCABLE TRANSFERABLE",
    "REVOCABLE STANDBY",
)
APPLICABLE_RULES = (
    "EUCP LATEST VERSION",
    "EUCPURR LATEST VERSION",
    "ISP LATEST VERSION",
    "OTHR",
    "UCP LATEST VERSION",
    "UCPURR LATEST VERSION",
)
SHIPMENT_CODES = ("ALLOWED", "CONDITIONAL", "NOT ALLOWED")
CONFIRMATION_CODES = ("CONFIRM", "MAY ADD", "WITHOUT")

_NUMBER_WORDS = {
    "ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5, "SIX": 6, "SEVEN": 7, "EIGHT": 8, "NINE": 9,
    "TEN": 10, "ELEVEN": 11, "TWELVE": 12, "FOURTEEN": 14, "FIFTEEN": 15, "TWENTY": 20,
    "TWENTY ONE": 21, "TWENTY-ONE": 21, "THIRTY": 30, "FORTY FIVE": 45, "FORTY-FIVE": 45,
    "SIXTY": 60, "NINETY": 90,
}  # fmt: skip


def number_word(text: str) -> int | None:
    """A small cardinal written in digits or words ("3", "THREE"), else None."""
    text = text.strip().upper()
    if text.isdigit():
        return int(text)
    return _NUMBER_WORDS.get(text)


_NUMBER_WORD_PATTERN = "|".join(sorted((re.escape(w) for w in _NUMBER_WORDS), key=len, reverse=True))


def presentation_period(text: str, file: str, field: SwiftField) -> PresentationPeriod:
    """48: ``21/FROM THE DATE OF SHIPMENT``, ``21``, or (before SR2021) free text with the days."""
    flat = " ".join(text.split())
    coded = re.fullmatch(r"(\d{1,3})(?:/(.*))?", flat)
    if coded:
        days = int(coded.group(1))
        after = coded.group(2) or "SHIPMENT"
    else:
        match = re.search(
            rf"\b(\d{{1,3}}|{_NUMBER_WORD_PATTERN})\s*(?:\(\d{{1,3}}\)\s*)?(?:CALENDAR\s+|BANKING\s+)?DAYS?\b(.*)",
            flat,
        )
        if not match:
            raise fail(file, field, f"no number of days found in the period for presentation {flat!r}")
        days = number_word(match.group(1)) or 0
        after = match.group(2)
    after = re.sub(r"^\s*(?:AFTER|FROM|OF)\s+(?:THE\s+)?", "", after.strip()).strip(" .,") or "SHIPMENT"
    after = re.sub(r"\s+BUT\s+WITHIN.*$", "", after)  # "... BUT WITHIN THE VALIDITY OF THE CREDIT"
    if days <= 0:
        raise fail(file, field, f"period for presentation of {days} days")
    return PresentationPeriod(days=days, after=after, text=flat)
