"""Bill of lading template: parties, routing, on-board notation, originals, clauses, signatory."""

from __future__ import annotations

import re

from extractors import normalize
from extractors.fields.common import (
    GROSS_LABELS,
    NET_LABELS,
    PACKAGES_LABELS,
    Found,
    Reader,
    common_fields,
    is_caption,
    letterhead,
    parse_count_value,
    parse_packages,
    parse_place,
    parse_reference,
    parse_text,
    parse_weight,
    without_scribble,
)
from extractors.models import BillOfLading, Extracted, Party
from extractors.ocr_normalize import confirm, unsure_by_ocr
from extractors.pdf_text import Line, Segment

NUMBER_LABELS = [r"b/l no\.?", r"b/l number", r"bill of lading no\.?", r"bill of lading number", r"b/l ref\.?",
                 r"document no\.?", r"bl no\.?"]  # fmt: skip
VESSEL_LABELS = [r"ocean vessel", r"vessel ?/? ?voy(age)?\.?( no\.?)?", r"vessel name", r"name of vessel", r"vessel",
                 r"pre-carriage by ocean vessel"]  # fmt: skip
VOYAGE_LABELS = [r"voyage no\.?", r"voy\.? no\.?", r"voyage"]
ORIGINALS_LABELS = [r"number of original b/?ls?", r"no\.? of original b\(s\)/l", r"number of originals?",
                    r"no\.? of originals?", r"original b/?ls? issued", r"number of original bills of lading"]  # fmt: skip
# A form's note after a party caption ("Notify Party (Complete name and address):",
# "Consignee (or order)") belongs to the caption, not to the party's name.
CAPTION_NOTE = r"(?:\s*\([^()]{1,60}\))?"
# "SAME AS CONSIGNEE" in the notify box: the consignee is to be notified (OCR may drop a space).
SAME_AS_CONSIGNEE_RE = re.compile(r"^\s*same\s*as\s*(?:the\s*)?(?:consignee|cnee)\b", re.IGNORECASE)
ISSUE_LABELS = [r"place and date of issue", r"date of issue", r"issue date", r"date"]
TITLE_RE = re.compile(
    r"\b((ocean|marine|multimodal|combined)\s+(transport\s+)?)?bills?\s+of\s+lading\b|\bcharter\s+party\s+b/l\b",
    re.IGNORECASE,
)

# the end of a date that wrapped onto the next line of a narrow value column
DATE_TAIL_RE = re.compile(r"(\d{1,2}(st|nd|rd|th)?\s+)?([A-Za-z]{3,9}\.?,?\s+)?\d{2,4}")
ON_BOARD_RE = re.compile(
    r"\b(shipped\s+on\s+board|laden\s+on\s+board|loaded\s+on\s+board|on\s+board)\b", re.IGNORECASE
)
FREIGHT_RE = re.compile(r"\bfreight\s*(prepaid|collect)\b", re.IGNORECASE)
CHARTER_RE = re.compile(
    r"(?<!not\s)\b(to\s+be\s+used\s+with\s+charter[\s-]*part(y|ies)|charter[\s-]*party\s+b/?l)", re.IGNORECASE
)
ON_DECK_RE = re.compile(r"\b(shipped|loaded|stowed|carried)?\s*on\s+deck\b", re.IGNORECASE)
HARMLESS_DECK_RE = re.compile(
    r"\bmay\s+(be\s+)?(carried|shipped|loaded|stowed)?\s*$|liberty|option|at\s+shipper'?s\s+risk\s*$",
    re.IGNORECASE,
)
TRANSHIP_RE = re.compile(r"\btranship(ment|ped)\s+(at|via|in)\s+([A-Z][A-Za-z .'-]{2,30})", re.IGNORECASE)
TRANSHIP_LABELS = [r"port of transhipment", r"transhipment port", r"place of transhipment"]

