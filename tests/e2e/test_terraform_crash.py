"""orchc killed (SIGKILL) while Terraform applies: Terraform, told by the kernel
(SIGTERM), writes a complete state and stops; the next apply waits for it, recovers
that state (what was created stays tracked, nothing is created twice) and removes the
secret variables file the dead run could not."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from e2e_helpers import (
    BUCKET_SCORE,
    HELD_MODULE,
    STATIC_DEFINITIONS,
    TERRAFORM_TOKEN,
    Project,
)
from written_files import wait_for_text

from orchc.run_processes import process_token, run_marker, run_processes

pytestmark = pytest.mark.terraform


def definitions(root: Path) -> str:
    return (
        STATIC_DEFINITIONS
        + f"""
definition "held" {{
  type   = "bucket"
  driver = "terraform"
  match {{}}
  inputs {{
    source    = "modules/held"
    variables = {{ release_file = "{root / "release"}", pid_file = "{root / "tf.pid"}" }}
  }}
  secrets {{ variables = {{ token = env("TF_TOKEN") }} }}
}}
"""
    )


def test_terraform_outlives_a_killed_orchc_only_to_save_its_state(project: Project) -> None:
    shutil.copytree(HELD_MODULE, project.root / "definitions" / "modules" / "held")
    project.write("definitions/held.orch", definitions(project.root))
    project.write("score.yaml", BUCKET_SCORE)
    project.env["TF_TOKEN"] = TERRAFORM_TOKEN
    orchc = project.popen("apply", "--env", "dev", "--auto-approve")
    wait_for_text(project.root / "tf.pid")
    marker = run_marker(orchc.pid, process_token(orchc.pid) or "")

    orchc.kill()
    orchc.wait(timeout=60)
    wait_until_gone(marker)  # Terraform, told by the kernel, stops and saves its state
    (module,) = (project.root / ".orchc" / "work").glob("*/module")
    left = json.loads((module / "terraform.tfstate").read_text())
    first_id = next(r for r in left["resources"] if r["name"] == "first")["instances"][0]
    assert [name for name in os.listdir(module) if "secrets" in name]  # orchc died first

    (project.root / "release").touch()
    project.run("apply", "--env", "dev", "--auto-approve", "--lock-timeout", "5m")

    outputs = project.run("outputs", "bucket.default#app.bucket", "--env", "dev").stdout
    assert f"first = {first_id['attributes']['id']}" in outputs  # kept, not made again
    assert list((project.root / ".orchc").rglob("*secrets*")) == []
    assert not (module / "terraform.tfstate").exists()  # journaled, then removed
    project.run("plan", "--env", "dev", "--detailed-exitcode")


def wait_until_gone(marker: str) -> None:
    """Until no process of the killed run is left (Terraform, its provisioner)."""
    for _ in range(1200):
        if not run_processes(marker):
            return
        time.sleep(0.1)
    left = run_processes(marker)
    for process in left:
        os.kill(process.pid, signal.SIGKILL)
    pytest.fail(f"programs of the killed run outlived it: {', '.join(map(str, left))}")
