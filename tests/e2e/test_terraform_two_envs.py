"""Two environments applying Terraform at once in one project: they share its work
directory (`.orchc/work`), and each run's first terraform call removes the secret
variable files that dead runs left there. The owner of a file is in its name
(`orchc-secrets.<run>.auto.tfvars.json`), so a run removes dead runs' files only,
never the file a live run of another environment is using, even where an owner file
of the old kind (what a sweeper may have read before the live run rewrote it) says
that place's owner is dead."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from e2e_helpers import BUCKET_SCORE, HELD_MODULE, TERRAFORM_TOKEN, Project
from written_files import wait_for_text

from orchc.drivers.terraform import secret_variables_file
from orchc.run_processes import process_token, run_marker

pytestmark = pytest.mark.terraform


def definitions(root: Path) -> str:
    text = """
environment "dev" { type = "development" }
environment "staging" { type = "staging" }
"""
    for env in ("dev", "staging"):
        text += f"""
definition "compose-{env}" {{
  type   = "target"
  driver = "compose"
  match {{ env = "{env}" }}
  inputs {{ path = "out/{env}/compose.yaml" }}
}}

definition "held-{env}" {{
  type   = "bucket"
  driver = "terraform"
  match {{ env = "{env}" }}
  inputs {{
    source    = "modules/held"
    variables = {{ release_file = "{root}/release-{env}", pid_file = "{root}/tf-{env}.pid" }}
  }}
  secrets {{ variables = {{ token = env("TF_TOKEN") }} }}
}}
"""
    return text


def test_a_run_removes_only_dead_runs_secret_files(project: Project) -> None:
    shutil.copytree(HELD_MODULE, project.root / "definitions" / "modules" / "held")
    project.write("definitions/held.orch", definitions(project.root))
    project.write("score.yaml", BUCKET_SCORE)
    project.env["TF_TOKEN"] = TERRAFORM_TOKEN
    (project.root / "release-staging").touch()  # staging's Terraform does not wait

    dev = project.popen("apply", "--env", "dev", "--auto-approve")
    try:
        wait_for_text(project.root / "tf-dev.pid")  # dev's Terraform is applying
        (module,) = (project.root / ".orchc" / "work").glob("*/module")
        marker = run_marker(dev.pid, process_token(dev.pid) or "")
        live = module / secret_variables_file(marker)
        assert sorted(p.name for p in module.glob("orchc-secrets*")) == [live.name]
        # What a dead run left at the same place: its own file, and an owner file of
        # the old kind naming it.
        dead = module / secret_variables_file("1/gone/0")
        dead.write_text(json.dumps({"token": "old"}))
        old_owner = module / "orchc-secrets.owner"
        old_owner.write_text(json.dumps("1/gone/0"))

        project.run("apply", "--env", "staging", "--auto-approve")

        assert live.exists(), "staging's run removed the secrets of dev's live run"
        assert not dead.exists() and not old_owner.exists()
    finally:
        (project.root / "release-dev").touch()
        _, stderr = dev.communicate(timeout=300)
    assert dev.returncode == 0, stderr
    assert list((project.root / ".orchc").rglob("*secrets*")) == []
    for env in ("dev", "staging"):
        outputs = project.run("outputs", "bucket.default#app.bucket", "--env", env).stdout
        assert "first = " in outputs
