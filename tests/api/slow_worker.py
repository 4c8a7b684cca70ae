"""A worker process for the kill -9 test: its examiner announces the start, then hangs.

    python -m tests.api.slow_worker MARKER_FILE      (settings from BLOCKTRADE_* variables)
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

from api.app import build_context
from api.jobs import worker_loop
from api.settings import Settings


def main(marker: Path) -> None:
    def hanging_examiner(*_args: Any) -> Any:
        marker.write_text("started")
        time.sleep(3600)  # killed long before this ends

    ctx = build_context(Settings.from_env(), examiner=hanging_examiner)
    worker_loop(ctx, threading.Event(), poll_seconds=0.1)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
