"""SWIFT MT700 (issue of a documentary credit) and MT707 (amendment) to ``LetterOfCredit``.

``parse_swift_message`` reads the envelope (blocks 1, 2, 3, 5) and splits block 4 into its
fields; ``parse_mt700`` turns an MT700 into a ``LetterOfCredit``; ``apply_mt707`` applies an
amendment and keeps the history in ``lc.amendments``; ``is_swift_message`` is the cheap
sniff the bundle loader uses to recognise an LC file by its content.

An MT700 may also be given as block 4 alone (the ``:27:`` ... fields without the
``{1:}{2:}`` envelope), the way credits are often pasted into a text file. Every problem is
an ``InputError`` naming the file, the line and the tag.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from extractors.errors import InputError
from extractors.models import (
    Amendment,
    DecimalStr,
    DocumentRequirement,
    Extracted,
    ExtractorName,
    GoodsItem,
    LetterOfCredit,
    Money,
    Party,
    PresentationPeriod,
    Provenance,
)
from extractors.swift_fields import (
    APPLICABLE_RULES,
    CONFIRMATION_CODES,
    FORMS_OF_CREDIT,
    SHIPMENT_CODES,
    SwiftField,
    available_with_by,
    bank_party,
    bank_text,
    check_field_format,
    date_and_place,
    fail,
    named_party,
    one_of,
    presentation_period,
    swift_date,
    swift_money,
    tolerance,
)
from extractors.swift_narrative import (
    NarrativeItem,
    document_requirement,
    find_incoterm,
    goods_item,
    item_text,
    split_items,
)

__all__ = [
    "SwiftField",
    "SwiftMessage",
    "apply_mt707",
    "is_swift_message",
    "parse_mt700",
    "parse_swift_message",
]


# --------------------------------------------------------------------------- the envelope


@dataclass(frozen=True)
class SwiftMessage:
    """A FIN message: the header blocks as written and the fields of block 4 in order."""

    file: str
    block1: str | None  # basic header, e.g. "F01AAAAUS33AXXX0000000000"
    block2: str | None  # application header, e.g. "I700BBBBUS33XXXXN"
    block3: dict[str, str]  # user header sub-fields: {"108": "...", "121": "..."}
    block5: dict[str, str]  # trailer sub-fields: {"CHK": "...", "MAC": "..."}
    fields: list[SwiftField]
    block4_line: int  # file line where block 4 begins
    block4_end_line: int  # file line where block 4 ends
    message_type: str | None = None  # "700", "707", ... (None without an envelope)
    direction: Literal["input", "output"] | None = None
    sender_bic: str | None = None
    receiver_bic: str | None = None
    extra_blocks: dict[str, str] = field(default_factory=dict)  # e.g. the "S" system trailer

    def get(self, tag: str) -> SwiftField | None:
        """The first field with this tag (tag with its option letter, e.g. "41D")."""
        return next((f for f in self.fields if f.tag == tag), None)


_TAG_LINE = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
_BLOCK1 = re.compile(r"^[FAL]\d{2}(?P<lt>[A-Z0-9]{12})\d{4}\d{6}$")
_BLOCK2_INPUT = re.compile(r"^I(?P<type>\d{3})(?P<lt>[A-Z0-9]{12})(?:[SUN](?:[123](?:\d{3})?)?)?$")
_BLOCK2_OUTPUT = re.compile(
    r"^O(?P<type>\d{3})\d{4}(?P<mir_date>\d{6})(?P<lt>[A-Z0-9]{12})\d{4}\d{6}\d{6}\d{4}[SUN]?$"
)


def _normalise_newlines(text: str) -> str:
    # FIN uses CrLf; files saved on Unix have LF only. A BOM from Windows editors is dropped.
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _bic_of(logical_terminal: str) -> str:
    """BIC of a 12-character logical terminal address: BIC8, terminal letter, branch.

    The branch "XXX" (the head office) is dropped, so the result is a BIC8 or a BIC11.
    """
    branch = logical_terminal[9:12]
    return logical_terminal[:8] + ("" if branch == "XXX" else branch)


def is_swift_message(text: str) -> bool:
    """Cheap sniff: does this text look like a SWIFT FIN message (or a bare block 4)?"""
    head = _normalise_newlines(text[:4096]).lstrip()
    if re.match(r"\{[1-5]:", head):
        return True
    lines = [line for line in head.split("\n")[:40] if line.strip()]
    if not lines or not _TAG_LINE.match(lines[0].rstrip()):
        return False
    tags = [m.group(1) for line in lines if (m := _TAG_LINE.match(line.rstrip()))]
    return len(tags) >= 2 and "20" in tags


def parse_swift_message(text: str, file: str) -> SwiftMessage:
    """Split a FIN message into its blocks and the fields of block 4; InputError on bad structure."""
    text = _normalise_newlines(text)
    if not text.strip():
        raise InputError(file, "the file is empty, expected a SWIFT message")

    def line_at(position: int) -> int:
        return text.count("\n", 0, position) + 1

    blocks: dict[str, str] = {}
    position = len(text) - len(text.lstrip())
    if text[position] != "{":
        # Block 4 alone, possibly ending with the "-" line of the block's end.
        body_start, body_end = position, len(text)
        trailing = text.rstrip()
        if trailing.endswith("\n-}") or trailing.endswith("\n-"):
            body_end = trailing.rfind("\n")
        body = text[body_start:body_end]
        body_line = line_at(body_start)
    else:
        body, body_line = "", 0
        while True:
            while position < len(text) and text[position].isspace():
                position += 1
            if position >= len(text):
                break
            start_match = re.match(r"\{([1-5S]):", text[position:])
            if not start_match:
                raise InputError(
                    file,
                    f"expected a block such as '{{4:', found {text[position : position + 12]!r}",
                    line=line_at(position),
                )
            block_id = start_match.group(1)
            if block_id in blocks:
                raise InputError(file, f"block {block_id} appears twice", line=line_at(position))
            if block_id == "4":
                content_start = position + 3
                end = text.find("\n-}", content_start)
                if end == -1:
                    raise InputError(file, "block 4 is not closed by a line '-}'", line=line_at(position))
                body = text[content_start:end]
                body_line = line_at(content_start)
                blocks["4"] = body
                position = end + 3
                continue
            depth = 0
            for index in range(position, len(text)):
                if text[index] == "{":
                    depth += 1
                elif text[index] == "}":
                    depth -= 1
                    if depth == 0:
                        blocks[block_id] = text[position + 3 : index]
                        position = index + 1
                        break
            else:
                raise InputError(file, f"block {block_id} is not closed by '}}'", line=line_at(position))
        if "4" not in blocks:
            raise InputError(file, "the message has no block 4 (the text block with the fields)", line=1)
    if body.startswith("\n"):
        body = body[1:]
        body_line += 1
    fields = _split_fields(body, body_line, file)
    if not fields:
        raise InputError(file, "block 4 holds no fields", line=body_line)
    message = SwiftMessage(
        file=file,
        block1=blocks.get("1"),
        block2=blocks.get("2"),
        block3=_sub_blocks(blocks.get("3", ""), file, "3"),
        block5=_sub_blocks(blocks.get("5", ""), file, "5"),
        fields=fields,
        block4_line=body_line,
        block4_end_line=body_line + body.count("\n"),
        extra_blocks={k: v for k, v in blocks.items() if k == "S"},
    )
    return _with_header(message, file)


def _sub_blocks(content: str, file: str, block_id: str) -> dict[str, str]:
    """Blocks 3 and 5 hold ``{tag:value}`` sub-blocks."""
    found: dict[str, str] = {}
    rest = content.strip()
    while rest:
        match = re.match(r"\{([A-Za-z0-9]{1,4}):([^{}]*)\}", rest)
        if not match:
            raise InputError(file, f"block {block_id}: malformed sub-block {rest[:20]!r}", line=1)
        found[match.group(1)] = match.group(2)
        rest = rest[match.end() :].strip()
    return found


def _with_header(message: SwiftMessage, file: str) -> SwiftMessage:
    """Message type, direction and the sender/receiver BICs from blocks 1 and 2."""
    if message.block1 is None and message.block2 is None:
        return message
    if message.block1 is None or message.block2 is None:
        raise InputError(file, "the envelope needs both block 1 and block 2", line=1)
    basic = _BLOCK1.match(message.block1)
    if not basic:
        raise InputError(
            file, f"block 1 {message.block1!r} is not a basic header (F01 + address + session)", line=1
        )
    own_address = _bic_of(basic.group("lt"))
    incoming = _BLOCK2_INPUT.match(message.block2)
    outgoing = _BLOCK2_OUTPUT.match(message.block2)
    if incoming:
        # Input to SWIFT: block 1 is the sender, block 2 names the receiver.
        values = {
            "direction": "input",
            "sender_bic": own_address,
            "receiver_bic": _bic_of(incoming.group("lt")),
        }
        message_type = incoming.group("type")
    elif outgoing:
        # Output from SWIFT: block 1 is the receiver, the sender is in the MIR of block 2.
        values = {
            "direction": "output",
            "sender_bic": _bic_of(outgoing.group("lt")),
            "receiver_bic": own_address,
        }
        message_type = outgoing.group("type")
    else:
        raise InputError(
            file, f"block 2 {message.block2!r} is not an input or output application header", line=1
        )
    return replace(message, message_type=message_type, **values)


def _split_fields(body: str, first_line: int, file: str) -> list[SwiftField]:
    """Block 4 lines into fields: a line ``:TAG:value`` starts a field, other lines continue it."""
    fields: list[SwiftField] = []
    tag: str | None = None
    tag_line = 0
    value_lines: list[str] = []
    blank_line: int | None = None

    def close() -> None:
        if tag is not None:
            fields.append(SwiftField(tag, "\n".join(value_lines), tag_line))

    for offset, raw_line in enumerate(body.split("\n")):
        number = first_line + offset
        line = raw_line.rstrip(" \t")  # trailing blanks are editor noise, not content
        if not line:
            blank_line = blank_line or number
            continue
        match = _TAG_LINE.match(line)
        if match:
            close()
            tag, tag_line, value_lines, blank_line = match.group(1), number, [match.group(2)], None
            continue
        if tag is None:
            raise InputError(file, f"expected a field tag such as ':20:', found {line[:30]!r}", line=number)
        if blank_line is not None:
            raise InputError(file, "empty line inside the field", line=blank_line, tag=tag)
        if line.startswith(":"):
            raise InputError(
                file, f"line starts with ':' but is not a field tag: {line[:30]!r}", line=number, tag=tag
            )
        if line.startswith("-"):
            # CrLf followed by '-' ends block 4, so no field line may begin with it.
            raise InputError(
                file, f"a field line may not begin with '-': {line[:30]!r}", line=number, tag=tag
            )
        value_lines.append(line)
    close()
    return fields


# --------------------------------------------------------------------------- field handlers

MT700_TAGS = frozenset(
    [
        "27",
        "40A",
        "20",
        "23",
        "31C",
        "40E",
        "31D",
        "51A",
        "51D",
        "50",
        "59",
        "32B",
        "39A",
        "39C",
        "41A",
        "41D",
        "42C",
        "42A",
        "42D",
        "42M",
        "42P",
        "43P",
        "43T",
        "44A",
        "44E",
        "44F",
        "44B",
        "44C",
        "44D",
        "45A",
        "46A",
        "47A",
        "49G",
        "49H",
        "71D",
        "48",
        "49",
        "58A",
        "58D",
        "53A",
        "53D",
        "78",
        "57A",
        "57B",
        "57D",
        "72Z",
    ]
)
MT700_MANDATORY = ("27", "40A", "20", "31C", "40E", "31D", "50", "59", "32B", "41a", "49")
# SR2018+ MT707 plus the tags of the earlier layout (31E, 34B, 39B, 72, 79) still in archives.
MT707_TAGS = frozenset(
    [
        "27",
        "20",
        "21",
        "23",
        "52A",
        "52D",
        "50B",
        "31C",
        "26E",
        "30",
        "22A",
        "23S",
        "40A",
        "40E",
        "31D",
        "31E",
        "50",
        "59",
        "32B",
        "33B",
        "34B",
        "39A",
        "39B",
        "39C",
        "41A",
        "41D",
        "42C",
        "42A",
        "42D",
        "42M",
        "42P",
        "43P",
        "43T",
        "44A",
        "44E",
        "44F",
        "44B",
        "44C",
        "44D",
        "45B",
        "46B",
        "47B",
        "49M",
        "49N",
        "71D",
        "71N",
        "48",
        "49",
        "58A",
        "58D",
        "53A",
        "53D",
        "78",
        "57A",
        "57B",
        "57D",
        "72Z",
        "72",
        "79",
        "79Z",
    ]
)


@dataclass
class _Context:
    file: str
    extractor: ExtractorName

    def provenance(
        self, source: SwiftField, *, line: int | None = None, raw: str | None = None
    ) -> Provenance:
        return Provenance(
            file=self.file,
            line=source.line if line is None else line,
            raw=source.value if raw is None else raw,
            extractor=self.extractor,
            page=None,
            bbox=None,
        )

    def extracted(self, value_type: Any, value: Any, source: SwiftField) -> Extracted[Any]:
        return Extracted[value_type](value=value, source=self.provenance(source))


def _flat(value: str) -> str:
    return " ".join(value.split())


def _text_field(attr: str) -> Callable[[SwiftField, _Context], dict[str, Any]]:
    def handle(source: SwiftField, ctx: _Context) -> dict[str, Any]:
        return {attr: ctx.extracted(str, _flat(source.value), source)}

    return handle


def _date_field(attr: str) -> Callable[[SwiftField, _Context], dict[str, Any]]:
    def handle(source: SwiftField, ctx: _Context) -> dict[str, Any]:
        return {attr: ctx.extracted(dt.date, swift_date(source.value, ctx.file, source), source)}

    return handle


def _coded_field(attr: str, codes: tuple[str, ...]) -> Callable[[SwiftField, _Context], dict[str, Any]]:
    def handle(source: SwiftField, ctx: _Context) -> dict[str, Any]:
        return {attr: ctx.extracted(str, one_of(source.value.strip(), codes, ctx.file, source), source)}

    return handle


def _bank_field(attr: str, *, as_party: bool) -> Callable[[SwiftField, _Context], dict[str, Any]]:
    def handle(source: SwiftField, ctx: _Context) -> dict[str, Any]:
        party = bank_party(source, ctx.file)
        if as_party:
            return {attr: ctx.extracted(Party, party, source)}
        return {attr: ctx.extracted(str, bank_text(party), source)}

    return handle


def _reference(source: SwiftField, ctx: _Context) -> dict[str, Any]:
    value = source.value.strip()
    # SWIFT rule T26: a reference may not start or end with '/' nor contain '//'.
    if not value or value.startswith("/") or value.endswith("/") or "//" in value:
        raise fail(ctx.file, source, f"reference {value!r} is empty, starts/ends with '/' or contains '//'")
    return {"number": ctx.extracted(str, value, source)}


def _sequence(source: SwiftField, ctx: _Context) -> dict[str, Any]:
    match = re.fullmatch(r"([1-8])/([1-8])", source.value.strip())
    if not match:
        raise fail(ctx.file, source, f"sequence of total {source.value!r} is not n/n")
    if match.group(2) != "1":
        raise fail(
            ctx.file,
            source,
            f"the credit continues in MT701 messages ({source.value}); only complete MT700s (1/1) are supported",
        )
    return {"sequence": ctx.extracted(str, source.value.strip(), source)}


def _rules(source: SwiftField, ctx: _Context) -> dict[str, Any]:
    one_of(source.value.split("/", 1)[0].strip(), APPLICABLE_RULES, ctx.file, source)
    return {"applicable_rules": ctx.extracted(str, source.value.strip(), source)}


def _expiry(source: SwiftField, ctx: _Context) -> dict[str, Any]:
    expiry, place = date_and_place(source.value, ctx.file, source)
    return {
        "expiry_date": ctx.extracted(dt.date, expiry, source),
        "expiry_place": ctx.extracted(str, place, source),
    }


def _party_field(attr: str, *, account_allowed: bool) -> Callable[[SwiftField, _Context], dict[str, Any]]:
    def handle(source: SwiftField, ctx: _Context) -> dict[str, Any]:
        party = named_party(source, ctx.file, account_allowed=account_allowed)
        return {attr: ctx.extracted(Party, party, source)}

    return handle


def _amount(source: SwiftField, ctx: _Context) -> dict[str, Any]:
    return {"amount": ctx.extracted(Money, swift_money(source.value.strip(), ctx.file, source), source)}


def _tolerance(source: SwiftField, ctx: _Context) -> dict[str, Any]:
    plus, minus = tolerance(source.value.strip(), ctx.file, source)
    return {
        "tolerance_plus": ctx.extracted(DecimalStr, plus, source),
        "tolerance_minus": ctx.extracted(DecimalStr, minus, source),
    }


def _availability(source: SwiftField, ctx: _Context) -> dict[str, Any]:
    with_bank, by = available_with_by(source, ctx.file)
    return {
        "available_with": ctx.extracted(str, with_bank, source),
        "available_by": ctx.extracted(str, by, source),
    }


def _presentation(source: SwiftField, ctx: _Context) -> dict[str, Any]:
    period = presentation_period(source.value, ctx.file, source)
    return {"presentation_period": ctx.extracted(PresentationPeriod, period, source)}


def _goods_values(items: list[NarrativeItem], source: SwiftField, ctx: _Context) -> dict[str, Any]:
    goods: list[GoodsItem] = []
    for item in items:
        parsed = goods_item(item, ctx.provenance(source, line=item.line, raw=item.raw))
        if parsed is not None:
            goods.append(parsed)
    whole = "\n".join(item.raw for item in items)
    values: dict[str, Any] = {
        "goods": goods,
        "goods_description": Extracted[str](value=whole, source=ctx.provenance(source, raw=whole)),
        "incoterm": None,
        "incoterm_place": None,
    }
    incoterm = find_incoterm(items)
    if incoterm is not None:
        where = ctx.provenance(source, line=incoterm.item.line, raw=incoterm.item.raw)
        values["incoterm"] = Extracted[str](value=incoterm.term, source=where)
        if incoterm.place:
            values["incoterm_place"] = Extracted[str](value=incoterm.place, source=where)
    return values


def _goods(source: SwiftField, ctx: _Context) -> dict[str, Any]:
    return _goods_values(split_items(source.value, source.line), source, ctx)


def _documents(source: SwiftField, ctx: _Context) -> dict[str, Any]:
    items = split_items(source.value, source.line)
    return {
        "documents_required": [
            document_requirement(item, ctx.provenance(source, line=item.line, raw=item.raw)) for item in items
        ]
    }


def _conditions(source: SwiftField, ctx: _Context) -> dict[str, Any]:
    items = split_items(source.value, source.line)
    return {
        "additional_conditions": [
            Extracted[str](value=item.text, source=ctx.provenance(source, line=item.line, raw=item.raw))
            for item in items
        ]
    }


_Handler = Callable[[SwiftField, _Context], dict[str, Any]]

# Handlers shared by the MT700 and the MT707 (a field of the 707 replaces the credit's).
COMMON_HANDLERS: dict[str, _Handler] = {
    "40A": _coded_field("form", FORMS_OF_CREDIT),
    "40E": _rules,
    "31D": _expiry,
    "50": _party_field("applicant", account_allowed=False),
    "59": _party_field("beneficiary", account_allowed=True),
    "39A": _tolerance,
    "39C": _text_field("additional_amounts"),
    "41A": _availability,
    "41D": _availability,
    "42C": _text_field("drafts_at"),
    "42A": _bank_field("drawee", as_party=True),
    "42D": _bank_field("drawee", as_party=True),
    "42M": _text_field("mixed_payment"),
    "42P": _text_field("deferred_payment"),
    "43P": _coded_field("partial_shipments", SHIPMENT_CODES),
    "43T": _coded_field("transhipment", SHIPMENT_CODES),
    "44A": _text_field("place_of_receipt"),
    "44E": _text_field("port_of_loading"),
    "44F": _text_field("port_of_discharge"),
    "44B": _text_field("place_of_delivery"),
    "44C": _date_field("latest_shipment_date"),
    "44D": _text_field("shipment_period"),
    "71D": _text_field("charges"),
    "48": _presentation,
    "49": _coded_field("confirmation", CONFIRMATION_CODES),
    "58A": _bank_field("requested_confirmation_party", as_party=False),
    "58D": _bank_field("requested_confirmation_party", as_party=False),
    "53A": _bank_field("reimbursing_bank", as_party=False),
    "53D": _bank_field("reimbursing_bank", as_party=False),
    "78": _text_field("instructions_to_bank"),
    "57A": _bank_field("advise_through", as_party=False),
    "57B": _bank_field("advise_through", as_party=False),
    "57D": _bank_field("advise_through", as_party=False),
}

MT700_HANDLERS: dict[str, _Handler] = {
    **COMMON_HANDLERS,
    "27": _sequence,
    "20": _reference,
    "23": _text_field("pre_advice_reference"),
    "31C": _date_field("date_of_issue"),
    "51A": _bank_field("applicant_bank", as_party=True),
    "51D": _bank_field("applicant_bank", as_party=True),
    "32B": _amount,
    "45A": _goods,
    "46A": _documents,
    "47A": _conditions,
    "49G": _text_field("special_payment_beneficiary"),
    "49H": _text_field("special_payment_bank"),
    "72Z": _text_field("sender_to_receiver"),
}


def _checked_fields(message: SwiftMessage, allowed: frozenset[str], kind: str) -> dict[str, SwiftField]:
    """Tag -> field after checking tags, duplicates and every field's format."""
    by_tag: dict[str, SwiftField] = {}
    for item in message.fields:
        if item.tag not in allowed:
            raise fail(message.file, item, f"unknown tag {item.tag} for an {kind}")
        if item.tag in by_tag:
            raise fail(
                message.file, item, f"field {item.tag} appears twice (first at line {by_tag[item.tag].line})"
            )
        check_field_format(item, message.file)
        by_tag[item.tag] = item
    return by_tag