HARMLESS_CLAUSES = re.compile(
    r"said\s+to\s+contain|\bstc\b|shipper'?s\s+load,?\s*(stow|count|and)[\w ,&]*|\bslac\b|weight\s+unknown|"
    r"contents?\s+unknown|quantity\s+unknown",
    re.IGNORECASE,
)
_DEFECT = r"(damaged|torn|broken|wet|rusty|stained|dented|leaking|holed|crushed|soiled|chafed|missing)"
UNCLEAN_CLAUSES = re.compile(
    r"\b(packag(ing|es)|packing|cartons?|cases?|bags?|drums?|goods|cargo|crates?|pallets?|boxes|units?)\s+"
    r"(\w+\s+)?" + _DEFECT + r"\b|\b(rusty|rust[\s-]stained|stained|torn|dented|leaking|water[\s-]damaged)\b|"
    r"\binsufficient(ly)?\s+pack",
    re.IGNORECASE,
)
# Boilerplate that names defects without declaring them ("liable for loss or damage").
CLAUSE_NEGATION = re.compile(
    r"\b(liab\w*|responsib\w*|not\s+be|unless|in\s+case\s+of|claims?)\b", re.IGNORECASE
)

CAPACITY_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("agent_for_master", re.compile(r"\bas\s+agents?\s+(for|of)\s+(and\s+on\s+behalf\s+of\s+)?the\s+master", re.IGNORECASE)),
    ("agent_for_carrier", re.compile(r"\bas\s+agents?\s+(for|of)\s+(and\s+on\s+behalf\s+of\s+)?(the\s+)?carrier", re.IGNORECASE)),
    ("master", re.compile(r"\b(as\s+)?(the\s+)?master\b(?!\s+bill)", re.IGNORECASE)),
    ("carrier", re.compile(r"\bas\s+(the\s+)?carrier\b", re.IGNORECASE)),
]  # fmt: skip
SIGNED_BY_RE = re.compile(
    r"\b(?:signed\s+by|by)\s*:?\s+(.+?)\s*,?\s+as\s+(?:the\s+)?(?:agents?|carrier|master)", re.IGNORECASE
)
AGENT_TARGET_RE = re.compile(r"as\s+agents?\s+(?:for|of)\s+(?:and\s+on\s+behalf\s+of\s+)?the\s+carrier\s*,?\s*([A-Z][A-Za-z0-9 &.,'-]{2,60})", re.IGNORECASE)  # fmt: skip


