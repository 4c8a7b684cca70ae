"""Whole check of a six-document text presentation, in-process: read + classify + extract + examine.

    .venv/bin/python -m benchmarks.bench_check [--runs 30] [--bundle PATH]

Without --bundle it generates the clean presentation of the fixture generator (seed 7) in a
temporary folder. Prints the median and p90 of the whole check and of each stage. The rule packs
are loaded once, outside the timed loop, as the service does.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from api.examination import build_screener, examine_presentation
from engine.packs import load_packs
from extractors.bundle import load_bundle


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(bundle: Path, runs: int) -> dict[str, list[float]]:
    ruleset = load_packs()
    screener = build_screener(ruleset)  # the list index is built once per process, as in the service
    timings: dict[str, list[float]] = {"load_bundle": [], "examine": [], "total": []}
    load_bundle(bundle)  # warm imports and caches once, like a running service
    for _ in range(runs):
        t0 = time.perf_counter()
        presentation = load_bundle(bundle)
        t1 = time.perf_counter()
        report = examine_presentation(presentation, ruleset, screener)
        t2 = time.perf_counter()
        timings["load_bundle"].append((t1 - t0) * 1000)
        timings["examine"].append((t2 - t1) * 1000)
        timings["total"].append((t2 - t0) * 1000)
    print(f"bundle {bundle}: {len(presentation.files)} files, outcome {report.outcome}, "
          f"{len(report.findings)} findings")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--bundle", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bundle = args.bundle
        if bundle is None:
            from tests.fixtures.generator import generate_presentation
            from tests.fixtures.scenarios import BY_NAME

            bundle = generate_presentation(Path(tmp), BY_NAME["clean_basic"], 7)
        timings = run(bundle, args.runs)
    for stage, values in timings.items():
        print(f"{stage:12s} median {statistics.median(values):7.1f} ms   p90 {percentile(values, 90):7.1f} ms"
              f"   (n={len(values)})")


if __name__ == "__main__":
    main()