def _check_type(message: SwiftMessage, expected: str) -> None:
    if message.message_type is not None and message.message_type != expected:
        names = {"700": "issue of a documentary credit", "707": "amendment to a documentary credit"}
        what = names.get(message.message_type, "another message type")
        raise InputError(
            message.file,
            f"this is an MT{message.message_type} ({what}); an MT{expected} is expected here",
            line=1,
        )


# --------------------------------------------------------------------------- MT700


def parse_mt700(text: str, file: str) -> LetterOfCredit:
    """An MT700 (with or without the FIN envelope) as a LetterOfCredit."""
    message = parse_swift_message(text, file)
    _check_type(message, "700")
    by_tag = _checked_fields(message, MT700_TAGS, "MT700")
    for required in MT700_MANDATORY:
        present = (
            any(tag[:2] == required[:2] for tag in by_tag) if required.endswith("a") else required in by_tag
        )
        if not present:
            raise InputError(
                file, "mandatory field is missing from the MT700", line=message.block4_end_line, tag=required
            )
    _check_combinations(by_tag, file)
    ctx = _Context(file=file, extractor="mt700")
    values: dict[str, Any] = {}
    for tag, item in by_tag.items():
        values.update(MT700_HANDLERS[tag](item, ctx))
    values = {key: value for key, value in values.items() if value is not None}
    return LetterOfCredit(
        file=file, sender_bic=message.sender_bic, receiver_bic=message.receiver_bic, **values
    )