def extract(reader: Reader) -> BillOfLading:
    fields = common_fields(reader)
    number = reader.find(NUMBER_LABELS, parse_reference)
    if number:
        fields["number"] = _carrier_prefix_zero(number)
    issue = reader.find_wrapped(ISSUE_LABELS, normalize.parse_date, DATE_TAIL_RE)
    if issue:
        fields["date"] = issue

    for key, labels in (
        ("shipper", [r"shipper/exporter", r"shipper", r"consignor"]),
        ("consignee", [r"consignee"]),
        ("notify_party", [r"notify party", r"notify address", r"notify"]),
    ):
        party = reader.party([label + CAPTION_NOTE for label in labels])
        if party:
            fields[key] = _join_to_order(party)
    notify = fields.get("notify_party")
    if isinstance(notify, Extracted):
        fields["notify_party"] = _same_as_consignee(notify, fields.get("consignee"))
    carrier = reader.party([r"carrier", r"carrier name"])
    if carrier is None:
        carrier = letterhead(reader, TITLE_RE)
        if carrier is not None and TITLE_RE.fullmatch(carrier.value.name.strip(" .:")):
            carrier = None  # the title beside a caption is no letterhead
    if carrier:
        fields["carrier"] = carrier

    vessel = reader.find(VESSEL_LABELS, parse_place)
    if vessel and vessel.value.endswith("/"):
        vessel = _with_wrapped_voyage(reader, vessel)
    if vessel:
        # "MV X / 581E"; OCR may drop the space on one side of the slash ("MV X /581E")
        name, voyage = (*re.split(r"\s+/\s*|\s*/\s+", vessel.value, maxsplit=1), "")[:2]
        if not voyage and "/" in name and "VOY" in vessel.source.raw.upper():
            name, _, voyage = name.partition("/")
        fields["vessel"] = Extracted[str](value=name.strip(), source=vessel.source)
        if voyage.strip():
            fields["voyage"] = Extracted[str](value=voyage.strip(), source=vessel.source)
    if "voyage" not in fields:
        voyage_found = reader.find(VOYAGE_LABELS, parse_reference)
        if voyage_found:
            fields["voyage"] = voyage_found

    for key, labels in (
        ("place_of_receipt", [r"place of receipt"]),
        ("port_of_loading", [r"port of loading"]),
        ("port_of_discharge", [r"port of discharge"]),
        ("place_of_delivery", [r"place of delivery", r"final destination"]),
    ):
        place = reader.find(labels, parse_place)
        if place:
            fields[key] = place

    _on_board(reader, fields)
    originals = reader.find(ORIGINALS_LABELS, parse_count_value)
    if originals:
        fields["originals_issued"] = originals
    freight = reader.find_phrase(FREIGHT_RE)
    if freight:
        fields["freight"] = reader.extracted(FREIGHT_RE.search(freight.text).group(1).upper(), freight)  # type: ignore[union-attr]
    charter = reader.find_phrase(CHARTER_RE)
    fields["charter_party"] = (
        reader.extracted(True, charter, 0.8)
        if charter
        else Extracted[bool](value=False, source=_doc_source(reader, 0.6))
    )
    _on_deck(reader, fields)
    _transhipment(reader, fields)
    _clauses(reader, fields)
    _signatory(reader, fields)

    containers = []
    for line in reader._lines:
        read_by_ocr = any(getattr(w, "confidence", None) is not None for w in line.words)
        for start, end, number_text in normalize.find_containers(line.text, ocr=read_by_ocr):
            container = reader.extracted(number_text, reader.found_in_line(line, start, end), 0.95)
            source = container.source
            if unsure_by_ocr(source):
                # its ISO 6346 check digit agrees with the ten characters before it: a misread
                # of one character never keeps it agreeing, so the number is the one written
                confirm(
                    source,
                    f"read at OCR confidence {source.ocr_confidence:.2f}; its ISO 6346 check digit agrees",
                )
            containers.append(container)
    fields["containers"] = containers

    for key, labels, parser in (
        ("gross_weight", GROSS_LABELS, parse_weight),
        ("net_weight", NET_LABELS, parse_weight),
        ("packages", [*PACKAGES_LABELS, r"no\. of (pkgs|containers or packages)"], parse_packages),
    ):
        value = reader.find_first(labels, parser)
        if value:
            fields[key] = value
    goods = reader.block(
        [r"description of (packages and )?goods", r"description of goods", r"kind of packages"], max_lines=5
    )
    if goods:
        fields["goods_description"] = Extracted[str](value=goods.text, source=reader.provenance(goods, 0.7))
    return BillOfLading(**fields)  # type: ignore[arg-type]


# A carrier's B/L number starts with its four-letter SCAC code ("TPSC001173713"); OCR reads a
# zero right after the code as the letter O ("TPSCO001173713"). Five letters ending in O before
# the digits can only be that.
_SCAC_THEN_ZERO = re.compile(r"^([A-Z]{4})O(\d{5,})$")


def _carrier_prefix_zero(number: Extracted[str]) -> Extracted[str]:
    match = _SCAC_THEN_ZERO.match(number.value)
    if match is None or number.source.extractor != "ocr":
        return number
    return Extracted[str](value=f"{match.group(1)}0{match.group(2)}", source=number.source)


def _doc_source(reader: Reader, confidence: float):
    """Provenance for a value that is the absence of wording: the whole first page."""
    from extractors.models import Provenance
    from extractors.ocr import is_ocr_document

    page = reader.pdf.pages[0]
    return Provenance(
        file=reader.file, page=1, bbox=(0.0, 0.0, page.width, page.height), raw="",
        extractor="ocr" if is_ocr_document(reader.pdf) else "text", confidence=confidence,
    )  # fmt: skip


