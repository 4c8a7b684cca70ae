"""OFAC legacy CSV sets: the SDN list (sdn.csv + add.csv, alt.csv, sdn_comments.csv) and the
consolidated non-SDN list (cons_prim.csv + cons_add.csv, cons_alt.csv, cons_comments.csv).

Layout (OFAC's ``dat_spec.txt``): no header; ``-0-`` is null; the main file has 12 columns
(ent_num, name, type, program, title, call sign, vessel type, tonnage, GRT, vessel flag,
vessel owner, remarks); addresses 6 (ent_num, add_num, address, city/state/postal, country,
remarks); aliases 5 (ent_num, alt_num, alt_type, alt_name, remarks); comments 2 (ent_num,
remarks continued). Every official file ends with the DOS end-of-file byte 0x1A; the main
file must, so that a file cut at a line boundary is caught as truncated.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from engine.screening.importers.base import (
    ListFormatError,
    ParsedList,
    clean,
    date_from_folder,
    decode_text,
    describe_file,
    unique_id,
)
from engine.screening.importers.ofac_remarks import parse_remarks
from engine.screening.model import Address, Identifier, ListedName, ListEntity

EOF_MARKER = "\x1a"
_TYPES = {"individual": "individual", "vessel": "vessel", "aircraft": "aircraft", None: "entity"}
_ALT_KINDS = {"aka": "aka", "fka": "fka", "nka": "nka"}


def _rows(path: Path, text: str, columns: int, *, need_marker: bool) -> list[tuple[int, list[str]]]:
    """Rows with their line numbers; refuse wrong column counts and truncation."""
    body = text.rstrip("\r\n")
    if body.endswith(EOF_MARKER):
        body = body[:-1]
    elif need_marker:
        raise ListFormatError(
            str(path), text.count("\n") + 1,
            "no end-of-file marker (0x1A) after the last line: the file looks truncated",
        )
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(body, newline=""), strict=True)
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != columns:
                raise ListFormatError(
                    str(path), reader.line_num, f"expected {columns} comma-separated fields, found {len(row)}"
                )
            rows.append((reader.line_num, row))
    except csv.Error as err:
        raise ListFormatError(str(path), reader.line_num, f"malformed CSV ({err}); the file looks truncated") from None
    return rows


@dataclass(frozen=True)
class OfacCsvSet:
    """One of OFAC's two legacy CSV sets; they differ only in file names and source."""

    FORMAT: str
    SOURCE: str
    main: str
    addresses: str
    aliases: str
    comments: str

    def role(self, path: Path) -> str | None:
        name = path.name.lower()
        for role in ("main", "addresses", "aliases", "comments"):
            if name == getattr(self, role):
                return role
        return None

    def detect(self, paths: list[Path]) -> bool:
        return all(self.role(p) for p in paths) and any(self.role(p) == "main" for p in paths)

    def parse(self, paths: list[Path], *, source: str | None = None) -> ParsedList:
        by_role: dict[str, Path] = {}
        for path in paths:
            role = self.role(path)
            if role is None:
                raise ListFormatError(
                    str(path), None,
                    f"not part of an {self.FORMAT} set (expected {self.main}, {self.addresses}, "
                    f"{self.aliases}, {self.comments})",
                )
            if role in by_role:
                raise ListFormatError(str(path), None, f"two {role} files given ({by_role[role]} and {path})")
            by_role[role] = path
        if "main" not in by_role:
            raise ListFormatError(", ".join(map(str, paths)), None, f"{self.main} is required")
        source = source or self.SOURCE
        files = []
        texts: dict[str, str] = {}
        for role, path in by_role.items():
            data = path.read_bytes()
            files.append(describe_file(path, data))
            texts[role] = decode_text(path, data)
        main_path = by_role["main"]
        entities: dict[str, ListEntity] = {}
        remarks: dict[str, str] = {}
        seen: set[str] = set()
        for line, row in _rows(main_path, texts["main"], 12, need_marker=True):
            ent_num = (clean(row[0]) or "").strip()
            if not ent_num.isdigit():
                raise ListFormatError(str(main_path), line, f"ent_num {row[0]!r} is not a number")
            name = clean(row[1])
            if not name:
                raise ListFormatError(str(main_path), line, f"entry {ent_num} has no name")
            raw_type = clean(row[2])
            if raw_type not in _TYPES:
                raise ListFormatError(str(main_path), line, f"unknown SDN type {raw_type!r}")
            entity_id = f"{source}:{ent_num}"
            unique_id(seen, entity_id, str(main_path), line)
            identifiers = []
            if call_sign := clean(row[5]):
                identifiers.append(Identifier(kind="CALL_SIGN", value=call_sign))
            countries = [flag] if (flag := clean(row[9])) else []
            programs = [p.strip(" []") for p in (clean(row[3]) or "").split("] [") if p.strip(" []")]
            entities[ent_num] = ListEntity(
                id=entity_id, source=source, source_id=ent_num, type=_TYPES[raw_type],  # type: ignore[arg-type]
                names=[ListedName(full=name)], identifiers=identifiers, countries=countries, programs=programs,
            )
            remarks[ent_num] = clean(row[11]) or ""

        def owner(path: Path, line: int, ent_num: str) -> ListEntity:
            entity = entities.get(ent_num.strip())
            if entity is None:
                raise ListFormatError(
                    str(path), line, f"refers to ent_num {ent_num.strip()} which is not in {main_path.name}: "
                    "the files are not from the same publication",
                )
            return entity

        if "comments" in by_role:
            path = by_role["comments"]
            for line, row in _rows(path, texts["comments"], 2, need_marker=False):
                owner(path, line, row[0])
                remarks[row[0].strip()] += clean(row[1]) or ""
        if "aliases" in by_role:
            path = by_role["aliases"]
            for line, row in _rows(path, texts["aliases"], 5, need_marker=False):
                entity = owner(path, line, row[0])
                alt_name = clean(row[3])
                if not alt_name:
                    raise ListFormatError(str(path), line, "alias without a name")
                kind = _ALT_KINDS.get((clean(row[2]) or "aka").lower(), "aka")
                entity.names.append(ListedName(full=alt_name, kind=kind))  # type: ignore[arg-type]
        if "addresses" in by_role:
            path = by_role["addresses"]
            for line, row in _rows(path, texts["addresses"], 6, need_marker=False):
                entity = owner(path, line, row[0])
                lines = [part for part in (clean(row[2]), clean(row[3])) if part]
                country = clean(row[4])
                if lines or country:
                    entity.addresses.append(Address(lines=lines, city=clean(row[3]), country=country))
                if country and country not in entity.countries:
                    entity.countries.append(country)
        for ent_num, entity in entities.items():
            text = remarks[ent_num]
            entity.remarks = text
            facts = parse_remarks(text)
            entity.names.extend(facts.weak_aliases)
            entity.dates_of_birth.extend(facts.dates_of_birth)
            entity.nationalities.extend(facts.nationalities)
            entity.identifiers.extend(facts.identifiers)
            for nationality in facts.nationalities:
                if nationality not in entity.countries:
                    entity.countries.append(nationality)
        return ParsedList(source=source, format=self.FORMAT, publication_date=date_from_folder(main_path),
                          entities=list(entities.values()), files=files)


SDN = OfacCsvSet("ofac-sdn-csv", "OFAC-SDN", "sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")
CONS = OfacCsvSet("ofac-cons-csv", "OFAC-CONS", "cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv")
