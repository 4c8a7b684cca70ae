"""Run the test cases written next to each rule (docs/rules.md: `tests:` with expect fire/pass/skip)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.cel_runtime import Activation
from engine.evaluate import Binding, Evaluation, Scope, evaluate_rule
from engine.facts import Facts, FactValueError, facts_from_test
from engine.functions import FUNCTIONS
from engine.packs import Rule, RuleSet, RuleTest, line_of, load_packs


@dataclass
class RuleTestResult:
    rule: str
    name: str
    expected: str
    actual: str  # fire | pass | skip | error
    passed: bool
    todo: bool
    file: str
    line: int
    detail: str = ""


def outcome_of_evaluations(evaluations: list[Evaluation], per_item: bool) -> tuple[str, str]:
    """(fire | pass | skip | error, detail) over all evaluations of one test case.

    fire: some evaluation fired; pass: some evaluation was applicable and none fired, or a
    for_each (``per_item``) gave no element; skip: `when` was false for every evaluation, or no
    document of the rule's type was given.
    """
    errors = [e for e in evaluations if e.error is not None]
    if errors:
        return "error", f"{errors[0].stage}: {errors[0].error}"
    if any(e.fired for e in evaluations):
        return "fire", ""
    if any(e.applicable for e in evaluations) or (per_item and not evaluations):
        return "pass", ""
    if not evaluations:
        return "skip", "nothing to evaluate (no document of the rule's type)"
    return "skip", ""


def run_case(rule: Rule, case: RuleTest) -> RuleTestResult:
    def result(actual: str, detail: str, line: int | None = None) -> RuleTestResult:
        passed = actual == case.expect
        if not passed and not detail:
            detail = f"expected {case.expect}, got {actual}"
        elif not passed:
            detail = f"expected {case.expect}, got {actual}: {detail}"
        return RuleTestResult(rule.id, case.name, case.expect, actual, passed, case.todo, case.file, line or case.line, detail)

    try:
        shared, bound = facts_from_test(case.facts, rule.applies_to, rule.item_type)
    except FactValueError as err:
        line = line_of(case.facts_node, err.keys) if case.facts_node is not None else case.line
        return result("error", f"bad fact: {err}", line)
    activation = Activation(shared, FUNCTIONS)
    facts = Facts(variables=shared)
    scope = Scope(facts, dict(shared))
    binding = Binding()
    if "doc" in bound:
        binding = Binding(doc_path=f"docs.{rule.applies_to}[0]", doc=bound["doc"])
    item_override = (bound["item"], bound["index"]) if "item" in bound else None
    # The index-reading programs are valid when the doc under test is docs.<type>[0] (the case gave no
    # separate list of that type); otherwise the rule's own expressions run with `doc` bound.
    fast = "doc" not in bound or shared["docs"].get(rule.applies_to, [None])[0] is bound["doc"]
    targets = [(binding, bound.get("doc"))] if "doc" in bound or rule.applies_to == "presentation" else []
    evaluations = list(evaluate_rule(rule, activation, scope, targets, item_override, fast=fast))
    actual, detail = outcome_of_evaluations(evaluations, rule.for_each is not None or item_override is not None)
    return result(actual, detail if actual == "error" else "")


def run_rule_tests(ruleset_or_path: RuleSet | Path | list[Path]) -> list[RuleTestResult]:
    """Run every test case of every rule; a path (or paths) is loaded first, without its tests."""
    if isinstance(ruleset_or_path, RuleSet):
        ruleset = ruleset_or_path
    else:
        paths = ruleset_or_path if isinstance(ruleset_or_path, list) else [ruleset_or_path]
        ruleset = load_packs(paths, run_tests=False)
    return [run_case(rule, case) for rule in ruleset.rules for case in rule.tests]
