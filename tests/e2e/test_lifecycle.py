"""Plan and apply through the real CLI with a real SQLite state: create, no-op,
update, delete of an orphan, destroy; stale plans; failure isolation and resume;
concurrent applies; prevent_destroy."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from e2e_helpers import STATIC_DEFINITIONS, Project

from orchc.compiler.plan_integrity import body_digest

WORLD = Path(__file__).parent / "programs" / "world.py"

SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx
    variables:
      CACHE: ${resources.cache.host}
      QUEUE: ${resources.queue.host}
resources:
  cache:
    type: redis
  queue:
    type: amqp
"""


def static_definitions(cache_host: str) -> str:
    return (
        STATIC_DEFINITIONS
        + f"""
definition "cache" {{
  type   = "redis"
  driver = "static"
  match {{}}
  inputs {{ host = "{cache_host}" }}
}}

definition "queue" {{
  type   = "amqp"
  driver = "static"
  match {{}}
  inputs {{ host = "rabbit" }}
}}
"""
    )


def test_create_noop_update_orphan_delete_and_destroy(project: Project) -> None:
    project.write("definitions/platform.orch", static_definitions("cache-v1"))
    project.write("score.yaml", SCORE)
    assert project.actions() == {
        "amqp.default#web.queue": "create",
        "redis.default#web.cache": "create",
        "target.default#target": "create",
        "workload.default#web": "create",
    }
    project.run("apply", "plan.json")
    compose = project.root / "out" / "compose.yaml"
    assert "CACHE: cache-v1" in compose.read_text()

    assert set(project.actions().values()) == {"noop"}
    project.run("plan", "--env", "dev", "--detailed-exitcode", expect=0)

    project.write("definitions/platform.orch", static_definitions("cache-v2"))
    plan = project.plan()
    assert plan["resources"]["redis.default#web.cache"]["action"] == "update"
    assert plan["resources"]["redis.default#web.cache"]["reason"] == "inputs changed: host"
    assert plan["workloads"]["web"]["action"] == "update"
    project.run("plan", "--env", "dev", "--detailed-exitcode", expect=2)
    project.run("apply", "plan.json")
    assert "CACHE: cache-v2" in compose.read_text()

    project.write(
        "score.yaml",
        SCORE.replace("      QUEUE: ${resources.queue.host}\n", "").replace(
            "  queue:\n    type: amqp\n", ""
        ),
    )
    assert project.actions()["amqp.default#web.queue"] == "delete"
    project.run("apply", "plan.json")
    assert project.state_uids() == [
        "redis.default#web.cache",
        "target.default#target",
        "workload.default#web",
    ]

    project.run("destroy", "--env", "dev", "--auto-approve")
    assert project.state_uids() == []
    assert not compose.exists()


def test_a_stale_plan_is_refused_and_changes_nothing(project: Project) -> None:
    project.write("definitions/platform.orch", static_definitions("cache-v1"))
    project.write("score.yaml", SCORE)
    project.run("plan", "--env", "dev", "-o", "old.json")
    project.run("apply", "--env", "dev", "--auto-approve")
    before = project.run("state", "show", "redis.default#web.cache", "--env", "dev").stdout
    refused = project.run("apply", "old.json", expect=1)
    assert "moved since the plan was made" in refused.stderr
    assert "run `orchc plan` again" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert project.run("state", "show", "redis.default#web.cache", "--env", "dev").stdout == before


def world_definitions(world: Path, flag: Path, release: Path | None = None) -> str:
    """Definitions on the world program; with `release`, every driver call waits until
    that file exists."""
    command = json.dumps([sys.executable, str(WORLD)])
    body = STATIC_DEFINITIONS
    wait = f'wait_for = "{release}"' if release else ""
    for name, extra in (
        ("alpha", f'fail_if = "{flag}"'),
        ("beta", 'after = "${resources.alpha#alpha.outputs.value}"'),
        ("gamma", ""),
    ):
        body += f"""
definition "{name}" {{
  type   = "{name}"
  driver = "cmd"
  match {{}}
  inputs {{
    command = {command}
    world   = "{world}"
    value   = "{name}-value"
    {wait}
    {extra}
  }}
}}
"""
    return body


WORLD_SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: app
containers:
  main:
    image: busybox
    variables:
      B: ${resources.beta.value}
      C: ${resources.gamma.value}
resources:
  beta:
    type: beta
    id: beta
  gamma:
    type: gamma
    id: gamma
