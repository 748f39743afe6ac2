"""Drift through the CLI (SPEC §9) against the real PostgreSQL server: a database
dropped by hand and a deployed file removed by hand are seen by `orchc drift` (exit 2),
planned by `orchc plan --refresh` as updates with reason `drift: ...`, and repaired by
apply; then `drift` exits 0."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from e2e_helpers import (
    STATIC_DEFINITIONS,
    Project,
    apply_holding_the_lock,
    postgres_admin,
    postgres_has,
)

DEFINITIONS = (
    STATIC_DEFINITIONS
    + """
definition "pg" {
  type   = "postgres"
  driver = "postgres"
  match {}
  inputs { host = "127.0.0.1", port = 5432, admin_user = "postgres", database = "DB", username = "DB" }
}

definition "dns" {
  type   = "dns"
  driver = "static"
  match {}
  inputs { host = "shop.example.com" }
}
"""
)

SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: api
containers:
  main:
    image: busybox
    variables:
      PG_URL: ${resources.db.url}
      HOST: ${resources.dns.host}
resources:
  db: {type: postgres}
  dns: {type: dns}
"""

DB = "postgres.default#api.db"
TARGET = "target.default#target"


@pytest.fixture
def applied(project: Project, postgres_name: str) -> Iterator[tuple[Project, str]]:
    name = postgres_name
    project.write("definitions/platform.orch", DEFINITIONS.replace("DB", name))
    project.write("score.yaml", SCORE)
    project.run("apply", "--env", "dev", "--auto-approve")
    yield project, name
    project.run("destroy", "--env", "dev", "--auto-approve", expect=None)


@pytest.mark.services
def test_a_dropped_database_is_seen_and_repaired(applied: tuple[Project, str]) -> None:
    project, name = applied
    clean = project.run("drift", "--env", "dev", expect=0)
    assert f"  {DB}  in sync" in clean.stdout
    assert "? dns.default#api.dns  not observed" in clean.stdout

    with postgres_admin() as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    drifted = project.run("drift", "--env", "dev", expect=2)
    assert f"~ {DB}  drifted: database '{name}' does not exist" in drifted.stdout
    # `static` resources (the dns, the workload's default) have nothing to observe.
    assert drifted.stdout.endswith("Drift: 1 in sync, 1 drifted, 2 not observed.\n")
    as_json = json.loads(project.run("drift", "--env", "dev", "--format", "json", expect=2).stdout)
    assert as_json["drifted"] == [DB]
    assert as_json["resources"][DB] == {
        "driver": "postgres",
        "status": "drifted",
        "detail": f"database '{name}' does not exist",
    }
    assert not postgres_has("database", name)  # drift only reports

    assert project.plan()["resources"][DB]["action"] == "noop"  # without --refresh
    plan = project.plan("--refresh")
    assert plan["resources"][DB]["action"] == "update"
    assert plan["resources"][DB]["reason"] == f"drift: database '{name}' does not exist"
    project.run("apply", "plan.json")
    assert postgres_has("database", name)
    project.run("drift", "--env", "dev", expect=0)


@pytest.mark.services
def test_a_deleted_deployed_file_is_seen_and_deployed_again(applied: tuple[Project, str]) -> None:
    project, _ = applied
    compose = project.root / "out" / "compose.yaml"
    written = compose.read_text()
    compose.unlink()
    drifted = project.run("drift", "--env", "dev", expect=2)
    assert f"~ {TARGET}  drifted: out/compose.yaml was deleted" in drifted.stdout

    plan = project.plan("--refresh")
    assert plan["resources"][TARGET]["reason"] == "drift: out/compose.yaml was deleted"
    project.run("apply", "plan.json")
    assert compose.read_text() == written
    project.run("drift", "--env", "dev", expect=0)

    compose.write_text(written + "# edited by hand\n")
    changed = project.run("drift", "--env", "dev", expect=2)
    assert f"~ {TARGET}  drifted: out/compose.yaml was changed" in changed.stdout


def test_drift_without_state_is_an_error(project: Project) -> None:
    refused = project.run("drift", "--env", "dev", expect=1)
    assert "no state at" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_drift_does_not_race_a_running_apply(project: Project) -> None:
    # Observing runs drivers in the work dirs an apply uses (Terraform copies its
    # module and state there afresh): while an apply holds the lock, drift is refused.
    apply = apply_holding_the_lock(project)

    refused = project.run("drift", "--env", "dev", expect=1)
    assert "the state is locked" in refused.stderr
    assert f"apply by pid {apply.pid}" in refused.stderr
    assert "(--lock-timeout DURATION waits)" in refused.stderr
    assert "Traceback" not in refused.stderr

    # The option the refusal suggests: drift waits for the apply, then observes.
    waiting = project.popen("drift", "--env", "dev", "--lock-timeout", "5m")
    assert waiting.stderr is not None
    line = waiting.stderr.readline()
    assert line.startswith(f"orchc: waiting for the lock, held by apply by pid {apply.pid}")
    assert line.rstrip().endswith("(up to 5m)")
    (project.root / "release").touch()
    apply.communicate(timeout=300)
    assert apply.returncode == 0
    observed, rest = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, rest
    assert "  target.default#target  in sync\n" in observed  # what the apply deployed
    project.run("drift", "--env", "dev")


def test_drift_lock_timeout_is_a_duration(project: Project) -> None:
    refused = project.run("drift", "--env", "dev", "--lock-timeout", "soon", expect=2)
    assert "'soon' is not a duration such as 30s, 5m, 1h or 1m30s" in refused.stderr
