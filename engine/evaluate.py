"""Examination: evaluate every rule of a rule set against one presentation.

Facts are built once per presentation and handed to the CEL runtime once (``Activation``);
then, per rule and per document (``doc``) / ``for_each`` element (``item``), ``when`` is
evaluated and then ``condition``. A true condition is a finding; an evaluation error is an
``engine.rule-error`` finding (fail closed, never a silent pass).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from engine.cel_runtime import Activation, CelEvaluationError, Program
from engine.facts import DERIVED_MONEY, PRESENTED_TYPES, Facts, build_facts, split_path
from engine.findings import Evidence, Finding, Report, ScreeningSummary, outcome_of
from engine.functions import FUNCTIONS
from engine.packs import DOC_INDEX, ITEM_INDEX, Rule, RuleSet
from extractors.models import Presentation
from extractors.ocr_normalize import review_items

if TYPE_CHECKING:
    from engine.screening.decisions import DecisionStore
    from engine.screening.match import Screener

RULE_ERROR = "engine.rule-error"
SCREENING_UNAVAILABLE = "engine.screening-unavailable"
MISSING = "—"


@dataclass
class Binding:
    """What one evaluation of a rule sees beyond the shared facts, and where it came from."""

    doc_path: str | None = None  # "docs.bill_of_lading[0]"
    doc_index: int = 0  # position of the document among those of its type
    doc: dict[str, Any] | None = None  # full facts of the document (not the pruned runtime copy)
    item_path: str | None = None  # "lc.documents_required[2]" when for_each is a plain path
    item: Any = None
    index: int | None = None
    has_item: bool = False


@dataclass
class Evaluation:
    """One evaluation of a rule: results of `when` and `condition`, or the error."""

    rule: Rule
    binding: Binding
    when: bool | None = None  # None: no `when`
    condition: bool | None = None  # None: not evaluated (when false, or an error)
    error: str | None = None
    stage: str = ""  # for_each / when / condition: where an error happened

    @property
    def applicable(self) -> bool:
        return self.when is not False

    @property
    def fired(self) -> bool:
        return self.condition is True


@dataclass
class Scope:
    """The values a rule's paths resolve against in Python (messages, evidence, explain)."""

    facts: Facts
    variables: dict[str, Any] = field(default_factory=dict)

    def value(self, path: str, binding: Binding) -> tuple[Any, bool]:
        """(value, found) at a fact path under this binding."""
        head, steps = split_path(path)
        if head == "doc":
            current: Any = binding.doc
        elif head == "item":
            current = binding.item if binding.has_item else None
        elif head == "index":
            current = binding.index
        else:
            current = self.variables.get(head)
        if current is None:
            return None, False
        for step in steps:
            if isinstance(step, int):
                if not isinstance(current, list) or not -len(current) <= step < len(current):
                    return None, False
                current = current[step]
            else:
                if not isinstance(current, dict) or step not in current:
                    return None, False
                current = current[step]
        return current, True

    def concrete_path(self, path: str, binding: Binding) -> str:
        """The path in the provenance table: `doc.x` -> `docs.bill_of_lading[0].x`."""
        if path.startswith("doc") and binding.doc_path and (path == "doc" or path[3] in ".["):
            return binding.doc_path + path[3:]
        if path.startswith("item") and binding.item_path and (path == "item" or path[4] in ".["):
            return binding.item_path + path[4:]
        return path


# --------------------------------------------------------------------------- the runtime activation


def runtime_variables(facts: Facts, ruleset: RuleSet) -> dict[str, Any]:
    """The facts handed to CEL, reduced to the fields the rules read (conversion is the cost)."""
    variables = dict(facts.variables)
    variables["lc"] = _pick(variables["lc"], ruleset.fields_used.get("lc"))
    variables["docs"] = {
        doc_type: [_pick(d, ruleset.fields_used.get(f"doc:{doc_type}")) for d in documents]
        for doc_type, documents in variables["docs"].items()
    }
    return variables


def _pick(values: dict[str, Any], names: set[str] | None) -> dict[str, Any]:
    if names is None:
        return values
    return {k: v for k, v in values.items() if k in names}


def bindings_for(rule: Rule, facts: Facts, runtime_docs: dict[str, list[dict[str, Any]]]) -> list[tuple[Binding, Any]]:
    """(binding, runtime doc) per evaluation target: each document of the type, or once."""
    if rule.applies_to not in PRESENTED_TYPES:
        return [(Binding(), None)]
    documents = facts.variables["docs"][rule.applies_to]
    return [
        (Binding(doc_path=f"docs.{rule.applies_to}[{i}]", doc_index=i, doc=d), runtime_docs[rule.applies_to][i])
        for i, d in enumerate(documents)
    ]


