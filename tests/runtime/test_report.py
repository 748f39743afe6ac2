"""Reporters: every line passes through the redactor; JSON events are one object per
line; the final report names failures with their definition and the critical path."""

from __future__ import annotations

import io
import json

import pytest

from orchc.compiler.uid import TARGET_UID, ResourceUid
from orchc.runtime.executor import JobResult
from orchc.runtime.jobs import OperationKind
from orchc.runtime.redact import Redactor
from orchc.runtime.report import JobRecord, JsonReporter, LiveReporter, PlainReporter, RunReport

SECRET = "pa55w0rd-very-secret"
A, B = ResourceUid("db", "default", "a"), ResourceUid("app", "default", "b")
CREATE = OperationKind.CREATE


def run(reporter_class: type[PlainReporter | JsonReporter | LiveReporter]) -> str:
    stream = io.StringIO()
    redactor = Redactor()
    redactor.add({"password": SECRET})
    reporter = reporter_class(stream, redactor)
    reporter.started("apply", 2)
    reporter.job_started("create a", A, CREATE)
    failed = JobRecord(
        "create a",
        A,
        CREATE,
        JobResult.FAILED,
        0.0,
        0.5,
        f"login {SECRET} refused",
        "'pg' at d.orch:3",
    )
    reporter.job_finished(failed)
    skipped = JobRecord(
        "create b", B, CREATE, JobResult.SKIPPED, None, None, "create a did not succeed"
    )
    reporter.job_finished(skipped)
    reporter.note(f"note with {SECRET}")
    report = RunReport("apply", [failed, skipped], 0.6, ["create a"], 0.5)
    reporter.finished(report)
    return stream.getvalue()


@pytest.mark.parametrize("reporter_class", [PlainReporter, JsonReporter, LiveReporter])
def test_nothing_printed_contains_a_secret(reporter_class: type[PlainReporter]) -> None:
    output = run(reporter_class)
    assert SECRET not in output
    assert "(sensitive)" in output


@pytest.mark.parametrize("reporter_class", [PlainReporter, LiveReporter])
def test_final_report_names_the_failure_and_the_critical_path(
    reporter_class: type[PlainReporter],
) -> None:
    output = run(reporter_class)
    assert (
        "error: create of db.default#a failed (definition 'pg' at d.orch:3): login (sensitive) refused"
        in output
    )
    assert "critical path: create a (0.50s)" in output
    assert "Apply FAILED: 1 failed, 1 skipped in 0.60s." in output


def test_json_events_are_one_object_per_line_with_timestamps() -> None:
    events = [json.loads(line) for line in run(JsonReporter).splitlines()]
    assert [e["event"] for e in events] == [
        "run_started",
        "resource_started",
        "resource_finished",
        "resource_finished",
        "note",
        "run_finished",
    ]
    assert all("ts" in e and "elapsed" in e for e in events)
    assert events[2]["duration"] == 0.5 and events[2]["result"] == "failed"
    assert events[-1]["ok"] is False and events[-1]["critical_path"] == ["create a"]


@pytest.mark.parametrize("result", [JobResult.OK, JobResult.FAILED])
def test_destroy_says_where_the_target_removed_its_files(result: JobResult) -> None:
    deleted = JobRecord("delete t", TARGET_UID, OperationKind.DELETE, result, 0.0, 0.1)
    report = RunReport("destroy", [deleted], 0.1, target_path="build/shop/dev")
    stream = io.StringIO()
    PlainReporter(stream, Redactor()).finished(report)
    line = "undeployed: removed the files the target wrote under build/shop/dev"
    assert (line in stream.getvalue()) is (result is JobResult.OK)
