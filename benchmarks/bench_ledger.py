"""Ledger benchmarks: embedded-ledger transactions per second, and API latency with a slow ledger.

1. Embedded ledger: N lifecycle transactions (create, issue, present, record, …) on SQLite,
   each in its own write transaction (hash chain + ECDSA P-256 signature + lifecycle check).
2. Outbox decoupling: submission latency of a presentation (fake examiner, inline jobs) with
   the ledger answering at once vs. with every ledger write delayed by --delay seconds; the
   outbox runs in its background thread, so the API latency should not move.

Run: .venv/bin/python benchmarks/bench_ledger.py [--transactions 300] [--delay 0.5] [--requests 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.db.models import Base
from api.db.models_ledger import LedgerEntity, LedgerExamination, LedgerTransaction
from api.db.session import Database
from fabric.embedded import EmbeddedLedger, KeyStore


def bench_embedded(folder: Path, transactions: int) -> dict[str, float]:
    db = Database(f"sqlite:///{folder / 'ledger.db'}")
    Base.metadata.create_all(db.engine, tables=[LedgerTransaction.__table__, LedgerEntity.__table__,
                                                LedgerExamination.__table__])
    ledger = EmbeddedLedger(db, KeyStore(folder / "keys"))
    credits = max(1, transactions // 4)
    start = time.perf_counter()
    for n in range(credits):
        lc = f"LC-{n}"
        ledger.submit("CorporateMSP", "lc", lc, "create", {"terms_hash": "a" * 64})
        ledger.submit("BankMSP", "lc", lc, "issue")
        ledger.submit("CorporateMSP", "lc", lc, "present_documents", {"presentation_id": f"P-{n}"})
        ledger.record_examination("BankMSP", {"presentation_id": f"P-{n}", "lc_id": lc,
                                              "document_hashes": ["1" * 64], "rule_pack_versions": {"ucp600": "1.0.0"},
                                              "findings_hash": "f" * 64, "outcome": "compliant"})
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    report = ledger.verify()
    verify_seconds = time.perf_counter() - start
    db.dispose()
    assert report.ok, report.problems
    return {"transactions": credits * 4, "seconds": elapsed, "tx_per_second": credits * 4 / elapsed,
            "verify_seconds": verify_seconds}


class SlowRemoteLedger(EmbeddedLedger):
    """The embedded ledger behind a delay, used as a remote ledger (its own transactions)."""

    kind = "slow-remote"

    def __init__(self, inner: EmbeddedLedger, delay: float) -> None:
        super().__init__(inner.db, inner.keys, inner.lifecycle)
        self.delay = delay

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        time.sleep(self.delay)
        return super().submit(*args, **{**kwargs, "session": None})

    def record_examination(self, *args: Any, **kwargs: Any) -> Any:
        time.sleep(self.delay)
        return super().record_examination(*args, **{**kwargs, "session": None})

    def decide(self, *args: Any, **kwargs: Any) -> Any:
        time.sleep(self.delay)
        return super().decide(*args, **{**kwargs, "session": None})


def bench_api(folder: Path, delay: float, requests: int) -> dict[str, float]:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.db.migrate import upgrade
    from api.routes.lifecycle import ledger_service
    from tests.api.conftest import Api, make_settings, pdf, seed_database

    db_path = folder / f"api-{delay}.db"
    upgrade(f"sqlite:///{db_path}")
    seed_db = Database(f"sqlite:///{db_path}")
    seed = seed_database(seed_db)
    seed_db.dispose()
    from tests.api.conftest import fake_examiner

    app = create_app(make_settings(folder, db_path, job_mode="thread"), examiner=fake_examiner)
    latencies: list[float] = []
    with TestClient(app) as client:
        api = Api(client, seed)
        svc = ledger_service(api.ctx)
        if delay:
            # a remote ledger that answers slowly (as Fabric does: ~0.5 s per commit)
            svc.stop()
            svc = ledger_service(api.ctx, ledger=SlowRemoteLedger(svc.ledger, delay))  # type: ignore[arg-type]
            svc.start()
        api.headers("corporate_admin")
        for n in range(requests):
            start = time.perf_counter()
            response = api.submit("corporate_admin", [("a.pdf", pdf(f"run {n}"))])
            latencies.append(time.perf_counter() - start)
            assert response.status_code == 202, response.text
        deadline = time.time() + 60 + delay * requests * 2
        while svc.dispatcher.pending() and time.time() < deadline:
            time.sleep(0.1)
        pending = svc.dispatcher.pending()
    app.state.service.db.dispose()
    return {"delay": delay, "median_ms": statistics.median(latencies) * 1000,
            "p95_ms": sorted(latencies)[int(0.95 * (len(latencies) - 1))] * 1000, "outbox_left": pending}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=400)
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as tmp:
        folder = Path(tmp)
        embedded = bench_embedded(folder, args.transactions)
        print(f"embedded ledger (SQLite): {embedded['transactions']} tx in {embedded['seconds']:.2f} s = "
              f"{embedded['tx_per_second']:.0f} tx/s; verify (replay + signatures) {embedded['verify_seconds']:.2f} s")
        for delay in (0.0, args.delay):
            result = bench_api(folder, delay, args.requests)
            print(f"API submit with ledger delay {delay:.2f} s: median {result['median_ms']:.1f} ms, "
                  f"p95 {result['p95_ms']:.1f} ms; outbox rows left after drain: {result['outbox_left']}")


if __name__ == "__main__":
    main()
