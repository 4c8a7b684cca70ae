"""Presentation -> facts: the values a CEL condition sees, plus a provenance side table.

Conversion (docs/rules.md, "Facts"): str -> string, int -> int, Decimal/float -> double,
date -> timestamp at 00:00 UTC, Money/Quantity/Party -> maps, ``Extracted[T]`` -> the value
(its provenance goes to the side table keyed by fact path, e.g. ``lc.port_of_loading`` or
``docs.bill_of_lading[0].vessel``), ``None`` -> key absent.

The fact catalogue (``CATALOGUE``) is the same structure described as types, built from the
pydantic models, so the pack loader can check every path a rule names and convert the partial
facts of a rule's test cases with exactly the conversion real presentations get.
``derived`` values are computed from the facts themselves (not from the models), so a test
case that gives only ``lc.amount`` gets the same ``derived.amount_max`` a real credit does.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from engine.functions import lines_quantity, to_date, to_decimal, to_timestamp
from extractors.models import (
    DOCUMENT_MODELS,
    DOCUMENT_TYPES,
    Extracted,
    LetterOfCredit,
    Money,
    Presentation,
    Provenance,
    Quantity,
)

PRESENTED_TYPES: tuple[str, ...] = tuple(DOCUMENT_MODELS)  # the six presented types (not the LC)

# --------------------------------------------------------------------------- the type catalogue


@dataclass(frozen=True)
class FactType:
    """The CEL type of a fact: a scalar, a list of ``element``, or a map of ``fields``.

    A map with ``fields`` None is open (any key, values ``dyn``); ``dyn`` is not checked.
    """

    kind: Literal["string", "int", "double", "timestamp", "bool", "map", "list", "dyn"]
    fields: dict[str, FactType] | None = None
    element: FactType | None = None

    def describe(self) -> str:
        if self.kind == "list" and self.element is not None:
            return f"list of {self.element.describe()}"
        return self.kind


STRING = FactType("string")
INT = FactType("int")
DOUBLE = FactType("double")
TIMESTAMP = FactType("timestamp")
BOOL = FactType("bool")
DYN = FactType("dyn")
OPEN_MAP = FactType("map")


def list_of(element: FactType) -> FactType:
    return FactType("list", element=element)


def map_of(**fields: FactType) -> FactType:
    return FactType("map", fields=fields)


def _type_of_annotation(annotation: Any) -> FactType:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_of_annotation(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _type_of_annotation(members[0])
        return DYN
    if origin is Literal:
        values = typing.get_args(annotation)
        return STRING if all(isinstance(v, str) for v in values) else DYN
    if origin in (list, tuple):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        element = _type_of_annotation(args[0]) if args else DYN
        return list_of(element)
    if origin is dict:
        return OPEN_MAP
    if annotation is Any:
        return DYN
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return _type_of_model(annotation)
        if annotation is bool:
            return BOOL
        if annotation is int:
            return INT
        if annotation in (float, Decimal):
            return DOUBLE
        if annotation is dt.datetime or annotation is dt.date:
            return TIMESTAMP
        if annotation is str:
            return STRING
    return DYN


_MODEL_TYPES: dict[type, FactType] = {}


def _type_of_model(model: type[BaseModel]) -> FactType:
    generic = getattr(model, "__pydantic_generic_metadata__", None) or {}
    if generic.get("origin") is Extracted:
        return _type_of_annotation(generic["args"][0])
    if model in _MODEL_TYPES:
        return _MODEL_TYPES[model]
    fields: dict[str, FactType] = {}
    for name, info in model.model_fields.items():
        if info.annotation is Provenance:  # provenance is not a fact; it goes to the side table
            continue
        fields[name] = _type_of_annotation(info.annotation)
    result = FactType("map", fields=fields)
    _MODEL_TYPES[model] = result
    return result


LC_TYPE = _type_of_model(LetterOfCredit)
DOC_TYPES: dict[str, FactType] = {name: _type_of_model(model) for name, model in DOCUMENT_MODELS.items()}
DOCS_TYPE = FactType("map", fields={name: list_of(t) for name, t in DOC_TYPES.items()})
QUANTITY_TYPE = _type_of_model(Quantity)
PRESENTATION_TYPE = map_of(
    presented_on=TIMESTAMP,
    document_types=list_of(STRING),
    shipment_date=TIMESTAMP,
    files=INT,
)
DERIVED_TYPE = map_of(
    amount_about=BOOL,
    quantity_about=BOOL,
    amount_tolerance_plus=DOUBLE,
    amount_tolerance_minus=DOUBLE,
    amount_max=DOUBLE,
    quantity_tolerance_plus=DOUBLE,
    quantity_tolerance_minus=DOUBLE,
    lc_quantity=QUANTITY_TYPE,
    invoice_quantity=QUANTITY_TYPE,
    presentation_deadline=TIMESTAMP,
    invoice_amount=DOUBLE,
    cif_value=DOUBLE,
    insurance_minimum=DOUBLE,
    required_types=list_of(STRING),
)

# The `screening` variable (engine/screening/presentation.py builds it; docs/rules.md).
SCREENING_HIT_TYPE = map_of(
    role=STRING, document=STRING, field=STRING, query=STRING, entry_id=STRING, entry_name=STRING,
    matched_name=STRING, entry_type=STRING, score=DOUBLE, programs=list_of(STRING), list_version=STRING,
    list_version_label=STRING, explanation=STRING, decision=STRING, decided_by=STRING,
    decision_reason=STRING, decision_id=STRING,
)
SCREENING_PLACE_TYPE = map_of(
    role=STRING, document=STRING, field=STRING, value=STRING, country=STRING, region=STRING,
    sanctioned=BOOL, programmes=list_of(STRING), fatf=STRING, route=BOOL,
)
SCREENING_GOODS_TYPE = map_of(
    document=STRING, field=STRING, description=STRING, dual_use=list_of(STRING), controls=list_of(STRING),
    vague=BOOL, hs_code=STRING, unit_price=DOUBLE, currency=STRING, unit=STRING, reference_item=STRING,
    reference_price=DOUBLE, reference_basis=STRING, price_ratio=DOUBLE,
)
SCREENING_TYPE = map_of(
    available=BOOL,
    reason=STRING,
    hits=list_of(SCREENING_HIT_TYPE),
    countries=list_of(SCREENING_PLACE_TYPE),
    goods=list_of(SCREENING_GOODS_TYPE),
    beneficiary_changes=list_of(
        map_of(amendment=INT, beneficiary=STRING, date=STRING, days_before_presentation=INT)
    ),
    unscreenable=list_of(map_of(role=STRING, document=STRING, field=STRING, value=STRING, reason=STRING)),
    list_versions=list_of(STRING),
    hold_threshold=DOUBLE,
    review_threshold=DOUBLE,
)
# Derived values that are sums of money: messages render them like money ("110,000.00").
DERIVED_MONEY = frozenset({"amount_max", "invoice_amount", "cif_value", "insurance_minimum"})

# Variables every rule sees; `doc`, `item` and `index` are added per rule (see scope_for).
CATALOGUE: dict[str, FactType] = {
    "lc": LC_TYPE,
    "docs": DOCS_TYPE,
    "presentation": PRESENTATION_TYPE,
    "derived": DERIVED_TYPE,
    "screening": SCREENING_TYPE,
}


def scope_for(applies_to: str, item_type: FactType | None) -> dict[str, FactType]:
    """The variables in scope of a rule: the catalogue, plus `doc` / `item` / `index` when bound."""
    scope = dict(CATALOGUE)
    if applies_to in DOC_TYPES:
        scope["doc"] = DOC_TYPES[applies_to]
    if item_type is not None:
        scope["item"] = item_type
        scope["index"] = INT
    return scope


_SEGMENT = re.compile(r"\.([A-Za-z_]\w*)|\[(\d+|\"[^\"]*\"|'[^']*')\]")


def split_path(path: str) -> tuple[str, list[str | int]]:
    """``docs.bill_of_lading[0].vessel`` -> ("docs", ["bill_of_lading", 0, "vessel"])."""
    match = re.match(r"[A-Za-z_]\w*", path)
    if not match:
        raise ValueError(f"{path!r} is not a fact path")
    steps: list[str | int] = []
    position = match.end()
    while position < len(path):
        segment = _SEGMENT.match(path, position)
        if not segment:
            raise ValueError(f"{path!r} is not a fact path (at {path[position:]!r})")
        if segment.group(1) is not None:
            steps.append(segment.group(1))
        else:
            token = segment.group(2)
            steps.append(int(token) if token.isdigit() else token[1:-1])
        position = segment.end()
    return match.group(0), steps


def resolve_type(scope: dict[str, FactType], path: str) -> FactType:
    """The type at a fact path; ``KeyError`` with a readable message when it does not exist."""
    variable, steps = split_path(path)
    if variable not in scope:
        raise KeyError(f"unknown variable {variable!r} in {path!r} (in scope: {', '.join(sorted(scope))})")
    current = scope[variable]
    walked = variable
    for step in steps:
        if current.kind == "dyn" or (current.kind == "map" and current.fields is None):
            return DYN
        if isinstance(step, int):
            if current.kind != "list" or current.element is None:
                raise KeyError(f"{walked!r} is a {current.describe()}, not a list: cannot index it in {path!r}")
            current = current.element
            walked += f"[{step}]"
            continue
        if current.kind == "list":
            raise KeyError(f"{walked!r} is a list: index it ({walked}[0].{step}) or use a macro in {path!r}")
        if current.kind != "map" or current.fields is None:
            raise KeyError(f"{walked!r} is a {current.describe()}: it has no field {step!r} ({path!r})")
        if step not in current.fields:
            known = ", ".join(sorted(current.fields))
            raise KeyError(f"unknown fact {path!r}: {walked!r} has no field {step!r} (fields: {known})")
        current = current.fields[step]
        walked += f".{step}"
    return current


# --------------------------------------------------------------------------- model -> facts


@dataclass
class Facts:
    """The facts of one presentation: CEL variables plus where each value came from."""

    variables: dict[str, Any]  # lc, docs, presentation, derived
    provenance: dict[str, Provenance] = field(default_factory=dict)  # fact path -> source

    def source_of(self, path: str) -> Provenance | None:
        """Provenance of the value at ``path`` or of the nearest enclosing value that has one."""
        candidate = path
        while candidate:
            found = self.provenance.get(candidate)
            if found is not None:
                return found
            cut = max(candidate.rfind("."), candidate.rfind("["))
            if cut <= 0:
                return None
            candidate = candidate[:cut]
        return None


ABSENT = object()


def model_value(value: Any, path: str, provenance: dict[str, Provenance]) -> Any:
    """A model value as a CEL value (ABSENT for None), recording provenance under ``path``."""
    if value is None:
        return ABSENT
    if isinstance(value, Extracted):
        provenance[path] = value.source
        return model_value(value.value, path, provenance)
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, Decimal | float):
        return float(value)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return to_timestamp(value)
    if isinstance(value, Money):
        return {"amount": float(value.amount), "currency": value.currency}
    if isinstance(value, Quantity):
        return {"amount": float(value.amount), "unit": value.unit}
    if isinstance(value, BaseModel):
        result: dict[str, Any] = {}
        for name in type(value).model_fields:
            item = getattr(value, name)
            if isinstance(item, Provenance):
                provenance[path] = item
                continue
            converted = model_value(item, f"{path}.{name}", provenance)
            if converted is not ABSENT:
                result[name] = converted
        return result
    if isinstance(value, list | tuple):
        items = (model_value(x, f"{path}[{i}]", provenance) for i, x in enumerate(value))
        return [x for x in items if x is not ABSENT]
    if isinstance(value, dict):
        entries = ((str(k), model_value(v, f"{path}.{k}", provenance)) for k, v in value.items())
        return {k: v for k, v in entries if v is not ABSENT}
    raise TypeError(f"{path}: cannot convert {type(value).__name__} to a CEL value")


def build_facts(presentation: Presentation) -> Facts:
    """All facts of a presentation, built once; ``derived`` computed from them."""
    provenance: dict[str, Provenance] = {}
    lc = model_value(presentation.lc, "lc", provenance)
    docs: dict[str, list[dict[str, Any]]] = {name: [] for name in PRESENTED_TYPES}
    for document in presentation.documents:
        bucket = docs[document.type]
        bucket.append(model_value(document, f"docs.{document.type}[{len(bucket)}]", provenance))
    presentation_facts = presentation_values(
        docs,
        to_timestamp(presentation.presented_on) if presentation.presented_on else None,
        len(presentation.files) or len(presentation.documents),
    )
    # the shipment date is read off a B/L: its evidence points at that B/L's date on the page
    for index, bill in enumerate(docs.get("bill_of_lading") or []):
        key = next((k for k in ("on_board_date", "date") if k in bill), None)
        if key is not None:
            source = provenance.get(f"docs.bill_of_lading[{index}].{key}")
            if source is not None:
                provenance["presentation.shipment_date"] = source
            break
    variables = {"lc": lc, "docs": docs, "presentation": presentation_facts}
    variables["derived"] = compute_derived(lc, docs, presentation_facts)
    # replaced by the examination when a pack screens (engine/screening/presentation.py)
    variables["screening"] = default_screening(available=False, reason="no screening pack is loaded")
    return Facts(variables=variables, provenance=provenance)


def default_screening(*, available: bool = True, reason: str = "") -> dict[str, Any]:
    """Screening facts with nothing found: what a test case starts from (keys it gives override)."""
    values: dict[str, Any] = {
        "available": available, "hits": [], "countries": [], "goods": [], "beneficiary_changes": [],
        "unscreenable": [], "list_versions": [], "hold_threshold": 0.9, "review_threshold": 0.8,
    }
    if reason:
        values["reason"] = reason
    return values


def presentation_values(
    docs: dict[str, list[dict[str, Any]]], presented_on: dt.datetime | None, files: int
) -> dict[str, Any]:
    """The `presentation` variable: date, presented types, shipment date (UCP 600 20(a)(ii)), files."""
    values: dict[str, Any] = {
        "document_types": [name for name in PRESENTED_TYPES if docs.get(name)],
        "files": files,
    }
    if presented_on is not None:
        values["presented_on"] = presented_on
    shipment = shipment_date(docs)
    if shipment is not None:
        values["shipment_date"] = shipment
    return values


def shipment_date(docs: dict[str, list[dict[str, Any]]]) -> dt.datetime | None:
    """The on-board date of the first B/L, else its issue date; None without a transport document."""
    for bill in docs.get("bill_of_lading") or []:
        for key in ("on_board_date", "date"):
            if key in bill:
                return bill[key]
    return None


# --------------------------------------------------------------------------- derived values

_ABOUT = r"(?:ABOUT|APPROXIMATELY|APPROX|CIRCA|CA)\.?"
_NUMBER = r"\d[\d,.']*"
# Units counted in packing units or individual items: 30(b)'s 5% does not apply to them.
_COUNTED_UNITS_TEXT = """PC PCS PIECE PIECES UNIT UNITS SET SETS CARTON CARTONS CTN CTNS BAG BAGS BALE BALES BOX BOXES
    CASE CASES DRUM DRUMS PALLET PALLETS PACKAGE PACKAGES PKG PKGS ROLL ROLLS PAIR PAIRS PRS DOZEN DOZ
    CONTAINER CONTAINERS NOS NO EA EACH CRATE CRATES COIL COILS BUNDLE BUNDLES SHEET SHEETS BOTTLE
    BOTTLES CAN CANS TIN TINS REAM REAMS ITEM ITEMS LOT LOTS"""
COUNTED_UNITS = frozenset(_COUNTED_UNITS_TEXT.split())


def _about_flags(lc: dict[str, Any]) -> tuple[bool, bool]:
    """Whether "about" wording qualifies the credit amount and the 45A quantity (UCP 600 30(a))."""
    texts = [lc.get("goods_description", ""), lc.get("additional_amounts", "")]
    texts += [c for c in lc.get("additional_conditions", []) if isinstance(c, str)]
    texts += [g.get("description", "") for g in lc.get("goods", [])]
    text = " ".join(t for t in texts if isinstance(t, str)).upper()
    currency = (lc.get("amount") or {}).get("currency", "")
    currencies = {c for c in (currency, "USD", "EUR", "GBP", "JPY", "CNY") if c}
    amount_about = bool(
        re.search(rf"\b{_ABOUT}\s+(?:{'|'.join(sorted(currencies))})\s*{_NUMBER}", text)
        or re.search(rf"\b{_ABOUT}\s+(?:THE\s+)?(?:CREDIT\s+)?AMOUNT\b", text)
    )
    quantity_about = bool(re.search(rf"\b{_ABOUT}\s+{_NUMBER}\s*[A-Z]", text))
    quantity_about = quantity_about or any(
        g.get("about") and "quantity" in g for g in lc.get("goods", []) if isinstance(g, dict)
    )
    return amount_about, quantity_about


def _number(value: Any) -> Decimal | None:
    try:
        return to_decimal(value)
    except TypeError:
        return None


def _float(value: Decimal) -> float:
    return float(value)


def compute_derived(lc: dict[str, Any], docs: dict[str, list[dict[str, Any]]], presentation: dict[str, Any]) -> dict[str, Any]:
    """The `derived` variable (docs/rules.md): tolerances, limits, deadline, CIF value, 46A types."""
    derived: dict[str, Any] = {}
    amount_about, quantity_about = _about_flags(lc)
    derived["amount_about"] = amount_about
    derived["quantity_about"] = quantity_about

    plus = _number(lc["tolerance_plus"]) if "tolerance_plus" in lc else None
    minus = _number(lc["tolerance_minus"]) if "tolerance_minus" in lc else None
    default_tolerance = Decimal(10) if amount_about else Decimal(0)
    plus = default_tolerance if plus is None else plus
    minus = default_tolerance if minus is None else minus
    derived["amount_tolerance_plus"] = _float(plus)
    derived["amount_tolerance_minus"] = _float(minus)
    credit_amount = _number((lc.get("amount") or {}).get("amount"))
    if credit_amount is not None:
        derived["amount_max"] = _float(credit_amount * (1 + plus / 100))

    quantities = [g["quantity"] for g in lc.get("goods", []) if isinstance(g, dict) and "quantity" in g]
    units = {q.get("unit") for q in quantities}
    if quantities and len(units) == 1:
        total = sum((to_decimal(q["amount"]) for q in quantities), Decimal(0))
        derived["lc_quantity"] = {"amount": _float(total), "unit": next(iter(units))}
    if quantity_about:
        quantity_tolerance = Decimal(10)
    elif quantities and not (units & COUNTED_UNITS):
        quantity_tolerance = Decimal(5)
    else:
        quantity_tolerance = Decimal(0)
    derived["quantity_tolerance_plus"] = _float(quantity_tolerance)
    derived["quantity_tolerance_minus"] = _float(quantity_tolerance)

    shipment = presentation.get("shipment_date")
    if shipment is not None:
        period = lc.get("presentation_period") or {}
        days = period.get("days", 21) if isinstance(period, dict) else 21
        deadline = to_date(shipment) + dt.timedelta(days=int(days))
        if "expiry_date" in lc:
            deadline = min(deadline, to_date(lc["expiry_date"]))
        derived["presentation_deadline"] = to_timestamp(deadline)

    invoices = docs.get("commercial_invoice") or []
    invoice = invoices[0] if invoices else None
    try:  # the sum of the invoice lines sharing a unit (goods split over several lines)
        invoice_quantity = lines_quantity(invoice.get("lines", []) if invoice else [])
    except TypeError:
        invoice_quantity = {}
    if invoice_quantity:
        derived["invoice_quantity"] = invoice_quantity
    invoice_amount = _number((invoice.get("total") or {}).get("amount")) if invoice else None
    if invoice_amount is not None:
        derived["invoice_amount"] = _float(invoice_amount)
    incoterm = str((invoice or {}).get("incoterm") or lc.get("incoterm") or "").upper()
    cif_value = invoice_amount if invoice_amount is not None and incoterm in ("CIF", "CIP") else None
    if cif_value is not None:
        derived["cif_value"] = _float(cif_value)

    requirements = [r for r in lc.get("documents_required", []) if isinstance(r, dict)]
    insurance = next((r for r in requirements if r.get("document_type") == "insurance_certificate"), {})
    percent = _number(insurance.get("insurance_percent")) if "insurance_percent" in insurance else None
    percent = Decimal(110) if percent is None else percent
    basis_value = cif_value
    if str(insurance.get("insurance_basis", "")).upper() == "INVOICE" and invoice_amount is not None:
        basis_value = invoice_amount
    if basis_value is None:
        drafts = docs.get("draft") or []
        demanded = _number((drafts[0].get("amount") or {}).get("amount")) if drafts else None
        candidates = [v for v in (demanded, invoice_amount) if v is not None]
        basis_value = max(candidates) if candidates else None
    if basis_value is not None:
        derived["insurance_minimum"] = _float(basis_value * percent / 100)

    required: list[str] = []
    for requirement in requirements:
        doc_type = requirement.get("document_type")
        if isinstance(doc_type, str) and doc_type not in required:
            required.append(doc_type)
    derived["required_types"] = required
    return derived


# --------------------------------------------------------------------------- test-case facts


class FactValueError(ValueError):
    """A test-case fact that does not fit the catalogue; ``keys`` locate it in the YAML."""

    def __init__(self, keys: list[str | int], message: str):
        self.keys = keys
        super().__init__(message)


def value_for_type(raw: Any, fact_type: FactType, keys: list[str | int]) -> Any:
    """A YAML value as the CEL value of ``fact_type`` (the conversion real facts get)."""
    where = ".".join(str(k) for k in keys)
    kind = fact_type.kind
    if kind == "dyn":
        return _plain(raw, keys)
    if raw is None:
        raise FactValueError(keys, f"{where}: null is not a value; leave the key out to make it absent")
    if kind == "string":
        if not isinstance(raw, str):
            raise FactValueError(keys, f"{where}: expected a string, got {raw!r}; quote it")
        return str(raw)
    if kind == "bool":
        if not isinstance(raw, bool):
            raise FactValueError(keys, f"{where}: expected true or false, got {raw!r}")
        return bool(raw)
    if kind == "int":
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise FactValueError(keys, f"{where}: expected an integer, got {raw!r}")
        return int(raw)
    if kind == "double":
        if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
            raise FactValueError(keys, f"{where}: expected a number, got {raw!r}")
        return float(raw)
    if kind == "timestamp":
        if isinstance(raw, dt.datetime):
            return raw if raw.tzinfo else raw.replace(tzinfo=dt.UTC)
        if isinstance(raw, dt.date):
            return to_timestamp(raw)
        if isinstance(raw, str):
            try:
                return to_timestamp(dt.date.fromisoformat(raw))
            except ValueError:
                pass
        raise FactValueError(keys, f"{where}: expected a date YYYY-MM-DD, got {raw!r}")
    if kind == "list":
        if not isinstance(raw, list):
            raise FactValueError(keys, f"{where}: expected a list, got {raw!r}")
        element = fact_type.element or DYN
        return [value_for_type(x, element, [*keys, i]) for i, x in enumerate(raw)]
    # a map
    if not isinstance(raw, dict):
        raise FactValueError(keys, f"{where}: expected a mapping, got {raw!r}")
    if fact_type.fields is None:
        return _plain(raw, keys)
    result: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fact_type.fields:
            known = ", ".join(sorted(fact_type.fields))
            raise FactValueError([*keys, key], f"{where}: unknown field {key!r} (fields: {known})")
        result[str(key)] = value_for_type(value, fact_type.fields[key], [*keys, key])
    return result


def _plain(raw: Any, keys: list[str | int]) -> Any:
    """An unchecked YAML value as plain CEL-friendly Python (dates -> timestamps, numbers as given)."""
    if isinstance(raw, dict):
        return {str(k): _plain(v, [*keys, k]) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_plain(v, [*keys, i]) for i, v in enumerate(raw)]
    if isinstance(raw, dt.datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=dt.UTC)
    if isinstance(raw, dt.date):
        return to_timestamp(raw)
    if isinstance(raw, bool | str) or raw is None:
        return raw
    if isinstance(raw, int):
        return int(raw)
    if isinstance(raw, float | Decimal):
        return float(raw)
    return str(raw)


def facts_from_test(
    raw: dict[str, Any], applies_to: str, item_type: FactType | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Partial facts of a test case -> (shared variables, bound variables doc/item/index).

    Missing variables are empty; every document type key of `docs` is present; the `doc` under
    test is also listed in `docs.<applies_to>` unless the case gives that list; `presentation`
    and `derived` are computed from the given facts, and given keys override computed ones.
    """
    scope = scope_for(applies_to, item_type)
    for key in raw:
        if key not in scope:
            raise FactValueError([key], f"unknown variable {key!r} (in scope: {', '.join(sorted(scope))})")
    lc = value_for_type(raw.get("lc", {}), LC_TYPE, ["lc"])
    given_docs = value_for_type(raw.get("docs", {}), DOCS_TYPE, ["docs"])
    docs = {name: given_docs.get(name, []) for name in PRESENTED_TYPES}
    bound: dict[str, Any] = {}
    if "doc" in scope:
        doc = value_for_type(raw.get("doc", {}), scope["doc"], ["doc"])
        doc.setdefault("type", applies_to)
        doc.setdefault("file", "test-case")
        bound["doc"] = doc
        if applies_to not in given_docs:
            docs[applies_to] = [doc]
    if item_type is not None:
        if "item" in raw:
            bound["item"] = value_for_type(raw["item"], item_type, ["item"])
        bound["index"] = value_for_type(raw.get("index", 0), INT, ["index"])
    given_presentation = value_for_type(raw.get("presentation", {}), PRESENTATION_TYPE, ["presentation"])
    presentation = presentation_values(docs, None, sum(len(v) for v in docs.values()) + 1)
    presentation.update(given_presentation)
    given_derived = value_for_type(raw.get("derived", {}), DERIVED_TYPE, ["derived"])
    derived = compute_derived(lc, docs, presentation)
    derived.update(given_derived)
    screening = default_screening()
    screening.update(value_for_type(raw.get("screening", {}), SCREENING_TYPE, ["screening"]))
    return {"lc": lc, "docs": docs, "presentation": presentation, "derived": derived, "screening": screening}, bound


__all__ = [
    "CATALOGUE",
    "DOCUMENT_TYPES",
    "FactType",
    "Facts",
    "build_facts",
    "compute_derived",
    "facts_from_test",
    "resolve_type",
    "scope_for",
]
