"""The apply path in-process: plan -> jobs -> operations -> drivers -> state, with a
real SQLite store and drivers registered from a mapping (no subprocess, no plugins).

The `fake` driver records every call; it can fail a resource a number of times, and it
can look at the state store during a call (to check the intent is recorded first)."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pytest

from orchc.compiler import pipeline
from orchc.compiler.plan import Plan
from orchc.compiler.state import ResourceStatus
from orchc.compiler.uid import ResourceUid
from orchc.drivers.protocol import DriverError, DriverRequest, DriverResult, Journal
from orchc.drivers.registry import DriverRegistry
from orchc.drivers.targets.compose import ComposeTarget
from orchc.runtime.apply import ApplyOptions, Runtime, apply_plan, destroy
from orchc.runtime.executor import JobResult
from orchc.runtime.jobs import OperationKind
from orchc.runtime.preflight import PreflightError
from orchc.runtime.redact import Redactor
from orchc.runtime.report import PlainReporter, RunReport
from orchc.runtime.state import open_state
from orchc.runtime.state.contract import StateStore

NETWORK = ResourceUid("network", "default", "shared")
DB = ResourceUid("postgres", "default", "web.db")

DEFINITIONS = """
environment "dev" { type = "development" }

definition "compose" {
  type   = "target"
  driver = "compose"
  match {}
  inputs { path = "out/compose.yaml" }
}

definition "network" {
  type   = "network"
  driver = "fake"
  match {}
  inputs { cidr = "CIDR" }
  policy { retries = RETRIES }
  SECRETS
}

definition "db" {
  type   = "postgres"
  driver = "fake"
  match {}
  inputs {
    engine  = "ENGINE"
    network = "${resources.network#shared.outputs.name}"
  }
}
"""

SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx
    variables:
      NETWORK: ${resources.db.network}
resources:
  db:
    type: postgres
"""


