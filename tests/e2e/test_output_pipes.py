"""`orchc ... | head`: a reader that goes away ends orchc quietly (no "Broken pipe",
no traceback), with the exit code of a process killed by SIGPIPE."""

from __future__ import annotations

import os
import subprocess

import pytest
from e2e_helpers import ORCHC, STATIC_DEFINITIONS, Project

SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx
"""


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "--env", "dev", "--format", "json"),
        ("plan", "--env", "dev"),
        ("outputs", "target.default#target", "--env", "dev"),
    ],
)
def test_a_closed_stdout_ends_quietly(project: Project, args: tuple[str, ...]) -> None:
    project.write("definitions/platform.orch", STATIC_DEFINITIONS)
    project.write("score.yaml", SCORE)
    project.run("apply", "--env", "dev", "--auto-approve")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before orchc writes a byte
    try:
        result = subprocess.run(
            [ORCHC, *args],
            cwd=project.root,
            env=project.env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode == 141
