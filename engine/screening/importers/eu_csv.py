"""EU consolidated financial sanctions list, official CSV (semicolon-separated, one header row,
one row per name alias / address / birth date / identification / citizenship of an entry,
repeated entry columns). Entry id: ``EU:<Entity_LogicalId>``. Publication date: the
``fileGenerationDate`` column.

No real EU file was available to the tests: they use a small file written in this layout."""

from __future__ import annotations

from pathlib import Path

from engine.screening.importers.base import ListFormatError, ParsedList, decode_text, describe_file, head
from engine.screening.importers.eu_xml import ID_KINDS, SUBJECT_TYPES
from engine.screening.importers.tabular import iso_date, read_rows
from engine.screening.model import Address, Identifier, ListedName, ListEntity

FORMAT = "eu-csv"
SOURCE = "EU"
REQUIRED = ("Entity_LogicalId", "NameAlias_WholeName")


def detect(paths: list[Path]) -> bool:
    first = head(paths[0]).splitlines()[0] if len(paths) == 1 and head(paths[0]) else ""
    return ";" in first and "Entity_LogicalId" in first


def _add(values: list[str], value: str | None) -> None:
    if value and value not in values:
        values.append(value)


def parse(paths: list[Path], *, source: str | None = None) -> ParsedList:
    if len(paths) != 1:
        raise ListFormatError(", ".join(map(str, paths)), None, "the EU CSV list is a single file")
    path = paths[0]
    data = path.read_bytes()
    rows = read_rows(path, decode_text(path, data), delimiter=";", required=REQUIRED)
    source = source or SOURCE
    entities: dict[str, ListEntity] = {}
    published = None
    for line, row in rows:
        def get(column: str, row: dict[str, str] = row) -> str | None:
            return " ".join((row.get(column) or "").split()) or None

        logical_id = get("Entity_LogicalId")
        if not logical_id:
            raise ListFormatError(str(path), line, "row without Entity_LogicalId")
        published = published or iso_date(get("fileGenerationDate"), path, line)
        entity = entities.get(logical_id)
        if entity is None:
            code = (get("Entity_SubjectType_ClassificationCode") or get("Entity_SubjectType") or "").lower()
            if code not in SUBJECT_TYPES:
                raise ListFormatError(str(path), line, f"unknown subject type {code!r}")
            entity = entities[logical_id] = ListEntity(
                id=f"{source}:{logical_id}", source=source, source_id=logical_id,
                type=SUBJECT_TYPES[code], names=[],  # type: ignore[arg-type]
                remarks=get("Entity_Remark") or "", listed_on=get("Entity_DesignationDate"),
            )
        if (whole := get("NameAlias_WholeName")) and all(n.full != whole for n in entity.names):
            entity.names.append(ListedName(full=whole, kind="aka" if entity.names else "primary"))
        _add(entity.programs, get("Entity_Regulation_Programme"))
        country = get("Address_CountryDescription") or get("Address_CountryIso2Code")
        lines = [v for v in (get("Address_Street"), get("Address_PoBox"), get("Address_City"), get("Address_ZipCode")) if v]
        if lines or country:
            address = Address(lines=lines, city=get("Address_City"), country=country)
            if address not in entity.addresses:
                entity.addresses.append(address)
        _add(entity.countries, country)
        citizenship = get("Citizenship_CountryDescription") or get("Citizenship_CountryIso2Code")
        _add(entity.nationalities, citizenship)
        _add(entity.countries, citizenship)
        _add(entity.dates_of_birth, get("BirthDate_BirthDate") or get("BirthDate_Year"))
        if number := get("Identification_Number"):
            ident = Identifier(kind=ID_KINDS.get((get("Identification_TypeCode") or "").lower(), "OTHER"),
                               value=number, country=get("Identification_CountryDescription"),
                               note=get("Identification_TypeDescription"))
            if ident not in entity.identifiers:
                entity.identifiers.append(ident)
    for entity in entities.values():
        if not entity.names:
            raise ListFormatError(str(path), f"Entity_LogicalId {entity.source_id}", "entry without any NameAlias_WholeName")
    return ParsedList(source=source, format=FORMAT, publication_date=published, entities=list(entities.values()),
                      files=[describe_file(path, data)])
