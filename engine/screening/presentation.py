"""Screening of a whole presentation: every party, bank, vessel, place and good.

``screen_presentation`` turns a ``Presentation`` into the ``screening`` facts the AML rule
pack reads (docs/rules.md, "screening"):

- ``hits``: list matches of every party (applicant, beneficiary, banks by name and by BIC,
  shipper, consignee, notify party, carrier, insurer, drawer, drawee, ...) and vessel (by
  name and IMO number), each with the list entry, score, programmes, list version and any
  reviewer decision;
- ``countries``: every port, place, origin and party country resolved to a country (and a
  sanctioned region where one is named), with whether it is comprehensively sanctioned and
  on which FATF list it stands;
- ``goods``: every goods description and line, with dual-use keywords, vagueness, and the
  unit price against the reference table;
- ``beneficiary_changes``: amendments that changed the beneficiary, and how long before
  presentation.

Each element's fact path (``screening.hits[3]``) is given the provenance of the document
field it came from, so a finding's evidence points at the party on its page.
The pack's data files (``rules/aml/data``) are read by ``load_aml_data`` when the pack loads.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from engine.places import country_in, country_of_place, normalise
from engine.screening.decisions import DecisionStore
from engine.screening.match import Match, Screener
from engine.screening.normalize import NameError_
from extractors.models import (
    DocumentBase,
    Extracted,
    GoodsItem,
    LetterOfCredit,
    Party,
    Presentation,
    Provenance,
)

# --------------------------------------------------------------------------- the pack's data files


class AmlDataError(ValueError):
    """A data file of the AML pack that cannot be used; ``problems`` are (file, line, message)."""

    def __init__(self, problems: list[tuple[str, int, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{f}:{line}: {m}" for f, line, m in problems))


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SanctionedCountry(_Data):
    code: str = Field(pattern=r"^[A-Z]{2}$")
    names: list[str]
    places: list[str] = []
    programmes: list[str] = Field(min_length=1)
    note: str = ""


class SanctionedRegion(_Data):
    id: str
    country: str = Field(pattern=r"^[A-Z]{2}$")
    name: str
    places: list[str] = Field(min_length=1)
    programmes: list[str] = Field(min_length=1)


class SanctionedFile(_Data):
    as_of: dt.date
    countries: list[SanctionedCountry]
    regions: list[SanctionedRegion] = []


class FatfFile(_Data):
    as_of: dt.date
    source: str
    call_for_action: list[str]
    increased_monitoring: list[str]


class ControlledKeyword(_Data):
    keyword: str
    control: str


class HsPrefix(_Data):
    prefix: str = Field(pattern=r"^\d{2,10}$")
    control: str


class ControlledFile(_Data):
    as_of: dt.date
    keywords: list[ControlledKeyword]
    hs_prefixes: list[HsPrefix] = []


class ReferencePrice(_Data):
    item: str
    match: list[str] = Field(min_length=1)
    units: dict[str, float] = Field(min_length=1)
    price: float = Field(gt=0)
    basis: str


class PriceFile(_Data):
    as_of: dt.date
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    items: list[ReferencePrice]


class VagueFile(_Data):
    as_of: dt.date
    words: list[str] = Field(min_length=1)


DATA_FILES: dict[str, type[_Data]] = {
    "sanctioned_countries.yaml": SanctionedFile,
    "high_risk_jurisdictions.yaml": FatfFile,
    "controlled_goods.yaml": ControlledFile,
    "reference_prices.yaml": PriceFile,
    "vague_goods.yaml": VagueFile,
}


def _phrase_pattern(phrases: list[str]) -> re.Pattern[str] | None:
    """One whole-word alternation over normalised phrases, longest first."""
    cleaned = sorted({normalise(p) for p in phrases if normalise(p)}, key=len, reverse=True)
    if not cleaned:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in cleaned) + r")\b")


@dataclass
class AmlData:
    """The AML pack's tables, loaded and checked."""

    sanctioned: SanctionedFile
    fatf: FatfFile
    controlled: ControlledFile
    prices: PriceFile
    vague: VagueFile
    folder: Path
    _place_index: dict[str, tuple[str, str]] = field(default_factory=dict)  # phrase -> (country, region id)
    _place_pattern: re.Pattern[str] | None = None
    _keyword_pattern: re.Pattern[str] | None = None
    _keyword_control: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for country in self.sanctioned.countries:
            for phrase in [*country.names, *country.places]:
                self._place_index[normalise(phrase)] = (country.code, "")
        for region in self.sanctioned.regions:
            for phrase in region.places:
                self._place_index[normalise(phrase)] = (region.country, region.id)
        self._place_pattern = _phrase_pattern(list(self._place_index))
        self._keyword_control = {normalise(k.keyword): k.control for k in self.controlled.keywords}
        self._keyword_pattern = _phrase_pattern(list(self._keyword_control))

    @property
    def sanctioned_codes(self) -> dict[str, SanctionedCountry]:
        return {c.code: c for c in self.sanctioned.countries}

    @property
    def regions(self) -> dict[str, SanctionedRegion]:
        return {r.id: r for r in self.sanctioned.regions}

    def sanctioned_place(self, text: str) -> tuple[str, str] | None:
        """(country, region id or "") of a sanctioned country or region named in ``text``."""
        if self._place_pattern is None:
            return None
        found = self._place_pattern.search(normalise(text))
        return self._place_index[found.group(0)] if found else None

    def controlled_keywords(self, text: str) -> list[tuple[str, str]]:
        if self._keyword_pattern is None:
            return []
        seen: dict[str, str] = {}
        for found in self._keyword_pattern.finditer(normalise(text)):
            seen.setdefault(found.group(0), self._keyword_control[found.group(0)])
        return list(seen.items())

    def controlled_hs(self, hs_code: str) -> tuple[str, str] | None:
        digits = re.sub(r"\D", "", hs_code)
        for entry in self.controlled.hs_prefixes:
            if digits.startswith(entry.prefix):
                return entry.prefix, entry.control
        return None

    def fatf_list(self, country: str) -> str:
        if country in self.fatf.call_for_action:
            return "call_for_action"
        if country in self.fatf.increased_monitoring:
            return "increased_monitoring"
        return ""


