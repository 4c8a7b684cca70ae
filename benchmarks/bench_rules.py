"""Rule evaluation cost per presentation (target: full UCP pack <= 2 ms).

Run: .venv/bin/python benchmarks/bench_rules.py [PACK_DIR ...]   (default: every pack under rules/)
Prints the median of examine() over a hand-built presentation, and the split between building
facts + the CEL activation and evaluating the rules; also the cost of the alternative we
rejected (a plain dict converted by the runtime on every execute).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.cel_runtime import compile_expression
from engine.evaluate import Examination, examine
from engine.facts import build_facts
from engine.packs import load_packs
from tests.unit.packs.sample import sample_presentation


def median_ms(action, repeat: int = 300) -> float:
    for _ in range(20):
        action()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or None
    ruleset = load_packs(paths, run_tests=False)
    presentation = sample_presentation()
    print(f"{len(ruleset.rules)} rules in {', '.join(p.id for p in ruleset.packs)}")
    print(f"examine():                      median {median_ms(lambda: examine(presentation, ruleset)):.3f} ms")
    print(f"  facts only (build_facts):     median {median_ms(lambda: build_facts(presentation)):.3f} ms")
    print(f"  facts + CEL activation:       median {median_ms(lambda: Examination(presentation, ruleset)):.3f} ms")
    facts = build_facts(presentation).variables
    program = compile_expression("has(lc.port_of_loading) && lc.port_of_loading == 'X'")
    print(f"  one execute with a plain dict: median {median_ms(lambda: program._compiled.execute(facts)):.3f} ms"
          " (rejected: converts all facts on every call)")


if __name__ == "__main__":
    main()