def evaluate_rule(
    rule: Rule,
    activation: Activation,
    scope: Scope,
    targets: list[tuple[Binding, Any]],
    item_override: tuple[Any, int] | None = None,
    fast: bool = True,
) -> Iterator[Evaluation]:
    """Evaluate a rule for each target (and each for_each element): `when`, then `condition`.

    ``fast``: run the index-reading programs (``rule.fast``); valid when every bound `doc` is
    ``docs.<type>[doc_index]`` and every `item` is element ``index`` of `for_each`.
    """
    programs = rule.fast if fast and item_override is None else {}
    for binding, runtime_doc in targets:
        if binding.doc is not None:
            activation.bind("doc", runtime_doc)
            activation.bind(DOC_INDEX, binding.doc_index)
        if item_override is not None:
            items: list[tuple[Binding, Any]] = [(_with_item(binding, item_override[0], item_override[1], None), item_override[0])]
        elif rule.for_each is not None and programs and rule.for_each_types:
            for item_binding, doc_type, position in _document_items(rule, scope, binding):
                activation.bind("item", item_binding.item)
                activation.bind("index", item_binding.index)
                activation.bind(ITEM_INDEX, position)
                yield _evaluate_once(rule, activation, item_binding, rule.fast_by_type[doc_type])
            continue
        elif rule.for_each is not None:
            try:
                produced = _run(programs.get("for_each", rule.for_each), activation)
            except CelEvaluationError as err:
                yield Evaluation(rule, binding, error=str(err), stage="for_each")
                continue
            if not isinstance(produced, list):
                yield Evaluation(rule, binding, error=f"for_each gave {type(produced).__name__}, not a list", stage="for_each")
                continue
            items = []
            for index, runtime_item in enumerate(produced):
                item_path = (
                    scope.concrete_path(rule.for_each_path, binding) + f"[{index}]" if rule.for_each_path else None
                )
                full_item = runtime_item
                if rule.for_each_path:
                    found, ok = scope.value(f"{rule.for_each_path}[{index}]", binding)
                    full_item = found if ok else runtime_item
                items.append((_with_item(binding, full_item, index, item_path), runtime_item))
        else:
            items = [(binding, None)]
        for item_binding, runtime_item in items:
            if item_binding.has_item:
                activation.bind("item", runtime_item)
                activation.bind("index", item_binding.index)
            yield _evaluate_once(rule, activation, item_binding, programs)


def _document_items(rule: Rule, scope: Scope, binding: Binding) -> Iterator[tuple[Binding, str, int]]:
    """The elements of a `docs.a + docs.b + ...` for_each, in order: (binding, type, position within the type).

    Each item's path is the document's own (``docs.packing_list[1]``), so its evidence and
    explain point at the document's file and page.
    """
    documents = scope.variables.get("docs") or {}
    index = 0
    for doc_type in rule.for_each_types:
        for position, document in enumerate(documents.get(doc_type) or []):
            yield _with_item(binding, document, index, f"docs.{doc_type}[{position}]"), doc_type, position
            index += 1


def _with_item(binding: Binding, item: Any, index: int, item_path: str | None) -> Binding:
    return Binding(binding.doc_path, binding.doc_index, binding.doc, item_path, item, index, True)


def _run(program: Program, activation: Activation) -> Any:
    return program.evaluate(activation)


def _evaluate_once(rule: Rule, activation: Activation, binding: Binding, programs: dict[str, Program]) -> Evaluation:
    evaluation = Evaluation(rule, binding)
    if rule.when is not None:
        try:
            when = _run(programs.get("when", rule.when), activation)
        except CelEvaluationError as err:
            evaluation.error, evaluation.stage = str(err), "when"
            return evaluation
        if not isinstance(when, bool):
            evaluation.error, evaluation.stage = f"`when` gave {when!r}, not a bool", "when"
            return evaluation
        evaluation.when = when
        if not when:
            return evaluation
    try:
        condition = _run(programs.get("condition", rule.condition), activation)
    except CelEvaluationError as err:
        evaluation.error, evaluation.stage = str(err), "condition"
        return evaluation
    if not isinstance(condition, bool):
        evaluation.error, evaluation.stage = f"`condition` gave {condition!r}, not a bool", "condition"
        return evaluation
    evaluation.condition = condition
    return evaluation


# --------------------------------------------------------------------------- findings


