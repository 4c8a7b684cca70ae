"""Why a rule fired or did not: every evaluation with its `when`/`condition` results and facts."""

from __future__ import annotations

from engine.evaluate import Examination, finding_of, render_value
from engine.packs import RuleSet
from extractors.models import Presentation


def explain(presentation: Presentation, ruleset: RuleSet, rule_id: str) -> str:
    """A plain-text account of each evaluation of ``rule_id`` on ``presentation``.

    For each document / for_each element: the `when` result (or "not applicable"), the
    `condition` result, each fact path the rule names with its value (or "absent"), and
    the finding, if any. Raises KeyError when the rule is not loaded.
    """
    rule = ruleset.rule(rule_id)
    examination = Examination(presentation, ruleset)
    lines = [
        f"rule {rule.id}: {rule.title}",
        f"  defined at {rule.file}:{rule.line}; applies to {rule.applies_to}; severity {rule.severity}",
    ]
    if rule.for_each is not None:
        lines.append(f"  for_each:  {rule.for_each.source}")
    if rule.when is not None:
        lines.append(f"  when:      {rule.when.source}")
    lines.append(f"  condition: {rule.condition.source}")
    evaluations = list(examination.evaluations(rule))
    if not evaluations:
        lines.append(f"no evaluation: no {rule.applies_to} is presented (presence is checked by the 46A rule)")
        return "\n".join(lines) + "\n"
    for number, evaluation in enumerate(evaluations, start=1):
        binding = evaluation.binding
        target = []
        if binding.doc is not None:
            target.append(f"{rule.applies_to} {binding.doc.get('file', '?')} ({binding.doc_path})")
        if binding.has_item and isinstance(binding.item, dict) and "type" in binding.item and binding.item_path:
            # a presented document: name it, its full contents would bury the facts below
            target.append(f"item {binding.index}: {binding.item['type']} {binding.item.get('file', '?')} ({binding.item_path})")
        elif binding.has_item:
            target.append(f"item {binding.index}: {render_value(binding.item)}")
        lines.append("")
        lines.append(f"evaluation {number}: {'; '.join(target) or 'the presentation'}")
        if evaluation.error is not None:
            lines.append(f"  ERROR in {evaluation.stage}: {evaluation.error}")
        elif evaluation.when is False:
            lines.append("  when -> false: not applicable")
        else:
            if evaluation.when is not None:
                lines.append("  when -> true")
            lines.append(f"  condition -> {str(evaluation.condition).lower()}")
        lines.append("  facts:")
        for path in rule.paths:
            value, found = examination.scope.value(path, binding)
            concrete = examination.scope.concrete_path(path, binding)
            shown = f"{render_value(value)!s}" if found else "absent"
            source = examination.facts.source_of(concrete) if found else None
            where = ""
            if source is not None:
                where = f"   [{source.file}" + (f" p.{source.page}" if source.page else "")
                where += (f" line {source.line}" if source.line else "") + f", {source.extractor}]"
            lines.append(f"    {path} = {shown}{where}")
        finding = finding_of(evaluation, examination.scope)
        if finding is not None:
            lines.append(f"  FINDING ({finding.severity}) {finding.rule}: {finding.message}")
        else:
            lines.append("  no finding")
    return "\n".join(lines) + "\n"
