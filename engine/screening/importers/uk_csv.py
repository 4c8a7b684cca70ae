"""UK Sanctions List (FCDO), official CSV: a first line ``Report Date: 08-Oct-2026``, then a
header of 58 columns, then one row per name (and per address) of an entry. ``Name 6`` is the
surname or the entity's name, ``Name 1``..``Name 5`` the given names. Entry id:
``UK:<Unique ID>`` (e.g. ``UK:RUS0001``). Designation types: Individual, Entity, Ship.

No real UK file was available to the tests: they use a small file written in this layout."""

from __future__ import annotations

from pathlib import Path

from engine.screening.importers.base import (
    ListFormatError,
    ParsedList,
    decode_text,
    describe_file,
    head,
    split_list,
)
from engine.screening.importers.tabular import iso_date, read_rows
from engine.screening.model import Address, Identifier, ListedName, ListEntity

FORMAT = "uk-csv"
SOURCE = "UK"
REQUIRED = ("Unique ID", "Name 6", "Name type", "Designation Type")
_TYPES = {"individual": "individual", "entity": "entity", "ship": "vessel"}


def detect(paths: list[Path]) -> bool:
    lines = head(paths[0]).splitlines() if len(paths) == 1 else []
    return len(lines) >= 2 and lines[0].startswith("Report Date:") and "Unique ID" in lines[1]


def _add(values: list[str], value: str | None) -> None:
    if value and value not in values:
        values.append(value)


def parse(paths: list[Path], *, source: str | None = None) -> ParsedList:
    if len(paths) != 1:
        raise ListFormatError(", ".join(map(str, paths)), None, "the UK Sanctions List CSV is a single file")
    path = paths[0]
    data = path.read_bytes()
    text = decode_text(path, data)
    first_line = text.split("\n", 1)[0].strip()
    if not first_line.startswith("Report Date:"):
        raise ListFormatError(str(path), 1, "first line is not 'Report Date: ...'")
    published = iso_date(first_line.split(":", 1)[1], path, 1)
    rows = read_rows(path, text, delimiter=",", skip_lines=1, required=REQUIRED)
    source = source or SOURCE
    entities: dict[str, ListEntity] = {}
    for line, row in rows:
        def get(column: str, row: dict[str, str] = row) -> str | None:
            return " ".join((row.get(column) or "").split()) or None

        unique = get("Unique ID")
        if not unique:
            raise ListFormatError(str(path), line, "row without Unique ID")
        entity = entities.get(unique)
        if entity is None:
            raw_type = (get("Designation Type") or "").lower()
            if raw_type not in _TYPES:
                raise ListFormatError(str(path), line, f"unknown Designation Type {raw_type!r}")
            entity = entities[unique] = ListEntity(
                id=f"{source}:{unique}", source=source, source_id=unique, type=_TYPES[raw_type],  # type: ignore[arg-type]
                names=[], remarks=get("Other Information") or "", listed_on=get("Date Designated"),
            )
        given = [get(f"Name {n}") for n in range(1, 6)]
        full = " ".join(p for p in [*given, get("Name 6")] if p)
        if full and all(n.full != full for n in entity.names):
            primary = (get("Name type") or "").lower().startswith("primary name") and not entity.names
            weak = "low" in (get("Alias strength") or "").lower()
            entity.names.append(ListedName(full=full, kind="primary" if primary else "aka",
                                           strength="weak" if weak else "strong"))
        if (script := get("Name non-latin script")) and all(n.full != script for n in entity.names):
            entity.names.append(ListedName(full=script, kind="original_script"))
        _add(entity.programs, get("Regime Name"))
        country = get("Address Country")
        lines = [v for v in (get(f"Address Line {n}") for n in range(1, 7)) if v]
        if postal := get("Address Postal Code"):
            lines.append(postal)
        if lines or country:
            address = Address(lines=lines, country=country)
            if address not in entity.addresses:
                entity.addresses.append(address)
        _add(entity.countries, country)
        for nationality in split_list(get("Nationality(/ies)"), ","):
            _add(entity.nationalities, nationality)
            _add(entity.countries, nationality)
        _add(entity.countries, get("Current believed flag of ship"))
        _add(entity.dates_of_birth, get("D.O.B"))
        for column, kind in (("IMO number", "IMO"), ("Passport number", "PASSPORT"),
                             ("National Identifier number", "NATIONAL_ID"),
                             ("Business registration number (s)", "REGISTRATION")):
            if value := get(column):
                ident = Identifier(kind=kind, value=value)
                if ident not in entity.identifiers:
                    entity.identifiers.append(ident)
    for entity in entities.values():
        if not entity.names:
            raise ListFormatError(str(path), f"Unique ID {entity.source_id}", "entry without a name")
        if all(n.kind != "primary" for n in entity.names):
            entity.names[0].kind = "primary"
    return ParsedList(source=source, format=FORMAT, publication_date=published, entities=list(entities.values()),
                      files=[describe_file(path, data)])