def _line_of(node: Any, loc: tuple[Any, ...]) -> int:
    line = 1
    current = node
    for key in loc:
        try:
            if isinstance(key, int) and hasattr(current, "lc"):
                line = current.lc.item(key)[0] + 1
            elif hasattr(current, "lc") and key in current:
                line = current.lc.key(key)[0] + 1
            current = current[key]
        except (KeyError, IndexError, TypeError):
            break
    return line


def load_aml_data(folder: Path) -> AmlData:
    """Read and check every data file of the AML pack; ``AmlDataError`` lists every problem
    with file and line (a missing file, bad YAML, an unknown or missing key, a bad code)."""
    problems: list[tuple[str, int, str]] = []
    loaded: dict[str, _Data] = {}
    yaml = YAML(typ="rt")
    for name, model in DATA_FILES.items():
        path = folder / name
        if not path.is_file():
            problems.append((str(path), 1, "missing data file of the AML pack"))
            continue
        try:
            node = yaml.load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, YAMLError) as err:
            mark = getattr(err, "problem_mark", None)
            problems.append((str(path), (mark.line + 1) if mark else 1, f"cannot read: {' '.join(str(err).split())}"))
            continue
        try:
            loaded[name] = model.model_validate(_plain(node))
        except ValidationError as err:
            for error in err.errors():
                where = ".".join(str(x) for x in error["loc"]) or "(top level)"
                problems.append((str(path), _line_of(node, error["loc"]), f"{where}: {error['msg']}"))
    if problems:
        raise AmlDataError(problems)
    return AmlData(
        sanctioned=loaded["sanctioned_countries.yaml"],  # type: ignore[arg-type]
        fatf=loaded["high_risk_jurisdictions.yaml"],  # type: ignore[arg-type]
        controlled=loaded["controlled_goods.yaml"],  # type: ignore[arg-type]
        prices=loaded["reference_prices.yaml"],  # type: ignore[arg-type]
        vague=loaded["vague_goods.yaml"],  # type: ignore[arg-type]
        folder=folder,
    )


def _plain(node: Any) -> Any:
    """ruamel round-trip values -> plain Python (its scalar subclasses carry formatting only)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


@dataclass(frozen=True)
class ScreeningSettings:
    """A pack's screening configuration (pack.yaml `screening:`) with its data."""

    hold_threshold: float
    review_threshold: float
    data: AmlData


