"""Certificate of origin template: origin country, exporter, consignee, transport, certifier."""

from __future__ import annotations

import re

from extractors import normalize
from extractors.fields.common import (
    GROSS_LABELS,
    PACKAGES_LABELS,
    Reader,
    common_fields,
    parse_packages,
    parse_place,
    parse_reference,
    parse_text,
    parse_weight,
)
from extractors.models import CertificateOfOrigin, Extracted

NUMBER_LABELS = [r"certificate no\.?", r"certificate number", r"reference no\.?", r"serial no\.?", r"no\."]
DATE_LABELS = [r"date of issue", r"issue date", r"place and date of issue", r"date"]
ORIGIN_LABELS = [r"country of origin", r"origin of goods", r"origin country", r"shipping from",
                 r"country of origin of goods"]  # fmt: skip
ORIGINATE_RE = re.compile(
    r"originat(?:e|es|ing)\s+(?:in|from)\s+(?:the\s+)?([A-Z][A-Za-z .'-]{2,40}?)(?=[.,;\n]|\s{2}|$)",
    re.IGNORECASE,
)
ISSUER_LABELS = [r"certifying authority", r"issuing authority", r"issued by", r"certifier"]
# "... CHAMBER OF COMMERCE", "CHINA CHAMBER OF INTERNATIONAL COMMERCE, X SUB-COUNCIL"
VESSEL_TAIL_RE = re.compile(r"[A-Z0-9][A-Z0-9 .'-]{0,24}")
CHAMBER_RE = re.compile(
    r"[A-Z][A-Za-z .&'-]*chamber\s+of\s+(?:[A-Za-z]+\s+){0,2}commerce[A-Za-z .,&'-]*", re.IGNORECASE
)


def extract(reader: Reader) -> CertificateOfOrigin:
    fields = common_fields(reader)
    number = reader.find(NUMBER_LABELS, parse_reference)
    if number:
        fields["number"] = number
    date = reader.find(DATE_LABELS, normalize.parse_leading_date)
    if date:
        fields["date"] = date
    exporter = reader.party([r"exporter", r"consignor", r"exporter's name,? address.*", r"shipper"])
    if exporter:
        fields["exporter"] = exporter
    consignee = reader.party([r"consignee", r"importer"])
    if consignee:
        fields["consignee"] = consignee
    issuer = reader.party(ISSUER_LABELS)
    if issuer is None:
        chamber = reader.find_phrase(CHAMBER_RE)
        if chamber:
            from extractors.models import Party

            name = re.sub(
                r"^for\s+(and\s+on\s+behalf\s+of\s+)?", "", chamber.text.strip(" ,"), flags=re.IGNORECASE
            )
            issuer = Extracted[Party](value=Party(name=name), source=reader.provenance(chamber, 0.7))
    if issuer:
        fields["issuer"] = issuer

    origin = _origin(reader, fields)
    if origin:
        fields["country_of_origin"] = origin
    vessel = reader.find_wrapped(
        [r"means of transport( and route)?", r"vessel( name)?", r"name of vessel"],
        _parse_vessel,
        VESSEL_TAIL_RE,
        always=True,
    )
    if vessel:
        fields["vessel"] = vessel
    for key, labels in (
        ("port_of_loading", [r"port of loading"]),
        ("port_of_discharge", [r"port of discharge"]),
    ):
        place = reader.find(labels, parse_place)
        if place:
            fields[key] = place
    for key, labels, parser in (
        ("gross_weight", GROSS_LABELS, parse_weight),
        ("packages", PACKAGES_LABELS, parse_packages),
    ):
        value = reader.find_first(labels, parser)
        if value:
            fields[key] = value
    goods = reader.block([r"description of goods", r"goods description"], max_lines=5)
    if goods:
        fields["goods_description"] = Extracted[str](value=goods.text, source=reader.provenance(goods, 0.7))
    return CertificateOfOrigin(**fields)  # type: ignore[arg-type]


def _parse_vessel(text: str) -> str | None:
    """A vessel as written ("BY SEA, MV X"); one cut short at the end of its line ("BY SEA,
    MV NORTHERN" / "DAWN") is refused here only when nothing follows the "MV", so the
    caller's wrapped-line retry joins the rest of a long name."""
    value = parse_place(text)
    if value is None or re.search(r"\b(MV|M/V|SS|MS)\s*$", value):
        return None
    return value


def _origin(reader: Reader, fields: dict[str, object]) -> Extracted[str] | None:
    """ISO alpha-2 origin: the caption, then "originate in X" wording, then the exporter's country."""
    labelled = reader.find(
        ORIGIN_LABELS, lambda text: normalize.country_of(text) if parse_text(text) else None
    )
    if labelled:
        return labelled
    for line, match in reader.find_all_lines(ORIGINATE_RE):
        code = normalize.country_of(match.group(1))
        if code:
            return reader.extracted(code, reader.found_in_line(line, match.start(1), match.end(1)), 0.85)
    exporter = fields.get("exporter")
    if isinstance(exporter, Extracted) and exporter.value.country:
        source = exporter.source.model_copy(update={"confidence": 0.6})
        return Extracted[str](value=exporter.value.country, source=source)
    return None
