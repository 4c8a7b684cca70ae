"""YAML extraction templates: issuer-specific layouts plus a generic fallback per document type.

A template says how to read fields of one document type from one issuer's layout:

```yaml
template: aws-invoice                 # unique name
document_type: commercial_invoice     # the DESIGN.md vocabulary
keywords: ["Amazon Web Services"]     # regexes; ALL must occur for the template to apply
exclude_keywords: []                  # none of these may occur
priority: 10                          # the highest-priority matching template wins
issuer: "Amazon Web Services, Inc."   # fixed issuer name (the letterhead is often a logo)
fields:
  number: {anchors: ["Invoice Number"]}            # value after/beside/below a label
  total: {regex: 'TOTAL AMOUNT DUE ON .* \\$([\\d,.]+)', currency: USD}   # group 1 is the value
  date: {anchors: ["Invoice Date"], area: {page: 1, x0: 0.5, top: 0, x1: 1, bottom: 0.3}}
tables:
  lines: {columns: {description: "Description", amount: "Amount"}, required: [description, amount]}
samples:                              # what `blocktrade templates test` checks
  - file: "shared:invoices/invoice2data/compare/AmazonWebServices.pdf"
    expect: {number: "42183017", date: "2014-08-03", total: "USD 4.11"}
```

Files in this folder named after a document type (``commercial_invoice.yaml``, ...) are the
generic templates (``generic: true``): they apply to every document of their type and only fill
fields the built-in reader left empty (multilingual labels, mostly). Issuer templates live in
``issuers/`` or in the folder named by ``$BLOCKTRADE_TEMPLATES``; their fields replace what the
built-in reader found. Unlike invoice2data, loading fails closed: an unknown key, a field the
document type does not have, a regex that does not compile or a duplicate name stops loading
with ``file:line: message`` (``TemplateError``), and nothing is half-applied.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import typing
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from extractors import normalize
from extractors.errors import InputError
from extractors.models import DOCUMENT_MODELS, DocumentBase, DocumentType, Extracted, Money, Party, Quantity

TEMPLATE_DIR = Path(__file__).resolve().parent
SHARED_PREFIX = "shared:"

ParseKind = Literal[
    "text", "reference", "place", "date", "money", "currency", "party", "quantity", "int", "bool"
]


class TemplateError(InputError):
    """A template that cannot be loaded; ``str()`` reads ``file:line: message``."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Area(_Strict):
    """A rectangle of a page as fractions of its width and height (0..1, origin top-left)."""

    page: int = Field(1, ge=1)
    x0: float = Field(0.0, ge=0, le=1)
    top: float = Field(0.0, ge=0, le=1)
    x1: float = Field(1.0, ge=0, le=1)
    bottom: float = Field(1.0, ge=0, le=1)


class FieldRule(_Strict):
    anchors: list[str] = []  # label regexes; the value is looked for after, beside or below them
    regex: str | None = None  # searched line by line; group 1 (or the whole match) is the value
    area: Area | None = None  # only words inside it count
    parse: ParseKind | None = None  # default: from the model's type for the field
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")  # for money written without one
    value: str | None = None  # a fixed value (issuer names printed only as a logo)

    @field_validator("anchors", "regex")
    @classmethod
    def _compiles(cls, value: Any) -> Any:
        for pattern in value if isinstance(value, list) else [value] if value else []:
            try:
                re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                raise ValueError(f"regex {pattern!r} does not compile: {exc}") from None
        return value


class TableRule(_Strict):
    columns: dict[str, str]  # canonical column -> header regex
    required: list[str]
    stop: str | None = None


class Sample(_Strict):
    file: str  # relative to the template file, or "shared:<path under the shared data folder>"
    expect: dict[str, str]


class Template(_Strict):
    template: str = Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*$")
    document_type: DocumentType
    generic: bool = False
    keywords: list[str] = []
    exclude_keywords: list[str] = []
    priority: int = 0
    issuer: str | None = None
    fields: dict[str, FieldRule] = {}
    tables: dict[str, TableRule] = {}
    samples: list[Sample] = []
    description: str = ""

    # set after loading, not from YAML
    source_file: str = ""
    lines: dict[str, int] = {}

    @field_validator("keywords", "exclude_keywords")
    @classmethod
    def _keywords_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                raise ValueError(f"regex {pattern!r} does not compile: {exc}") from None
        return value

    def matches(self, text: str) -> bool:
        if self.generic:
            return True
        if not self.keywords:
            return False
        return all(re.search(k, text, re.IGNORECASE) for k in self.keywords) and not any(
            re.search(k, text, re.IGNORECASE) for k in self.exclude_keywords
        )


# --------------------------------------------------------------------------- loading