def _check_combinations(by_tag: dict[str, SwiftField], file: str) -> None:
    """Network validated rules of the MT700 on which fields may appear together."""
    drafts = "42C" in by_tag
    drawee = any(tag in by_tag for tag in ("42A", "42D"))
    if drafts != drawee:
        item = by_tag.get("42C") or by_tag.get("42A") or by_tag["42D"]
        raise fail(file, item, "fields 42C (drafts at) and 42a (drawee) must be present together")
    if "44C" in by_tag and "44D" in by_tag:
        raise fail(file, by_tag["44D"], "fields 44C and 44D may not both be present")


# --------------------------------------------------------------------------- MT707

_AMEND_CODES = ("ADD", "DELETE", "REPALL")


def _amendment_operations(source: SwiftField, file: str) -> list[tuple[str, list[NarrativeItem]]]:
    """45B/46B/47B/49M/49N: segments led by /ADD/, /DELETE/ or /REPALL/, each with its items."""
    operations: list[tuple[str, list[NarrativeItem]]] = []
    lines = source.value.split("\n")
    current: tuple[str, int, list[str]] | None = None
    for offset, line in enumerate(lines):
        match = re.match(r"^/(ADD|DELETE|REPALL)/(.*)$", line)
        if match:
            if current:
                operations.append((current[0], split_items("\n".join(current[2]), current[1])))
            current = (match.group(1), source.line + offset, [match.group(2)])
        elif current is None:
            raise fail(file, source, "an amended narrative must begin with /ADD/, /DELETE/ or /REPALL/")
        else:
            current[2].append(line)
    if current:
        operations.append((current[0], split_items("\n".join(current[2]), current[1])))
    for code, items in operations:
        if not items and code != "REPALL":
            raise fail(file, source, f"/{code}/ is not followed by any text")
    return operations


