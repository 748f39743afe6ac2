"""Plan actions against a state snapshot, with the in-memory store (SPEC §5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchc.compiler import pipeline
from orchc.compiler.plan import Plan
from orchc.compiler.plan_actions import ReadCheck
from orchc.compiler.state import (
    InMemoryState,
    ResourceStatus,
    StateResource,
    StateSnapshot,
    StateWorkload,
)
from orchc.compiler.uid import ResourceUid
from orchc.drivers.registry import default_registry
from orchc.grammar.diagnostics import DiagnosticError

DEFINITIONS = """
environment "dev" { type = "development" }

definition "cache" {
  type   = "redis"
  driver = "static"
  match {}
  inputs { host = "HOST" }
  POLICY
}

definition "app-config" {
  type   = "config"
  driver = "static"
  match {}
  inputs { cache = "${resources.redis#shared.outputs.host}" }
}

definition "compose" {
  type   = "target"
  driver = "compose"
  match {}
  inputs { path = "compose.yaml" }
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
  cache:
    type: redis
    id: shared
  config:
    type: config
    id: shared
"""

CACHE = ResourceUid.parse("redis.default#shared")
CONFIG = ResourceUid.parse("config.default#shared")


def make_plan(
    root: Path,
    snapshot: StateSnapshot,
    host: str = "cache-1",
    policy: str = "",
    replace: frozenset[ResourceUid] = frozenset(),
    read_changed: ReadCheck | None = None,
) -> Plan:
    (root / "defs").mkdir(exist_ok=True)
    (root / "defs" / "all.orch").write_text(
        DEFINITIONS.replace("HOST", host).replace("POLICY", policy)
    )
    (root / "score.yaml").write_text(SCORE)
    sources = pipeline.Sources(
        root=root, definitions=root / "defs", score_files=(root / "score.yaml",)
    )
    drivers = default_registry()
    compilation = pipeline.read(sources, drivers)
    state = InMemoryState({("shop", "dev"): snapshot})
    target = pipeline.Target("shop", "dev")
    return pipeline.plan(compilation, target, state, drivers, replace, read_changed=read_changed)


def snapshot_of(plan: Plan, **changes: dict[str, object]) -> StateSnapshot:
    """The state an apply of `plan` would leave, with per-uid field changes."""
    resources = {}
    for uid, planned in plan.resources.items():
        fields: dict[str, object] = {
            "uid": ResourceUid.parse(uid),
            "definition": planned.definition,
            "driver": planned.driver,
            "source": planned.source,
            "inputs": planned.inputs,
            "inputs_digest": planned.inputs_digest,
            "depends_on": tuple(ResourceUid.parse(d) for d in planned.depends_on),
            "prevent_destroy": planned.policy.prevent_destroy,
        }
        fields.update(changes.get(uid, {}))
        resources[ResourceUid.parse(uid)] = StateResource(**fields)  # type: ignore[arg-type]
    workloads = {n: StateWorkload(n, w.source, w.digest) for n, w in plan.workloads.items()}
    return StateSnapshot(lineage="lineage-1", serial=3, resources=resources, workloads=workloads)


def actions(plan: Plan) -> dict[str, tuple[str, str | None]]:
    found = {uid: (r.action.value, r.reason) for uid, r in plan.resources.items()}
    found.update({f"workload {n}": (w.action.value, w.reason) for n, w in plan.workloads.items()})
    return found


def test_everything_is_created_against_empty_state(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, StateSnapshot())
    assert {a for a, _ in actions(plan).values()} == {"create"}
    assert (plan.state.lineage, plan.state.serial) == (None, 0)
    assert plan.summary.create == 5  # 3 resources, the workload's resource, 1 workload


def test_the_same_inputs_are_a_noop(tmp_path: Path) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    again = make_plan(tmp_path, snapshot_of(first))
    assert {a for a, _ in actions(again).values()} == {"noop"}
    assert (again.state.lineage, again.state.serial) == ("lineage-1", 3)
    assert not again.summary.has_changes


def test_changed_inputs_update_the_resource_and_what_reads_it(tmp_path: Path) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    changed = make_plan(tmp_path, snapshot_of(first), host="cache-2")
    assert actions(changed)[str(CACHE)] == ("update", "inputs changed: host")
    assert actions(changed)[str(CONFIG)] == ("update", f"depends on changed {CACHE}")
    assert actions(changed)["workload web"] == ("update", f"depends on changed {CONFIG}")
    assert actions(changed)["target.default#target"] == ("noop", None)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("definition", "old-cache", "definition changed from 'old-cache'"),
        ("driver", "template", "driver changed from 'template'"),
    ],
)
def test_a_new_definition_or_driver_replaces(
    tmp_path: Path, field: str, value: str, reason: str
) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    plan = make_plan(tmp_path, snapshot_of(first, **{str(CACHE): {field: value}}))
    assert actions(plan)[str(CACHE)] == ("replace", reason)
    assert plan.summary.replace == 1


def test_an_input_the_driver_declares_forces_replacement(tmp_path: Path) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    target = "target.default#target"
    plan = make_plan(tmp_path, snapshot_of(first, **{target: {"inputs": {"path": "old.yaml"}}}))
    assert actions(plan)[target] == ("replace", "changing input path forces replacement")


def test_a_resource_no_longer_in_the_graph_is_deleted(tmp_path: Path) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    snapshot = snapshot_of(first)
    gone = ResourceUid.parse("mysql.default#old")
    orphan = StateResource(gone, "old-db", "static", "defs/old.orch:1", {}, "sha256:x")
    snapshot = StateSnapshot(
        "lineage-1", 3, {**snapshot.resources, gone: orphan}, snapshot.workloads
    )
    plan = make_plan(tmp_path, snapshot)
    assert actions(plan)[str(gone)] == ("delete", "no longer in the graph")
    assert plan.resources[str(gone)].source == "defs/old.orch:1"


def test_an_interrupted_create_is_created_again(tmp_path: Path) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    plan = make_plan(
        tmp_path, snapshot_of(first, **{str(CACHE): {"status": ResourceStatus.CREATING}})
    )
    assert actions(plan)[str(CACHE)] == (
        "create",
        "the last run stopped before this resource finished",
    )


def test_prevent_destroy_refuses_a_replace(tmp_path: Path) -> None:
    policy = "policy { prevent_destroy = true }"
    first = make_plan(tmp_path, StateSnapshot(), policy=policy)
    with pytest.raises(DiagnosticError) as raised:
        make_plan(
            tmp_path, snapshot_of(first, **{str(CACHE): {"definition": "old-cache"}}), policy=policy
        )
    assert raised.value.render() == (
        "defs/all.orch:4:1: error: cannot replace resource 'redis.default#shared': its "
        "definition 'cache' (defs/all.orch:4) sets prevent_destroy\n"
        '  definition "cache" {\n'
        "  ^\n"
        "  reason for the replace: definition changed from 'old-cache'\n"
        "  remove prevent_destroy from the policy first if this is really intended"
    )


def test_prevent_destroy_recorded_in_state_refuses_a_delete(tmp_path: Path) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    gone = ResourceUid.parse("mysql.default#old")
    orphan = StateResource(
        gone, "old-db", "static", "defs/old.orch:1", {}, "sha256:x", prevent_destroy=True
    )
    snapshot = snapshot_of(first)
    snapshot = StateSnapshot("l", 1, {**snapshot.resources, gone: orphan}, snapshot.workloads)
    with pytest.raises(DiagnosticError) as raised:
        make_plan(tmp_path, snapshot)
    assert (
        "cannot delete resource 'mysql.default#old': its definition 'old-db' (defs/old.orch:1)"
        in raised.value.render()
    )


def test_a_removed_workload_is_deleted(tmp_path: Path) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    snapshot = snapshot_of(first)
    workloads = {**snapshot.workloads, "old": StateWorkload("old", "old/score.yaml", "sha256:y")}
    plan = make_plan(tmp_path, StateSnapshot("l", 1, snapshot.resources, workloads))
    assert actions(plan)["workload old"] == ("delete", "no longer in the Score files")


PROTECT = "policy { prevent_destroy = true }"


def test_the_policy_in_force_is_the_definitions_now_when_it_still_exists(tmp_path: Path) -> None:
    """Protection recorded at the last apply, lifted in the definition since: the
    definition wins, so the replace is allowed and the policy change recorded."""
    first = make_plan(tmp_path, StateSnapshot(), policy=PROTECT)
    snapshot = snapshot_of(first)
    assert snapshot.resources[CACHE].prevent_destroy
    assert actions(make_plan(tmp_path, snapshot))[str(CACHE)] == ("update", "policy changed")
    plan = make_plan(tmp_path, snapshot, replace=frozenset({CACHE}))
    assert actions(plan)[str(CACHE)] == ("replace", "replacement requested with --replace")


def test_protection_added_after_the_first_apply_is_recorded_and_enforced(tmp_path: Path) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    protected = make_plan(tmp_path, snapshot_of(first), policy=PROTECT)
    assert actions(protected)[str(CACHE)] == ("update", "policy changed")
    assert protected.resources[str(CACHE)].policy.prevent_destroy
    with pytest.raises(DiagnosticError) as raised:
        make_plan(tmp_path, snapshot_of(first), policy=PROTECT, replace=frozenset({CACHE}))
    assert "cannot replace resource 'redis.default#shared'" in raised.value.render()


def test_a_gone_definition_protects_with_the_policy_recorded(tmp_path: Path) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    snapshot = snapshot_of(first, **{str(CACHE): {"definition": "old", "prevent_destroy": True}})
    with pytest.raises(DiagnosticError) as raised:
        make_plan(tmp_path, snapshot)
    assert "its definition 'old' (defs/all.orch:4) sets prevent_destroy" in raised.value.render()


def test_replace_forces_a_replace_of_an_unchanged_resource(tmp_path: Path) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    plan = make_plan(tmp_path, snapshot_of(first), replace=frozenset({CACHE}))
    assert actions(plan)[str(CACHE)] == ("replace", "replacement requested with --replace")
    assert actions(plan)[str(CONFIG)] == ("update", f"depends on changed {CACHE}")


def test_replace_of_a_resource_not_in_the_plan_is_an_error(tmp_path: Path) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    missing = ResourceUid.parse("redis.default#nope")
    with pytest.raises(DiagnosticError) as raised:
        make_plan(tmp_path, snapshot_of(first), replace=frozenset({missing}))
    assert raised.value.render() == (
        "orchc: error: --replace redis.default#nope: no such resource in this plan (resources: "
        "config.default#shared, redis.default#shared, target.default#target, "
        "workload.default#web)"
    )


def test_create_before_destroy_reaches_the_plan(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, StateSnapshot(), policy="policy { create_before_destroy = true }")
    assert plan.resources[str(CACHE)].policy.create_before_destroy
    assert not plan.resources[str(CONFIG)].policy.create_before_destroy


def test_values_read_from_outside_the_request_update_an_unchanged_resource(
    tmp_path: Path,
) -> None:
    """The runtime answers which values a driver would read differently now
    (runtime/secret_changes.py); the planner asks only about resources it would leave
    alone, and names the keys."""
    asked: list[ResourceUid] = []

    def read_changed(uid: ResourceUid, keys: frozenset[str]) -> list[str]:
        asked.append(uid)
        return ["API_KEY", "HOST"] if uid == CACHE else []

    first = make_plan(tmp_path, StateSnapshot())
    plan = make_plan(tmp_path, snapshot_of(first), read_changed=read_changed)
    reason = "variables changed since the last apply: API_KEY, HOST"
    assert actions(plan)[str(CACHE)] == ("update", reason)
    assert actions(plan)[str(CONFIG)] == ("update", f"depends on changed {CACHE}")
    asked.clear()
    make_plan(tmp_path, snapshot_of(first), host="cache-2", read_changed=read_changed)
    assert CACHE not in asked  # updated anyway: nothing to ask
