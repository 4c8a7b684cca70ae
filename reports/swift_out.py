"""SWIFT MT734 (advice of refusal) and MT750 (advice of discrepancy) from an examination.

The discrepancies are the confirmed ones: with reviewer decisions, the findings an examiner
confirmed (a refusal with undecided findings is refused outright); without decisions, every
finding of severity ``discrepancy``. Output is in the SWIFT ``x`` character set — text is
transliterated (Unidecode) and the remaining characters replaced — wrapped to each field's
line width, in the field order of the message standard, and checked by parsing it back with
``extractors.swift.parse_swift_message`` before it is returned, so a message we print is one
our own parser accepts.

Field layouts (Category 7, SR2021 onwards):

    MT734: 20 16x | 21 16x | 32A 6!n3!a15d | [73A 6*35z] | [33a] | [57a] | [72Z 6*35z]
           | 77J 70*50z | 77B 3*35x
    MT750: 20 16x | 21 16x | 32B 3!a15d | [33B] | [71D 6*35z] | [73A 6*35z] | [34B] | [57a]
           | [72Z 6*35z] | 77J 70*50z

We write the narrative ``z`` fields in the stricter ``x`` set, which every ``z`` field accepts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from unidecode import unidecode

from engine.findings import Finding, Report
from extractors.errors import InputError
from extractors.models import Draft, Money, Presentation
from extractors.swift import parse_swift_message
from extractors.swift_fields import ISO4217_MINOR_UNITS, X_CHARACTERS
from reports.inputs import ReportInputError, ReviewerDecision, decisions_by_finding, validate_entries


class SwiftOutputError(Exception):
    """A message that cannot be produced as asked; says which field and why."""


@dataclass(frozen=True)
class FieldSpec:
    lines: int
    width: int


FIELD_SPECS: dict[str, FieldSpec] = {
    "20": FieldSpec(1, 16),
    "21": FieldSpec(1, 16),
    "32A": FieldSpec(1, 24),
    "32B": FieldSpec(1, 18),
    "33B": FieldSpec(1, 18),
    "34B": FieldSpec(1, 18),
    "71D": FieldSpec(6, 35),
    "73A": FieldSpec(6, 35),
    "72Z": FieldSpec(6, 35),
    "77J": FieldSpec(70, 50),
    "77B": FieldSpec(3, 35),
}
MT734_ORDER = ("20", "21", "32A", "73A", "33A", "33B", "57A", "57B", "57D", "72Z", "77J", "77B")
MT750_ORDER = ("20", "21", "32B", "33B", "71D", "73A", "34B", "57A", "57B", "57D", "72Z", "77J")

# UCP 600 16(c)(iii): what the refusing bank does with the documents.
DISPOSAL_CODES = ("HOLD", "NOTIFY", "PREVINST", "RETURN")
Disposal = Literal["HOLD", "NOTIFY", "PREVINST", "RETURN"]

# Characters outside the x set that have a readable stand-in; anything else becomes ".".
_REPLACEMENTS = {
    "&": " AND ",
    "%": " PCT",
    "@": " AT ",
    "#": "NO.",
    '"': "'",
    "`": "'",
    "_": "-",
    "=": "-",
    ";": ",",
    "!": ".",
    "*": ".",
    "<": "(",
    ">": ")",
    "[": "(",
    "]": ")",
    "{": "(",
    "}": ")",
    "\\": "/",
    "|": "/",
    "$": "USD ",
    "~": "-",
    "^": "",
}
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")


def to_x_charset(text: str) -> str:
    """Upper-case text in the SWIFT x set: transliterate, then replace what is left."""
    out = []
    for char in unidecode(text).upper():
        if char in X_CHARACTERS:
            out.append(char)
        elif char in "\n\t\r":
            out.append(" ")
        else:
            out.append(_REPLACEMENTS.get(char, "."))
    return " ".join("".join(out).split())


def wrap(text: str, width: int) -> list[str]:
    """Word-wrap to ``width``; long words are cut. No line may begin with ':' or '-' (a ':'
    would read as a new field tag and '-' as the end of block 4), so such a line gets a
    leading '.' instead."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if not word:
            continue
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    safe = []
    for line in lines:
        if line[:1] in (":", "-"):
            line = ("." + line)[:width]
        safe.append(line)
    return safe


