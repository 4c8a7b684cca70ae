"""Importers for the official sanctions list formats, one module per format.

Every importer turns a set of files into a ``ParsedList`` (entities + facts about the
files) or raises ``ListFormatError`` naming the file and the line or element at fault.
Nothing is half-loaded: an importer either returns every entry of the file or raises.
"""

from __future__ import annotations

from pathlib import Path

from engine.screening.importers import bis_dpl, eu_csv, eu_xml, ofac_csv, ofac_xml, uk_csv, un_xml
from engine.screening.importers.base import Importer, ListFormatError, ParsedList

IMPORTERS: dict[str, Importer] = {
    module.FORMAT: module  # type: ignore[misc]
    for module in (ofac_csv.SDN, ofac_csv.CONS, ofac_xml, un_xml, eu_xml, eu_csv, uk_csv, bis_dpl)
}

__all__ = ["IMPORTERS", "ListFormatError", "ParsedList", "detect_format", "parse_files"]


def detect_format(paths: list[Path]) -> str:
    """Name the format of a file set by its content (and OFAC's fixed file names)."""
    matches = [name for name, importer in IMPORTERS.items() if importer.detect(paths)]
    if len(matches) == 1:
        return matches[0]
    shown = ", ".join(str(p) for p in paths)
    if not matches:
        raise ListFormatError(
            shown, None, f"not a sanctions list format we read (known formats: {', '.join(IMPORTERS)})"
        )
    raise ListFormatError(shown, None, f"ambiguous format: could be {', '.join(matches)}; pass --format")


def parse_files(paths: list[Path], *, format: str | None = None, source: str | None = None,
                publication_date: str | None = None) -> ParsedList:
    """Parse a file set (all of it, or raise)."""
    for path in paths:
        if not path.is_file():
            raise ListFormatError(str(path), None, "no such file")
    name = format or detect_format(paths)
    if name not in IMPORTERS:
        raise ListFormatError(", ".join(map(str, paths)), None, f"unknown format {name!r}; known: {', '.join(IMPORTERS)}")
    parsed = IMPORTERS[name].parse(paths, source=source)
    if publication_date:
        parsed.publication_date = publication_date
    return parsed
