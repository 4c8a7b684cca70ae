"""Draft (bill of exchange) template: amount, tenor, payee, drawee, drawer, credit reference."""

from __future__ import annotations

import re

from extractors import normalize
from extractors.fields.common import Found, Reader, common_fields, parse_reference
from extractors.models import Draft, Extracted, Party

TENOR_RE = re.compile(
    r"\bat\s+((?:_+|\.{2,}|-{2,}|x+)\s*sight|sight|\d+\s+days?\s+(?:after|from)\s+(?:[A-Za-z/ .]+?\s+)?(?:date|sight)\b"
    r"|\d+\s+days?\s+sight)",
    re.IGNORECASE,
)
PAY_TO_RE = re.compile(
    r"\bpay\s+(?:to\s+)?the\s+order\s+of\s*:?\s*(.+?)(?:\s+the\s+sum\s+of\b|$)", re.IGNORECASE
)
SUM_RE = re.compile(r"\bthe\s+sum\s+of\s*:?\s*(.+?)(?:\s+value\s+received|$)", re.IGNORECASE)
DRAWN_RE = re.compile(
    r"\bdrawn\s+under\s+(?:l/c|lc|letter\s+of\s+credit|documentary\s+credit|credit)\s*(?:no\.?|number)?\s*:?\s*([A-Z0-9][A-Z0-9/\-.]*)",
    re.IGNORECASE,
)
BEHALF_RE = re.compile(r"\bfor\s+and\s+on\s+behalf\s+of\s*:?\s*(.*)$", re.IGNORECASE)


def extract(reader: Reader) -> Draft:
    fields = common_fields(reader)
    number = reader.find([r"draft no\.?", r"no\.", r"number", r"bill no\.?"], parse_reference)
    if number:
        fields["number"] = number
    date = reader.find([r"date", r"dated", r"place and date"], normalize.parse_date)
    if date is None:
        for line in reader.pdf.pages[0].lines[:6]:
            dates = normalize.find_dates(line.text)
            if dates and not re.search(r"drawn|dated", line.text[: dates[0][0]], re.IGNORECASE):
                start, end, value = dates[0]
                date = reader.extracted(value, reader.found_in_line(line, start, end), 0.6)
                break
    if date:
        fields["date"] = date

    for line in reader._lines:
        found_money = normalize.find_money(line.text)
        if found_money:
            start, end, money = found_money[0]
            fields["amount"] = reader.extracted(money, reader.found_in_line(line, start, end), 0.85)
            break
    for line, match in reader.find_all_lines(TENOR_RE):
        tenor, days = _tenor(match.group(1))
        found = reader.found_in_line(line, match.start(), match.end())
        fields["tenor"] = reader.extracted(tenor, found, 0.85)
        fields["tenor_days"] = reader.extracted(days, found, 0.85)
        break
    else:
        # a "Tenor" caption whose value does not start with "at" ("60 DAYS AFTER B/L DATE")
        labelled = reader.find([r"tenor", r"usance", r"term"], _parse_tenor)
        if labelled is not None:
            fields["tenor"] = Extracted[str](value=labelled.value[0], source=labelled.source)
            fields["tenor_days"] = Extracted[int](value=labelled.value[1], source=labelled.source)
    for line, match in reader.find_all_lines(PAY_TO_RE):
        name = match.group(1).strip(" ,.:")
        if name:
            found = reader.found_in_line(line, match.start(1), match.end(1))
            fields["payee"] = Extracted[Party](
                value=Party(name=name.upper()), source=reader.provenance(found, 0.8)
            )
        break
    for line, match in reader.find_all_lines(SUM_RE):
        words = match.group(1).strip(" ,.")
        page_lines = reader.pdf.pages[line.page - 1].lines
        nxt = page_lines[line.index + 1] if line.index + 1 < len(page_lines) else None
        if (
            nxt is not None
            and not re.search(r"\bonly\b", words, re.IGNORECASE)
            and re.search(r"\bonly\b", nxt.text, re.IGNORECASE)
        ):
            words = f"{words} {nxt.text.strip()}"
        found = reader.found_in_line(line, match.start(1), match.end(1))
        fields["amount_in_words"] = reader.extracted(words.upper(), found, 0.8)
        break
    for line, match in reader.find_all_lines(DRAWN_RE):
        found = reader.found_in_line(line, match.start(1), match.end(1))
        fields["lc_number"] = reader.extracted(match.group(1).rstrip("."), found, 0.9)
        break
    drawee = reader.party([r"to", r"drawee"])
    if drawee:
        fields["drawee"] = _split_inline_address(drawee)
    drawer = _drawer(reader)
    if drawer:
        fields["drawer"] = drawer
        fields["issuer"] = drawer
    return Draft(**fields)  # type: ignore[arg-type]


def _split_inline_address(party: Extracted[Party]) -> Extracted[Party]:
    """ "To: HANSEATIC HOME GOODS GMBH, GROSSE ELBSTRASSE 145, 22767 HAMBURG" on one line of
    prose: the name ends where the comma-separated address starts."""
    value = party.value
    if ", " not in value.name:
        return party
    parts = [part.strip() for part in value.name.split(",") if part.strip()]
    name, address = normalize.split_name_lines(parts)
    if not address:
        return party
    # the name keeps the commas it was written with ("CO., LTD")
    consumed = len(parts) - len(address)
    name = ", ".join(parts[:consumed]) if consumed > 1 else name
    address = [*address, *value.address]  # the prose line may wrap: "..., UNITED" / "KINGDOM"
    country = normalize.country_of(address[-1]) or normalize.country_of(" ".join(address[-2:]))
    split = Party(name=name, address=address, country=country or value.country, bic=value.bic)
    return Extracted[Party](value=split, source=party.source)


def _tenor(text: str) -> tuple[str, int]:
    """The tenor as written, upper-case, and its days (0 for sight)."""
    tenor = re.sub(r"\s+", " ", text).strip().upper()
    if re.fullmatch(r"(?:AT\s+)?(?:[_.\-X]+\s*)?SIGHT", tenor):
        return "AT SIGHT", 0
    tenor = re.sub(r"^AT\s+", "", tenor)
    days_match = re.match(r"(\d+)", tenor)
    return tenor, int(days_match.group(1)) if days_match else 0


def _parse_tenor(text: str) -> tuple[str, int] | None:
    if not re.match(r"\s*(at\s+)?(sight|\d+\s+days?\b)", text, re.IGNORECASE):
        return None
    return _tenor(text)


def _drawer(reader: Reader) -> Extracted[Party] | None:
    for line, match in reader.find_all_lines(BEHALF_RE):
        name = match.group(1).strip(" ,:")
        found = reader.found_in_line(line, match.start(1), match.end(1)) if name else None
        if not name:
            page_lines = reader.pdf.pages[line.page - 1].lines
            if line.index + 1 < len(page_lines):
                nxt = page_lines[line.index + 1]
                name = nxt.text.strip()
                found = Found(name, list(nxt.words), nxt)
        if name and found is not None:
            return Extracted[Party](value=Party(name=name.upper()), source=reader.provenance(found, 0.8))
    return None