def _key(text: str) -> str:
    return " ".join(item_text(text).upper().split())


def _apply_items(
    existing: list[NarrativeItem], source: SwiftField, file: str
) -> tuple[list[NarrativeItem], list[NarrativeItem]]:
    """Apply the /ADD/ /DELETE/ /REPALL/ operations to items; returns (result, items added)."""
    result = list(existing)
    added: list[NarrativeItem] = []
    for code, items in _amendment_operations(source, file):
        if code == "REPALL":
            result, added = list(items), list(items)
        elif code == "ADD":
            result.extend(items)
            added.extend(items)
        else:
            for item in items:
                keys = [_key(x.raw) for x in result]
                if _key(item.raw) not in keys:
                    raise InputError(
                        file,
                        f"/DELETE/ item not found in the credit: {item.text[:60]!r}",
                        line=item.line,
                        tag=source.tag,
                    )
                index = keys.index(_key(item.raw))
                removed = result.pop(index)
                added = [x for x in added if x is not removed]
    return result, added


def _items_of(text: str, line: int) -> list[NarrativeItem]:
    return split_items(text, line) if text.strip() else []


def apply_mt707(lc: LetterOfCredit, text: str, file: str) -> LetterOfCredit:
    """A new LetterOfCredit with the MT707 applied and an Amendment appended to its history."""
    message = parse_swift_message(text, file)
    _check_type(message, "707")
    by_tag = _checked_fields(message, MT707_TAGS, "MT707")
    reference = by_tag.get("20")
    if reference is None:
        raise InputError(
            file, "mandatory field is missing from the MT707", line=message.block4_end_line, tag="20"
        )
    if reference.value.strip().upper() != lc.number.value.strip().upper():
        raise fail(
            file,
            reference,
            f"the amendment's reference {reference.value.strip()!r} does not match the credit number "
            f"{lc.number.value!r} ({lc.file})",
        )
    if "31C" in by_tag and lc.date_of_issue is not None:
        issued = swift_date(by_tag["31C"].value, file, by_tag["31C"])
        if issued != lc.date_of_issue.value:
            raise fail(
                file,
                by_tag["31C"],
                f"date of issue {issued} differs from the credit's {lc.date_of_issue.value}",
            )

    last = max((a.number for a in lc.amendments), default=0)
    if "26E" in by_tag:
        number_field = by_tag["26E"]
        if not number_field.value.strip().isdigit():
            raise fail(file, number_field, f"amendment number {number_field.value!r} is not a number")
        number = int(number_field.value)
        if number <= last:
            raise fail(file, number_field, f"amendment {number} is already applied (last applied: {last})")
        if number != last + 1:
            raise fail(
                file, number_field, f"amendment {number} follows amendment {last}: amendments are missing"
            )
    else:
        number = last + 1  # the minimal pre-2018 layout may omit 26E: the next in sequence
    amended_on = swift_date(by_tag["30"].value, file, by_tag["30"]) if "30" in by_tag else None

    ctx = _Context(file=file, extractor="mt707")
    new = lc.model_copy(deep=True)
    changes: dict[str, Any] = {}

    def set_values(values: dict[str, Any]) -> None:
        for attr, value in values.items():
            setattr(new, attr, value)
            changes[attr] = _plain(value)

    # Before SR2018 the 707 had no 27/22A and its 59 named the beneficiary *before* the
    # amendment (a change of beneficiary went into narrative 79), so it is not applied.
    current_layout = "27" in by_tag or "22A" in by_tag
    for tag, item in by_tag.items():
        if tag == "59" and not current_layout:
            changes["beneficiary_before_amendment"] = _flat(item.value)
        elif tag in COMMON_HANDLERS:
            set_values(COMMON_HANDLERS[tag](item, ctx))
            # 44C and 44D exclude each other in a credit: the one amended replaces the other
            if tag == "44C" and new.shipment_period is not None:
                set_values({"shipment_period": None})
            elif tag == "44D" and new.latest_shipment_date is not None:
                set_values({"latest_shipment_date": None})
        elif tag == "31E":
            set_values({"expiry_date": ctx.extracted(dt.date, swift_date(item.value, file, item), item)})
        elif tag == "45B":
            set_values(_amend_goods(new, item, ctx))
        elif tag == "46B":
            set_values(_amend_documents(new, item, ctx))
        elif tag == "47B":
            set_values(_amend_conditions(new, item, ctx))
        elif tag in ("49M", "49N"):
            attr = "special_payment_beneficiary" if tag == "49M" else "special_payment_bank"
            old: Extracted[str] | None = getattr(new, attr)
            items, _ = _apply_items(_items_of(old.value if old else "", 0), item, file)
            joined = "\n".join(x.raw for x in items)
            set_values({attr: Extracted[str](value=joined, source=ctx.provenance(item)) if joined else None})
        elif tag == "79" or tag == "79Z":
            changes["narrative"] = item.value
        elif tag == "22A":
            changes["purpose"] = item.value.strip()
        elif tag == "23S":
            changes["cancellation_request"] = item.value.strip() == "CANCEL"
        elif tag == "71N":
            changes["amendment_charges"] = _flat(item.value)
        elif tag in ("72Z", "72"):
            changes["sender_to_receiver"] = _flat(item.value)
    set_values(_amend_amount(new, by_tag, ctx))

    first = message.fields[0]
    new.amendments.append(
        Amendment(
            number=number,
            date=amended_on,
            changes=changes,
            raw_fields={f.tag: f.value for f in message.fields},
            source=Provenance(file=file, line=first.line, raw="", extractor="mt707"),
        )
    )
    return LetterOfCredit.model_validate(new.model_dump())


