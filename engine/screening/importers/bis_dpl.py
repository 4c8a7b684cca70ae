"""US Commerce BIS Denied Persons List: a tab-separated file with a quoted header row
(Name, Street_Address, City, State, Country, Postal_Code, Effective_Date, Expiration_Date,
Standard_Order, Last_Update, Action, FR_Citation), one row per denial order.

The file has no entry ids, so ``BIS-DPL:<n>`` is the row's ordinal (1 = first data row);
ids are therefore only stable within one list version. The list mixes people and firms
without saying which: a name carrying a legal form (LLC, LTD, GMBH, ...) is an entity,
any other an individual.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from engine.screening.importers.base import (
    ListFormatError,
    ParsedList,
    clean,
    decode_text,
    describe_file,
    head,
)
from engine.screening.model import Address, ListedName, ListEntity
from engine.screening.normalize import LEGAL_FORMS, fold

FORMAT = "bis-dpl"
SOURCE = "BIS-DPL"
HEADER = ["Name", "Street_Address", "City", "State", "Country", "Postal_Code", "Effective_Date",
          "Expiration_Date", "Standard_Order", "Last_Update", "Action", "FR_Citation"]


def detect(paths: list[Path]) -> bool:
    return len(paths) == 1 and head(paths[0]).lstrip().startswith('"Name"\t"Street_Address"')


def parse(paths: list[Path], *, source: str | None = None) -> ParsedList:
    if len(paths) != 1:
        raise ListFormatError(", ".join(map(str, paths)), None, "the Denied Persons List is a single file")
    path = paths[0]
    data = path.read_bytes()
    text = decode_text(path, data)
    source = source or SOURCE
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", strict=True)
    try:
        header = next(reader, None)
        if header != HEADER:
            raise ListFormatError(str(path), 1, f"header is not the Denied Persons List's ({'/'.join(HEADER[:3])}...)")
        entities: list[ListEntity] = []
        last_update = ""
        today = dt.date.today().isoformat()
        for row in reader:
            if not row:
                continue
            if len(row) != len(HEADER):
                raise ListFormatError(str(path), reader.line_num,
                                      f"expected {len(HEADER)} tab-separated fields, found {len(row)}")
            name = clean(row[0])
            if not name:
                raise ListFormatError(str(path), reader.line_num, "row without a name")
            ordinal = str(len(entities) + 1)
            country = clean(row[4])
            lines = [part for part in (clean(row[1]), clean(row[2]), clean(row[3]), clean(row[5])) if part]
            is_firm = any(word in LEGAL_FORMS for word in fold(name).split())
            entities.append(ListEntity(
                id=f"{source}:{ordinal}", source=source, source_id=ordinal,
                type="entity" if is_firm else "individual",
                names=[ListedName(full=name)],
                addresses=[Address(lines=lines, city=clean(row[2]), country=country)] if lines or country else [],
                countries=[country] if country else [],
                programs=["DPL"],
                remarks="; ".join(p for p in (clean(row[10]), clean(row[11])) if p),
                listed_on=clean(row[6]),
            ))
            updated = clean(row[9]) or ""
            if updated <= today:  # the real file has a "3017-08-22": a typo must not date the list
                last_update = max(last_update, updated)
    except csv.Error as err:
        raise ListFormatError(str(path), reader.line_num, f"malformed tab-separated data ({err}); the file looks truncated") from None
    if not entities:
        raise ListFormatError(str(path), None, "no entries: refusing an empty list")
    return ParsedList(source=source, format=FORMAT, publication_date=last_update or None, entities=entities,
                      files=[describe_file(path, data)])
