"""Reading the publishers' "one row per name/address/..." CSV files, grouped by entry id."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from engine.screening.importers.base import ListFormatError


def read_rows(path: Path, text: str, *, delimiter: str, skip_lines: int = 0,
              required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Rows as header-keyed dicts with their line numbers. Every row must have exactly as many
    fields as the header (a cut-off last row does not), and the required columns must exist."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for _ in range(skip_lines):
            next(reader, None)
        header = next(reader, None)
        if header is None:
            raise ListFormatError(str(path), skip_lines + 1, "no header row")
        header = [h.strip().lstrip("\ufeff") for h in header]
        missing = [name for name in required if name not in header]
        if missing:
            raise ListFormatError(str(path), reader.line_num, f"header lacks column(s) {', '.join(missing)}")
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise ListFormatError(str(path), reader.line_num,
                                      f"expected {len(header)} fields (as the header), found {len(row)}; "
                                      "the file looks truncated or is not this format")
            rows.append((reader.line_num, dict(zip(header, row, strict=True))))
    except csv.Error as err:
        raise ListFormatError(str(path), reader.line_num, f"malformed CSV ({err}); the file looks truncated") from None
    if not rows:
        raise ListFormatError(str(path), None, "no entries: refusing an empty list")
    return rows


def iso_date(value: str | None, path: Path, where: str | int) -> str | None:
    """dd/mm/yyyy, dd-Mon-yyyy or yyyy-mm-dd to ISO; None when empty."""
    if not value or not value.strip():
        return None
    value = value.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%b-%Y", "%d %B %Y"):
        try:
            return dt.datetime.strptime(value, pattern).date().isoformat()
        except ValueError:
            continue
    raise ListFormatError(str(path), where, f"not a date: {value!r}")