def _line_of(node: Any, loc: tuple[Any, ...]) -> int:
    """The 1-based line of the deepest YAML node on ``loc`` that ruamel can place."""
    line = 1
    for key in loc:
        try:
            line = node.lc.item(key)[0] + 1 if isinstance(key, int) else node.lc.key(key)[0] + 1
            node = node[key]
        except (AttributeError, KeyError, IndexError, TypeError):
            break
    return line


def _field_kind(document_type: str, name: str) -> ParseKind | None:
    """The parser a model field needs, from its type; None when templates cannot set it."""
    model = DOCUMENT_MODELS[document_type]
    info = model.model_fields.get(name)
    if info is None:
        return None
    hints = typing.get_type_hints(model)
    annotation = hints.get(name)
    inner = [a for a in typing.get_args(annotation) if a is not type(None)]
    if not inner:
        return None
    target = inner[0]
    if getattr(target, "__pydantic_generic_metadata__", {}).get("origin") is not Extracted:
        return None
    (value_type,) = target.__pydantic_generic_metadata__["args"]
    if value_type is Money:
        return "money"
    if value_type is Party:
        return "party"
    if value_type is Quantity:
        return "quantity"
    if value_type is dt.date:
        return "date"
    if value_type is bool:
        return "bool"
    if value_type is int:
        return "int"
    if name in ("number", "lc_number", "invoice_number", "voyage"):
        return "reference"
    if name == "currency":
        return "currency"
    return "text"