def render_value(value: Any) -> str:
    """A fact value as message text: dates YYYY-MM-DD, money "USD 1,234.56", lists joined."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return _utc_day(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, dict):
        if "amount" in value and "currency" in value:
            return f"{value['currency']} {money_text(float(value['amount']))}"
        if "amount" in value and "unit" in value:
            return f"{_number_text(float(value['amount']))} {value['unit']}"
        if "name" in value:
            return str(value["name"])
        return ", ".join(f"{k}: {render_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(render_value(v) for v in value) if value else MISSING
    return str(value)


def _utc_day(value: dt.datetime) -> str:
    """A CEL timestamp as its calendar day, YYYY-MM-DD (facts are timestamps at 00:00 UTC)."""
    return (value.astimezone(dt.UTC) if value.tzinfo else value).date().isoformat()


def money_text(value: float | int) -> str:
    """An amount as money is written: two decimals, thousands grouped ("105,000.00")."""
    return f"{Decimal(repr(value)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def _is_money(path: str, scope: Scope, binding: Binding) -> bool:
    """A number at ``path`` is an amount of money: the `amount` of a Money map, or a derived sum."""
    head, steps = split_path(path)
    if head == "derived" and len(steps) == 1:
        return steps[0] in DERIVED_MONEY
    if not steps or steps[-1] != "amount":
        return False
    parent, found = scope.value(path[: path.rfind(".")], binding)
    return found and isinstance(parent, dict) and "currency" in parent


def _number_text(value: float) -> str:
    number = Decimal(repr(value))
    return format(number.normalize(), "f") if number == number.to_integral_value() else format(number, "f")


def json_value(value: Any) -> Any:
    """A fact value for Evidence.value: JSON-friendly (dates as YYYY-MM-DD)."""
    if isinstance(value, dt.datetime):
        return _utc_day(value)
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_value(v) for v in value]
    return value


def render_message(template: str, scope: Scope, binding: Binding) -> str:
    def substitute(match: Any) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        path = match.group(1).strip()
        value, found = scope.value(path, binding)
        if not found:
            return MISSING
        if isinstance(value, int | float) and not isinstance(value, bool) and _is_money(path, scope, binding):
            return money_text(value)
        return render_value(value)

    from engine.packs import _PLACEHOLDER

    return _PLACEHOLDER.sub(substitute, template)


def document_of(concrete_path: str) -> tuple[str, str]:
    """(document, field) of a concrete fact path: ("bill_of_lading", "port_of_loading")."""
    head, steps = split_path(concrete_path)
    if head == "lc":
        return "letter_of_credit", _field_text(steps)
    if head == "docs" and steps and isinstance(steps[0], str):
        rest = steps[2:] if len(steps) > 1 and isinstance(steps[1], int) else steps[1:]
        return steps[0], _field_text(rest)
    if head in ("presentation", "derived"):
        return "presentation", _field_text(steps) if head == "presentation" else "derived." + _field_text(steps)
    return "presentation", concrete_path


def _field_text(steps: list[str | int]) -> str:
    text = ""
    for step in steps:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def screening_location(concrete_path: str, scope: Scope) -> tuple[str, str] | None:
    """(document, field) a screening element was read from: ``screening.hits[2]`` is the
    shipper on the bill of lading; None for other paths."""
    head, steps = split_path(concrete_path)
    if head != "screening" or len(steps) < 2 or not isinstance(steps[0], str) or not isinstance(steps[1], int):
        return None
    elements = (scope.variables.get("screening") or {}).get(steps[0])
    if not isinstance(elements, list) or not 0 <= steps[1] < len(elements) or not isinstance(elements[steps[1]], dict):
        return None
    element = elements[steps[1]]
    return str(element.get("document", "presentation")), str(element.get("field", concrete_path))


def build_evidence(rule: Rule, scope: Scope, binding: Binding) -> list[Evidence]:
    evidence: list[Evidence] = []
    for path in rule.evidence:
        value, found = scope.value(path, binding)
        concrete = scope.concrete_path(path, binding)
        document, field_name = screening_location(concrete, scope) or document_of(concrete)
        item_document = None
        if path.startswith("item") and binding.item_path is None:
            # an item computed by an expression: a document if it is one, else the presentation
            item_document = _document_item(binding.item)
            document = item_document.get("type") if item_document else "presentation"
            field_name = path[5:] if item_document and path.startswith("item.") else path
        source = scope.facts.source_of(concrete)
        evidence.append(
            Evidence(
                document=document,
                field=field_name,
                value=json_value(value) if found else None,
                file=source.file if source else (item_document or {}).get("file") or _doc_file(binding, document),
                page=source.page if source else None,
                line=source.line if source else None,
                bbox=list(source.bbox) if source and source.bbox else None,
                raw=source.raw if source and source.raw else None,
                extractor=source.extractor if source else ("derived" if concrete.startswith("derived") else None),
                confidence=source.confidence if source else None,
            )
        )
    return evidence


def _document_item(item: Any) -> dict[str, Any] | None:
    """The item itself when it is a presented document (a map with a document `type`)."""
    if isinstance(item, dict) and item.get("type") in PRESENTED_TYPES:
        return item
    return None


def _doc_file(binding: Binding, document: str) -> str | None:
    if binding.doc is not None and binding.doc.get("type") == document:
        return binding.doc.get("file")
    return None


def finding_of(evaluation: Evaluation, scope: Scope) -> Finding | None:
    """The finding an evaluation produces: the rule's, a rule error, or none."""
    rule, binding = evaluation.rule, evaluation.binding
    if evaluation.error is not None:
        where = f" on {rule.applies_to} ({binding.doc.get('file')})" if binding.doc else ""
        item = f" for item {binding.index}" if binding.has_item else ""
        return Finding(
            rule=RULE_ERROR,
            severity="discrepancy",
            refs=list(rule.refs),
            documents=[rule.applies_to],
            message=f"rule {rule.id} could not be evaluated{where}{item}: {evaluation.stage}: {evaluation.error}",
            title=f"{rule.id}: {rule.title}",
            pack=rule.pack,
            hold=rule.hold,  # a sanctions rule that cannot be evaluated must not let the presentation pass
        )
    if not evaluation.fired:
        return None
    evidence = build_evidence(rule, scope, binding)
    documents: list[str] = []
    if rule.applies_to in PRESENTED_TYPES:
        documents.append(rule.applies_to)
    for item in evidence:
        if item.document in PRESENTED_TYPES and item.document not in documents:
            documents.append(item.document)
    return Finding(
        rule=rule.id,
        severity=rule.severity,  # type: ignore[arg-type]
        refs=list(rule.refs),
        documents=documents or ["presentation"],
        message=render_message(rule.message, scope, binding),
        evidence=evidence,
        title=rule.title,
        pack=rule.pack,
        hold=rule.hold,
    )


