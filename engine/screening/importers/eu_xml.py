"""EU consolidated financial sanctions list, official XML (``export`` root in the
``http://eu.europa.ec/fpi/fsd/export`` namespace, one ``sanctionEntity`` per entry; names,
citizenships, birth dates, addresses and identifications are attributes of child elements).
Entry id: ``EU:<logicalId>``. Publication date: the root's ``generationDate``.

No real EU file was available to the tests (all copies found were over the size limit):
the tests use a small file written in this layout."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from engine.screening.importers.base import ListFormatError, ParsedList, describe_file, unique_id
from engine.screening.importers.xmlutil import load_xml, root_tag
from engine.screening.model import Address, Identifier, ListedName, ListEntity

FORMAT = "eu-xml"
SOURCE = "EU"
SUBJECT_TYPES = {"person": "individual", "p": "individual", "enterprise": "entity", "e": "entity",
                 "vessel": "vessel", "v": "vessel", "aircraft": "aircraft"}
ID_KINDS = {"passport": "PASSPORT", "id": "NATIONAL_ID", "regnumber": "REGISTRATION", "swiftbic": "BIC",
            "imo": "IMO", "tax": "TAX_ID", "fiscalcode": "TAX_ID", "lei": "LEI", "mmsi": "MMSI"}


def detect(paths: list[Path]) -> bool:
    return len(paths) == 1 and root_tag(paths[0]) == "export"


def _attr(element: ET.Element, name: str) -> str | None:
    value = element.get(name)
    return " ".join(value.split()) or None if value else None


def _entry(element: ET.Element, source: str, path: Path, seen: set[str], index: int) -> ListEntity:
    logical_id = _attr(element, "logicalId")
    where = f"sanctionEntity #{index}" + (f" logicalId {logical_id}" if logical_id else "")
    if not logical_id:
        raise ListFormatError(str(path), where, "sanctionEntity without logicalId")
    unique_id(seen, f"{source}:{logical_id}", str(path), where)
    subject = element.find("subjectType")
    code = ((subject.get("code") or subject.get("classificationCode") or "") if subject is not None else "").lower()
    if code not in SUBJECT_TYPES:
        raise ListFormatError(str(path), where, f"unknown subjectType {code!r}")
    names = []
    for alias in element.findall("nameAlias"):
        whole = _attr(alias, "wholeName") or " ".join(
            p for p in (_attr(alias, "firstName"), _attr(alias, "middleName"), _attr(alias, "lastName")) if p)
        if whole:
            strength = "weak" if (alias.get("strong") or "true").lower() == "false" else "strong"
            names.append(ListedName(full=whole, kind="aka" if names else "primary", strength=strength))  # type: ignore[arg-type]
    if not names:
        raise ListFormatError(str(path), where, "sanctionEntity without a nameAlias wholeName")
    nationalities = [c for c in (_attr(e, "countryDescription") or _attr(e, "countryIso2Code")
                                 for e in element.findall("citizen")) if c]
    addresses, countries = [], list(nationalities)
    for address in element.findall("address"):
        lines = [v for v in (_attr(address, k) for k in ("street", "poBox", "city", "zipCode", "region")) if v]
        country = _attr(address, "countryDescription") or _attr(address, "countryIso2Code")
        if lines or country:
            addresses.append(Address(lines=lines, city=_attr(address, "city"), country=country))
        if country and country not in countries:
            countries.append(country)
    identifiers = []
    for ident in element.findall("identification"):
        number = _attr(ident, "number")
        if number:
            code_id = (ident.get("identificationTypeCode") or "").lower()
            identifiers.append(Identifier(kind=ID_KINDS.get(code_id, "OTHER"), value=number,
                                          country=_attr(ident, "countryDescription") or _attr(ident, "countryIso2Code"),
                                          note=_attr(ident, "identificationTypeDescription")))
    births = [b for b in (_attr(e, "birthdate") or _attr(e, "year") for e in element.findall("birthdate")) if b]
    programs = sorted({p for p in (_attr(r, "programme") for r in element.findall("regulation")) if p})
    remark = " ".join(r.text.strip() for r in element.findall("remark") if r.text and r.text.strip())
    return ListEntity(
        id=f"{source}:{logical_id}", source=source, source_id=logical_id, type=SUBJECT_TYPES[code],  # type: ignore[arg-type]
        names=names, dates_of_birth=births, nationalities=nationalities, addresses=addresses, countries=countries,
        identifiers=identifiers, programs=programs, remarks=remark,
        listed_on=_attr(element, "designationDate"),
    )


def parse(paths: list[Path], *, source: str | None = None) -> ParsedList:
    if len(paths) != 1:
        raise ListFormatError(", ".join(map(str, paths)), None, "the EU XML list is a single file")
    path = paths[0]
    data = path.read_bytes()
    root = load_xml(path, data)
    if root.tag != "export":
        raise ListFormatError(str(path), root.tag, "root element is not export")
    source = source or SOURCE
    seen: set[str] = set()
    entities = [_entry(e, source, path, seen, n) for n, e in enumerate(root.findall("sanctionEntity"), 1)]
    if not entities:
        raise ListFormatError(str(path), "export", "no sanctionEntity elements: refusing an empty list")
    generated = root.get("generationDate")
    return ParsedList(source=source, format=FORMAT, publication_date=generated[:10] if generated else None,
                      entities=entities, files=[describe_file(path, data)])
