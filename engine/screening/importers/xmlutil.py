"""XML reading shared by the XML importers: parse errors become ``ListFormatError`` with the
line and column; namespaces are dropped from tag names (the formats use one default namespace)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from engine.screening.importers.base import ListFormatError, head


def load_xml(path: Path, data: bytes) -> ET.Element:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as err:
        line, column = err.position
        raise ListFormatError(str(path), line, f"malformed XML at column {column} ({err.msg}); the file looks truncated") from None
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return root


def root_tag(path: Path) -> str:
    """The root element's local name, read from the start of the file ('' if not XML)."""
    text = head(path, 8192)
    position = 0
    while True:
        start = text.find("<", position)
        if start < 0 or start + 1 >= len(text):
            return ""
        if text[start + 1] in "?!":
            position = start + 2
            continue
        name = text[start + 1:].split(None, 1)[0].split(">", 1)[0].rstrip("/")
        return name.split(":", 1)[-1]


def text_of(element: ET.Element | None, child: str) -> str | None:
    if element is None:
        return None
    found = element.find(child)
    if found is None or found.text is None:
        return None
    value = " ".join(found.text.split())
    return value or None


def texts_of(element: ET.Element, path: str) -> list[str]:
    return [" ".join(e.text.split()) for e in element.findall(path) if e.text and e.text.strip()]
