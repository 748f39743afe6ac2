"""The behaviour every state backend shares, run against real SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from orchc.compiler.state import ResourceStatus, StateResource, StateWorkload
from orchc.compiler.uid import ResourceUid
from orchc.runtime.state import StateSchemaError
from orchc.runtime.state.contract import (
    DeploymentDetails,
    ResourceRecord,
    ResourceTiming,
    RunResult,
    StaleStateError,
)
from orchc.runtime.state.sql import SqlStateStore

DB = ResourceUid.parse("postgres.default#checkout.db")
MakeRecord = Callable[..., ResourceRecord]
MakeResource = Callable[..., StateResource]


def test_an_unknown_environment_has_an_empty_snapshot(store: SqlStateStore) -> None:
    snapshot = store.snapshot("shop", "dev")
    assert (snapshot.lineage, snapshot.serial, snapshot.resources, snapshot.workloads) == (
        None,
        0,
        {},
        {},
    )


def test_the_first_deployment_starts_a_lineage_and_each_one_moves_the_serial(
    store: SqlStateStore,
) -> None:
    first = store.begin_deployment("shop", "dev", "sha256:p1", None, 0)
    lineage = store.snapshot("shop", "dev").lineage
    assert lineage is not None and uuid.UUID(lineage).version == 4
    second = store.begin_deployment("shop", "dev", "sha256:p2", lineage, 1)
    assert second > first
    assert (store.snapshot("shop", "dev").lineage, store.snapshot("shop", "dev").serial) == (
        lineage,
        2,
    )
    assert store.snapshot("shop", "prod").lineage is None  # other environments untouched


def test_a_plan_older_than_the_state_is_stale(store: SqlStateStore) -> None:
    store.begin_deployment("shop", "dev", "sha256:p1", None, 0)
    lineage = store.snapshot("shop", "dev").lineage
    store.begin_deployment("shop", "dev", "sha256:p2", lineage, 1)
    with pytest.raises(StaleStateError) as raised:
        store.begin_deployment("shop", "dev", "sha256:p3", lineage, 1)
    assert str(raised.value) == (
        "the state for shop/dev moved since the plan was made "
        "(plan: serial 1, state: serial 2); run `orchc plan` again"
    )
    assert store.snapshot("shop", "dev").serial == 2  # a refused plan moves nothing
    assert [d["plan_digest"] for d in store.deployments("shop", "dev")] == [
        "sha256:p2",
        "sha256:p1",
    ]


def test_a_plan_made_against_empty_state_is_stale_once_a_lineage_exists(
    store: SqlStateStore,
) -> None:
    store.begin_deployment("shop", "dev", "sha256:p1", None, 0)
    lineage = store.snapshot("shop", "dev").lineage
    with pytest.raises(StaleStateError) as raised:
        store.begin_deployment("shop", "dev", "sha256:p2", None, 0)
    assert str(raised.value) == (
        "the state for shop/dev moved since the plan was made "
        f"(plan: empty state, state: lineage {lineage} at serial 1); run `orchc plan` again"
    )


def test_a_plan_from_another_lineage_is_stale(store: SqlStateStore) -> None:
    store.begin_deployment("shop", "dev", "sha256:p1", None, 0)
    lineage = store.snapshot("shop", "dev").lineage
    other = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(StaleStateError) as raised:
        store.begin_deployment("shop", "dev", "sha256:p2", other, 1)
    assert str(raised.value) == (
        "the state for shop/dev moved since the plan was made "
        f"(plan: lineage {other} at serial 1, state: lineage {lineage} at serial 1); "
        "run `orchc plan` again"
    )


def test_deployments_are_listed_newest_first_with_their_timings(store: SqlStateStore) -> None:
    first = store.begin_deployment("shop", "dev", "sha256:p1", None, 0)
    timings = (
        ResourceTiming(str(DB), "create", "ok", started=0.0, duration=1.5),
        ResourceTiming("target.default#target", "create", "skipped"),
    )
    store.finish_deployment(first, RunResult.FAILED, timings)
    second = store.begin_deployment(
        "shop", "dev", "sha256:p2", store.snapshot("shop", "dev").lineage, 1
    )
    latest, earliest = store.deployments("shop", "dev")
    assert (latest["id"], latest["result"], latest["ended"], latest["timings"]) == (
        second,
        "running",
        None,
        [],
    )
    assert (earliest["id"], earliest["plan_digest"], earliest["result"]) == (
        first,
        "sha256:p1",
        "failed",
    )
    assert earliest["timings"] == [dataclasses.asdict(t) for t in timings]
    assert earliest["ended"] >= earliest["started"]
    assert len(store.deployments("shop", "dev", limit=1)) == 1


def _deploy(store: SqlStateStore, env: str, times: int) -> None:
    for _ in range(times):
        snapshot = store.snapshot("shop", env)
        store.begin_deployment("shop", env, "sha256:p", snapshot.lineage, snapshot.serial)


def test_pruning_keeps_the_newest_deployments_of_one_environment(store: SqlStateStore) -> None:
    _deploy(store, "dev", 5)
    _deploy(store, "prod", 2)
    before = store.snapshot("shop", "dev")

    assert store.prune_deployments("shop", "dev", 2) == 3

    assert [d["serial"] for d in store.deployments("shop", "dev")] == [5, 4]
    assert store.deployment("shop", "dev", 3) is None
    assert store.deployment("shop", "dev", 4) is not None
    assert [d["serial"] for d in store.deployments("shop", "prod")] == [2, 1]  # untouched
    after = store.snapshot("shop", "dev")
    assert (after.lineage, after.serial) == (before.lineage, before.serial)  # plans stay valid
    assert store.prune_deployments("shop", "dev", 2) == 0
    assert store.prune_deployments("shop", "dev", 10) == 0
    assert store.prune_deployments("shop", "staging", 1) == 0  # no history at all
    _deploy(store, "dev", 1)
    assert [d["serial"] for d in store.deployments("shop", "dev")] == [6, 5, 4]


@pytest.mark.parametrize("keep", [0, -1])
def test_pruning_refuses_to_keep_nothing(store: SqlStateStore, keep: int) -> None:
    _deploy(store, "dev", 2)
    with pytest.raises(ValueError, match=f"keep must be at least 1, not {keep}"):
        store.prune_deployments("shop", "dev", keep)
    assert len(store.deployments("shop", "dev")) == 2


def test_a_record_round_trips_with_its_secrets(
    store: SqlStateStore, make_record: MakeRecord
) -> None:
    written = make_record()
    store.put("shop", "dev", written)
    assert store.record("shop", "dev", DB) == written
    assert store.records("shop", "dev") == (written,)
    assert store.snapshot("shop", "dev").resources == {DB: written.resource}
    assert store.record("shop", "prod", DB) is None


def test_the_round_trip_sample_sets_every_field_of_a_record(make_record: MakeRecord) -> None:
    # A field added to ResourceRecord must be added to the sample (and so to the store):
    # a field left at its default would round-trip even if the store dropped it.
    sample, empty = make_record(), ResourceRecord(make_record().resource)
    unset = [
        f.name
        for f in dataclasses.fields(ResourceRecord)
        if getattr(sample, f.name) == getattr(empty, f.name)
    ]
    assert unset == ["resource"]


def test_put_stores_a_finished_resource_as_ready(
    store: SqlStateStore, make_record: MakeRecord, make_resource: MakeResource
) -> None:
    creating = make_resource(status=ResourceStatus.CREATING)
    store.put("shop", "dev", make_record(resource=creating))
    assert store.snapshot("shop", "dev").resources[DB].status is ResourceStatus.READY


def test_mark_records_intent_and_keeps_what_the_driver_returned(
    store: SqlStateStore, make_record: MakeRecord, make_resource: MakeResource
) -> None:
    store.put("shop", "dev", make_record())
    updating = make_resource(
        status=ResourceStatus.CREATING, inputs={"host": "db2"}, inputs_digest="sha256:3333"
    )
    store.mark("shop", "dev", updating)
    kept = store.record("shop", "dev", DB)
    assert kept == dataclasses.replace(make_record(), resource=updating)


def test_mark_of_a_new_resource_has_nothing_from_a_driver_yet(
    store: SqlStateStore, make_resource: MakeResource
) -> None:
    deleting = make_resource(status=ResourceStatus.DELETING, depends_on=())
    store.mark("shop", "dev", deleting)
    assert store.record("shop", "dev", DB) == ResourceRecord(deleting)


def test_driver_state_is_saved_during_a_call(
    store: SqlStateStore, make_record: MakeRecord, make_resource: MakeResource
) -> None:
    store.mark("shop", "dev", make_resource(status=ResourceStatus.CREATING))
    store.save_driver_state("shop", "dev", DB, {"step": 2, "password": "pw"})
    saved = store.record("shop", "dev", DB)
    assert saved is not None and saved.driver_state == {"step": 2, "password": "pw"}
    with pytest.raises(LookupError) as raised:
        store.save_driver_state("shop", "prod", DB, {})
    assert str(raised.value) == (
        "postgres.default#checkout.db is not in the state of shop/prod; mark it first"
    )


def test_remove_forgets_one_resource(store: SqlStateStore, make_record: MakeRecord) -> None:
    store.put("shop", "dev", make_record())
    store.put("shop", "dev", make_record("redis.default#cache"))
    store.remove("shop", "dev", DB)
    assert [str(r.resource.uid) for r in store.records("shop", "dev")] == ["redis.default#cache"]


def test_put_workloads_replaces_the_deployed_set(store: SqlStateStore) -> None:
    checkout = StateWorkload("checkout", "services/checkout/score.yaml", "sha256:c")
    cart = StateWorkload("cart", "services/cart/score.yaml", "sha256:k")
    store.put_workloads("shop", "dev", (checkout, cart))
    assert store.snapshot("shop", "dev").workloads == {"cart": cart, "checkout": checkout}
    store.put_workloads("shop", "dev", (cart,))
    assert store.snapshot("shop", "dev").workloads == {"cart": cart}


def test_a_reopened_store_reads_back_everything(
    open_store: Callable[[], SqlStateStore], make_record: MakeRecord
) -> None:
    first = open_store()
    first.begin_deployment("shop", "dev", "sha256:p1", None, 0)
    first.put("shop", "dev", make_record())
    before = first.snapshot("shop", "dev")
    first.close()
    second = open_store()
    assert second.snapshot("shop", "dev") == before
    assert second.records("shop", "dev") == (make_record(),)


def test_equal_records_are_byte_equal_in_the_store(
    store: SqlStateStore, make_record: MakeRecord, make_resource: MakeResource
) -> None:
    forwards = make_record(outputs={"a": 1, "b": {"x": 1, "y": 2}})
    backwards = make_record(
        "redis.default#cache",
        resource=make_resource(
            "redis.default#cache", inputs={"tags": ["a", "b"], "port": 5432, "host": "127.0.0.1"}
        ),
        outputs={"b": {"y": 2, "x": 1}, "a": 1},
    )
    store.put("shop", "dev", forwards)
    store.put("shop", "dev", backwards)
    with store._transaction(write=False) as tx:
        rows = tx.all("SELECT inputs, outputs, secrets FROM resources ORDER BY uid")
    assert rows[0] == rows[1]
    assert rows[0][1] == '{"a":1,"b":{"x":1,"y":2}}'


def test_a_store_written_by_a_newer_orchc_is_refused(
    open_store: Callable[[], SqlStateStore],
) -> None:
    first = open_store()
    with first._transaction(write=True) as tx:
        tx.run("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StateSchemaError) as raised:
        open_store()
    assert str(raised.value) == (
        f"the state at {first.where} has schema version 99, written by a newer orchc; "
        "this orchc understands up to version 3"
    )


def test_a_committed_result_survives_a_sigkill(
    spawn: Callable[..., Any], open_store: Callable[[], SqlStateStore]
) -> None:
    child = spawn("put-then-die", "50")
    assert child.line() == {"stored": 50}
    assert child.process.wait(timeout=60) == -9
    records = open_store().records("shop", "dev")
    assert len(records) == 50
    assert records[0].secrets == {"password": "pw0"}


def test_what_a_reviewer_compares_with_is_kept(
    store: SqlStateStore, make_record: MakeRecord, make_resource: MakeResource
) -> None:
    sources = {"password": {"literal": None, "value": "${env.PG_PASSWORD}"}}
    resource = make_resource(params={"size": "small"}, secret_sources=sources)
    store.put("shop", "dev", make_record(resource=resource))
    spec = {"containers": {"main": {"image": "web:1.0"}}}
    workload = StateWorkload("web", "web.yaml", "sha256:w", spec, {"db": str(DB)})
    store.put_workloads("shop", "dev", (workload,))
    snapshot = store.snapshot("shop", "dev")
    assert snapshot.resources[DB].params == {"size": "small"}
    assert snapshot.resources[DB].secret_sources == sources
    assert snapshot.workloads["web"] == workload


VERSION_3_DEPLOYMENT_COLUMNS = ("serial", "operation", "actor", "counts", "duration", "applied")


def test_a_version_1_store_is_migrated_and_its_rows_say_not_recorded(
    open_store: Callable[[], SqlStateStore], make_record: MakeRecord
) -> None:
    first = open_store()
    first.put("shop", "dev", make_record())
    first.put_workloads("shop", "dev", (StateWorkload("web", "web.yaml", "sha256:w"),))
    with first._transaction(write=True) as tx:
        for table, column in [
            ("resources", "params"),
            ("resources", "secret_sources"),
            ("workloads", "spec"),
            ("workloads", "bindings"),
            *(("deployments", column) for column in VERSION_3_DEPLOYMENT_COLUMNS),
        ]:
            tx.run(f"ALTER TABLE {table} DROP COLUMN {column}")
        tx.run("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    again = open_store()
    snapshot = again.snapshot("shop", "dev")
    assert (snapshot.resources[DB].params, snapshot.resources[DB].secret_sources) == (None, None)
    assert (snapshot.workloads["web"].spec, snapshot.workloads["web"].resources) == (None, None)
    with again._transaction(write=False) as tx:
        assert tx.one("SELECT value FROM meta WHERE key = 'schema_version'") == ("3",)


def test_a_version_2_store_keeps_its_deployments_and_they_say_not_recorded(
    open_store: Callable[[], SqlStateStore],
) -> None:
    first = open_store()
    first.begin_deployment("shop", "dev", "sha256:p1", None, 0)
    with first._transaction(write=True) as tx:
        for column in VERSION_3_DEPLOYMENT_COLUMNS:
            tx.run(f"ALTER TABLE deployments DROP COLUMN {column}")
        tx.run("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    again = open_store()
    (old,) = again.deployments("shop", "dev")
    assert (old["plan_digest"], old["serial"], old["operation"], old["counts"]) == (
        "sha256:p1",
        None,
        None,
        None,
    )
    lineage = again.snapshot("shop", "dev").lineage
    again.begin_deployment("shop", "dev", "sha256:p2", lineage, 1, DeploymentDetails("apply"))
    new = again.deployment("shop", "dev", 2)
    assert new is not None and (new["serial"], new["operation"]) == (2, "apply")
