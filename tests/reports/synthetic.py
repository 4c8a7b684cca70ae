"""Synthetic examination records for the nightly report (tests and benchmarks/bench_reports.py).

Seeded and deterministic: the same (count, day, seed) gives the same records, so tests can
compute what the report must say from the records themselves.
"""

from __future__ import annotations

import datetime as dt
import random

from reports.nightly import ExaminationRecord, RecordFinding, RecordHit

RULES = (
    ("ucp600.18b.invoice-amount", ["UCP600 18(b)", "UCP600 30(a)"]),
    ("ucp600.20a3.port-of-loading", ["UCP600 20(a)(iii)", "ISBP821 E6"]),
    ("ucp600.14c.presentation-period", ["UCP600 14(c)"]),
    ("ucp600.28f.insurance-amount", ["UCP600 28(f)(ii)"]),
    ("ucp600.6d.expiry", ["UCP600 6(d)(i)"]),
    ("house.beneficiary-certificate", []),
)
LIST_VERSIONS = ("OFAC-SDN 2024-05-03 (sha256 1a2b3c4d)", "UN 2026-02-10 (sha256 9f8e7d6c)")
PLACES = ("LONDON", "NEW YORK", "SINGAPORE", "FRANKFURT", "ISTANBUL")


def synthetic_records(count: int, day: dt.date, seed: int = 1) -> list[ExaminationRecord]:
    rng = random.Random(seed)
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=dt.UTC)
    records = []
    for number in range(count):
        examined = start + dt.timedelta(seconds=rng.randrange(0, 86_400))
        received = examined - dt.timedelta(minutes=rng.randrange(1, 600))
        findings: list[RecordFinding] = []
        for rule, refs in rng.sample(RULES, k=rng.choice((0, 0, 1, 2, 3))):
            findings.append(RecordFinding(rule=rule, severity="discrepancy", refs=refs,
                                          decision=rng.choice((None, "waive", "confirm"))))
        hits: list[RecordHit] = []
        hold = rng.random() < 0.02
        if hold or rng.random() < 0.05:
            hits.append(RecordHit(query="PETRO STAR SHIPPING", entry_id=f"OFAC-SDN:{rng.randrange(1000, 40000)}",
                                  score=round(rng.uniform(0.85, 1.0), 3), list_version=LIST_VERSIONS[0],
                                  disposition="true_positive" if hold else rng.choice(("false_positive", "pending"))))
        if hold:
            findings.append(RecordFinding(rule="aml.sanctions.listed-party", severity="discrepancy",
                                          refs=[], hold=True))
        outcome = "hold" if hold else ("discrepant" if findings else "compliant")
        decided = None if rng.random() < 0.15 else examined + dt.timedelta(hours=rng.uniform(0.2, 200))
        decision = None
        if decided is not None and not hold:
            decision = "refuse" if any(f.decision == "confirm" for f in findings) else "accept"
        records.append(
            ExaminationRecord(
                id=f"EX-{day:%Y%m%d}-{number:05d}",
                lc_number=f"LC{seed:02d}{number:06d}",
                place=rng.choice(PLACES),
                presented_on=received.date(),
                received_at=received,
                examined_at=examined,
                decided_at=decided,
                outcome=outcome,
                decision=decision,
                findings=findings,
                screening_hits=hits,
                list_versions=list(LIST_VERSIONS),
                packs={"ucp600": "1.0.0", "aml": "1.0.0"},
            )
        )
    return records
