"""Screening speed over the real lists: OFAC SDN (2024-05-03) + OFAC consolidated + UN loaded together.

Measures: import time of each list (parse + store), load + index build time, query latency
(mean, median, p95, max) and throughput (wall clock, and per second of the process's own CPU
time, with the load average around them: the machine is shared) for search queries drawn from listed names with
realistic perturbations (case and punctuation, dropped legal forms, reordered tokens, one-
letter typos, Cyrillic transliteration) plus names that are not listed, and resident memory.

    .venv/bin/python benchmarks/bench_screening.py [--queries N] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.screening import ListStore, Screener  # noqa: E402
from engine.screening.normalize import LEGAL_FORMS  # noqa: E402

UNLISTED = ["Maersk Line", "Hapag-Lloyd AG", "Siemens AG", "Toyota Tsusho Corporation", "John Smith",
            "Maria Garcia", "Deutsche Bank AG", "Cargill Incorporated", "Mitsubishi Corporation",
            "Olam International Limited", "Anna Schmidt", "Wei Zhang", "Tata Steel Limited"]
CYRILLIC = str.maketrans({"A": "А", "B": "Б", "V": "В", "G": "Г", "D": "Д", "E": "Е", "Z": "З", "I": "И",
                          "K": "К", "L": "Л", "M": "М", "N": "Н", "O": "О", "P": "П", "R": "Р", "S": "С",
                          "T": "Т", "U": "У", "F": "Ф"})


def perturb(name: str, rng: random.Random) -> str:
    words = name.replace(",", " ").split()
    kind = rng.randrange(5)
    if kind == 0:
        return name.lower().replace(".", "")
    if kind == 1:
        return " ".join(w for w in words if w.upper().strip(".,") not in LEGAL_FORMS) or name
    if kind == 2:
        return " ".join(reversed(words))
    if kind == 3:
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        word = words[longest]
        if len(word) > 5:
            cut = rng.randrange(1, len(word) - 1)
            words[longest] = word[:cut] + word[cut + 1:]
        return " ".join(words)
    return name.upper().translate(CYRILLIC)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    lists = args.data / "sanctions"
    store = ListStore(tempfile.mkdtemp(prefix="bench-screening-"))
    for label, paths in [
        ("OFAC SDN 2024 (sdn.csv)", [lists / "ofac/sdn_2024-05-03/sdn.csv"]),
        ("OFAC SDN 2021 full CSV set", sorted((lists / "ofac/sdn_full_2021-07-07").glob("*.csv"))),
        ("OFAC consolidated", sorted((lists / "ofac/consolidated_non_sdn_2025-12-19").glob("*.csv"))),
        ("UN consolidated XML", [lists / "un/UN_consolidated.xml"]),
    ]:
        start = time.perf_counter()
        version = store.import_files(paths)
        print(f"import {label:30s} {version.counts['entities']:6d} entries  {time.perf_counter() - start:6.2f} s")
    # the 2021 set was imported for its timing; screen against the 2024 SDN
    sdn_2024 = next(v for v in store.versions() if v.source == "OFAC-SDN" and v.publication_date == "2024-05-03")
    store.activate(sdn_2024.version_id)

    start = time.perf_counter()
    screener = Screener(store)
    print(f"load + index {len(screener.index.entities)} entries / {len(screener.index.names)} names: "
          f"{time.perf_counter() - start:.2f} s")

    rng = random.Random(20260301)
    names = [e.primary_name for e in screener.index.entities]
    queries = [perturb(rng.choice(names), rng) for _ in range(args.queries)]
    queries += [rng.choice(UNLISTED) for _ in range(args.queries // 10)]
    rng.shuffle(queries)
    for query in queries[:50]:  # warm caches the way a long-running service would be
        screener.screen(query)
    # Wall-clock figures depend on what else the machine runs: the load average is printed with
    # them, and the process's own CPU time gives the throughput one free core would reach.
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for label in ("first pass (queries not seen before)", "second pass (same queries again)"):
        latencies = []
        started, cpu_started = time.perf_counter(), time.process_time()
        for query in queries:
            t0 = time.perf_counter()
            screener.screen(query)
            latencies.append((time.perf_counter() - t0) * 1000)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        latencies.sort()
        print(f"{label}: {len(queries)} search queries: mean {statistics.mean(latencies):.2f} ms, "
              f"median {statistics.median(latencies):.2f} ms, p95 {latencies[int(len(latencies) * 0.95)]:.2f} ms, "
              f"max {latencies[-1]:.2f} ms; {len(queries) / elapsed:.0f} queries/s wall clock, "
              f"{len(queries) / cpu:.0f} queries/s of process CPU time")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