def swift_amount(money: Money) -> str:
    """``3!a15d``: currency, then digits with a decimal comma, no thousands separators."""
    places = ISO4217_MINOR_UNITS.get(money.currency)
    if places is None:
        raise SwiftOutputError(f"amount: {money.currency} is not an active ISO 4217 currency code")
    try:
        quantised = money.amount.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        raise SwiftOutputError(f"amount: {money.amount} cannot be written with {places} decimals") from None
    if quantised != money.amount:
        raise SwiftOutputError(f"amount: {money} has more decimals than {money.currency} allows ({places})")
    if quantised < 0:
        raise SwiftOutputError(f"amount: {money} is negative")
    digits = format(quantised, "f").replace(".", ",")
    if "," not in digits:
        digits += ","
    if len(digits) > 15:
        raise SwiftOutputError(f"amount: {money} needs more than 15 characters")
    return money.currency + digits


def swift_date(day: dt.date) -> str:
    return day.strftime("%y%m%d")


def reference(text: str, tag: str) -> str:
    """A 16x reference: x set, no leading/trailing '/', no '//'."""
    value = to_x_charset(text).replace(" ", "")
    value = re.sub(r"/{2,}", "/", value).strip("/")[:16].rstrip("/")
    if not value:
        raise SwiftOutputError(f"field {tag}: reference {text!r} has no characters SWIFT allows")
    return value


def _logical_terminal(bic: str, what: str) -> str:
    bic = bic.strip().upper()
    if not _BIC.match(bic):
        raise SwiftOutputError(f"{what}: {bic!r} is not a BIC (8 or 11 characters)")
    branch = bic[8:] or "XXX"
    return bic[:8] + "X" + branch


@dataclass(frozen=True)
class SwiftOut:
    """A generated message: its type, fields in order, and the envelope's BICs."""

    message_type: str
    fields: tuple[tuple[str, str], ...]
    sender_bic: str | None = None
    receiver_bic: str | None = None

    def text(self, crlf: bool = False) -> str:
        """The FIN message; block 4 alone when the BICs are not known. ``crlf`` for transmission."""
        body = "\n".join(f":{tag}:{value}" for tag, value in self.fields)
        if self.sender_bic and self.receiver_bic:
            block1 = "F01" + _logical_terminal(self.sender_bic, "sender") + "0000000000"
            block2 = f"I{self.message_type}" + _logical_terminal(self.receiver_bic, "receiver") + "N"
            message = f"{{1:{block1}}}{{2:{block2}}}{{4:\n{body}\n-}}"
        else:
            message = body + "\n-"
        return message.replace("\n", "\r\n") if crlf else message

    def field(self, tag: str) -> str | None:
        return next((value for t, value in self.fields if t == tag), None)


def _check(fields: list[tuple[str, str]], order: tuple[str, ...], message_type: str) -> None:
    positions = [order.index(tag) for tag, _ in fields]
    if positions != sorted(positions) or len(set(positions)) != len(positions):
        raise SwiftOutputError(f"MT{message_type}: fields out of order: {[t for t, _ in fields]}")
    for tag, value in fields:
        spec = FIELD_SPECS[tag]
        lines = value.split("\n")
        if len(lines) > spec.lines:
            raise SwiftOutputError(
                f"MT{message_type} field {tag}: {len(lines)} lines, the format allows {spec.lines}"
            )
        for number, line in enumerate(lines, start=1):
            if len(line) > spec.width or not line:
                raise SwiftOutputError(
                    f"MT{message_type} field {tag} line {number}: {len(line)} characters, "
                    f"the format allows 1 to {spec.width}"
                )
            bad = sorted({c for c in line if c not in X_CHARACTERS})
            if bad:
                raise SwiftOutputError(f"MT{message_type} field {tag} line {number}: characters {bad} outside the x set")


