"""UN Security Council Consolidated List, official XML (``CONSOLIDATED_LIST`` with
``INDIVIDUALS/INDIVIDUAL`` and ``ENTITIES/ENTITY``). Entry id: ``UN:<REFERENCE_NUMBER>``.
Publication date: the root's ``dateGenerated``."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from engine.screening.importers.base import ListFormatError, ParsedList, describe_file, unique_id
from engine.screening.importers.xmlutil import load_xml, root_tag, text_of, texts_of
from engine.screening.model import Address, Identifier, ListedName, ListEntity

FORMAT = "un-xml"
SOURCE = "UN"
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
# "b) " starting the second of an enumerated set of spellings ("X; Y b) Z; W"): a separator.
_ENUMERATION = re.compile(r"(?:^|(?<=\s))[a-z]\)\s+")
_ORIGINAL_SCRIPT_NOTE = re.compile(r"\s*\(original script\)\s*$", re.IGNORECASE)


def _top_level(text: str) -> list[tuple[str, list[str]]] | None:
    """``text`` cut at its top-level ";" into pieces, each with the contents of its top-level
    parenthesised groups; None when the parentheses do not balance."""
    pieces: list[tuple[str, list[str]]] = []
    outside: list[str] = []
    groups: list[str] = []
    depth = 0
    group_start = 0
    for position, char in enumerate(text):
        if char == "(":
            if depth == 0:
                group_start = position + 1
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return None
            if depth == 0:
                groups.append(text[group_start:position])
                outside.append("\x00")  # where the group stood
            continue
        if depth == 0:
            if char == ";":
                pieces.append(("".join(outside), groups))
                outside, groups = [], []
            elif char != "(":
                outside.append(char)
    if depth != 0:
        return None
    pieces.append(("".join(outside), groups))
    return pieces


def split_alias(text: str) -> list[tuple[str, bool]]:
    """The spellings one UN alias field holds, each with whether the list marks it as the
    original script. The UN writes several spellings in one ``ALIAS_NAME``: "Qasim Soleimani;
    Qasem Sulaimani", "X; Y b) Z; W", or an original-script name followed by its
    transliterations in parentheses ("حسن غول (Hassan Ghul; Hassan Gul)"). A field with
    no ";" is one name, kept as written (parentheses and all)."""
    text = _ENUMERATION.sub("; ", text) if ";" in text else text
    if ";" not in text:
        return [(text, False)]
    pieces = _top_level(text)
    if pieces is None:  # unbalanced: cut at every ";" and drop the stray parentheses
        pieces = [(part.replace("(", " ").replace(")", " "), []) for part in text.split(";")]
    found: list[tuple[str, bool]] = []
    for outside, groups in pieces:
        whole = outside
        inner: list[tuple[str, bool]] = []
        for group in groups:
            if ";" in group:  # a list of spellings: each one a name, the group leaves the name
                inner.extend(split_alias(group))
                whole = whole.replace("\x00", " ", 1)
            else:  # a note or short form, "(HTS)": part of the name
                whole = whole.replace("\x00", f"({group})", 1)
        whole = " ".join(whole.split())
        if whole:
            found.append((whole, False))
        found.extend(inner)
    names: list[tuple[str, bool]] = []
    seen: set[str] = set()
    for name, original in found:
        note = _ORIGINAL_SCRIPT_NOTE.search(name)
        if note:
            name, original = name[: note.start()].strip(), True
        name = " ".join(name.split())
        if name and name not in seen:
            seen.add(name)
            names.append((name, original))
    return names


def detect(paths: list[Path]) -> bool:
    return len(paths) == 1 and root_tag(paths[0]) == "CONSOLIDATED_LIST"


def _document_kind(label: str) -> str:
    lowered = label.lower()
    if "passport" in lowered:
        return "PASSPORT"
    if "national" in lowered or "identi" in lowered:
        return "NATIONAL_ID"
    return "OTHER"


def _entry(element: ET.Element, kind: str, source: str, path: Path, seen: set[str]) -> ListEntity:
    reference = text_of(element, "REFERENCE_NUMBER")
    where = f"{element.tag} DATAID {text_of(element, 'DATAID') or '?'}"
    if not reference:
        raise ListFormatError(str(path), where, "entry without REFERENCE_NUMBER")
    entity_id = f"{source}:{reference}"
    unique_id(seen, entity_id, str(path), where)
    full = " ".join(part for part in (text_of(element, p) for p in _NAME_PARTS) if part)
    if not full:
        raise ListFormatError(str(path), f"{where}, {reference}", "entry without a name")
    # a few entries give two names in the name field ("X (CAGL) ; Y (GLBC)"): the first is the
    # primary name, the others aliases
    primary, *others = [name for name, _ in split_alias(full)]
    names = [ListedName(full=primary), *(ListedName(full=other, kind="aka") for other in others)]
    if original := text_of(element, "NAME_ORIGINAL_SCRIPT"):
        names.append(ListedName(full=original, kind="original_script"))
    for alias in element.findall(f"{kind}_ALIAS"):
        alias_name = text_of(alias, "ALIAS_NAME")
        if alias_name:
            quality = (text_of(alias, "QUALITY") or "").lower()
            strength = "weak" if quality == "low" else "strong"
            for spelling, original in split_alias(alias_name):
                names.append(ListedName(full=spelling, kind="original_script" if original else "aka", strength=strength))
    addresses = []
    countries: list[str] = []
    for address in element.findall(f"{kind}_ADDRESS"):
        lines = [v for v in (text_of(address, t) for t in ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE")) if v]
        country = text_of(address, "COUNTRY")
        if lines or country:
            addresses.append(Address(lines=lines, city=text_of(address, "CITY"), country=country))
        if country and country not in countries:
            countries.append(country)
    nationalities = texts_of(element, "NATIONALITY/VALUE")
    countries.extend(n for n in nationalities if n not in countries)
    dates = []
    for dob in element.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        value = text_of(dob, "DATE") or text_of(dob, "YEAR")
        if not value and text_of(dob, "FROM_YEAR"):
            value = f"{text_of(dob, 'FROM_YEAR')}-{text_of(dob, 'TO_YEAR') or ''}".rstrip("-")
        if value:
            dates.append(value[:10])
    identifiers = []
    for document in element.findall("INDIVIDUAL_DOCUMENT"):
        number = text_of(document, "NUMBER")
        if number:
            label = text_of(document, "TYPE_OF_DOCUMENT") or ""
            identifiers.append(Identifier(kind=_document_kind(label), value=number,
                                          country=text_of(document, "ISSUING_COUNTRY"), note=label or None))
    return ListEntity(
        id=entity_id, source=source, source_id=reference,
        type="individual" if kind == "INDIVIDUAL" else "entity",
        names=names, dates_of_birth=dates, nationalities=nationalities, addresses=addresses, countries=countries,
        identifiers=identifiers, programs=[p for p in [text_of(element, "UN_LIST_TYPE")] if p],
        remarks=text_of(element, "COMMENTS1") or "", listed_on=text_of(element, "LISTED_ON"),
    )


def parse(paths: list[Path], *, source: str | None = None) -> ParsedList:
    if len(paths) != 1:
        raise ListFormatError(", ".join(map(str, paths)), None, "the UN consolidated list is a single XML file")
    path = paths[0]
    data = path.read_bytes()
    root = load_xml(path, data)
    if root.tag != "CONSOLIDATED_LIST":
        raise ListFormatError(str(path), root.tag, "root element is not CONSOLIDATED_LIST")
    source = source or SOURCE
    seen: set[str] = set()
    entities = [_entry(e, "INDIVIDUAL", source, path, seen) for e in root.findall("INDIVIDUALS/INDIVIDUAL")]
    entities += [_entry(e, "ENTITY", source, path, seen) for e in root.findall("ENTITIES/ENTITY")]
    if not entities:
        raise ListFormatError(str(path), "CONSOLIDATED_LIST", "no INDIVIDUAL or ENTITY entries: refusing an empty list")
    generated = root.get("dateGenerated")
    return ParsedList(source=source, format=FORMAT, publication_date=generated[:10] if generated else None,
                      entities=entities, files=[describe_file(path, data)])
