"""OFAC SDN list, official XML (``sdn.xml``: ``sdnList`` with ``publshInformation`` and one
``sdnEntry`` per entry). Entry id: ``OFAC-SDN:<uid>`` (the uid is the CSV's ent_num).
``Record_Count`` in the header is checked against the entries read: a shorter file is refused."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

from engine.screening.importers.base import ListFormatError, ParsedList, describe_file, unique_id
from engine.screening.importers.ofac_remarks import parse_remarks
from engine.screening.importers.xmlutil import load_xml, root_tag, text_of
from engine.screening.model import Address, Identifier, ListedName, ListEntity

FORMAT = "ofac-sdn-xml"
SOURCE = "OFAC-SDN"
_TYPES = {"individual": "individual", "entity": "entity", "vessel": "vessel", "aircraft": "aircraft"}
_ID_KINDS = {
    "vessel registration identification": "IMO",
    "mmsi": "MMSI",
    "swift/bic": "BIC",
    "legal entity number": "LEI",
    "passport": "PASSPORT",
    "national id no.": "NATIONAL_ID",
    "registration number": "REGISTRATION",
    "registration id": "REGISTRATION",
    "tax id no.": "TAX_ID",
}


def detect(paths: list[Path]) -> bool:
    return len(paths) == 1 and root_tag(paths[0]) == "sdnList"


def _person_name(element: ET.Element) -> str:
    return " ".join(p for p in (text_of(element, "lastName"), text_of(element, "firstName")) if p)


def _entry(element: ET.Element, source: str, path: Path, seen: set[str], index: int) -> ListEntity:
    uid = text_of(element, "uid")
    where = f"sdnEntry #{index}" + (f" uid {uid}" if uid else "")
    if not uid:
        raise ListFormatError(str(path), where, "sdnEntry without uid")
    entity_id = f"{source}:{uid}"
    unique_id(seen, entity_id, str(path), where)
    raw_type = (text_of(element, "sdnType") or "entity").lower()
    if raw_type not in _TYPES:
        raise ListFormatError(str(path), where, f"unknown sdnType {raw_type!r}")
    primary = _person_name(element) if raw_type == "individual" else (text_of(element, "lastName") or "")
    if not primary:
        raise ListFormatError(str(path), where, "sdnEntry without a name")
    names = [ListedName(full=primary)]
    for aka in element.findall("akaList/aka"):
        full = _person_name(aka) if raw_type == "individual" else (text_of(aka, "lastName") or _person_name(aka))
        if full:
            kind = {"a.k.a.": "aka", "f.k.a.": "fka", "n.k.a.": "nka"}.get((text_of(aka, "type") or "").lower(), "aka")
            strength = "weak" if (text_of(aka, "category") or "").lower() == "weak" else "strong"
            names.append(ListedName(full=full, kind=kind, strength=strength))  # type: ignore[arg-type]
    identifiers = []
    for ident in element.findall("idList/id"):
        number = text_of(ident, "idNumber")
        if number:
            label = text_of(ident, "idType") or ""
            kind = _ID_KINDS.get(label.lower(), "OTHER")
            identifiers.append(Identifier(kind=kind, value=number, country=text_of(ident, "idCountry"), note=label or None))
    addresses = []
    countries: list[str] = []
    for address in element.findall("addressList/address"):
        lines = [v for v in (text_of(address, t) for t in ("address1", "address2", "address3", "city",
                                                            "stateOrProvince", "postalCode")) if v]
        country = text_of(address, "country")
        if lines or country:
            addresses.append(Address(lines=lines, city=text_of(address, "city"), country=country))
        if country and country not in countries:
            countries.append(country)
    nationalities = [c for c in (text_of(n, "country") for n in element.findall("nationalityList/nationality")) if c]
    nationalities += [c for c in (text_of(n, "country") for n in element.findall("citizenshipList/citizenship")) if c]
    countries.extend(n for n in nationalities if n not in countries)
    vessel = element.find("vesselInfo")
    if vessel is not None:
        if flag := text_of(vessel, "vesselFlag"):
            countries.append(flag)
        if call_sign := text_of(vessel, "callSign"):
            identifiers.append(Identifier(kind="CALL_SIGN", value=call_sign))
    remarks = text_of(element, "remarks") or ""
    facts = parse_remarks(remarks)
    known = {(i.kind, i.value) for i in identifiers}
    identifiers += [i for i in facts.identifiers if (i.kind, i.value) not in known]
    return ListEntity(
        id=entity_id, source=source, source_id=uid, type=_TYPES[raw_type],  # type: ignore[arg-type]
        names=names,
        dates_of_birth=[d for d in (text_of(i, "dateOfBirth") for i in element.findall("dateOfBirthList/dateOfBirthItem")) if d],
        nationalities=nationalities, addresses=addresses, countries=countries, identifiers=identifiers,
        programs=[p.text.strip() for p in element.findall("programList/program") if p.text and p.text.strip()],
        remarks=remarks,
    )


def parse(paths: list[Path], *, source: str | None = None) -> ParsedList:
    if len(paths) != 1:
        raise ListFormatError(", ".join(map(str, paths)), None, "the SDN XML is a single file")
    path = paths[0]
    data = path.read_bytes()
    root = load_xml(path, data)
    if root.tag != "sdnList":
        raise ListFormatError(str(path), root.tag, "root element is not sdnList")
    source = source or SOURCE
    seen: set[str] = set()
    entities = [_entry(e, source, path, seen, n) for n, e in enumerate(root.findall("sdnEntry"), 1)]
    info = root.find("publshInformation")
    published = None
    if info is not None:
        raw_date = text_of(info, "Publish_Date")
        if raw_date:
            try:
                published = dt.datetime.strptime(raw_date, "%m/%d/%Y").date().isoformat()
            except ValueError:
                raise ListFormatError(str(path), "publshInformation/Publish_Date", f"not a MM/DD/YYYY date: {raw_date!r}") from None
        declared = text_of(info, "Record_Count")
        if declared is not None and declared.isdigit() and int(declared) != len(entities):
            raise ListFormatError(str(path), "publshInformation/Record_Count",
                                  f"declares {declared} entries but the file holds {len(entities)}")
    if not entities:
        raise ListFormatError(str(path), "sdnList", "no sdnEntry elements: refusing an empty list")
    return ParsedList(source=source, format=FORMAT, publication_date=published, entities=entities,
                      files=[describe_file(path, data)])