def _round_trip(out: SwiftOut) -> SwiftOut:
    """Parse the message back with our own parser; any difference is a bug in this module."""
    name = f"MT{out.message_type}"
    try:
        parsed = parse_swift_message(out.text(crlf=True), name)
    except InputError as err:
        raise SwiftOutputError(f"{name} does not parse back: {err}") from None
    got = [(f.tag, f.value) for f in parsed.fields]
    if got != list(out.fields):
        raise SwiftOutputError(f"{name} parses back with different fields: {got} != {list(out.fields)}")
    if out.sender_bic and parsed.message_type != out.message_type:
        raise SwiftOutputError(f"{name} parses back as MT{parsed.message_type}")
    return out


def _narrative(text: str, tag: str, max_lines: int, width: int) -> str:
    lines = wrap(to_x_charset(text), width)
    if not lines:
        raise SwiftOutputError(f"field {tag}: no text left after conversion to the SWIFT x character set")
    if len(lines) > max_lines:
        raise SwiftOutputError(f"field {tag}: needs {len(lines)} lines of {width}, the format allows {max_lines}")
    return "\n".join(lines)


def discrepancies_text(findings: list[Finding]) -> str:
    """Field 77J: one numbered item per discrepancy, its citation at the end."""
    spec = FIELD_SPECS["77J"]
    lines: list[str] = []
    for number, finding in enumerate(findings, start=1):
        cited = f" ({', '.join(finding.refs)})" if finding.refs else ""
        lines.extend(wrap(to_x_charset(f"{number}. {finding.message}{cited}"), spec.width))
    if not lines:
        raise SwiftOutputError("field 77J: there are no discrepancies to advise")
    if len(lines) > spec.lines:
        raise SwiftOutputError(
            f"field 77J: the {len(findings)} discrepancies need {len(lines)} lines of {spec.width}, "
            f"the format allows {spec.lines}; shorten the messages or advise the rest separately"
        )
    return "\n".join(lines)


def confirmed_discrepancies(
    report: Report, decisions: Iterable[ReviewerDecision | Mapping[str, Any]] | None, *, purpose: str
) -> list[Finding]:
    """The discrepancies to advise. With decisions, every discrepancy must be decided and the
    confirmed ones are returned; without, all findings of severity discrepancy."""
    if report.outcome == "hold":
        raise SwiftOutputError(
            f"the presentation is on hold (sanctions/AML stop): not a matter for an {purpose}; "
            "it goes to compliance, not to the presenter"
        )
    candidates = [i for i, f in enumerate(report.findings) if f.severity == "discrepancy"]
    if not candidates:
        raise SwiftOutputError(f"the presentation has no discrepancies: nothing for an {purpose}")
    if decisions is None:
        return [report.findings[i] for i in candidates]
    try:
        in_force = decisions_by_finding(report, validate_entries(decisions, ReviewerDecision, "decision"))
    except ReportInputError as err:
        raise SwiftOutputError(str(err)) from None
    pending = [report.findings[i].rule for i in candidates if i not in in_force]
    if pending:
        raise SwiftOutputError(f"{len(pending)} discrepancies still await a decision: {', '.join(pending)}")
    confirmed = [report.findings[i] for i in candidates if in_force[i].action == "confirm"]
    if not confirmed:
        raise SwiftOutputError(f"every discrepancy was waived: nothing for an {purpose}")
    return confirmed


def amount_claimed(presentation: Presentation) -> Money:
    """The amount of the utilisation: the draft, else the invoice total, else the credit amount."""
    for document in presentation.documents:
        if isinstance(document, Draft) and document.amount is not None:
            return document.amount.value
    for document in presentation.of_type("commercial_invoice"):
        total = getattr(document, "total", None)
        if total is not None:
            return total.value
    return presentation.lc.amount.value


