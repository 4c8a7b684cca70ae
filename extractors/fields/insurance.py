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
    without_scribble,
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
CLAUSE_LETTER_RE = re.compile(r"^\s*\((a|b|c|air|cargo)\)", re.IGNORECASE)
# How an insurer, its agent or a broker signs: the capacity under the signature.
SIGNING_CAPACITY_RE = re.compile(
    r"^\s*(?:as\s+)?(?:(?:authori[sz]ed\s+)?agents?\s+(?:for|of)\s+(?:and\s+on\s+behalf\s+of\s+)?(?:the\s+)?"
    r"(?:insurers?|underwriters?|company)|insurers?|underwriters?|brokers?|authori[sz]ed\s+signatory)\s*\.?$",
    re.IGNORECASE,
)
FOR_SIGNER_RE = re.compile(
    r"^\s*for\s+(?:and\s+on\s+behalf\s+of\s+)?(?!the\s+assured)(\S.{2,})$", re.IGNORECASE
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
            found = reader.found_in_line(line, match.start(), match.end())
            if match.group(2) is None:
                wrapped = _wrapped_clause_letter(reader, found)
                if wrapped is not None:
                    name = f"{name} {wrapped.text.upper()}"
                    found = Found(name, [*found.words, *wrapped.words], line)
            if name not in seen:
                seen.add(name)
                clauses.append(reader.extracted(name, found, 0.9))
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
    signature = _signature(reader)
    if signature is not None:
        found, signer = signature
        fields["signed"] = reader.extracted(True, found, 0.75)
        issuer = signer if signer is not None else _insurer(reader)
    else:
        issuer = _insurer(reader)
    if issuer:
        fields["issuer"] = issuer
    return InsuranceCertificate(**fields)  # type: ignore[arg-type]


def _voyage(reader: Reader, fields: dict[str, object]) -> None:
    # Read "From X to Y" segment by segment (the line of a two-column layout also holds the
    # other column), with the line it wrapped onto when it ends open ("From X to" / "Y").
    for line in reader._lines:
        for segment in line.segments:
            if not re.search(r"\bfrom\b", segment.text, re.IGNORECASE):
                continue
            text, words = segment.text, list(segment.words)
            if re.search(r"\b(to|from)\s*:?\s*$", text, re.IGNORECASE):
                wrapped = reader.continuation(Found(text, words, line))
                if wrapped is not None:
                    text, words = f"{text} {wrapped.text}", [*words, *wrapped.words]
            match = VOYAGE_RE.search(text)
            if match is None:
                continue
            origin, destination = match.group(1).strip(), match.group(2).strip()
            if normalize.parse_date(origin) or re.match(r"\d", origin):
                continue
            found = Found(text, words, line)
            fields["from_place"] = reader.extracted(origin.upper(), found, 0.85)
            fields["to_place"] = reader.extracted(destination.upper(), found, 0.85)
            return
    origin_found = reader.find([r"from", r"voyage from"], parse_place)
    destination_found = reader.find([r"to", r"voyage to"], parse_place)
    if origin_found and destination_found:
        fields["from_place"] = origin_found
        fields["to_place"] = destination_found


def _wrapped_clause_letter(reader: Reader, found: Found) -> Found | None:
    """ "INSTITUTE CARGO CLAUSES" whose "(A)" wrapped onto the next line of its column."""
    line = found.line
    page_lines = reader.pdf.pages[line.page - 1].lines
    x0 = found.words[0].x0
    for below in page_lines[line.index + 1 : line.index + 3]:
        if below.top - line.bottom > 2 * max(line.height, 6.0):
            return None
        for segment in below.segments:
            if abs(segment.x0 - x0) <= 6:
                match = CLAUSE_LETTER_RE.match(segment.text)
                if match is None:
                    return None
                return Found(match.group().strip(), list(segment.words[: len(match.group().split())]), below)
    return None


def _signature(reader: Reader) -> tuple[Found, Extracted[Party] | None] | None:
    """The signature block: a capacity line ("as insurers", "Underwriters") and the "For
    <company>" line above it. Returns where it is and the signing company, if named."""
    for line in reversed(reader._lines):
        capacity = next(
            (
                kept
                for s in line.segments
                if (kept := without_scribble(s)) is not None and SIGNING_CAPACITY_RE.match(kept.text)
            ),
            None,
        )
        if capacity is None:
            continue
        page_lines = reader.pdf.pages[line.page - 1].lines
        above = page_lines[max(0, line.index - 5) : line.index]
        for index, candidate in reversed(list(enumerate(above))):
            segment = next(
                (
                    kept
                    for s in candidate.segments
                    if (kept := without_scribble(s)) and abs(kept.x0 - capacity.x0) <= 20
                ),
                None,
            )
            match = FOR_SIGNER_RE.match(segment.text) if segment is not None else None
            if segment is None or match is None:
                continue
            name_lines = [match.group(1)]
            words = list(segment.words)
            for wrapped in above[index + 1 :]:  # a long name wraps under itself
                more = next((s for s in wrapped.segments if abs(s.x0 - segment.x0) <= 6), None)
                if more is None or any(ch.isdigit() for ch in more.text):
                    break
                name_lines.append(more.text)
                words.extend(more.words)
            name = " ".join(name_lines).strip(" ,:").upper()
            found = Found(name, words, candidate)
            signer = Extracted[Party](value=Party(name=name), source=reader.provenance(found, 0.75))
            return Found(f"{name} {capacity.text}", [*words, *capacity.words], candidate), signer
        return Found(capacity.text, list(capacity.words), line), None
    return None


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