# --------------------------------------------------------------------------- what to screen

_BIC = re.compile(r"\b([A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)\b")
_TO_ORDER = re.compile(r"^\s*(?:MADE\s+OUT\s+)?TO\s+(?:THE\s+)?ORDER(?:\s+OF)?\b[\s:,]*", re.IGNORECASE)
# Words that name a role rather than a party: nothing to screen.
_NOT_A_PARTY = {"", "SHIPPER", "ORDER", "TO ORDER", "SAME AS CONSIGNEE", "SAME AS ABOVE", "APPLICANT", "BENEFICIARY",
                "ANY BANK", "ISSUING BANK", "ADVISING BANK", "CONFIRMING BANK", "NOMINATED BANK", "OURSELVES",
                "BEARER", "AS PER CREDIT", "NEGOTIATING BANK", "ANY BANK IN", "CARRIER", "MASTER", "US"}
_WORD_BIC_FALSE = {"NEGOTIAT", "ACCEPTAN", "DEFERRED"}  # upper-case words shaped like BICs


@dataclass
class Target:
    """One name (and/or identifier) to screen, and where it was read."""

    role: str
    document: str
    field: str
    fact_path: str  # where its provenance is: "lc.applicant", "docs.bill_of_lading[0].shipper"
    name: str
    type: str | None = None
    countries: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    source: Provenance | None = None


def _bics(text: str) -> list[str]:
    found = []
    for candidate in _BIC.findall(text.upper()):
        if candidate[:8] in _WORD_BIC_FALSE or not any(ch.isalpha() for ch in candidate[4:6]):
            continue
        if candidate[4:6].isalpha() and len(candidate) in (8, 11):
            found.append(candidate)
    return found


def _written_as_bic(text: str, bic: str) -> bool:
    """Whether a BIC-shaped word is written as a BIC, not as a word of the name: alone on its
    line (option A of a bank field), in parentheses, or with a digit. Eight- and eleven-letter
    words (MERIDIAN, DEUTSCHE, NATIONAL) are BIC-shaped too; they stay in the name screened,
    and are still looked up as BICs, which costs nothing when they are not one."""
    if any(ch.isdigit() for ch in bic):
        return True
    upper = text.upper()
    if re.search(rf"\(\s*{bic}\s*\)", upper):
        return True
    return any(line.strip().strip(".,:;/") == bic for line in upper.splitlines())


def _party_name(raw: str) -> str:
    """The party named in a field: "TO ORDER OF XYZ BANK" -> "XYZ BANK"; a role word -> ""."""
    text = _TO_ORDER.sub("", raw.strip())
    return "" if normalise(text) in _NOT_A_PARTY else text.strip()


def _party_target(role: str, document: str, field_name: str, path: str, value: Extracted[Party] | None) -> Target | None:
    if value is None:
        return None
    party = value.value
    name = _party_name(party.name)
    identifiers = [f"BIC {party.bic}"] if party.bic else []
    if not name and not identifiers:
        return None
    countries = [party.country] if party.country else []
    return Target(role, document, field_name, path, name, None, countries, identifiers, value.source)


VESSEL_MODE_PREFIX = re.compile(r"^\s*(?:BY\s+(?:SEA|VESSEL|OCEAN\s+VESSEL|SEA\s+FREIGHT)|PER|VIA)\b[\s,:;/-]*",
                                re.IGNORECASE)


def _text_target(role: str, document: str, field_name: str, path: str, value: Extracted[str] | str | None,
                 file: str, type: str | None = None) -> Target | None:
    """A free-text field that names a party or bank (41a, 53a, 57a, 58a, a vessel)."""
    if value is None:
        return None
    text = value.value if isinstance(value, Extracted) else value
    source = value.source if isinstance(value, Extracted) else Provenance(file=file, raw=text, extractor="mt700")
    identifiers = [] if type == "vessel" else [f"BIC {b}" for b in _bics(text)]
    name = text
    if type != "vessel":
        for bic in _bics(text):
            if _written_as_bic(text, bic):
                name = re.sub(rf"\(\s*{bic}\s*\)|\b{bic}\b", " ", name, flags=re.IGNORECASE)
    name = re.sub(r"\b(?:BY\s+)?(?:NEGOTIATION|PAYMENT|ACCEPTANCE|DEF(?:ERRED)?\s+PAYMENT|MIXED\s+PYMT)\b", " ",
                  name, flags=re.IGNORECASE)
    if type == "vessel":
        # "Means of transport: BY SEA, MV PACIFIC MERIDIAN": the mode of transport is not the vessel's name
        name = VESSEL_MODE_PREFIX.sub("", name)
    name = " ".join(name.split())
    if normalise(name) in _NOT_A_PARTY or normalise(name).startswith("ANY BANK"):
        name = ""
    if not name and not identifiers:
        return None
    return Target(role, document, field_name, path, name, type, [], identifiers, source)


