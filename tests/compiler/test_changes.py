"""Value-level changes (SPEC §10): paths, before/after, secrets, and the `changes` a
plan carries for an update against a state snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, PrivateAttr
from test_plan_actions import CACHE, make_plan, snapshot_of

from orchc.compiler.changes import ABSENT, Change, secret_changes, value_changes
from orchc.compiler.plan import load_plan, trusted
from orchc.compiler.state import StateSnapshot, StateWorkload


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({"a": 1}, {"a": 1}, []),
        ({"a": 1}, {"a": 2}, [{"path": "x.a", "before": 1, "after": 2}]),
        ({}, {"a": 1}, [{"path": "x.a", "after": 1}]),
        ({"a": 1}, {}, [{"path": "x.a", "before": 1}]),
        ({"a": {"b": "c"}}, {"a": {"b": "d"}}, [{"path": "x.a.b", "before": "c", "after": "d"}]),
        ({"t": [1, 2]}, {"t": [1, 3]}, [{"path": "x.t[1]", "before": 2, "after": 3}]),
        ({"t": [1]}, {"t": [1, 2]}, [{"path": "x.t", "before": [1], "after": [1, 2]}]),
        ({"a.b": 1}, {"a.b": 2}, [{"path": 'x["a.b"]', "before": 1, "after": 2}]),
        ({"a": 1}, {"a": True}, [{"path": "x.a", "before": 1, "after": True}]),
        ({"a": None}, {"a": "v"}, [{"path": "x.a", "before": None, "after": "v"}]),
    ],
)
def test_value_changes(before: Any, after: Any, expected: list[dict[str, Any]]) -> None:
    assert [c.to_json() for c in value_changes(before, after, "x")] == expected


def test_changes_are_sorted_by_path() -> None:
    paths = [c.path for c in value_changes({"b": 1, "a": 1}, {"b": 2, "a": 2, "c": 0}, "i")]
    assert paths == ["i.a", "i.b", "i.c"]


def test_a_change_reads_back_from_json() -> None:
    for change in (Change("p", 1, 2), Change("p", after=2), Change("p", before=1)):
        assert Change.from_json(change.to_json()) == change
    assert Change.from_json({"path": "p", "after": 1}).before is ABSENT


def test_secrets_change_as_sensitive_on_both_sides_never_as_values() -> None:
    before = {"password": {"value": "${env.OLD}"}, "gone": {"literal": "gone"}}
    after = {"password": {"value": "${env.NEW}"}, "token": {"literal": "token"}}
    found = [c.to_json() for c in secret_changes(before, after)]
    assert found == [
        {"path": "secrets.gone", "before": "(sensitive)"},
        {"path": "secrets.password", "before": "(sensitive)", "after": "(sensitive)"},
        {"path": "secrets.token", "after": "(sensitive)"},
    ]
    assert secret_changes(None, after) == []


def test_an_update_carries_its_changes_in_the_plan(tmp_path: Path) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    changed = make_plan(tmp_path, snapshot_of(first), host="cache-2")
    cache = changed.resources[str(CACHE)]
    assert cache.changes == [{"path": "inputs.host", "before": "cache-1", "after": "cache-2"}]
    text = changed.to_json()
    assert '"changes"' in text and load_plan(text, "p.json") == changed
    unchanged = changed.resources["target.default#target"]
    assert unchanged.changes == []
    assert text.count('"changes"') == 1  # an empty list is not written


def test_a_replace_names_the_old_and_new_definition(tmp_path: Path) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    snapshot = snapshot_of(first, **{str(CACHE): {"definition": "old-cache"}})
    replaced = make_plan(tmp_path, snapshot).resources[str(CACHE)]
    assert replaced.action.value == "replace"
    assert replaced.changes == [{"path": "definition", "before": "old-cache", "after": "cache"}]


def test_a_changed_workload_lists_its_spec_changes(tmp_path: Path) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    snapshot = snapshot_of(first)
    web = first.workloads["web"]
    old_spec = {**web.spec, "containers": {"main": {"image": "nginx:1.0"}}}
    workloads = {"web": StateWorkload("web", web.source, "sha256:old", old_spec, web.resources)}
    snapshot = StateSnapshot(snapshot.lineage, snapshot.serial, snapshot.resources, workloads)
    changed = make_plan(tmp_path, snapshot).workloads["web"]
    assert changed.action.value == "update"
    assert changed.changes == [
        {"path": "spec.containers.main.image", "before": "nginx:1.0", "after": "nginx"}
    ]


def test_params_and_secret_sources_compare_when_the_state_recorded_them(tmp_path: Path) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    recorded = {"params": {"size": "small"}, "secret_sources": {"token": {"literal": "token"}}}
    snapshot = snapshot_of(first, **{str(CACHE): {**recorded, "inputs_digest": "sha256:old"}})
    cache = make_plan(tmp_path, snapshot).resources[str(CACHE)]
    assert cache.changes == [
        {"path": "params.size", "before": "small"},
        {"path": "secrets.token", "before": "(sensitive)"},
    ]


def test_an_assembled_plan_is_the_plan_its_file_validates_to(tmp_path: Path) -> None:
    # assemble_plan builds resources and workloads with `plan.trusted` (no validation):
    # the same values, in the same field order, as validating the file gives.
    first = make_plan(tmp_path, StateSnapshot())
    changed = make_plan(tmp_path, snapshot_of(first), host="cache-2")
    for plan in (first, changed):
        again = load_plan(plan.to_json(), "p.json")
        assert again == plan and plan.workloads and plan.resources
        for group, read in ((plan.resources, again.resources), (plan.workloads, again.workloads)):
            for key, item in group.items():
                assert list(item.__dict__) == list(read[key].__dict__)
                assert item.model_dump(mode="json") == read[key].model_dump(mode="json")


class _WithPrivate(BaseModel):
    name: str
    _seen: int = PrivateAttr(default=0)


class _WithPostInit(BaseModel):
    name: str

    def model_post_init(self, context: object) -> None:
        pass


class _WithExtra(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str


@pytest.mark.parametrize("model", [_WithPrivate, _WithPostInit, _WithExtra])
def test_trusted_refuses_a_model_whose_construction_does_more_than_set_fields(
    model: type[BaseModel],
) -> None:
    # model_construct would set up the private attributes, run model_post_init or keep
    # the extra fields; `trusted` would leave the instance half made.
    with pytest.raises(TypeError, match="not a plain model"):
        trusted(model, name="x")
    assert model.model_construct(name="x").name == "x"