def _amend_amount(new: LetterOfCredit, by_tag: dict[str, SwiftField], ctx: _Context) -> dict[str, Any]:
    """32B increase, 33B decrease, 34B new amount (which must agree with them when all are given)."""
    current = new.amount.value
    amount = current.amount
    last: SwiftField | None = None
    for tag, sign in (("32B", 1), ("33B", -1)):
        if tag in by_tag:
            change = swift_money(by_tag[tag].value.strip(), ctx.file, by_tag[tag])
            if change.currency != current.currency:
                raise fail(
                    ctx.file,
                    by_tag[tag],
                    f"currency {change.currency} differs from the credit's {current.currency}",
                )
            amount += sign * change.amount
            last = by_tag[tag]
    if "34B" in by_tag:
        stated = swift_money(by_tag["34B"].value.strip(), ctx.file, by_tag["34B"])
        if stated.currency != current.currency:
            raise fail(
                ctx.file,
                by_tag["34B"],
                f"currency {stated.currency} differs from the credit's {current.currency}",
            )
        if last is not None and stated.amount != amount:
            raise fail(
                ctx.file,
                by_tag["34B"],
                f"new amount {stated.amount} does not equal {current.amount} adjusted by 32B/33B ({amount})",
            )
        amount, last = stated.amount, by_tag["34B"]
    if last is None:
        return {}
    if amount <= 0:
        raise fail(ctx.file, last, f"the amended credit amount would be {amount}")
    return {"amount": ctx.extracted(Money, Money(amount=amount, currency=current.currency), last)}