_LC_PARTIES = (("applicant", "applicant"), ("beneficiary", "beneficiary"), ("applicant_bank", "applicant_bank"),
               ("drawee", "drawee"))
_LC_TEXT_PARTIES = (("available_with", "available_with_bank"), ("reimbursing_bank", "reimbursing_bank"),
                    ("advise_through", "advise_through_bank"), ("requested_confirmation_party", "confirming_bank"),
                    ("special_payment_bank", "special_payment_bank"))
# document type -> (field, role) of its parties
_DOC_PARTIES: dict[str, tuple[tuple[str, str], ...]] = {
    "commercial_invoice": (("issuer", "seller"), ("addressee", "buyer")),
    "bill_of_lading": (("carrier", "carrier"), ("shipper", "shipper"), ("consignee", "consignee"),
                       ("notify_party", "notify_party"), ("issuer", "transport_document_issuer")),
    "packing_list": (("issuer", "packing_list_issuer"), ("consignee", "consignee")),
    "certificate_of_origin": (("issuer", "certifying_body"), ("exporter", "exporter"), ("consignee", "consignee")),
    "insurance_certificate": (("issuer", "insurer"), ("assured", "assured")),
    "draft": (("drawer", "drawer"), ("drawee", "drawee"), ("payee", "payee")),
}
_PLACE_FIELDS_LC = (("port_of_loading", "port_of_loading"), ("port_of_discharge", "port_of_discharge"),
                    ("place_of_receipt", "place_of_receipt"), ("place_of_delivery", "place_of_delivery"),
                    ("expiry_place", "expiry_place"), ("incoterm_place", "incoterm_place"))
_PLACE_FIELDS_DOC = (("port_of_loading", "port_of_loading"), ("port_of_discharge", "port_of_discharge"),
                     ("place_of_receipt", "place_of_receipt"), ("place_of_delivery", "place_of_delivery"),
                     ("transhipment_port", "transhipment_port"), ("from_place", "insurance_from"),
                     ("to_place", "insurance_to"), ("country_of_origin", "country_of_origin"),
                     ("incoterm_place", "incoterm_place"), ("claims_payable_at", "claims_payable_at"))
ROUTE_ROLES = frozenset({"port_of_loading", "port_of_discharge", "place_of_receipt", "place_of_delivery",
                         "transhipment_port", "insurance_from", "insurance_to"})


def _documents(presentation: Presentation) -> Iterator[tuple[str, DocumentBase]]:
    """(fact path, document) of every presented document, numbered per type as facts.py does."""
    counts: dict[str, int] = {}
    for document in presentation.documents:
        position = counts.get(document.type, 0)
        counts[document.type] = position + 1
        yield f"docs.{document.type}[{position}]", document


def targets_of(presentation: Presentation) -> list[Target]:
    """Every party, bank and vessel of the presentation, with where it was read."""
    lc = presentation.lc
    targets: list[Target | None] = []
    for attr, role in _LC_PARTIES:
        targets.append(_party_target(role, "letter_of_credit", attr, f"lc.{attr}", getattr(lc, attr)))
    for attr, role in (("sender_bic", "issuing_bank"), ("receiver_bic", "advising_bank")):
        bic = getattr(lc, attr)
        if bic:
            source = Provenance(file=lc.file, raw=bic, extractor="mt700")
            targets.append(Target(role, "letter_of_credit", attr, f"lc.{attr}", "", None, [], [f"BIC {bic}"], source))
    for attr, role in _LC_TEXT_PARTIES:
        targets.append(_text_target(role, "letter_of_credit", attr, f"lc.{attr}", getattr(lc, attr), lc.file))
    for path, document in _documents(presentation):
        for attr, role in _DOC_PARTIES.get(document.type, ()):
            targets.append(_party_target(role, document.type, attr, f"{path}.{attr}", getattr(document, attr, None)))
        vessel = getattr(document, "vessel", None)
        if vessel is not None:
            targets.append(_text_target("vessel", document.type, "vessel", f"{path}.vessel", vessel, document.file,
                                        type="vessel"))
    return [t for t in targets if t is not None]


