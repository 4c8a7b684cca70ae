"""Insurance certificate / policy / cover note template: assured, amount, clauses, voyage, dates."""

from __future__ import annotations

import re

from extractors import normalize
from extractors.fields.common import (
    Found,
    Reader,
    common_fields,
    letterhead,
    parse_count_value,
    parse_place,
    parse_reference,
)
from extractors.models import Extracted, InsuranceCertificate, Party

NUMBER_LABELS = [
    r"policy no\.?",
    r"policy number",
    r"certificate no\.?",
    r"certificate number",
    r"cover note no\.?",
]
DATE_LABELS = [r"place and date of issue", r"date of issue", r"issue date", r"date"]
AMOUNT_LABELS = [
    r"amount insured",
    r"sum insured",
    r"insured value",
    r"insured amount",
    r"amount of insurance",
]
TITLE_RE = re.compile(
    r"\b(marine\s+)?(cargo\s+)?(insurance\s+(certificate|policy)|certificate\s+of\s+insurance|cover\s+note)\b",
    re.IGNORECASE,
)
CLAUSE_RE = re.compile(
    r"institute\s+(cargo|war|strikes)\s+clauses\s*(\((a|b|c|air|cargo)\))?(\s*\((cargo)\))?|\ball\s+risks\b",
    re.IGNORECASE,
)
EXCLUSION_RE = re.compile(r"\b(excluding|exclud\w+|except)\b.*", re.IGNORECASE)
VOYAGE_RE = re.compile(
    r"\bfrom\s*:?\s+([A-Z][A-Za-z .,'-]+?)\s+to\s*:?\s+([A-Z][A-Za-z .'-]+?)(?=\s{2}|\s+via\b|[,;]|$)",
    re.IGNORECASE,
)
COVER_START_RE = re.compile(
    r"\b(cover\s+effective\s+from|insurance\s+attaches\s+from|effective\s+from|attaches\s+from|cover\s+commences)\b",
    re.IGNORECASE,
)
INSURER_RE = re.compile(
    r"\b([A-Z][A-Z0-9 &.,'-]*(INSURANCE|ASSURANCE|UNDERWRITERS)[A-Z &.,'-]*)", re.IGNORECASE
)
COVER_NOTE_RE = re.compile(r"^\s*cover\s+note\b", re.IGNORECASE)


def extract(reader: Reader) -> InsuranceCertificate:
    fields = common_fields(reader)
    number = reader.find(NUMBER_LABELS, parse_reference)
    if number:
        fields["number"] = number
    date = reader.find(DATE_LABELS, normalize.parse_date)
    if date:
        fields["date"] = date
    assured = reader.party([r"assured", r"insured", r"name of assured", r"the assured"])
    if assured:
        fields["assured"] = assured
    amount = reader.find(AMOUNT_LABELS, lambda text: normalize.parse_money(text))
    if amount:
        fields["insured_amount"] = amount
        fields["currency"] = Extracted[str](value=amount.value.currency, source=amount.source)

    clauses: list[Extracted[str]] = []
    exclusions: list[Extracted[str]] = []
    seen: set[str] = set()
    for line in reader._lines:
        for match in CLAUSE_RE.finditer(line.text):
            name = re.sub(r"\s+", " ", match.group()).upper()
            if name not in seen:
                seen.add(name)
                clauses.append(
                    reader.extracted(name, reader.found_in_line(line, match.start(), match.end()), 0.9)
                )
        exclusion = EXCLUSION_RE.search(line.text)
        if exclusion:
            exclusions.append(
                reader.extracted(
                    exclusion.group().strip(),
                    reader.found_in_line(line, exclusion.start(), exclusion.end()),
                    0.7,
                )
            )
    fields["clauses"] = clauses
    fields["exclusions"] = exclusions

    _voyage(reader, fields)
    for line, match in reader.find_all_lines(COVER_START_RE):
        dates = normalize.find_dates(line.text[match.end() :])
        if dates:
            start, end, value = dates[0]
            fields["cover_start"] = reader.extracted(
                value, reader.found_in_line(line, match.end() + start, match.end() + end)
            )
            break
    vessel = reader.find([r"vessel( name)?", r"per vessel", r"conveyance", r"name of vessel"], parse_place)
    if vessel:
        fields["vessel"] = vessel
    originals = reader.find(
        [r"number of originals?", r"no\.? of originals?", r"originals? issued"], parse_count_value
    )
    if originals:
        fields["originals_issued"] = originals
    claims = reader.find(
        [r"claims?,? if any,? payable at", r"claims payable at", r"claims are payable at"], parse_place
    )
    if claims:
        fields["claims_payable_at"] = claims

    heading = next(
        (s for ln in reader.pdf.pages[0].lines[:8] for s in ln.segments if COVER_NOTE_RE.match(s.text)), None
    )
    if heading is not None:
        fields["is_cover_note"] = Extracted[bool](
            value=True,
            source=reader.provenance(
                Found(heading.text, list(heading.words), reader.pdf.pages[0].lines[0]),
                0.9,
            ),
        )
    issuer = _insurer(reader)
    if issuer:
        fields["issuer"] = issuer
    return InsuranceCertificate(**fields)  # type: ignore[arg-type]


def _voyage(reader: Reader, fields: dict[str, object]) -> None:
    for line, match in reader.find_all_lines(VOYAGE_RE):
        origin, destination = match.group(1).strip(), match.group(2).strip()
        if normalize.parse_date(origin) or re.match(r"\d", origin):
            continue
        fields["from_place"] = reader.extracted(
            origin.upper(), reader.found_in_line(line, match.start(1), match.end(1)), 0.85
        )
        fields["to_place"] = reader.extracted(
            destination.upper(), reader.found_in_line(line, match.start(2), match.end(2)), 0.85
        )
        return
    origin_found = reader.find([r"from", r"voyage from"], parse_place)
    destination_found = reader.find([r"to", r"voyage to"], parse_place)
    if origin_found and destination_found:
        fields["from_place"] = origin_found
        fields["to_place"] = destination_found


def _insurer(reader: Reader) -> Extracted[Party] | None:
    for line in reversed(reader._lines):
        if re.search(
            r"\b(as\s+insurers?|underwriters?|as\s+agents?\s+for\s+the\s+insurers?|for\s+and\s+on\s+behalf\s+of)\b",
            line.text,
            re.IGNORECASE,
        ):
            match = INSURER_RE.search(line.text)
            if match:
                found = reader.found_in_line(line, match.start(1), match.end(1))
                name = re.split(r"\s+as\s+", match.group(1), flags=re.IGNORECASE)[0].strip(" ,")
                return Extracted[Party](value=Party(name=name.upper()), source=reader.provenance(found, 0.75))
    return letterhead(reader, TITLE_RE)
