"""Commercial invoice template: number, date, parties, credit number, terms, goods table, total."""

from __future__ import annotations

import re

from extractors import normalize
from extractors.fields.common import (
    GROSS_LABELS,
    NET_LABELS,
    PACKAGES_LABELS,
    Found,
    Reader,
    common_fields,
    letterhead,
    parse_packages,
    parse_reference,
    parse_text,
    parse_weight,
)
from extractors.models import CommercialInvoice, Extracted, GoodsItem, Money
from extractors.pdf_text import find_table

NUMBER_LABELS = [r"invoice no\.?", r"invoice number", r"inv\.? no\.?", r"invoice #", r"invoice nr\.?",
                 r"facture n°", r"facture no\.?", r"f ?actuurnummer", r"rechnungsnr\.?",
                 r"rechnungsnummer", r"n° de facture", r"invoice", r"booking id", r"#"]  # fmt: skip
DATE_LABELS = [r"invoice date", r"date of issue", r"issue date", r"date", r"dated", r"f ?actuurdatum",
               r"factuur datum", r"rechnungsdatum", r"datum", r"fecha"]  # fmt: skip
ISSUER_LABELS = [r"seller", r"exporter", r"beneficiary", r"sold by", r"shipper/exporter", r"shipper"]
ADDRESSEE_LABELS = [r"buyer", r"sold to", r"bill to", r"messrs\.?", r"billing address", r"bill to address",
                    r"invoice to", r"importer", r"consignee"]  # fmt: skip
INCOTERM_LABELS = [
    r"terms of delivery",
    r"incoterms?( 2020)?",
    r"delivery terms",
    r"trade terms",
    r"price terms",
]
ORIGIN_LABELS = [r"country of origin", r"origin of goods", r"origin"]
TOTAL_LABELS = [
    # most specific first: their order is their priority
    [r"grand total"], [r"invoice total", r"factuur totaal", r"total facture"], [r"total amount( due)?"],
    [r"total (cif|cip|fob|fca|cfr|cpt|exw|dap|ddp|dpu|fas)\b[A-Z .]*"], [r"total ttc"], [r"totaal"],
    [r"total"], [r"somme à payer", r"amount due", r"balance due"],
]  # fmt: skip
TITLE_RE = re.compile(
    r"\b((commercial\s+|proforma\s+|tax\s+|retail\s+)?invoices?(/bill)?|factuur|facture|rechnung|factura)\b\.?",
    re.IGNORECASE,
)

INCOTERMS = [
    "EXW",
    "FCA",
    "FAS",
    "FOB",
    "CFR",
    "CIF",
    "CPT",
    "CIP",
    "DAP",
    "DPU",
    "DDP",
    "DAT",
    "DDU",
    "C&F",
    "CNF",
]
INCOTERM_RE = re.compile(
    r"\b(" + "|".join(re.escape(t) for t in INCOTERMS) + r")\b\s*[-,]?\s*([A-Z][A-Z .,'-]{1,40})?"
)

TABLE_HEADERS = {
    "description": re.compile(
        r"description( of goods)?|goods( description)?|item( description)?|product( title)?|artikel|désignation|"
        r"omschrijving|beschreibung|particulars",
        re.IGNORECASE,
    ),
    "quantity": re.compile(r"qty\.?|quantity|quantité|aantal|menge|nombre|hoeveelheid|pcs", re.IGNORECASE),
    "unit_price": re.compile(
        r"unit price|price per unit|unit rate|rate|price|p\.u\..*|prijs per stuk|vk-preis|prix unitaire|prijs",
        re.IGNORECASE,
    ),
    "amount": re.compile(r"amount|total|value|montant.*|bedrag|zeilenbetrag|line total", re.IGNORECASE),
}
TABLE_STOP = re.compile(
    r"^\s*(sub\s*total|total|grand total|totaal|exclusief|say\b|tax\b|gross weight|net weight|"
    r"(no\.|number) of packages)",
    re.IGNORECASE,
)


def parse_incoterm(text: str) -> tuple[str, str | None] | None:
    match = INCOTERM_RE.search(text.upper())
    if not match:
        return None
    term = {"C&F": "CFR", "CNF": "CFR"}.get(match.group(1), match.group(1))
    place = (match.group(2) or "").strip(" ,.-") or None
    if place:
        place = re.split(r"\s{2,}|\bINCOTERMS?\b", place)[0].strip(" ,.-") or None
    return term, place


