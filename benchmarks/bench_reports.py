"""Report rendering: the signed PDF discrepancy report of a six-document presentation
(target median <= 2 s) and the nightly report over 10,000 examinations (target <= 30 s).

    .venv/bin/python -m benchmarks.bench_reports [--runs 10] [--nightly-runs 3] [--records 10000]

The presentation is a generated discrepant six-document bundle (fixture generator, seed 7); it
is loaded and examined once, outside the timed loop, since the report renders a stored result.
Keys are generated in a temporary $BLOCKTRADE_DATA_DIR. Prints medians.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--nightly-runs", type=int, default=3)
    parser.add_argument("--records", type=int, default=10_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["BLOCKTRADE_DATA_DIR"] = str(tmp / "data")
        from engine.evaluate import examine
        from engine.packs import load_packs
        from extractors.bundle import load_bundle
        from reports.discrepancy import DiscrepancyReportInput, write_discrepancy_report
        from reports.nightly import nightly_report
        from reports.page_images import bundle_source
        from tests.fixtures.generator import generate_presentation
        from tests.fixtures.scenarios import BY_NAME
        from tests.reports.synthetic import synthetic_records

        bundle = generate_presentation(tmp / "bundles", BY_NAME["multi_late_and_overdrawn"], seed=7)
        presentation = load_bundle(bundle)
        result = examine(presentation, load_packs())
        data = DiscrepancyReportInput(result, presentation=presentation, files=bundle_source(bundle))
        crops = sum(1 for f in result.findings for e in f.evidence if e.bbox is not None)
        print(f"presentation: {len(presentation.documents)} documents, {len(result.findings)} findings, "
              f"{crops} evidence boxes, outcome {result.outcome}")

        first = time.perf_counter()
        write_discrepancy_report(data, tmp / "warm.pdf")
        print(f"discrepancy PDF, first (cold imports): {time.perf_counter() - first:6.2f} s")
        timings = []
        for run in range(args.runs):
            start = time.perf_counter()
            write_discrepancy_report(data, tmp / f"r{run}.pdf")
            timings.append(time.perf_counter() - start)
        print(f"discrepancy PDF, signed: median {statistics.median(timings):6.2f} s "
              f"(max {max(timings):.2f}, n={len(timings)}, {(tmp / 'r0.pdf').stat().st_size // 1024} KiB)")

        day = dt.date(2026, 6, 10)
        records = synthetic_records(args.records, day)
        nightly = []
        for run in range(args.nightly_runs):
            start = time.perf_counter()
            nightly_report(records, day, tmp / f"nightly{run}")
            nightly.append(time.perf_counter() - start)
        print(f"nightly report over {args.records} examinations: median {statistics.median(nightly):6.2f} s "
              f"(max {max(nightly):.2f}, n={len(nightly)})")


if __name__ == "__main__":
    main()
