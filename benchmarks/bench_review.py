"""Review page render time on loopback (target: first render <= 300 ms).

Run: .venv/bin/python benchmarks/bench_review.py [--repeat N]
Starts a real uvicorn on 127.0.0.1 with a migrated database and a generated discrepant
presentation examined by the real engine (the e2e test's set-up), signs in an officer with
password + TOTP, and times the HTML of the queue and of the presentation view: the first
request after start (cold: imports, templates, page sizes) and the median of N more. Page
images are timed apart (first render with pypdfium2, then from the cache).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import pyotp

from tests.api.conftest import PASSWORD
from tests.e2e.test_review_page import start_review_service

TARGET_MS = 300.0


def timed_get(client: httpx.Client, url: str) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {url}: {response.status_code} {response.text[:300]}")
    return elapsed, response


def main(repeat: int) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-review-") as folder:
        service = start_review_service(Path(folder), extra_presentations=False)
        try:
            with httpx.Client(base_url=service.base_url, timeout=60) as client:
                form = client.get("/review/login")
                token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
                signed_in = client.post("/review/login", data={
                    "email": service.seed.users["bank_officer"], "password": PASSWORD, "csrf_token": token,
                    "otp": pyotp.TOTP(service.seed.totp["bank_officer"]).now()})
                if signed_in.status_code != 303 or signed_in.headers.get("location") != "/review/queue":
                    raise SystemExit(f"sign-in failed: {signed_in.status_code}")
                presentation = f"/review/presentations/{service.presentations['june']}"
                results: dict[str, tuple[float, float]] = {}
                view_html = ""
                for name, url in (("queue", "/review/queue"), ("presentation view", presentation)):
                    first, response = timed_get(client, url)
                    view_html = response.text if name == "presentation view" else view_html
                    samples = [timed_get(client, url)[0] for _ in range(repeat)]
                    results[name] = (first, statistics.median(samples))
                images = re.findall(r'src="(/review/presentations/[^"]+\.png)"', view_html)
                image_first = [timed_get(client, url)[0] for url in images]
                image_cached = [timed_get(client, url)[0] for url in images for _ in range(3)]
        finally:
            service.stop()
    print(f"review page on loopback, {repeat} requests after the first (target first render <= {TARGET_MS:.0f} ms)")
    worst = 0.0
    for name, (first, median) in results.items():
        worst = max(worst, first, median)
        print(f"  {name:<18} first {first:7.1f} ms   median {median:7.1f} ms")
    if images:
        print(f"  page images ({len(images)})   first render median {statistics.median(image_first):7.1f} ms   "
              f"cached median {statistics.median(image_cached):7.1f} ms")
    print("OK" if worst <= TARGET_MS else f"OVER TARGET: {worst:.1f} ms")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30)
    sys.exit(main(parser.parse_args().repeat))
