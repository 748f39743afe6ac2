"""`orchc state unlock` removes the lock of a run that is gone, never a live one's
unless `--force` says so (two applies at once would provision twice)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from e2e_helpers import STATIC_DEFINITIONS, Project

WORLD = Path(__file__).parent / "programs" / "world.py"


def hold_the_lock(project: Project) -> None:
    """Start an apply whose only resource waits for `release`: it holds the lock."""
    release = project.root / "release"
    project.write(
        "definitions/held.orch",
        STATIC_DEFINITIONS
        + f"""
definition "held" {{
  type   = "node"
  driver = "cmd"
  match {{}}
  inputs {{
    command  = {json.dumps([sys.executable, str(WORLD)])}
    world    = "{project.root / "world.json"}"
    wait_for = "{release}"
  }}
}}
""",
    )
    project.write(
        "score.yaml",
        """
        apiVersion: score.dev/v1b1
        metadata: {name: app}
        containers: {main: {image: busybox}}
        resources: {held: {type: node}}
        """,
    )


def test_unlock_refuses_a_live_holder_unless_forced(project: Project) -> None:
    hold_the_lock(project)
    apply = project.popen("apply", "--env", "dev", "--auto-approve", "--json")
    assert apply.stdout is not None
    for line in apply.stdout:  # the lock is held once a resource has started
        if json.loads(line)["event"] == "resource_started":
            break

    refused = project.run("state", "unlock", "--env", "dev", expect=1)
    assert f"held by apply by pid {apply.pid}" in refused.stderr
    assert "nothing was unlocked" in refused.stderr
    assert "`orchc state unlock --env dev --force`" in refused.stderr
    assert "Traceback" not in refused.stderr
    still = project.run("apply", "--env", "dev", "--auto-approve", expect=1)
    assert "the state is locked" in still.stderr

    forced = project.run("state", "unlock", "--env", "dev", "--force")
    assert f"removed the lock held by apply by pid {apply.pid}" in forced.stderr
    (project.root / "release").touch()
    apply.communicate(timeout=300)
    assert apply.returncode == 0
