"""Packing list template: references, packages, weights, marks and the packing table."""

from __future__ import annotations

import re
from decimal import Decimal

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
    parse_weight,
)
from extractors.models import Extracted, GoodsItem, PackingList, Quantity
from extractors.pdf_text import find_table

NUMBER_LABELS = [r"packing list no\.?", r"packing list number", r"p/l no\.?", r"pl no\.?", r"document no\.?"]
DATE_LABELS = [r"packing list date", r"date of issue", r"issue date", r"date", r"dated"]
TITLE_RE = re.compile(r"\bpacking\s*(/\s*weight\s*)?list\b", re.IGNORECASE)
TABLE_HEADERS = {
    "description": re.compile(r"description( of goods)?|goods|item( description)?|product", re.IGNORECASE),
    "quantity": re.compile(r"qty\.?|quantity|pcs", re.IGNORECASE),
    "cartons": re.compile(r"cartons?|ctns\.?|packages|pkgs\.?", re.IGNORECASE),
    "net": re.compile(r"n\.\s?w\.?( \(kgs?\))?|net( weight)?( \(kgs?\))?", re.IGNORECASE),
    "gross": re.compile(r"g\.\s?w\.?( \(kgs?\))?|gross( weight)?( \(kgs?\))?", re.IGNORECASE),
}
# the totals line, or the captions set under the table (a row never starts with them)
TABLE_STOP = re.compile(
    r"^\s*(total|grand total|(no\.|number) of packages|net weight|gross weight|n\.\s?w\.|g\.\s?w\.|"
    r"(shipping )?marks)\b",
    re.IGNORECASE,
)


def extract(reader: Reader) -> PackingList:
    fields = common_fields(reader)
    number = reader.find(NUMBER_LABELS, parse_reference)
    if number:
        fields["number"] = number
    date = reader.find(DATE_LABELS, normalize.parse_leading_date)
    if date:
        fields["date"] = date
    issuer = reader.party([r"seller", r"exporter", r"shipper", r"beneficiary"]) or letterhead(
        reader, TITLE_RE
    )
    if issuer:
        fields["issuer"] = issuer
    consignee = reader.party([r"consignee", r"buyer", r"messrs\.?", r"sold to"])
    if consignee:
        fields["consignee"] = consignee
    for key, labels, parser in (
        ("gross_weight", GROSS_LABELS, parse_weight),
        ("net_weight", NET_LABELS, parse_weight),
        ("packages", PACKAGES_LABELS, parse_packages),
        (
            "total_quantity",
            [r"total quantity", r"total qty\.?"],
            lambda t: normalize.parse_quantity(t, "PCS"),
        ),
    ):
        value = reader.find_first(labels, parser)
        if value:
            fields[key] = value
    lines = _lines(reader)
    fields["lines"] = lines
    if "total_quantity" not in fields:
        total = _total_of_lines(lines)
        if total is not None:
            fields["total_quantity"] = total
    if lines and lines[0].source is not None:
        text = "\n".join(item.description for item in lines)
        fields["goods_description"] = Extracted[str](value=text, source=lines[0].source)
    return PackingList(**fields)  # type: ignore[arg-type]


def _total_of_lines(lines: list[GoodsItem]) -> Extracted[Quantity] | None:
    """Without a "Total quantity" caption, the table's quantities added up, when they are all
    in one unit; its provenance is the table's rows (``derived``)."""
    quantities = [item.quantity for item in lines if item.quantity is not None]
    sources = [item.source for item in lines if item.source is not None]
    if (
        not quantities
        or len(quantities) != len(lines)
        or len({q.unit for q in quantities}) != 1
        or not sources
    ):
        return None
    total = Quantity(amount=sum((q.amount for q in quantities), Decimal(0)), unit=quantities[0].unit)
    boxes = [s.bbox for s in sources if s.bbox is not None and s.page == sources[0].page]
    bbox = (
        (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        if boxes
        else None
    )
    source = sources[0].model_copy(
        update={
            "bbox": bbox,
            "raw": " + ".join(str(q) for q in quantities),
            "extractor": "derived",
            "confidence": 0.75,
        }
    )
    return Extracted[Quantity](value=total, source=source)


def _lines(reader: Reader) -> list[GoodsItem]:
    table = find_table(reader.pdf, TABLE_HEADERS, required=["description", "quantity"], stop=TABLE_STOP)
    if table is None:
        return []
    items: list[GoodsItem] = []
    for row in table.rows:
        description = row.text("description").strip()
        quantity_text = row.text("quantity")
        if not description or not quantity_text:
            continue
        quantity = normalize.parse_quantity(quantity_text, default_unit="PCS")
        found = Found(description, row.words, row.lines[0])
        items.append(
            GoodsItem(description=description, quantity=quantity, source=reader.provenance(found, 0.8))
        )
    return items