def mt734(
    report: Report,
    presentation: Presentation,
    *,
    decisions: Iterable[ReviewerDecision | Mapping[str, Any]] | None = None,
    sender_reference: str | None = None,
    presenting_bank_reference: str = "NONREF",
    utilisation_date: dt.date | None = None,
    amount: Money | None = None,
    charges_claimed: str | None = None,
    disposal: Disposal = "HOLD",
    disposal_text: str = "",
    sender_to_receiver: str | None = None,
    sender_bic: str | None = None,
    receiver_bic: str | None = None,
) -> SwiftOut:
    """Advice of refusal from the issuing bank (MT700 sender) to the presenter (MT700 receiver).

    ``disposal`` is the UCP 600 16(c)(iii) statement: HOLD (pending further instructions),
    NOTIFY (holding until the applicant waives), RETURN, or PREVINST (acting on the
    presenter's earlier instructions).
    """
    findings = confirmed_discrepancies(report, decisions, purpose="advice of refusal")
    if disposal not in DISPOSAL_CODES:
        raise SwiftOutputError(f"field 77B: disposal {disposal!r} is not one of {', '.join(DISPOSAL_CODES)}")
    lc = presentation.lc
    day = utilisation_date or presentation.presented_on or dt.date.today()
    fields: list[tuple[str, str]] = [
        ("20", reference(sender_reference or lc.number.value, "20")),
        ("21", reference(presenting_bank_reference, "21")),
        ("32A", swift_date(day) + swift_amount(amount or amount_claimed(presentation))),
    ]
    if charges_claimed:
        fields.append(("73A", _narrative(charges_claimed, "73A", 6, 35)))
    if sender_to_receiver:
        fields.append(("72Z", _narrative(sender_to_receiver, "72Z", 6, 35)))
    fields.append(("77J", discrepancies_text(findings)))
    disposal_lines = [f"/{disposal}/"]
    if disposal_text:
        disposal_lines += wrap(to_x_charset(disposal_text), 35)
    if len(disposal_lines) > 3:
        raise SwiftOutputError("field 77B: the disposal text needs more than the 2 lines the format leaves")
    fields.append(("77B", "\n".join(disposal_lines)))
    _check(fields, MT734_ORDER, "734")
    out = SwiftOut("734", tuple(fields), sender_bic or lc.sender_bic, receiver_bic or lc.receiver_bic)
    return _round_trip(out)


def mt750(
    report: Report,
    presentation: Presentation,
    *,
    decisions: Iterable[ReviewerDecision | Mapping[str, Any]] | None = None,
    sender_reference: str | None = None,
    related_reference: str | None = None,
    principal: Money | None = None,
    additional: Money | None = None,
    charges_deducted: str | None = None,
    charges_added: str | None = None,
    total: Money | None = None,
    sender_to_receiver: str | None = None,
    sender_bic: str | None = None,
    receiver_bic: str | None = None,
) -> SwiftOut:
    """Advice of discrepancy from the nominated bank (MT700 receiver) to the issuing bank,
    asking authority to pay despite the discrepancies. ``related_reference`` defaults to the
    credit number (the issuing bank's reference)."""
    findings = confirmed_discrepancies(report, decisions, purpose="advice of discrepancy")
    lc = presentation.lc
    principal = principal or amount_claimed(presentation)
    fields: list[tuple[str, str]] = [
        ("20", reference(sender_reference or lc.number.value, "20")),
        ("21", reference(related_reference or lc.number.value, "21")),
        ("32B", swift_amount(principal)),
    ]
    if additional is not None:
        fields.append(("33B", swift_amount(additional)))
    if charges_deducted:
        fields.append(("71D", _narrative(charges_deducted, "71D", 6, 35)))
    if charges_added:
        fields.append(("73A", _narrative(charges_added, "73A", 6, 35)))
    if total is not None:
        fields.append(("34B", swift_amount(total)))
    if sender_to_receiver:
        fields.append(("72Z", _narrative(sender_to_receiver, "72Z", 6, 35)))
    fields.append(("77J", discrepancies_text(findings)))
    _check(fields, MT750_ORDER, "750")
    out = SwiftOut("750", tuple(fields), sender_bic or lc.receiver_bic, receiver_bic or lc.sender_bic)
    return _round_trip(out)
