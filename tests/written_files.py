"""Waiting for a file another process writes (a pid file, a program's report)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest


def wait_for_text(path: Path) -> str:
    """The text of `path` once something has written it (at most two minutes: a hang
    guard, not a timed assertion)."""
    for _ in range(1200):
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.1)
    pytest.fail(f"{path} was never written")
