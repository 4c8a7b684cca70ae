"""What every importer shares: the error it raises, what it returns, small parsing helpers."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from engine.screening.model import ListEntity, SourceFile


class ListFormatError(Exception):
    """A list file that cannot be imported. Carries the file and the line or element at fault."""

    def __init__(self, file: str, where: str | int | None, message: str) -> None:
        self.file = file
        self.where = where
        self.message = message
        location = file if where is None else (f"{file}:{where}" if isinstance(where, int) else f"{file} ({where})")
        super().__init__(f"{location}: {message}")


@dataclass
class ParsedList:
    source: str
    format: str
    publication_date: str | None
    entities: list[ListEntity]
    files: list[SourceFile] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        by_type = Counter(entity.type for entity in self.entities)
        return {
            "entities": len(self.entities),
            "names": sum(len(e.names) for e in self.entities),
            "addresses": sum(len(e.addresses) for e in self.entities),
            "identifiers": sum(len(e.identifiers) for e in self.entities),
            **{kind: by_type.get(kind, 0) for kind in ("individual", "entity", "vessel", "aircraft")},
        }


class Importer(Protocol):
    FORMAT: str
    SOURCE: str

    def detect(self, paths: list[Path]) -> bool: ...

    def parse(self, paths: list[Path], *, source: str | None = None) -> ParsedList: ...


def describe_file(path: Path, data: bytes) -> SourceFile:
    return SourceFile(name=path.name, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))


def decode_text(path: Path, data: bytes) -> str:
    """Decode as UTF-8 (the official files are); refuse anything else, naming the byte offset."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ListFormatError(str(path), line, f"not UTF-8 text (byte 0x{data[err.start]:02X})") from None


def head(path: Path, size: int = 4096) -> str:
    """The first bytes of a file as text, for format detection; '' when unreadable."""
    try:
        with path.open("rb") as handle:
            return handle.read(size).decode("utf-8-sig", errors="replace")
    except OSError:
        return ""


def clean(value: str | None) -> str | None:
    """Strip a field; OFAC's null ``-0-`` and empty strings become None."""
    if value is None:
        return None
    value = " ".join(value.split())
    return None if value in ("", "-0-") else value


def split_list(value: str | None, separator: str = ";") -> list[str]:
    if not value:
        return []
    return [part.strip() for part in value.split(separator) if part.strip()]


_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def date_from_folder(path: Path) -> str | None:
    """OFAC's legacy CSV carries no date inside; a folder named like ``sdn_2024-05-03`` gives one."""
    found = _DATE_IN_NAME.search(path.parent.name)
    return found.group(1) if found else None


def unique_id(seen: set[str], entity_id: str, file: str, where: str | int) -> None:
    if entity_id in seen:
        raise ListFormatError(file, where, f"duplicate entry id {entity_id}")
    seen.add(entity_id)