def load_template_file(path: Path) -> list[Template]:
    """The templates of one YAML file (a mapping, or a list of mappings). Raises TemplateError."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(name, f"cannot read the template: {exc}") from None
    try:
        data = YAML(typ="rt").load(text)  # YAML 1.2: NO stays a string, 0101.21 stays text if quoted
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise TemplateError(name, f"not valid YAML: {exc.problem}", line=line) from None
    items = data if isinstance(data, list) else [data]
    templates: list[Template] = []
    for index, item in enumerate(items):
        base_line = data.lc.item(index)[0] + 1 if isinstance(data, list) else 1
        if not isinstance(item, dict):
            raise TemplateError(name, "a template must be a mapping of keys to values", line=base_line)
        try:
            template = Template.model_validate(_plain(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = tuple(first["loc"])
            where = ".".join(str(p) for p in loc) or "template"
            raise TemplateError(name, f"{where}: {first['msg']}", line=_line_of(item, loc)) from None
        for field_name in template.fields:
            if _field_kind(template.document_type, field_name) is None:
                raise TemplateError(
                    name,
                    f"fields.{field_name}: {template.document_type} has no field {field_name!r} a template can set",
                    line=_line_of(item, ("fields", field_name)),
                )
            rule = template.fields[field_name]
            if not (rule.anchors or rule.regex or rule.area or rule.value):
                raise TemplateError(
                    name,
                    f"fields.{field_name}: give anchors, regex, area or value",
                    line=_line_of(item, ("fields", field_name)),
                )
        for table_name, table in template.tables.items():
            if table_name != "lines" or "lines" not in DOCUMENT_MODELS[template.document_type].model_fields:
                raise TemplateError(
                    name,
                    f"tables.{table_name}: only a 'lines' table of invoices and packing lists is supported",
                    line=_line_of(item, ("tables", table_name)),
                )
            unknown = [c for c in table.required if c not in table.columns]
            if unknown:
                raise TemplateError(
                    name,
                    f"tables.{table_name}.required: {unknown} are not columns",
                    line=_line_of(item, ("tables", table_name, "required")),
                )
        if not template.generic and not template.keywords:
            raise TemplateError(
                name, "an issuer template needs keywords that recognise the issuer", line=base_line
            )
        template.source_file = name
        template.lines = {"template": base_line}
        templates.append(template)
    return templates


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool | int | float) or node is None:
        return node
    return str(node)


def template_dirs() -> list[Path]:
    dirs = [TEMPLATE_DIR, TEMPLATE_DIR / "issuers"]
    extra = os.environ.get("BLOCKTRADE_TEMPLATES")
    if extra:
        dirs.extend(Path(p) for p in extra.split(os.pathsep) if p)
    return dirs


def load_templates(dirs: list[Path] | None = None) -> list[Template]:
    """Every template of ``dirs`` (default: built-in + issuers/ + $BLOCKTRADE_TEMPLATES)."""
    key = tuple(str(d) for d in (dirs or template_dirs()))
    return list(_load_cached(key, _stamp(key)))


def _stamp(dirs: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    files = []
    for folder in dirs:
        base = Path(folder)
        if not base.is_dir():
            raise TemplateError(folder, "template folder not found")
        for path in sorted(base.glob("*.y*ml")):
            files.append((str(path), path.stat().st_mtime))
    return tuple(files)


@lru_cache(maxsize=8)
def _load_cached(dirs: tuple[str, ...], stamp: tuple[tuple[str, float], ...]) -> tuple[Template, ...]:
    templates: list[Template] = []
    names: dict[str, str] = {}
    for file, _ in stamp:
        for template in load_template_file(Path(file)):
            if template.template in names:
                raise TemplateError(
                    file, f"template name {template.template!r} already used in {names[template.template]}"
                )
            names[template.template] = file
            templates.append(template)
    return tuple(templates)


# --------------------------------------------------------------------------- applying


def select(
    templates: list[Template], document_type: str, text: str
) -> tuple[Template | None, list[Template]]:
    """The issuer template that applies (highest priority) and the generic ones for the type."""
    issuer = [t for t in templates if not t.generic and t.document_type == document_type and t.matches(text)]
    issuer.sort(key=lambda t: (-t.priority, t.template))
    generic = [t for t in templates if t.generic and t.document_type == document_type]
    return (issuer[0] if issuer else None), generic


def document_type_by_template(text: str, templates: list[Template] | None = None) -> tuple[str, str] | None:
    """(document type, template name) when issuer templates recognise ``text`` and agree on its type.

    Used when content classification is unsure: a layout a user has a template for is known.
    """
    templates = load_templates() if templates is None else templates
    matching = [t for t in templates if not t.generic and t.matches(text)]
    types = {t.document_type for t in matching}
    if len(types) != 1:
        return None
    best = max(matching, key=lambda t: (t.priority, t.template))
    return best.document_type, best.template


def apply_templates(
    document: DocumentBase, reader: Any, templates: list[Template] | None = None
) -> DocumentBase:
    """Overlay template fields on ``document`` (read by the built-in reader from ``reader``)."""
    templates = load_templates() if templates is None else templates
    issuer, generic = select(templates, document.type, reader.text)  # type: ignore[attr-defined]
    if issuer is not None:
        _apply(issuer, document, reader, replace=True)
    for template in generic:
        _apply(template, document, reader, replace=False)
    return document


def _apply(template: Template, document: DocumentBase, reader: Any, *, replace: bool) -> None:
    from extractors.fields.common import Found

    for name, rule in template.fields.items():
        if not replace and getattr(document, name, None) is not None:
            continue
        value = read_field(template, name, rule, reader)
        if value is not None:
            setattr(document, name, value)
    if template.issuer and (replace or document.issuer is None):
        first_line = next(iter(reader.pdf.lines()), None)
        if first_line is not None:
            source = reader.provenance(Found(template.issuer, list(first_line.words), first_line), 0.9)
            _mark(source, template)
            source.raw = ""
            document.issuer = Extracted[Party](value=Party(name=template.issuer), source=source)
    for table_name, table in template.tables.items():
        if table_name == "lines" and (replace or not getattr(document, "lines", [])):
            lines = _read_table(table, reader)
            if lines:
                document.lines = lines  # type: ignore[attr-defined]


def _mark(source: Any, template: Template) -> None:
    source.template = template.template
    if source.extractor == "text":
        source.extractor = "template"


def _parser(kind: ParseKind, rule: FieldRule):
    from extractors.fields import common

    currency = rule.currency
    parsers = {
        "text": common.parse_text,
        "reference": common.parse_reference,
        "place": common.parse_place,
        "date": normalize.parse_date,
        "money": lambda text: normalize.parse_money(text, currency),
        "currency": lambda text: normalize.find_currency(text) or (currency if currency else None),
        "party": lambda text: normalize.parse_party([ln for ln in text.splitlines() if ln.strip()]),
        "quantity": normalize.parse_quantity,
        "int": normalize.parse_count,
        "bool": lambda text: True if text.strip() else None,
    }
    return parsers[kind]


@dataclass(slots=True)
class _AreaReader:
    """The lines of a page region: only words inside the area count."""

    lines: list[Any]


def _lines_in(reader: Any, area: Area | None) -> list[Any]:
    from extractors.pdf_text import Line, split_segments

    if area is None:
        return list(reader.pdf.lines())
    if area.page > len(reader.pdf.pages):
        return []
    page = reader.pdf.pages[area.page - 1]
    x0, x1 = area.x0 * page.width, area.x1 * page.width
    top, bottom = area.top * page.height, area.bottom * page.height
    out: list[Line] = []
    for line in page.lines:
        words = [
            w
            for w in line.words
            if w.x0 >= x0 - 1 and w.x1 <= x1 + 1 and w.top >= top - 1 and w.bottom <= bottom + 1
        ]
        if words:
            out.append(Line(page=line.page, words=words, segments=split_segments(words), index=line.index))
    return out


def read_field(template: Template, name: str, rule: FieldRule, reader: Any) -> Extracted[Any] | None:
    """One field by its rule: fixed value, anchors, regex, or the text of an area."""
    from extractors.fields.common import Found

    kind = rule.parse or _field_kind(template.document_type, name) or "text"
    parse = _parser(kind, rule)
    lines = _lines_in(reader, rule.area)
    if rule.value is not None:
        value = parse(rule.value)
        line = lines[0] if lines else next(iter(reader.pdf.lines()), None)
        if value is None or line is None:
            return None
        source = reader.provenance(Found(rule.value, list(line.words), line), 0.9)
        _mark(source, template)
        return Extracted[type(value)](value=value, source=source)  # type: ignore[misc]
    if rule.anchors:
        allowed = {id(w) for ln in lines for w in ln.words} if rule.area else None
        for line, index, match in reader.label_hits(rule.anchors):
            if rule.area and not any(id(w) in allowed for w in line.words):
                continue
            for found in reader.candidates(line, index, match):
                text = found.text
                if rule.regex:
                    hit = re.search(rule.regex, text, re.IGNORECASE)
                    if not hit:
                        continue
                    text = hit.group(1) if hit.groups() else hit.group(0)
                value = parse(text)
                if value is not None:
                    return _extracted(value, Found(text, found.words, found.line), reader, template)
        return None
    if rule.regex:
        pattern = re.compile(rule.regex, re.IGNORECASE)
        for line in lines:
            hit = pattern.search(line.text)
            if not hit:
                continue
            span = hit.span(1) if hit.groups() else hit.span(0)
            found = reader.found_in_line(line, *span)
            value = parse(found.text)
            if value is not None:
                return _extracted(value, found, reader, template)
        return None
    if lines:
        text = "\n".join(ln.text for ln in lines)
        value = parse(text)
        if value is not None:
            words = [w for ln in lines for w in ln.words]
            return _extracted(value, Found(text, words, lines[0]), reader, template)
    return None


def _extracted(value: Any, found: Any, reader: Any, template: Template) -> Extracted[Any]:
    source = reader.provenance(found, 0.9)
    _mark(source, template)
    return Extracted[type(value)](value=value, source=source)  # type: ignore[misc]


def _read_table(table: TableRule, reader: Any) -> list[Any]:
    from extractors.models import GoodsItem
    from extractors.pdf_text import find_table, union_bbox

    patterns = {name: re.compile(regex, re.IGNORECASE) for name, regex in table.columns.items()}
    stop = re.compile(table.stop, re.IGNORECASE) if table.stop else None
    found = find_table(reader.pdf, patterns, required=table.required, stop=stop)
    if found is None:
        return []
    items: list[GoodsItem] = []
    for row in found.rows:
        description = row.text("description")
        if not description or not row.words:
            continue
        amount = normalize.parse_money(row.text("amount")) if "amount" in row.cells else None
        unit_price = normalize.parse_money(row.text("unit_price")) if "unit_price" in row.cells else None
        quantity = normalize.parse_quantity(row.text("quantity"), "PCS") if "quantity" in row.cells else None
        from extractors.models import Provenance

        items.append(
            GoodsItem(
                description=description,
                quantity=quantity,
                unit_price=unit_price,
                amount=amount,
                source=Provenance(
                    file=reader.file,
                    page=found.page,
                    bbox=union_bbox(row.words),
                    raw=description,
                    extractor="template",
                ),
            )
        )
    return items


# --------------------------------------------------------------------------- template tests


@dataclass(slots=True)
class SampleResult:
    template: str
    file: str
    field: str
    expected: str
    got: str | None

    @property
    def ok(self) -> bool:
        return self.got is not None and _same(self.expected, self.got)


def _same(expected: str, got: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"[^a-z0-9.]", "", s.lower())

    return norm(expected) == norm(got)


def render_value(value: Any) -> str:
    if isinstance(value, Money):
        return f"{value.currency} {value.amount:.2f}"
    if isinstance(value, Party):
        return value.name
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def resolve_sample(template: Template, sample: Sample, shared_data: Path | None, workdir: Path) -> Path:
    """The sample's file; ``archive.zip!member`` is unpacked into ``workdir``."""
    import zipfile

    if sample.file.startswith(SHARED_PREFIX):
        if shared_data is None:
            raise TemplateError(template.source_file, f"sample {sample.file}: no shared data folder given")
        location = sample.file[len(SHARED_PREFIX) :]
        base = shared_data
    else:
        location, base = sample.file, Path(template.source_file).parent
    archive, _, member = location.partition("!")
    path = base / archive
    if not path.is_file():
        raise TemplateError(template.source_file, f"sample {sample.file}: file not found at {path}")
    if not member:
        return path
    try:
        with zipfile.ZipFile(path) as bundle:
            target = workdir / Path(member).name
            target.write_bytes(bundle.read(member))
            return target
    except (zipfile.BadZipFile, KeyError) as exc:
        raise TemplateError(template.source_file, f"sample {sample.file}: {exc}") from None