def extract(reader: Reader) -> CommercialInvoice:
    fields = common_fields(reader, invoice_reference=False)
    currency_code = normalize.find_currency(reader.text)

    number = reader.find(NUMBER_LABELS, parse_reference)
    if number:
        fields["number"] = number
    date = reader.find(DATE_LABELS, normalize.parse_leading_date)
    if date is None:
        date = _first_date(reader)
    if date:
        fields["date"] = date

    issuer = reader.party(ISSUER_LABELS) or letterhead(reader, TITLE_RE)
    if issuer:
        fields["issuer"] = issuer
    addressee = reader.party(ADDRESSEE_LABELS)
    if addressee:
        fields["addressee"] = addressee

    incoterm = reader.find(INCOTERM_LABELS, parse_incoterm)
    if incoterm:
        term, place = incoterm.value
        fields["incoterm"] = Extracted[str](value=term, source=incoterm.source)
        if place:
            fields["incoterm_place"] = Extracted[str](value=place, source=incoterm.source)
    origin = reader.find(ORIGIN_LABELS, parse_text)
    if origin:
        code = normalize.country_of(origin.value)
        fields["country_of_origin"] = Extracted[str](value=code or origin.value.upper(), source=origin.source)

    for key, labels, parser in (
        ("gross_weight", GROSS_LABELS, parse_weight),
        ("net_weight", NET_LABELS, parse_weight),
        ("packages", PACKAGES_LABELS, parse_packages),
    ):
        value = reader.find_first(labels, parser)
        if value:
            fields[key] = value

    lines = _goods_lines(reader, currency_code)
    fields["lines"] = lines
    if lines:
        description = "\n".join(item.description for item in lines)
        first_source = lines[0].source
        if first_source is not None:
            fields["goods_description"] = Extracted[str](value=description, source=first_source)

    total = _total(reader, currency_code)
    if total:
        fields["total"] = total
        currency_code = total.value.currency
    if currency_code:
        found = total.source if total else None
        if found is not None:
            fields["currency"] = Extracted[str](value=currency_code, source=found)
    return CommercialInvoice(**fields)  # type: ignore[arg-type]


def _first_date(reader: Reader) -> Extracted | None:
    for line in reader.pdf.pages[0].lines:
        dates = normalize.find_dates(line.text)
        if dates:
            start, end, value = dates[0]
            return reader.extracted(value, reader.found_in_line(line, start, end), 0.5)
    return None


def _total(reader: Reader, currency: str | None) -> Extracted[Money] | None:
    for labels in TOTAL_LABELS:
        best: tuple[Money, Found] | None = None
        for line, index, _match in reader.label_hits(labels):
            # the amount is the rightmost money on the caption's line (columns may precede it)
            text = " ".join(s.text for s in line.segments[index:])
            # "TOTAL AMOUNT DUE ON August 3, 2014 $4.11": a date's year is not an amount
            for start, end, _ in normalize.find_dates(text):
                text = text[:start] + " " * (end - start) + text[end:]
            found_money = normalize.find_money(text, currency)
            if not found_money:
                continue
            start, end, money = found_money[-1]
            offset = len(line.text) - len(text)
            best = (money, reader.found_in_line(line, offset + start, offset + end))
            break  # the first such line: a second "Total" further down repeats it
        if best:
            return reader.extracted(best[0], best[1], 0.85)
    return None


def _goods_lines(reader: Reader, currency: str | None) -> list[GoodsItem]:
    table = find_table(reader.pdf, TABLE_HEADERS, required=["description", "amount"], stop=TABLE_STOP)
    if table is None:
        return []
    items: list[GoodsItem] = []
    for row in table.rows:
        description = row.text("description").strip()
        if not description:
            continue
        quantity = (
            normalize.parse_quantity(row.text("quantity"), default_unit="PCS")
            if row.text("quantity")
            else None
        )
        unit_price = (
            normalize.parse_money(row.text("unit_price"), currency) if row.text("unit_price") else None
        )
        amount = normalize.parse_money(row.text("amount"), currency) if row.text("amount") else None
        if amount is None and unit_price is None:
            continue
        about = bool(re.search(r"\b(about|approx\.?|approximately|circa)\b", description, re.IGNORECASE))
        found = Found(description, row.words, row.lines[0])
        items.append(
            GoodsItem(
                description=description,
                quantity=quantity,
                unit_price=unit_price,
                amount=amount,
                about=about,
                source=reader.provenance(found, 0.8),
            )
        )
    return items
