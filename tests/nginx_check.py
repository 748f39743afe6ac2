"""The one way the tests run nginx on a gateway configuration orchc writes.

The real nginx (Debian's package; `.ci/run` installs it when absent) parses the whole
file as the gateway container would, without starting: `-e stderr` and a prefix in the
file's directory keep it from touching the machine's own nginx files.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

_CANDIDATES = ("nginx", "/usr/sbin/nginx")


def nginx_binary() -> str:
    for candidate in _CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    pytest.fail("nginx is not installed (apt-get install nginx; .ci/run does it)")


def _run_nginx(option: str, config: Path) -> subprocess.CompletedProcess[str]:
    config = config.resolve()
    command = [nginx_binary(), option, "-q", "-e", "stderr", "-p", f"{config.parent}/"]
    return subprocess.run(
        [*command, "-c", str(config)], capture_output=True, text=True, check=False
    )


def run_nginx_test(config: Path) -> subprocess.CompletedProcess[str]:
    """The finished `nginx -t -c CONFIG` (exit code non-zero when nginx rejects it)."""
    return _run_nginx("-t", config)


def nginx_dump(config: Path) -> str:
    """`nginx -T`: the configuration as nginx parsed it (fails the test if rejected)."""
    result = _run_nginx("-T", config)
    assert result.returncode == 0, result.stderr
    return result.stdout
