"""Per-address login throttle (in memory, per process).

The per-account lockout lives in the database (users.failed_logins / locked_until) so it
holds across API processes; this limiter adds a cap per client address against password
spraying over many accounts.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class IpThrottle:
    def __init__(self, max_failures: int = 30, window_seconds: int = 900) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def retry_after(self, address: str) -> int:
        """Seconds until the address may try again; 0 when it may try now."""
        now = time.monotonic()
        with self._lock:
            failures = self._recent(address, now)
            if len(failures) < self.max_failures:
                return 0
            return max(1, int(failures[0] + self.window - now) + 1)

    def failed(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(address, now).append(now)
