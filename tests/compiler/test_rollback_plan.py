"""`rollback_plan`: the actions that put a recorded deployment back over the state now."""

from __future__ import annotations

from typing import Any

import pytest

from orchc.compiler.plan import Action
from orchc.compiler.rollback import RollbackError, rollback_plan
from orchc.compiler.state import ResourceStatus, StateResource, StateSnapshot, StateWorkload
from orchc.compiler.uid import ResourceUid

DB = ResourceUid("postgres", "default", "web.db")
APP = ResourceUid("app", "default", "web.app")
CONTEXT = {"app": "shop", "env": "dev", "env_type": "development"}


def entry(uid: ResourceUid, action: str = "create", **extra: Any) -> dict[str, Any]:
    base = {
        "type": uid.type,
        "class": uid.class_,
        "id": uid.id,
        "guid": f"g-{uid.id}",
        "definition": "pg",
        "source": "platform/db.orch:1",
        "driver": "static",
        "inputs": {"host": "db-1"},
        "inputs_digest": "sha256:1",
        "action": action,
        "reason": "recorded",
        "changes": [{"path": "inputs.host", "after": "db-1"}],
    }
    return {**base, **extra}


def known(uid: ResourceUid, **extra: Any) -> StateResource:
    values: dict[str, Any] = {
        "uid": uid,
        "definition": "pg",
        "driver": "static",
        "source": "platform/db.orch:1",
        "inputs": {"host": "db-1"},
        "inputs_digest": "sha256:1",
    }
    return StateResource(**{**values, **extra})


def applied(*resources: dict[str, Any], workloads: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "context": CONTEXT,
        "resources": {f"{r['type']}.{r['class']}#{r['id']}": r for r in resources},
        "workloads": workloads or {},
    }


def actions(snapshot: StateSnapshot, *resources: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    plan = rollback_plan(applied(*resources), 1, snapshot, lambda driver: frozenset({"size"}))
    return {uid: (r.action.value, r.reason) for uid, r in plan.resources.items()}


@pytest.mark.parametrize(
    ("state", "recorded", "expected"),
    [
        (None, {}, ("create", "not in the state any more")),
        ({}, {}, ("noop", None)),
        (
            {"status": ResourceStatus.CREATING},
            {},
            ("create", "the last run stopped before this resource finished"),
        ),
        ({"driver": "postgres"}, {}, ("replace", "definition or driver was 'pg' (postgres)")),
        (
            {"inputs": {"host": "db-1", "size": "s"}},
            {},
            ("replace", "changing input size forces replacement"),
        ),
        ({"inputs_digest": "sha256:2"}, {}, ("update", "inputs differ from the state")),
        (
            {"prevent_destroy": False},
            {"policy": {"prevent_destroy": True}},
            ("update", "policy differs from the state"),
        ),
    ],
)
def test_each_resource_is_compared_with_the_state(
    state: dict[str, Any] | None, recorded: dict[str, Any], expected: tuple[str, Any]
) -> None:
    resources = {} if state is None else {DB: known(DB, **state)}
    snapshot = StateSnapshot("lineage", 5, resources)
    assert actions(snapshot, entry(DB, **recorded)) == {str(DB): expected}


def test_a_dependency_that_changes_updates_its_dependents_and_deletes_go() -> None:
    gone = ResourceUid("dns", "default", "web.dns")
    snapshot = StateSnapshot(
        "lineage",
        5,
        {DB: known(DB, inputs_digest="sha256:0"), APP: known(APP), gone: known(gone)},
    )
    found = actions(
        snapshot, entry(DB), entry(APP, depends_on=[str(DB)]), entry(gone, action="delete")
    )
    assert found == {
        str(APP): ("update", f"depends on changed {DB}"),
        str(DB): ("update", "inputs differ from the state"),
        str(gone): ("delete", "not in the deployment of serial 1"),
    }


def test_workloads_come_back_and_the_plan_is_made_against_the_state_now() -> None:
    spec = {"containers": {"main": {"image": "web:1"}}}
    recorded = {"source": "web.yaml", "digest": "sha256:w1", "spec": spec, "action": "update"}
    snapshot = StateSnapshot(
        "lineage",
        5,
        workloads={
            "web": StateWorkload(
                "web", "web.yaml", "sha256:w2", {"containers": {"main": {"image": "web:2"}}}, {}
            ),
            "api": StateWorkload("api", "api.yaml", "sha256:a"),
        },
    )
    plan = rollback_plan(applied(workloads={"web": recorded}), 3, snapshot, lambda d: frozenset())
    assert (plan.state.lineage, plan.state.serial) == ("lineage", 5)
    web, api = plan.workloads["web"], plan.workloads["api"]
    assert (web.action, web.spec, api.action) == (Action.UPDATE, spec, Action.DELETE)
    assert web.changes == [
        {"path": "spec.containers.main.image", "before": "web:2", "after": "web:1"}
    ]
    assert (plan.summary.update, plan.summary.delete) == (1, 1)


def test_a_protected_resource_is_never_deleted() -> None:
    snapshot = StateSnapshot("lineage", 5, {DB: known(DB, prevent_destroy=True)})
    with pytest.raises(RollbackError) as raised:
        rollback_plan(applied(), 1, snapshot, lambda d: frozenset())
    assert str(raised.value) == (
        "cannot delete resource 'postgres.default#web.db': its definition 'pg' "
        "(platform/db.orch:1) sets prevent_destroy (remove prevent_destroy first if intended)"
    )


def test_a_history_entry_that_is_not_a_plan_entry_is_a_clear_error() -> None:
    broken = entry(DB)
    del broken["driver"]
    with pytest.raises(RollbackError) as raised:
        rollback_plan(applied(broken), 4, StateSnapshot(), lambda d: frozenset())
    assert str(raised.value) == (
        "the history of serial 4 cannot be read back ('postgres.default#web.db': Field "
        "required); it was written by another orchc version"
    )


@pytest.mark.parametrize(
    ("edit", "named", "problem"),
    [
        (lambda a: a.pop("resources"), "resources", "not a mapping"),
        (lambda a: a.update(workloads=[]), "workloads", "not a mapping"),
        (lambda a: a["resources"].update({"x": [1]}), "x", "not a mapping"),
        (lambda a: a.pop("context"), "context", "Input should be a valid dictionary"),
        (
            lambda a: a.update(context={**CONTEXT, "app": 1}),
            "context",
            "Input should be a valid string",
        ),
    ],
)
def test_an_edited_history_is_a_clear_error_not_a_crash(
    edit: Any, named: str, problem: str
) -> None:
    history = applied(entry(DB))
    edit(history)
    with pytest.raises(RollbackError) as raised:
        rollback_plan(history, 4, StateSnapshot(), lambda d: frozenset())
    assert str(raised.value).startswith(
        f"the history of serial 4 cannot be read back ('{named}': {problem}"
    )