def problem_findings(presentation: Presentation) -> list[Finding]:
    """Input problems of the bundle as `extraction.*` findings (docs/rules.md)."""
    findings = []
    for problem in presentation.problems:
        document = problem.document_type or "presentation"
        findings.append(
            Finding(
                rule=f"extraction.{problem.code.replace('_', '-')}",
                severity="discrepancy",
                refs=["UCP600 14(a)"],
                documents=[document],
                message=f"{problem.file}: {problem.message}",
                evidence=[Evidence(document=document, field="file", value=problem.file, file=problem.file, page=problem.page)],
                title="Document could not be examined",
                pack="extraction",
            )
        )
    return findings


def review_findings(presentation: Presentation) -> list[Finding]:
    """Values read with too little confidence (OCR) as `extraction.needs-human-check` warnings:
    the examiner sees the value and the place on the page instead of a silently trusted guess."""
    findings = []
    for item in review_items(presentation.documents):
        source = item.source
        value = item.value.model_dump(mode="json") if isinstance(item.value, BaseModel) else item.value
        page = f" page {source.page}" if source.page is not None else ""
        findings.append(
            Finding(
                rule="extraction.needs-human-check",
                severity="warning",
                refs=["UCP600 14(a)"],
                documents=[item.document_type],
                message=f"{source.file}{page}: {item.field} read as {render_value(value)!r} needs a human check"
                f" ({item.reason})",
                evidence=[
                    Evidence(
                        document=item.document_type, field=item.field, value=render_value(value),
                        file=source.file, page=source.page, line=source.line,
                        bbox=list(source.bbox) if source.bbox else None, raw=source.raw,
                        extractor=source.extractor, confidence=source.confidence,
                    )
                ],
                title="Value needs a human check",
                pack="extraction",
            )
        )
    return findings


# --------------------------------------------------------------------------- examine