def _with_wrapped_voyage(reader: Reader, vessel: Extracted[str]) -> Extracted[str]:
    """ "MV PACIFIC MERIDIAN /" whose voyage number wrapped onto the next line."""
    bbox = vessel.source.bbox
    line = next(
        (ln for ln in reader.pdf.pages[(vessel.source.page or 1) - 1].lines
         if bbox is not None and any(abs(w.x0 - bbox[0]) < 0.5 and abs(w.top - bbox[1]) < 0.5 for w in ln.words)),
        None,
    )  # fmt: skip
    if line is None:
        return vessel
    start = next(w for w in line.words if abs(w.x0 - bbox[0]) < 0.5)  # type: ignore[index]
    wrapped = reader.continuation(Found(vessel.value, [start], line))
    if wrapped is None or not re.fullmatch(r"[A-Z0-9][A-Z0-9\-]{1,12}", wrapped.text.strip()):
        return vessel
    value = f"{vessel.value} {wrapped.text.strip()}"
    return Extracted[str](value=value, source=vessel.source.model_copy(update={"raw": value}))


def _same_as_consignee(notify: Extracted[Party], consignee: object) -> Extracted[Party]:
    """A notify box reading "SAME AS CONSIGNEE" names the consignee: its name and address,
    read where the notify box says so."""
    words = [notify.value.name, *notify.value.address]
    if not isinstance(consignee, Extracted) or not any(SAME_AS_CONSIGNEE_RE.match(w) for w in words[:2]):
        return notify
    note = f"notify party reads {notify.source.raw.strip()!r}: the consignee"
    source = notify.source.model_copy(update={"notes": [*notify.source.notes, note]})
    return Extracted[Party](value=consignee.value.model_copy(), source=source)


def _join_to_order(party: Extracted[Party]) -> Extracted[Party]:
    """ "TO ORDER OF" on its own line belongs to the name below it."""
    value = party.value
    if re.fullmatch(r"(to\s+)?(the\s+)?order(\s+of)?[:,]?", value.name, re.IGNORECASE) and value.address:
        value = Party(
            name=f"{value.name.rstrip(':,')} {value.address[0]}",
            address=value.address[1:],
            country=value.country,
            bic=value.bic,
        )
        return Extracted[Party](value=value, source=party.source)
    return party


def _on_board(reader: Reader, fields: dict[str, object]) -> None:
    for line, match in reader.find_all_lines(ON_BOARD_RE):
        found = reader.found_in_line(line, match.start(), match.end())
        fields.setdefault("on_board", reader.extracted(True, found, 0.85))
        # the notation's date is on the same line or just below it
        candidates = [line]
        page_lines = reader.pdf.pages[line.page - 1].lines
        if line.index + 1 < len(page_lines):
            candidates.append(page_lines[line.index + 1])
        for candidate in candidates:
            text = candidate.text if candidate is not line else candidate.text[match.start() :]
            offset = 0 if candidate is not line else match.start()
            dates = normalize.find_dates(text)
            if dates:
                start, end, value = dates[0]
                fields["on_board_date"] = reader.extracted(
                    value, reader.found_in_line(candidate, offset + start, offset + end)
                )
                return


def _on_deck(reader: Reader, fields: dict[str, object]) -> None:
    for line, _ in reader.find_all_lines(ON_DECK_RE):
        for match in ON_DECK_RE.finditer(line.text):
            before = line.text[: match.start()]
            if HARMLESS_DECK_RE.search(before) and not match.group(1):
                continue
            if match.group(1) and HARMLESS_DECK_RE.search(line.text[: match.start(1)]):
                continue
            fields["on_deck"] = reader.extracted(
                True, reader.found_in_line(line, match.start(), match.end()), 0.85
            )
            return
    fields["on_deck"] = Extracted[bool](value=False, source=_doc_source(reader, 0.6))


def _transhipment(reader: Reader, fields: dict[str, object]) -> None:
    port = reader.find(TRANSHIP_LABELS, parse_place)
    if port and port.value not in {"N/A", "NONE", "NIL", "-"}:
        fields["transhipment"] = Extracted[bool](value=True, source=port.source)
        fields["transhipment_port"] = port
        return
    found = reader.find_phrase(TRANSHIP_RE)
    if found:
        match = TRANSHIP_RE.search(found.text)
        fields["transhipment"] = reader.extracted(True, found, 0.8)
        if match:
            fields["transhipment_port"] = reader.extracted(match.group(3).strip().upper(), found, 0.8)