# --------------------------------------------------------------------------- results


@dataclass
class ScreeningResult:
    """The ``screening`` facts and the provenance of each element's fact path."""

    facts: dict[str, Any]
    provenance: dict[str, Provenance]


def unavailable(reason: str, settings: ScreeningSettings | None = None) -> ScreeningResult:
    """Facts saying screening did not run (and why): the examination must not pass on them."""
    return ScreeningResult(facts=empty_facts(settings, available=False, reason=reason), provenance={})


def empty_facts(settings: ScreeningSettings | None = None, *, available: bool = True, reason: str = "") -> dict[str, Any]:
    facts: dict[str, Any] = {
        "available": available,
        "hits": [],
        "screened": [],  # every name/identifier screened, hit or not: the report lists them
        "countries": [],
        "goods": [],
        "beneficiary_changes": [],
        "unscreenable": [],
        "list_versions": [],
        "hold_threshold": settings.hold_threshold if settings else 0.9,
        "review_threshold": settings.review_threshold if settings else 0.8,
    }
    if reason:
        facts["reason"] = reason
    return facts


def _hit_facts(target: Target, match: Match, decision: Any) -> dict[str, Any]:
    hit: dict[str, Any] = {
        "role": target.role,
        "document": target.document,
        "field": target.field,
        "query": target.name or " ".join(target.identifiers),
        "entry_id": match.entity.id,
        "entry_name": match.entity.primary_name,
        "matched_name": match.matched_name,
        "entry_type": match.entity.type,
        "score": round(float(match.score), 4),
        "programs": list(match.entity.programs),
        "list_version": match.list_version.version_id,
        "list_version_label": match.list_version.label,
        "explanation": match.explanation(),
        "decision": "",
    }
    if decision is not None:
        hit["decision"] = decision.verdict
        hit["decided_by"] = decision.reviewer
        hit["decision_reason"] = decision.reason
        hit["decision_id"] = decision.decision_id
    return hit


def _screen_targets(targets: list[Target], screener: Screener, settings: ScreeningSettings,
                    decisions: DecisionStore | None, now: dt.datetime, facts: dict[str, Any],
                    provenance: dict[str, Provenance]) -> None:
    cache: dict[tuple[str, str | None, tuple[str, ...], tuple[str, ...]], list[Match]] = {}
    versions = [v.version_id for v in screener.versions]
    for target in targets:
        key = (target.name, target.type, tuple(target.countries), tuple(target.identifiers))
        if key not in cache:
            try:
                cache[key] = screener.screen(target.name or None, type=target.type, countries=target.countries,
                                             identifiers=target.identifiers, threshold=settings.review_threshold)
            except NameError_ as err:
                position = len(facts["unscreenable"])
                facts["unscreenable"].append({"role": target.role, "document": target.document,
                                              "field": target.field, "value": target.name[:200], "reason": str(err)})
                if target.source is not None:
                    provenance[f"screening.unscreenable[{position}]"] = target.source
                continue
            if decisions is not None and target.name:
                decisions.remember(target.name, target.type, [m.entity.id for m in cache[key]], versions)
        facts["screened"].append({"role": target.role, "document": target.document, "field": target.field,
                                  "query": target.name or " ".join(target.identifiers),
                                  "type": target.type or "", "hits": len(cache[key])})
        for match in cache[key]:
            decision = decisions.lookup(match.entity, target.name, now) if decisions is not None and target.name else None
            position = len(facts["hits"])
            facts["hits"].append(_hit_facts(target, match, decision))
            if target.source is not None:
                provenance[f"screening.hits[{position}]"] = target.source


