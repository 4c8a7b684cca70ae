"""Rule evaluation cost per presentation (target: full UCP pack <= 2 ms).

Run: .venv/bin/python benchmarks/bench_rules.py [--per-rule] [PACK_DIR ...]   (default: every pack under rules/)
Prints the median of examine() over a hand-built presentation, and the split between building
facts + the CEL activation and evaluating the rules; also the cost of the alternative we
rejected (a plain dict converted by the runtime on every execute).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.cel_runtime import compile_expression
from engine.evaluate import Examination, examine
from engine.facts import build_facts
from engine.packs import RuleSet, load_packs
from extractors.models import Presentation
from tests.unit.packs.sample import sample_presentation


def samples_ms(action: Callable[[], object], repeat: int = 300) -> list[float]:
    for _ in range(20):
        action()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def median_ms(action: Callable[[], object], repeat: int = 300) -> float:
    return statistics.median(samples_ms(action, repeat))


def per_rule_ms(presentation: Presentation, ruleset: RuleSet, repeat: int = 100) -> list[tuple[float, str]]:
    """Mean evaluation cost of each rule, run in examine()'s order on fresh examinations."""
    rules = ruleset.rules
    order = sorted(range(len(rules)), key=lambda i: rules[i].applies_to)
    totals = [0.0] * len(rules)
    for _ in range(repeat):
        examination = Examination(presentation, ruleset)
        for position in order:
            start = time.perf_counter()
            for _evaluation in examination.evaluations(rules[position]):
                pass
            totals[position] += time.perf_counter() - start
    return sorted(((total / repeat * 1000, rules[i].id) for i, total in enumerate(totals)), reverse=True)


def main() -> None:
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    paths = [Path(p) for p in sys.argv[1:] if not p.startswith("--")] or None
    ruleset = load_packs(paths, run_tests=False)
    presentation = sample_presentation()
    print(f"{len(ruleset.rules)} rules in {', '.join(p.id for p in ruleset.packs)}")
    # The machine is shared: the median shows load from other processes, the best run the cost itself.
    runs = samples_ms(lambda: examine(presentation, ruleset), 500)
    print(f"examine():                      median {statistics.median(runs):.3f} ms, best {min(runs):.3f} ms")
    print(f"  facts only (build_facts):     median {median_ms(lambda: build_facts(presentation)):.3f} ms")
    print(f"  facts + CEL activation:       median {median_ms(lambda: Examination(presentation, ruleset)):.3f} ms")
    facts = build_facts(presentation).variables
    program = compile_expression("has(lc.port_of_loading) && lc.port_of_loading == 'X'")
    print(f"  one execute with a plain dict: median {median_ms(lambda: program._compiled.execute(facts)):.3f} ms"
          " (rejected: converts all facts on every call)")
    if "--per-rule" in flags:
        print("costliest rules (mean ms per presentation):")
        for cost, rule_id in per_rule_ms(presentation, ruleset)[:10]:
            print(f"  {cost:.3f}  {rule_id}")


if __name__ == "__main__":
    main()