"""


def test_a_failure_skips_dependents_finishes_the_rest_and_resumes(project: Project) -> None:
    world, flag = project.root / "world.json", project.root / "quota-exceeded"
    flag.touch()
    project.write("definitions/world.orch", world_definitions(world, flag))
    project.write("score.yaml", WORLD_SCORE)
    project.plan()
    failed = project.run("apply", "plan.json", expect=1)
    assert (
        "error: create of alpha.default#alpha failed (definition 'alpha' at definitions/world.orch:"
        in failed.stderr
    )
    assert "quota exceeded while provisioning alpha.default#alpha" in failed.stderr
    assert "skipped" in failed.stderr and "beta.default#beta" in failed.stderr
    assert "deploy skipped" in failed.stderr
    assert json.loads(world.read_text())["present"] == {"gamma.default#gamma": "gamma-value"}

    flag.unlink()
    actions = project.actions()
    assert actions["alpha.default#alpha"] == "create"
    assert actions["beta.default#beta"] == "create"
    assert actions["gamma.default#gamma"] == "noop"
    project.run("apply", "plan.json")
    assert sorted(json.loads(world.read_text())["present"]) == [
        "alpha.default#alpha",
        "beta.default#beta",
        "gamma.default#gamma",
    ]
    assert set(project.actions().values()) == {"noop"}


def test_a_second_apply_fails_at_once_naming_the_holder(project: Project) -> None:
    world, flag = project.root / "world.json", project.root / "no-such-flag"
    release = project.root / "release"
    project.write("definitions/world.orch", world_definitions(world, flag, release))
    project.write("score.yaml", WORLD_SCORE)
    project.plan()
    first = project.popen("apply", "plan.json", "--json")
    assert first.stdout is not None
    # The first apply holds the lock and waits inside a driver call until `release` exists.
    assert json.loads(first.stdout.readline())["event"] == "run_started"
    assert json.loads(first.stdout.readline())["event"] == "resource_started"
    # "At once": the second apply fails while the first is still held, so it cannot have
    # waited for the first to finish (a wait would never end: the release file is absent).
    second = project.run("apply", "--env", "dev", "--auto-approve", expect=1)
    assert not release.exists() and first.poll() is None
    assert f"the state is locked: apply by pid {first.pid} on " in second.stderr
    assert "orchc state unlock" in second.stderr
    release.touch()
    first.communicate(timeout=300)
    assert first.returncode == 0
    assert sorted(json.loads(world.read_text())["present"]) == [
        "alpha.default#alpha",
        "beta.default#beta",
        "gamma.default#gamma",
    ]


def test_prevent_destroy_stops_the_plan(project: Project) -> None:
    project.write(
        "definitions/platform.orch",
        static_definitions("cache-v1").replace(
            'inputs { host = "rabbit" }',
            'inputs { host = "rabbit" }\n  policy { prevent_destroy = true }',
        ),
    )
    project.write("score.yaml", SCORE)
    project.run("apply", "--env", "dev", "--auto-approve")
    project.write(
        "score.yaml",
        SCORE.replace("      QUEUE: ${resources.queue.host}\n", "").replace(
            "  queue:\n    type: amqp\n", ""
        ),
    )
    refused = project.run("plan", "--env", "dev", expect=1)
    assert (
        "cannot delete resource 'amqp.default#web.queue': its definition 'queue'" in refused.stderr
    )
    assert "sets prevent_destroy" in refused.stderr


def test_apply_without_plan_needs_auto_approve_without_a_terminal(project: Project) -> None:
    project.write("definitions/platform.orch", static_definitions("cache-v1"))
    project.write("score.yaml", SCORE)
    refused = project.run("apply", "--env", "dev", expect=2)
    assert "pass --auto-approve" in refused.stderr
    missing = project.run("state", "list", "--env", "dev", expect=1)
    assert "no state at" in missing.stderr and "nothing has been applied here yet" in missing.stderr
    assert not (project.root / ".orchc").exists()


def test_a_plan_naming_an_unknown_driver_changes_nothing(project: Project) -> None:
    project.write("definitions/platform.orch", static_definitions("cache-v1"))
    project.write("score.yaml", SCORE)
    plan = project.plan()
    plan["resources"]["redis.default#web.cache"]["driver"] = "no-such-driver"
    plan["plan_digest"] = body_digest(plan)  # as written where that driver is installed
    (project.root / "edited.json").write_text(json.dumps(plan))
    refused = project.run("apply", "edited.json", expect=1)
    assert "unknown driver 'no-such-driver'" in refused.stderr
    assert "Traceback" not in refused.stderr
    project.run("apply", "plan.json")  # not stale: the refused run moved nothing
    assert project.state_uids() == [
        "amqp.default#web.queue",
        "redis.default#web.cache",
        "target.default#target",
        "workload.default#web",
    ]
