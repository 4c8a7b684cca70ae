"""Fabric submit throughput with concurrent clients, and commit latency (median, p99).

Run against the network of `fabric/network.sh up`:  .venv/bin/python benchmarks/bench_fabric.py --clients 8 --tx 400
Each client registers distinct KYC ids (no key conflicts), so every submit is a committed transaction.
The loop is bounded by --tx and --max-seconds and talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fabric.gateway import ConnectionProfile, Gateway, Identity  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--tx", type=int, default=400, help="total transactions")
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--endpoint", default="127.0.0.1:7051")
    opts = parser.parse_args()
    msp = REPO / ".fabric/crypto/peerOrganizations/bank.blocktrade.local/users/User1@bank.blocktrade.local/msp"
    try:
        identity = Identity.from_msp_folder("BankMSP", msp)
    except (OSError, ValueError) as exc:
        print(f"bench_fabric: no network identity ({exc}); run fabric/network.sh up first", file=sys.stderr)
        return 2
    profile = ConnectionProfile(endpoint=opts.endpoint)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + opts.max_seconds
    run = uuid.uuid4().hex[:6]

    def client(n: int) -> None:
        with Gateway(profile, identity) as gw:
            for i in range(n, opts.tx, opts.clients):
                if time.monotonic() > deadline:
                    return
                t = time.perf_counter()
                try:
                    gw.submit("kyc:Fire", f"B{run}-{i}", "register", json.dumps({"entity_hash": "cd" * 32}))
                except Exception as exc:  # counted and reported, the run goes on
                    with lock:
                        errors.append(str(exc))
                    continue
                with lock:
                    latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(opts.clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - start
    if not latencies:
        print(f"bench_fabric: no transaction committed; first error: {errors[:1]}", file=sys.stderr)
        return 1
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(json.dumps({"clients": opts.clients, "committed": len(latencies), "errors": len(errors),
                      "seconds": round(elapsed, 2), "tx_per_s": round(len(latencies) / elapsed, 1),
                      "commit_latency_median_ms": round(statistics.median(latencies) * 1000, 1),
                      "commit_latency_p99_ms": round(p99 * 1000, 1), "batch_timeout": "500ms",
                      "batch_max_messages": 100}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