@dataclass
class FakeDriver:
    """Outputs its inputs plus a `name` that depends only on the resource's id."""

    replace_inputs: ClassVar[frozenset[str]] = frozenset({"engine"})
    calls: list[tuple[str, str]] = field(default_factory=list)
    requests: list[DriverRequest] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)  # uid -> failures left
    during_call: Callable[[DriverRequest], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult:
        self._called(request)
        journal.save_state({"made": request.uid})
        with self.lock:
            if self.failures.get(request.uid, 0) > 0:
                self.failures[request.uid] -= 1
                raise DriverError(f"{request.id} refused")
        outputs = {"name": f"net-{request.id}", **request.inputs}
        return DriverResult(outputs=outputs, state={"made": request.uid})

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        self._called(request)

    def _called(self, request: DriverRequest) -> None:
        with self.lock:
            self.calls.append((request.action, request.uid))
            self.requests.append(request)
        if self.during_call is not None:
            self.during_call(request)

    def reset(self) -> None:
        self.calls.clear()
        self.requests.clear()

    def order(self, action: str) -> list[str]:
        return [uid for done, uid in self.calls if done == action]


@dataclass
class World:
    root: Path
    store: StateStore
    driver: FakeDriver
    drivers: DriverRegistry

    def define(
        self, cidr: str = "10.0.0.0/16", engine: str = "16", retries: int = 0, secrets: str = ""
    ) -> None:
        text = DEFINITIONS.replace("CIDR", cidr).replace("ENGINE", engine)
        text = text.replace("RETRIES", str(retries)).replace("SECRETS", secrets)
        (self.root / "definitions" / "platform.orch").write_text(text, encoding="utf-8")

    def plan(self) -> Plan:
        sources = pipeline.Sources(
            self.root, self.root / "definitions", (self.root / "score.yaml",), use_defaults=False
        )
        compilation = pipeline.read(sources, self.drivers)
        return pipeline.plan(compilation, pipeline.Target("shop", "dev"), self.store, self.drivers)

    def runtime(self) -> Runtime:
        redactor = Redactor()
        reporter = PlainReporter(io.StringIO(), redactor)
        options = ApplyOptions(parallelism=4, retry_backoff=0.0)
        return Runtime(self.store, self.drivers, self.root, reporter, redactor, options)

    def apply(self) -> RunReport:
        return apply_plan(self.plan(), self.runtime())

    def status(self, uid: ResourceUid) -> ResourceStatus | None:
        record = self.store.record("shop", "dev", uid)
        return None if record is None else record.resource.status


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    (tmp_path / "definitions").mkdir()
    (tmp_path / "score.yaml").write_text(SCORE.lstrip(), encoding="utf-8")
    store = open_state("sqlite:///.orchc/state.db", tmp_path)
    driver = FakeDriver()
    drivers = DriverRegistry.from_mapping({"fake": driver, "compose": ComposeTarget})
    made = World(tmp_path, store, driver, drivers)
    made.define()
    yield made
    store.close()


def results(report: RunReport) -> dict[tuple[OperationKind, str], JobResult]:
    return {(job.operation, str(job.uid)): job.result for job in report.jobs}


def test_creates_run_in_dependency_order_and_fill_outputs_in(world: World) -> None:
    report = world.apply()
    assert report.ok, report.jobs
    assert world.driver.order("create") == [str(NETWORK), str(DB)]
    db_request = world.driver.requests[-1]
    assert db_request.inputs == {"engine": "16", "network": "net-shared"}
    assert world.status(NETWORK) is world.status(DB) is ResourceStatus.READY
    record = world.store.record("shop", "dev", DB)
    assert record is not None and record.driver_state == {"made": str(DB)}
    assert "NETWORK: net-shared" in (world.root / "out" / "compose.yaml").read_text()


def test_an_update_whose_filled_inputs_are_unchanged_calls_no_driver(world: World) -> None:
    assert world.apply().ok
    world.driver.reset()
    world.define(cidr="10.1.0.0/16")  # the network changes; its `name` output does not
    report = world.apply()
    assert results(report)[(OperationKind.UPDATE, str(NETWORK))] is JobResult.OK
    assert results(report)[(OperationKind.UPDATE, str(DB))] is JobResult.UNCHANGED
    assert world.driver.calls == [("create", str(NETWORK))]


def test_a_failure_skips_its_dependents_and_records_no_result(world: World) -> None:
    world.driver.failures[str(NETWORK)] = 1
    report = world.apply()
    assert not report.ok
    assert results(report)[(OperationKind.CREATE, str(NETWORK))] is JobResult.FAILED
    assert results(report)[(OperationKind.CREATE, str(DB))] is JobResult.SKIPPED
    assert [job.message for job in report.failed] == ["shared refused"]
    assert world.driver.order("create") == [str(NETWORK)]
    assert world.status(NETWORK) is ResourceStatus.CREATING  # the intent, for the next plan
    assert world.status(DB) is None
    assert not (world.root / "out" / "compose.yaml").exists()  # no deploy after a failure


def test_retries_call_the_driver_again_until_it_succeeds(world: World) -> None:
    world.define(retries=2)
    world.driver.failures[str(NETWORK)] = 2
    report = world.apply()
    assert report.ok
    assert world.driver.order("create").count(str(NETWORK)) == 3


def test_retries_run_out_and_say_how_many_attempts(world: World) -> None:
    world.define(retries=1)
    world.driver.failures[str(NETWORK)] = 5
    report = world.apply()
    assert [job.message for job in report.failed] == ["shared refused (after 2 attempts)"]


def test_destroy_deletes_the_target_first_then_dependents_before_dependencies(
    world: World,
) -> None:
    assert world.apply().ok
    world.driver.reset()
    report = destroy("shop", "dev", world.runtime())
    assert report.ok
    assert world.driver.order("delete") == [str(DB), str(NETWORK)]
    assert world.store.records("shop", "dev") == ()
    delete_request = world.driver.requests[0]
    assert delete_request.inputs == {"engine": "16", "network": "net-shared"}  # as last sent


def test_a_replace_deletes_then_creates_afresh(world: World) -> None:
    assert world.apply().ok
    world.driver.reset()
    world.define(engine="17")  # `engine` is a replace input of the fake driver
    report = world.apply()
    assert report.ok
    assert world.driver.calls == [("delete", str(DB)), ("create", str(DB))]
    delete, create = world.driver.requests
    assert delete.inputs["engine"] == "16" and create.inputs["engine"] == "17"
    assert create.state == {}  # a replacement does not inherit the old driver state


def test_the_intent_is_recorded_before_the_driver_is_called(world: World) -> None:
    seen: dict[tuple[str, str], ResourceStatus | None] = {}

    def look(request: DriverRequest) -> None:
        # The driver runs on a worker thread: read through a store of its own.
        other = open_state("sqlite:///.orchc/state.db", world.root)
        try:
            record = other.record("shop", "dev", ResourceUid.parse(request.uid))
        finally:
            other.close()
        seen[(request.action, request.uid)] = record.resource.status if record else None

    world.driver.during_call = look
    assert world.apply().ok
    assert destroy("shop", "dev", world.runtime()).ok
    assert seen == {
        ("create", str(NETWORK)): ResourceStatus.CREATING,
        ("create", str(DB)): ResourceStatus.CREATING,
        ("delete", str(DB)): ResourceStatus.DELETING,
        ("delete", str(NETWORK)): ResourceStatus.DELETING,
    }


def test_a_literal_secret_is_read_again_from_the_definition(world: World) -> None:
    world.define(secrets='secrets { password = "lit-${context.env.id}-1" }')
    plan = world.plan()
    assert "lit-" not in plan.model_dump_json()
    assert apply_plan(plan, world.runtime()).ok
    network_request = world.driver.requests[0]
    assert network_request.secrets == {"password": "lit-dev-1"}


def test_a_literal_secret_whose_definition_changed_stops_apply_before_any_call(
    world: World,
) -> None:
    world.define(secrets='secrets { password = "lit-1" }')
    plan = world.plan()
    world.define()  # the secret is gone from the file before apply reads it
    with pytest.raises(PreflightError) as raised:
        apply_plan(plan, world.runtime())
    assert str(raised.value) == (
        "cannot apply this plan; nothing was changed:\n"
        "  definition 'network' in definitions/platform.orch changed since the plan was made; "
        "run `orchc plan` again"
    )
    assert world.driver.calls == []
    assert world.store.records("shop", "dev") == ()