def _clauses(reader: Reader, fields: dict[str, object]) -> None:
    clauses: list[Extracted[str]] = []
    unclean: list[Extracted[str]] = []
    for line in reader._lines:
        text = line.text
        for harmless in HARMLESS_CLAUSES.finditer(text):
            found = reader.found_in_line(line, harmless.start(), harmless.end())
            clauses.append(reader.extracted(harmless.group().strip(" -").upper(), found, 0.85))
        defect = UNCLEAN_CLAUSES.search(text)
        if defect and not CLAUSE_NEGATION.search(text):
            found = Found(text, list(line.words), line)
            clause = reader.extracted(text.strip(), found, 0.8)
            clauses.append(clause)
            unclean.append(clause)
    fields["clauses"] = clauses
    fields["unclean_clauses"] = unclean


def _signatory(reader: Reader, fields: dict[str, object]) -> None:
    # Search the signature area: the last lines that mention a capacity.
    for line in reversed(reader._lines):
        kept = without_scribble(Segment(list(line.words)))  # the scribble beside a signed name
        if kept is None:
            continue
        text = kept.text
        words = list(kept.words)
        # a signature line wraps: "Signed by X as" / "carrier"
        wrapped = reader.continuation(Found(text, words[:1], line), captions=True)
        if wrapped is not None and len(wrapped.words) <= 4:
            text, words = f"{text} {wrapped.text}", [*words, *wrapped.words]
        for capacity, pattern in CAPACITY_PATTERNS:
            match = pattern.search(text)
            if not match:
                continue
            if capacity == "master" and re.search(
                r"master\s*(bill|b/l)|masters?\s+of\s+the\s+vessel\s+not", text, re.IGNORECASE
            ):
                continue
            found = Found(text, words, line)
            fields["signatory_capacity"] = reader.extracted(capacity, found, 0.8)
            name = None
            name_found = found
            by = SIGNED_BY_RE.search(text)
            own = _own_segment(line, match.start())
            # the capacity opens a box of its own ("AS CARRIER" under the signer's name): what
            # precedes it on the line is another column
            above = _signer_above(reader, line, own) if own is not None and capacity == "carrier" else None
            if by:
                name = by.group(1)
            elif above is not None:
                name, name_found = above.text, above
            elif match.start() > 0:
                name = text[: match.start()].strip(" ,:-")
                name = re.sub(r"^(signed|signature|by)\s*:?\s*", "", name, flags=re.IGNORECASE) or None
            if name is None and capacity == "agent_for_carrier":
                target = AGENT_TARGET_RE.search(text)
                name = target.group(1) if target else None
            if name:
                name = parse_text(name) or name
                fields["signatory"] = reader.extracted(name, name_found, 0.7)
                if capacity == "carrier" and "carrier" not in fields:
                    # signed "as carrier": the signature names the carrier (UCP 600 20(a)(i))
                    fields["carrier"] = reader.extracted(Party(name=name), name_found, 0.7)
            return


# a signature line under the signer's name: "BY ______", "Per pro", underscores
_SIGN_HERE_RE = re.compile(r"^\s*(by|per|p\.?\s*p\.?)?\s*[:._\-\s]*$", re.IGNORECASE)


def _own_segment(line: Line, start: int) -> Segment | None:
    """The segment of ``line`` that starts at character ``start`` of its text, if one does."""
    position = 0
    for segment in line.segments:
        if position == start:
            return segment
        if position > start:
            return None
        position += len(segment.text) + 1
    return None


def _signer_above(reader: Reader, line: Line, box: Segment) -> Found | None:
    """The signer's name above a capacity set in its own box, past a "BY ____" line; a
    caption ("Signature:") ends the box."""
    page_lines = reader.pdf.pages[line.page - 1].lines
    previous = line
    for above in reversed(page_lines[max(0, line.index - 4) : line.index]):
        if previous.top - above.bottom > 2.5 * max(previous.height, 6.0):
            return None
        cell = next((s for s in above.segments if abs(s.x0 - box.x0) <= 12), None)
        previous = above
        if cell is None:
            continue
        if is_caption(cell.text) or re.match(r"^\s*signature\s*:", cell.text, re.IGNORECASE):
            return None
        if _SIGN_HERE_RE.match(cell.text) or not re.search(r"[A-Za-z]{2}", cell.text):
            continue
        return Found(cell.text, list(cell.words), above)
    return None
