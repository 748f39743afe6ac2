"""The target's deploy request carries what a driver gets for its resource: its
resolved inputs and secrets, its driver state, its work directory and its timeout."""

from __future__ import annotations

from pathlib import Path

from orchc.compiler import pipeline
from orchc.compiler.state import InMemoryState, StateResource
from orchc.compiler.uid import TARGET_UID
from orchc.drivers.registry import default_registry
from orchc.runtime import deploy
from orchc.runtime.redact import Redactor
from orchc.runtime.state.contract import ResourceRecord

DEFINITIONS = """
environment "dev" { type = "development" }

definition "k8s" {
  type   = "target"
  driver = "kubernetes-manifests"
  match {}
  inputs { path = "out" }
  secrets { token = "gitops-token-123" }
  policy { timeout = "2m" }
}
"""


def test_deploy_request_carries_the_targets_secrets_state_work_dir_and_timeout(
    tmp_path: Path,
) -> None:
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "all.orch").write_text(DEFINITIONS)
    drivers = default_registry()
    sources = pipeline.Sources(root=tmp_path, definitions=tmp_path / "defs")
    compilation = pipeline.read(sources, drivers)
    plan = pipeline.plan(compilation, pipeline.Target("shop", "dev"), InMemoryState(), drivers)
    planned = plan.resources[str(TARGET_UID)]
    record = ResourceRecord(
        resource=StateResource(TARGET_UID, "k8s", planned.driver, planned.source, {}, ""),
        driver_state={"checkout": "abc123"},
        resolved_inputs={"path": "out"},
        resolved_secrets={"token": "gitops-token-123"},
    )

    request = deploy.deploy_request(plan, deploy.Outputs(), {}, record, tmp_path, Redactor())

    assert request.inputs == {"path": "out"}
    assert request.secrets == {"token": "gitops-token-123"}
    assert request.state == {"checkout": "abc123"}
    assert request.work_dir == tmp_path / ".orchc" / "work" / planned.guid
    assert request.timeout == 120.0
    assert request.secret_values() == {"gitops-token-123", "abc123"}
