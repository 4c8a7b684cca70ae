"""Shared test fixtures."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Tests never read or write the developer's ./var (imported sanctions lists, decisions, uploads):
# the examination must depend only on what the test sets up, i.e. the bundled sample list.
os.environ.setdefault("BLOCKTRADE_DATA_DIR", tempfile.mkdtemp(prefix="blocktrade-test-"))


def shared_data_dir() -> Path:
    """The real public data set (../shared/data beside the checkout, or $BLOCKTRADE_SHARED_DATA)."""
    env = os.environ.get("BLOCKTRADE_SHARED_DATA")
    return Path(env) if env else (REPO.parent / "shared" / "data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        # Fail, don't skip: CI has the data beside the checkout, and a skipped data test
        # would pass while testing nothing.
        pytest.fail(f"shared data not found at {path}; set BLOCKTRADE_SHARED_DATA")
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
