"""A canary secret with quotes and backslashes never appears in any output of a failing
apply, in any form a message could quote it (raw, JSON-escaped, Python repr, URL
encoded), text or --json."""

from __future__ import annotations

import json
import sys
from urllib.parse import quote

import pytest
from e2e_helpers import Project

CANARY = "can'ary\"7f3a\\9c-do-not-leak"
FORMS = (CANARY, json.dumps(CANARY)[1:-1], repr(CANARY)[1:-1], quote(CANARY, safe=""))

ECHO = """
import sys
request = sys.stdin.read()
sys.stderr.write("got request: " + request + "\\n")
sys.exit(3)
"""

DEFINITIONS = """
environment "dev" { type = "development" }

definition "echo" {
  type   = "echo"
  driver = "cmd"
  match {}
  inputs { command = ["PYTHON", "echo.py"] }
  secrets { token = env("CANARY") }
}

definition "lookup" {
  type   = "lookup"
  driver = "template"
  match {}
  inputs { outputs = "x: {{ params[secrets.token] }}" }
  secrets { token = env("CANARY") }
}
"""

SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx
resources:
  RESOURCE:
    type: RESOURCE
"""


@pytest.mark.parametrize("resource", ["echo", "lookup"])
@pytest.mark.parametrize("json_output", [False, True])
def test_the_canary_is_in_no_output_of_a_failing_apply(
    project: Project, resource: str, json_output: bool
) -> None:
    project.write("definitions/d.orch", DEFINITIONS.replace("PYTHON", sys.executable))
    project.write("definitions/echo.py", ECHO)
    project.write("score.yaml", SCORE.replace("RESOURCE", resource))
    project.env["CANARY"] = CANARY
    extra = ("--json",) if json_output else ()
    result = project.run("apply", "--env", "dev", "--auto-approve", *extra, expect=1)
    everything = result.stdout + result.stderr
    assert ("got request" in everything) == (resource == "echo")
    assert ("has no attribute" in everything) == (resource == "lookup")
    for form in FORMS:
        assert form not in everything
    assert "can" not in everything.replace("cannot", "")
