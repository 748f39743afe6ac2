"""`policy { create_before_destroy = true }` (SPEC §9): a replace creates the new
resource first, then its dependents are updated (repointed), then the old one is
deleted; without it, the old one is deleted first. A driver program records the order.
"""

from __future__ import annotations

import json
import sys

from e2e_helpers import STATIC_DEFINITIONS, Project

PROGRAM = """
import json, sys
request = json.load(sys.stdin)
log = request["inputs"]["log"]
with open(log, "a") as f:
    f.write(f"{request['action']} {request['uid']}\\n")
count = sum(1 for _ in open(log))
json.dump({"outputs": {"name": f"{request['id']}-{count}"}}, sys.stdout)
"""

SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx
    variables:
      NAME: ${resources.bucket.name}
resources:
  bucket:
    type: bucket
    id: data
  reader:
    type: reader
    id: data
"""


def definitions(log: str, policy: str) -> str:
    command = json.dumps([sys.executable, "program.py"])
    return (
        STATIC_DEFINITIONS
        + f"""
definition "bucket" {{
  type   = "bucket"
  driver = "cmd"
  match {{}}
  inputs {{ command = {command}, log = "{log}" }}
  {policy}
}}

definition "reader" {{
  type   = "reader"
  driver = "cmd"
  match {{}}
  inputs {{
    command = {command}
    log     = "{log}"
    bucket  = "${{resources.bucket#data.outputs.name}}"
  }}
}}
"""
    )


def replace_order(project: Project, policy: str) -> list[str]:
    log = project.root / "calls.log"
    project.write("definitions/program.py", PROGRAM)
    project.write("definitions/platform.orch", definitions(str(log), policy))
    project.write("score.yaml", SCORE)
    project.run("apply", "--env", "dev", "--auto-approve")
    before = len(log.read_text().splitlines())
    project.run("plan", "--env", "dev", "--replace", "bucket.default#data", "-o", "plan.json")
    project.run("apply", "plan.json")
    calls = log.read_text().splitlines()[before:]
    return [line for line in calls if "target" not in line]


def test_create_before_destroy_creates_repoints_then_deletes(project: Project) -> None:
    order = replace_order(project, "policy { create_before_destroy = true }")
    assert order == [
        "create bucket.default#data",
        "create reader.default#data",
        "delete bucket.default#data",
    ]
    compose = (project.root / "out" / "compose.yaml").read_text()
    assert "NAME: data-3" in compose  # the new bucket's name: the third call logged
    assert project.actions()["bucket.default#data"] == "noop"


def test_without_it_the_old_is_deleted_first(project: Project) -> None:
    order = replace_order(project, "")
    assert order == [
        "delete bucket.default#data",
        "create bucket.default#data",
        "create reader.default#data",
    ]


def test_a_new_resource_that_is_the_old_one_is_not_deleted(project: Project) -> None:
    """A driver that names what it makes after the uid returns the same outputs for the
    new resource: it adopted the old one, which must then not be deleted."""
    log = project.root / "calls.log"
    project.write("definitions/program.py", PROGRAM.replace("-{count}", ""))
    policy = "policy { create_before_destroy = true }"
    project.write("definitions/platform.orch", definitions(str(log), policy))
    project.write("score.yaml", SCORE)
    project.run("apply", "--env", "dev", "--auto-approve")
    before = len(log.read_text().splitlines())
    project.run("plan", "--env", "dev", "--replace", "bucket.default#data", "-o", "plan.json")
    applied = project.run("apply", "plan.json")
    calls = [line for line in log.read_text().splitlines()[before:] if "target" not in line]
    assert calls == ["create bucket.default#data"]
    assert "not deleted: the new resource has the old one's outputs" in applied.stderr
