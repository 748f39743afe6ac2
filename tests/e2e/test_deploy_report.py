"""What apply says about the Deploy phase (SPEC §9): every deploy error at once, where
the target writes, and the workloads it deployed counted in the summary ("nothing to
do" only when nothing ran)."""

from __future__ import annotations

from e2e_helpers import STATIC_DEFINITIONS, Project

DEFINITIONS = (
    STATIC_DEFINITIONS
    + """
definition "thing" {
  type   = "thing"
  driver = "cmd"
  match {}
  inputs {
    command = ["python3", "-c", "print('{\\"outputs\\": {\\"host\\": \\"h.example\\"}}')"]
  }
}
"""
)


def score(name: str, key: str, image: str = "nginx") -> str:
    return f"""
apiVersion: score.dev/v1b1
metadata:
  name: {name}
containers:
  main:
    image: {image}
    variables:
      HOST: ${{resources.thing.{key}}}
resources:
  thing:
    type: thing
    id: shared
"""


def test_every_deploy_error_at_once_and_where_the_target_writes(project: Project) -> None:
    project.write("definitions/platform.orch", DEFINITIONS)
    project.write("web/score.yaml", score("web", "nope"))
    project.write("api/score.yaml", score("api", "missing"))
    files = ("-f", "web/score.yaml", "-f", "api/score.yaml")
    failed = project.run("apply", "--env", "dev", "--auto-approve", *files, expect=1)
    assert "error: deploy failed: workload 'api', containers.main.variables.HOST:" in (
        failed.stderr
    )
    assert "error: deploy failed: workload 'web', containers.main.variables.HOST:" in (
        failed.stderr
    )
    assert "no output 'missing'" in failed.stderr and "no output 'nope'" in failed.stderr
    assert "note: the target writes to out/compose.yaml" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_the_summary_counts_the_workloads_deployed(project: Project) -> None:
    project.write("definitions/platform.orch", DEFINITIONS)
    project.write("web/score.yaml", score("web", "host"))
    files = ("-f", "web/score.yaml")
    first = project.run("apply", "--env", "dev", "--auto-approve", *files)
    assert "deployed 1 workload(s) to out/compose.yaml (" in first.stderr
    assert "1 workload(s) deployed in" in first.stderr

    project.write("web/score.yaml", score("web", "host", image="nginx:2"))
    only_workload = project.run("apply", "--env", "dev", "--auto-approve", *files)
    assert "nothing to do" not in only_workload.stderr
    assert "Apply complete: 1 workload(s) deployed in" in only_workload.stderr

    again = project.run("apply", "--env", "dev", "--auto-approve", *files)
    assert "Apply complete: nothing to do in" in again.stderr