def _amend_goods(new: LetterOfCredit, source: SwiftField, ctx: _Context) -> dict[str, Any]:
    old_text = new.goods_description.value if new.goods_description else ""
    items, added = _apply_items(_items_of(old_text, 0), source, ctx.file)
    values = _goods_values(items, source, ctx)
    # Goods that were already in the credit keep their original provenance.
    previous = {_key(g.source.raw): g for g in new.goods if g.source is not None}
    added_keys = {_key(x.raw) for x in added}
    values["goods"] = [
        previous[_key(g.source.raw)]
        if g.source is not None and _key(g.source.raw) in previous and _key(g.source.raw) not in added_keys
        else g
        for g in values["goods"]
    ]
    if new.incoterm is not None and values["incoterm"] is not None:
        unchanged = _key(new.incoterm.source.raw) not in added_keys and (
            new.incoterm.value == values["incoterm"].value
        )
        if unchanged:
            values["incoterm"], values["incoterm_place"] = new.incoterm, new.incoterm_place
    return values


def _amend_documents(new: LetterOfCredit, source: SwiftField, ctx: _Context) -> dict[str, Any]:
    existing = [
        NarrativeItem(text=item_text(d.raw), raw=d.raw, line=d.source.line or 0)
        for d in new.documents_required
    ]
    previous = {_key(d.raw): d for d in new.documents_required}
    items, added = _apply_items(existing, source, ctx.file)
    added_ids = {id(x) for x in added}
    result: list[DocumentRequirement] = []
    for item in items:
        if id(item) not in added_ids and _key(item.raw) in previous:
            result.append(previous[_key(item.raw)])
        else:
            result.append(document_requirement(item, ctx.provenance(source, line=item.line, raw=item.raw)))
    return {"documents_required": result}


def _amend_conditions(new: LetterOfCredit, source: SwiftField, ctx: _Context) -> dict[str, Any]:
    existing = [
        NarrativeItem(text=c.value, raw=c.source.raw or c.value, line=c.source.line or 0)
        for c in new.additional_conditions
    ]
    previous = {_key(c.source.raw or c.value): c for c in new.additional_conditions}
    items, added = _apply_items(existing, source, ctx.file)
    added_ids = {id(x) for x in added}
    result: list[Extracted[str]] = []
    for item in items:
        if id(item) not in added_ids and _key(item.raw) in previous:
            result.append(previous[_key(item.raw)])
        else:
            result.append(
                Extracted[str](value=item.text, source=ctx.provenance(source, line=item.line, raw=item.raw))
            )
    return {"additional_conditions": result}


def _plain(value: Any) -> Any:
    """A JSON-friendly copy of a changed value for the amendment record."""
    if isinstance(value, Extracted):
        return _plain(value.value)
    if isinstance(value, BaseModel):
        return value.model_dump(
            mode="json", exclude={"source"} if "source" in type(value).model_fields else None
        )
    if isinstance(value, list):
        return [_plain(x) for x in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value