def _place_entries(presentation: Presentation, data: AmlData) -> Iterator[tuple[dict[str, Any], Provenance | None]]:
    """Every place, origin and party country of the presentation that resolves to a country."""
    lc = presentation.lc

    def entry(role: str, document: str, field_name: str, value: str, source: Provenance | None,
              country: str | None) -> tuple[dict[str, Any], Provenance | None] | None:
        region = ""
        found = data.sanctioned_place(value)
        if found is not None:
            country, region = found
        if not country:
            return None
        sanctioned = data.sanctioned_codes.get(country)
        programmes: list[str] = []
        if region:
            programmes = list(data.regions[region].programmes)
        elif sanctioned is not None:
            programmes = list(sanctioned.programmes)
        facts = {"role": role, "document": document, "field": field_name, "value": value, "country": country,
                 "region": region, "sanctioned": bool(region) or sanctioned is not None,
                 "programmes": programmes, "fatf": data.fatf_list(country), "route": role in ROUTE_ROLES}
        return facts, source

    def of_text(value: str) -> str | None:
        cleaned = value.strip().upper()
        if re.fullmatch(r"[A-Z]{2}", cleaned):
            return cleaned
        return country_of_place(value) or country_in([value]) or None

    produced: list[tuple[dict[str, Any], Provenance | None] | None] = []
    for attr, role in _PLACE_FIELDS_LC:
        value = getattr(lc, attr, None)
        if value is not None:
            produced.append(entry(role, "letter_of_credit", attr, value.value, value.source, of_text(value.value)))
    for attr, role in _LC_PARTIES:
        party = getattr(lc, attr)
        if party is not None:
            produced.append(_party_place(entry, role, "letter_of_credit", attr, party))
    for _path, document in _documents(presentation):
        for attr, role in _PLACE_FIELDS_DOC:
            value = getattr(document, attr, None)
            if isinstance(value, Extracted) and isinstance(value.value, str) and value.value.strip():
                produced.append(entry(role, document.type, attr, value.value, value.source, of_text(value.value)))
        for attr, role in _DOC_PARTIES.get(document.type, ()):
            party = getattr(document, attr, None)
            if party is not None:
                produced.append(_party_place(entry, role, document.type, attr, party))
    seen: set[tuple[str, str, str, str]] = set()
    for item in produced:
        if item is None:
            continue
        key = (item[0]["document"], item[0]["field"], item[0]["country"], item[0]["region"])
        if key not in seen:
            seen.add(key)
            yield item


def _party_place(entry: Any, role: str, document: str, field_name: str, party: Extracted[Party]) -> Any:
    text = " ".join([*party.value.address])
    country = party.value.country or (country_in(party.value.address) if party.value.address else "") or None
    return entry(role, document, field_name, text or party.value.name, party.source, country)


_UNIT_ALIASES = {"MTS": "MT", "TON": "MT", "TONS": "MT", "TONNE": "MT", "TONNES": "MT", "METRIC TONS": "MT",
                 "KG": "KGS", "KILOGRAMS": "KGS", "KILOS": "KGS", "PC": "PCS", "PIECE": "PCS", "PIECES": "PCS",
                 "BARRELS": "BBL", "BBLS": "BBL", "DOZEN": "DOZ", "DOZENS": "DOZ"}
_VAGUE_NOISE = re.compile(r"\b\d[\d.,/]*\b")


def _is_vague(description: str, words: frozenset[str]) -> bool:
    remaining = [w for w in normalise(_VAGUE_NOISE.sub(" ", description)).split() if not w.isdigit()]
    remaining = [w for w in remaining if len(w) > 1]
    return all(w in words for w in remaining)


def _reference_price(item: GoodsItem, data: AmlData) -> tuple[str, float, str] | None:
    """(item name, reference unit price in the line's unit, basis) for a line the table covers."""
    if item.quantity is None:
        return None
    unit = _UNIT_ALIASES.get(item.quantity.unit.upper(), item.quantity.unit.upper())
    text = f" {normalise(item.description)} "
    for reference in data.prices.items:
        if unit not in reference.units:
            continue
        if any(f" {normalise(phrase)} " in text for phrase in reference.match):
            return reference.item, reference.price * reference.units[unit], reference.basis
    return None