class Examination:
    """Facts and runtime activation of one presentation, shared by examine() and explain().

    When a loaded pack screens (pack.yaml `screening:`), the presentation is screened first
    and the `screening` facts replace the default ones; without a screener, or when screening
    fails, they say screening is unavailable (and examine() holds).
    """

    def __init__(self, presentation: Presentation, ruleset: RuleSet, screener: Screener | None = None,
                 decisions: DecisionStore | None = None, screener_error: str | None = None):
        self.presentation = presentation
        self.ruleset = ruleset
        self.facts = build_facts(presentation)
        self.screening_required = ruleset.screening is not None
        if self.screening_required:
            result = _screen(presentation, ruleset, screener, decisions, screener_error)
            self.facts.variables["screening"] = result.facts
            self.facts.provenance.update(result.provenance)
        runtime = runtime_variables(self.facts, ruleset)
        self.runtime_docs: dict[str, list[dict[str, Any]]] = runtime["docs"]
        self.activation = Activation(runtime, FUNCTIONS)
        self.scope = Scope(self.facts, dict(self.facts.variables))

    def evaluations(self, rule: Rule) -> Iterator[Evaluation]:
        targets = bindings_for(rule, self.facts, self.runtime_docs)
        return evaluate_rule(rule, self.activation, self.scope, targets)


def _screen(presentation: Presentation, ruleset: RuleSet, screener: Screener | None,
            decisions: DecisionStore | None, screener_error: str | None = None) -> Any:
    from engine.screening.presentation import screen_presentation, unavailable
    from engine.screening.store import StoreError

    settings = ruleset.screening
    if screener is None and screener_error:
        return unavailable(screener_error, settings)
    try:
        return screen_presentation(presentation, screener, settings, decisions)
    except (StoreError, OSError) as err:  # a damaged decision store or list file: fail closed
        return unavailable(f"screening failed: {err}", settings)


def screening_unavailable_finding(facts: dict[str, Any]) -> Finding:
    reason = facts.get("reason") or "screening did not run"
    return Finding(
        rule=SCREENING_UNAVAILABLE,
        severity="discrepancy",
        refs=["FATF R.6"],  # targeted financial sanctions must be applied: no screening, no clearance
        documents=["presentation"],
        message=f"Sanctions screening is unavailable ({reason}): the presentation cannot be cleared until it runs",
        evidence=[Evidence(document="presentation", field="screening.available", value=False)],
        title="Sanctions screening unavailable",
        pack="aml",
        hold=True,
    )


def examine(presentation: Presentation, ruleset: RuleSet, screener: Screener | None = None, *,
            decisions: DecisionStore | None = None, screener_error: str | None = None) -> Report:
    """Evaluate every rule; findings plus the outcome (engine.findings.outcome_of).

    ``screener``: the sanctions screener for packs that screen (the AML pack). Without one, such
    a pack makes the outcome "hold" with an ``engine.screening-unavailable`` finding: never a pass.
    ``decisions``: reviewer decisions on earlier hits (a false positive not expired is respected).
    ``screener_error``: why no screener could be built (shown in the hold finding).
    """
    findings = problem_findings(presentation) + review_findings(presentation)
    examination = Examination(presentation, ruleset, screener, decisions, screener_error)
    screening = examination.facts.variables["screening"]
    if examination.screening_required and not screening.get("available"):
        findings.append(screening_unavailable_finding(screening))
    rules = ruleset.rules
    per_rule: dict[int, list[Finding]] = {}
    # Rules of one document type run together, so each document is handed to CEL once;
    # findings are then reported in pack order.
    for position in sorted(range(len(rules)), key=lambda i: rules[i].applies_to):
        for evaluation in examination.evaluations(rules[position]):
            finding = finding_of(evaluation, examination.scope)
            if finding is not None:
                per_rule.setdefault(position, []).append(finding)
    for position in range(len(rules)):
        findings.extend(per_rule.get(position, []))
    return Report(
        outcome=outcome_of(findings),
        documents=list(presentation.files),
        findings=findings,
        packs=ruleset.versions,
        lc_number=presentation.lc.number.value,
        presented_on=presentation.presented_on.isoformat() if presentation.presented_on else None,
        screening=screening_summary(screening) if examination.screening_required else None,
    )


def screening_summary(facts: dict[str, Any]) -> ScreeningSummary:
    hit_keys = ("role", "document", "field", "query", "entry_id", "entry_name", "matched_name", "entry_type",
                "score", "programs", "list_version", "list_version_label", "decision", "decided_by",
                "decision_reason")
    return ScreeningSummary(
        available=bool(facts.get("available")),
        reason=str(facts.get("reason") or ""),
        list_versions=list(facts.get("list_versions") or []),
        screened=list(facts.get("screened") or []),
        hits=[{k: hit[k] for k in hit_keys if k in hit} for hit in facts.get("hits") or []],
    )
