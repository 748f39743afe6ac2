"""The default `service-port` asked for without params: release one crashed with
`StrictUndefined is not JSON serializable` (a traceback); now the apply fails that
resource with a located message (uid, definition and its file:line, template line) in
text and in --json, and nothing else breaks."""

from __future__ import annotations

import json

from e2e_helpers import Project

PLATFORM = """
environment "dev" { type = "development" }

definition "local-compose" {
  type   = "target"
  driver = "compose"
  match {}
  inputs { path = "compose.yaml" }
}
"""
SCORE = """
apiVersion: score.dev/v1b1
metadata: {name: frontend}
containers:
  main:
    image: busybox
    variables:
      BACKEND: "http://${resources.backend.hostname}:${resources.backend.port}"
resources:
  backend:
    type: service-port
"""
LOCATED = (
    "create of service-port.default#frontend.backend failed (definition "
    "'default-service-port' at orchc:defaults/service-port.orch:21): template 'outputs', "
    "line 7: 'dict object' has no attribute 'workload'"
)


def test_the_default_service_port_without_params_is_a_located_failure(
    project: Project,
) -> None:
    project.write("platform/env.orch", PLATFORM)
    project.write("orchc.toml", 'app = "shop"\ndefinitions = "platform"\n')
    project.write("score.yaml", SCORE)
    project.run("plan", "--env", "dev", "-o", "plan.json")

    text = project.run("apply", "plan.json", expect=1)
    assert f"error: {LOCATED}" in text.stderr
    assert "Traceback" not in text.stderr + text.stdout
    assert "StrictUndefined" not in text.stderr

    project.plan()
    events = project.run("apply", "plan.json", "--json", expect=1).stdout
    failures = [json.loads(line) for line in events.splitlines()]
    messages = [e.get("message", "") for e in failures if e.get("result") == "failed"]
    assert any("'dict object' has no attribute 'workload'" in m for m in messages), failures
    assert not (project.root / "compose.yaml").exists()  # nothing deployed