def _goods_entries(presentation: Presentation, data: AmlData) -> Iterator[tuple[dict[str, Any], Provenance | None]]:
    vague_words = frozenset(w.upper() for w in data.vague.words)
    lc = presentation.lc
    described: list[tuple[str, str, str, Extracted[str] | None]] = [
        ("letter_of_credit", "goods_description", "lc.goods_description", lc.goods_description)]
    lines: list[tuple[str, str, GoodsItem]] = [("letter_of_credit", f"goods[{i}]", g) for i, g in enumerate(lc.goods)]
    for _path, document in _documents(presentation):
        described.append((document.type, "goods_description", "", document.goods_description))
        for i, line in enumerate(getattr(document, "lines", []) or []):
            lines.append((document.type, f"lines[{i}]", line))
    for document, field_name, _path, value in described:
        if value is None or not value.value.strip():
            continue
        yield _goods_facts(document, field_name, value.value, None, data, vague_words), value.source
    for document, field_name, line in lines:
        yield _goods_facts(document, field_name, line.description, line, data, vague_words), line.source


def _goods_facts(document: str, field_name: str, description: str, line: GoodsItem | None, data: AmlData,
                 vague_words: frozenset[str]) -> dict[str, Any]:
    keywords = data.controlled_keywords(description)
    facts: dict[str, Any] = {
        "document": document, "field": field_name, "description": description,
        "dual_use": [k for k, _ in keywords], "controls": [c for _, c in keywords],
        "vague": _is_vague(description, vague_words),
    }
    if line is not None and line.hs_code:
        facts["hs_code"] = line.hs_code
        controlled = data.controlled_hs(line.hs_code)
        if controlled is not None:
            facts["dual_use"].append(f"HS {controlled[0]}")
            facts["controls"].append(controlled[1])
    if line is not None and line.unit_price is not None and line.unit_price.currency == data.prices.currency:
        reference = _reference_price(line, data)
        if reference is not None and line.quantity is not None:
            name, price, basis = reference
            facts["unit_price"] = float(line.unit_price.amount)
            facts["currency"] = line.unit_price.currency
            facts["unit"] = line.quantity.unit
            facts["reference_item"] = name
            facts["reference_price"] = round(price, 4)
            facts["reference_basis"] = f"{basis} (table as of {data.prices.as_of.isoformat()})"
            facts["price_ratio"] = round(float(Decimal(line.unit_price.amount) / Decimal(repr(price))), 4)
    return facts


def _beneficiary_changes(lc: LetterOfCredit, presented_on: dt.date | None) -> Iterator[tuple[dict[str, Any], Provenance]]:
    for amendment in lc.amendments:
        changes = amendment.changes
        narrative = str(changes.get("narrative", ""))
        changed = "beneficiary" in changes or "beneficiary_before_amendment" in changes or bool(
            re.search(r"\bBENEFICIARY\b.{0,60}\b(?:CHANGE|AMEND|REPLACE|NOW|READ)", narrative.upper(), re.DOTALL))
        if not changed:
            continue
        facts: dict[str, Any] = {"amendment": amendment.number, "beneficiary": lc.beneficiary.value.name}
        if amendment.date is not None:
            facts["date"] = amendment.date.isoformat()
            if presented_on is not None:
                facts["days_before_presentation"] = (presented_on - amendment.date).days
        yield facts, amendment.source


def screen_presentation(presentation: Presentation, screener: Screener | None, settings: ScreeningSettings,
                        decisions: DecisionStore | None = None, now: dt.datetime | None = None) -> ScreeningResult:
    """The ``screening`` facts of a presentation. Without a screener the result says screening
    is unavailable (the examination then holds); the country, goods and amendment checks still run."""
    now = now or dt.datetime.now(dt.UTC)
    facts = empty_facts(settings)
    provenance: dict[str, Provenance] = {}
    if screener is None:
        facts["available"] = False
        facts["reason"] = "no sanctions screener was given to the examination"
    else:
        facts["list_versions"] = [v.label for v in screener.versions]
        _screen_targets(targets_of(presentation), screener, settings, decisions, now, facts, provenance)
    for key, entries in (("countries", _place_entries(presentation, settings.data)),
                         ("goods", _goods_entries(presentation, settings.data)),
                         ("beneficiary_changes", _beneficiary_changes(presentation.lc, presentation.presented_on))):
        for values, source in entries:
            if source is not None:
                provenance[f"screening.{key}[{len(facts[key])}]"] = source
            facts[key].append(values)
    return ScreeningResult(facts=facts, provenance=provenance)


__all__ = ["AmlData", "AmlDataError", "ScreeningResult", "ScreeningSettings", "Target", "empty_facts",
           "load_aml_data", "screen_presentation", "targets_of", "unavailable"]
