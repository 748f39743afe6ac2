"""SIGKILL the apply (and the destroy) at several points: re-planning and re-applying
must converge, with no resource provisioned twice and none forgotten.

The last node's driver call waits for a release file, so the run is still in progress
whenever it is killed, however loaded the machine (no sleep-based ordering).

The orphan tests kill orchc while its driver programs are still creating and apply
again at once (orphan_race.py): none of them may race the next apply. The suite runs a
few kills per backend; bench/kill_race.py runs 25 per backend and prints the counts."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import orphan_race
import pytest
from e2e_helpers import STATIC_DEFINITIONS, Project, new_project

WORLD = Path(__file__).parent / "programs" / "world.py"
NODES = ["n1", "n2", "n3", "n4", "n5", "n6", "n7"]  # a binary tree: n1 <- n2, n3 <- n4..n7


def tree_definitions(world: Path, release: Path) -> str:
    """The tree on the world program; the last node's calls wait until `release` exists."""
    command = json.dumps([sys.executable, str(WORLD)])
    body = STATIC_DEFINITIONS
    for index, name in enumerate(NODES, start=1):
        wait = f'\n    wait_for = "{release}"' if name == NODES[-1] else ""
        parent = (
            f'\n    parent = "${{resources.node#{NODES[index // 2 - 1]}.outputs.value}}"'
            if index > 1
            else ""
        )
        body += f"""
definition "{name}" {{
  type   = "node"
  driver = "cmd"
  match {{ res_id = "{name}" }}
  inputs {{
    command = {command}
    world   = "{world}"
    value   = "{name}-value"
    sleep   = 0.25{parent}{wait}
  }}
}}
"""
    return body


SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: app
containers:
  main:
    image: busybox
    variables:
      LEAVES: ${resources.n4.value} ${resources.n5.value} ${resources.n6.value} ${resources.n7.value}
resources:
  n4: {type: node, id: n4}
  n5: {type: node, id: n5}
  n6: {type: node, id: n6}
  n7: {type: node, id: n7}
"""


def kill_after(project: Project, events: int, *command: str) -> None:
    """Run `command` with --json and SIGKILL it after `events` resource events."""
    process = project.popen(*command, "--json")
    assert process.stdout is not None
    seen = 0
    for line in process.stdout:
        event = json.loads(line)["event"]
        if event in ("resource_started", "resource_finished"):
            seen += 1
        if seen >= events:
            break
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def converge(project: Project) -> int:
    """Plan and apply until the plan is empty; returns how many applies it took."""
    for attempt in range(1, 4):
        if project.run("plan", "--env", "dev", "--detailed-exitcode", expect=None).returncode == 0:
            return attempt - 1
        project.plan()
        project.run("apply", "plan.json")
    raise AssertionError("did not converge in 3 applies")


def world(project: Project) -> dict[str, dict[str, object]]:
    loaded: dict[str, dict[str, object]] = json.loads((project.root / "world.json").read_text())
    return loaded


def everything() -> list[str]:
    return [f"node.default#{name}" for name in NODES]


@pytest.mark.parametrize("events", [1, 2, 5, 9, 13])
def test_killed_apply_converges_without_double_provisioning(project: Project, events: int) -> None:
    kill_apply_then_converge(project, events)


@pytest.mark.services
@pytest.mark.parametrize("events", [2, 9])
def test_killed_apply_on_postgresql_converges_as_on_sqlite(
    project: Project, events: int, postgres_url: str
) -> None:
    """Intents are durable commits, results asynchronous ones (docs/architecture.md):
    a SIGKILL of orchc loses neither."""
    project.env["ORCHC_STATE"] = postgres_url
    kill_apply_then_converge(project, events)
    assert not (project.root / ".orchc" / "state.db").exists()


def kill_apply_then_converge(project: Project, events: int) -> None:
    release = project.root / "release"
    project.write("definitions/tree.orch", tree_definitions(project.root / "world.json", release))
    project.write("score.yaml", SCORE)
    project.plan()
    kill_after(project, events, "apply", "plan.json")
    release.touch()

    assert converge(project) >= 1
    assert sorted(world(project)["present"]) == everything()
    assert world(project)["creations"] == dict.fromkeys(everything(), 1)
    implicit = ["target.default#target", "workload.default#app"]
    assert sorted(project.state_uids()) == [*everything(), *implicit]
    assert (project.root / "out" / "compose.yaml").exists()


@pytest.mark.parametrize("events", [2, 6])
def test_killed_destroy_finishes_on_the_next_destroy(project: Project, events: int) -> None:
    release = project.root / "release"
    project.write("definitions/tree.orch", tree_definitions(project.root / "world.json", release))
    project.write("score.yaml", SCORE)
    release.touch()
    project.run("apply", "--env", "dev", "--auto-approve")
    release.unlink()
    kill_after(project, events, "destroy", "--env", "dev", "--auto-approve")
    release.touch()

    project.run("destroy", "--env", "dev", "--auto-approve")
    assert world(project)["present"] == {}
    assert project.state_uids() == []


ORPHAN_KILLS = 2  # per backend in the suite; bench/kill_race.py runs 25


def test_orphaned_programs_never_race_the_next_apply(tmp_path: Path) -> None:
    for kill in range(ORPHAN_KILLS):
        project = new_project(tmp_path / str(kill))
        orphan_race.prepare(project)
        outcome = orphan_race.kill_while_creating(project)
        assert outcome.creations == dict.fromkeys(orphan_creations(), 1)


@pytest.mark.services
def test_orphaned_programs_never_race_the_next_apply_on_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    for kill in range(ORPHAN_KILLS):
        project = new_project(tmp_path / str(kill))
        project.write("orchc.toml", f'app = "shop{kill}"\n')
        project.env["ORCHC_STATE"] = postgres_url
        orphan_race.prepare(project)
        outcome = orphan_race.kill_while_creating(project)
        assert outcome.creations == dict.fromkeys(orphan_creations(), 1)


def orphan_creations() -> list[str]:
    return [f"node.default#{name}" for name in orphan_race.NODES]
