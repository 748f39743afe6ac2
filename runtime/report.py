"""Progress and the final report of an apply or destroy.

Three reporters share one small interface: `LiveReporter` (a rich live display on a
terminal: one line per running resource with its elapsed time, and totals),
`PlainReporter` (one line per event, for logs) and `JsonReporter` (one JSON event per
line with timestamps and durations, for CI). Every text passes through the redactor
before it is written, so no reporter can leak a secret.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, Protocol

from orchc.compiler.uid import TARGET_UID, ResourceUid

from .executor import JobResult
from .jobs import OperationKind
from .redact import Redactor


@dataclass(frozen=True)
class JobRecord:
    """The outcome of one job, as the final report shows it."""

    key: str
    uid: ResourceUid
    operation: OperationKind
    result: JobResult
    started: float | None
    duration: float | None
    message: str | None = None
    source: str | None = None


@dataclass
class RunReport:
    operation: str  # "apply" or "destroy"
    jobs: list[JobRecord] = field(default_factory=list)
    wall_time: float = 0.0
    critical_path: list[str] = field(default_factory=list)
    critical_time: float = 0.0
    deployed_files: tuple[str, ...] = ()
    deploy_error: str | None = None  # every problem, one per line
    deployed_workloads: int = 0
    target_path: str | None = None  # where the target writes (its `path` input)

    @property
    def undeployed_from(self) -> str | None:
        """Where a destroy removed the target's files from: its `path`, once the
        target's delete succeeded."""
        target_deleted = any(
            job.uid == TARGET_UID
            and job.operation is OperationKind.DELETE
            and job.result is JobResult.OK
            for job in self.jobs
        )
        return self.target_path if target_deleted else None

    @property
    def failed(self) -> list[JobRecord]:
        return [j for j in self.jobs if j.result is JobResult.FAILED]

    @property
    def ok(self) -> bool:
        return not self.failed and self.deploy_error is None

    def counts(self) -> dict[str, int]:
        """How many jobs ended each way, by the word printed for it."""
        counts: dict[str, int] = {}
        for job in self.jobs:
            counts[job.result.value] = counts.get(job.result.value, 0) + 1
        return counts


class Reporter(Protocol):
    def started(self, operation: str, total: int) -> None: ...

    def job_started(self, key: str, uid: ResourceUid, operation: OperationKind) -> None: ...

    def job_finished(self, record: JobRecord) -> None: ...

    def note(self, message: str) -> None: ...

    def finished(self, report: RunReport) -> None: ...


def _detail(record: JobRecord) -> str:
    """The message of a job that did not simply succeed, to append to its line."""
    return f": {record.message}" if record.message and record.result is not JobResult.OK else ""


def _seconds(value: float | None) -> str:
    return f"{value:.2f}s" if value is not None else "-"


def summary_lines(report: RunReport) -> list[str]:
    """The final report: per-resource durations, failures with their cause, the
    critical path and the totals."""
    lines = []
    for job in sorted(report.jobs, key=lambda j: (j.started is None, j.started or 0, j.key)):
        lines.append(
            f"  {job.result.value:<9} {job.operation.value:<7} {job.uid}  {_seconds(job.duration)}"
        )
    for job in report.failed:
        where = f" (definition {job.source})" if job.source else ""
        lines.append(f"error: {job.operation.value} of {job.uid} failed{where}: {job.message}")
    if report.deploy_error:
        problems = report.deploy_error.splitlines()
        lines.extend(f"error: deploy failed: {problem}" for problem in problems)
        if report.target_path:
            lines.append(f"note: the target writes to {report.target_path}")
    elif report.deployed_workloads or report.deployed_files:
        where = f" to {report.target_path}" if report.target_path else ""
        lines.append(
            f"deployed {report.deployed_workloads} workload(s){where} "
            f"({len(report.deployed_files)} file(s) written)"
        )
    elif report.undeployed_from:
        lines.append(
            f"undeployed: removed the files the target wrote under {report.undeployed_from}"
        )
    if report.critical_path:
        chain = " -> ".join(report.critical_path)
        lines.append(f"critical path: {chain} ({_seconds(report.critical_time)})")
    totals = [f"{n} {result}" for result, n in sorted(report.counts().items())]
    if report.deployed_workloads:
        totals.append(f"{report.deployed_workloads} workload(s) deployed")
    counts = ", ".join(totals) or "nothing to do"
    verdict = "complete" if report.ok else "FAILED"
    lines.append(
        f"{report.operation.capitalize()} {verdict}: {counts} in {_seconds(report.wall_time)}."
    )
    return lines


class PlainReporter:
    def __init__(self, stream: IO[str], redactor: Redactor) -> None:
        self._stream = stream
        self._redactor = redactor
        self._lock = threading.Lock()

    def _write(self, text: str) -> None:
        with self._lock:
            self._stream.write(self._redactor.redact(text) + "\n")
            self._stream.flush()

    def started(self, operation: str, total: int) -> None:
        self._write(f"{operation}: {total} operation(s)")

    def job_started(self, key: str, uid: ResourceUid, operation: OperationKind) -> None:
        self._write(f"  {operation.value} {uid} ...")

    def job_finished(self, record: JobRecord) -> None:
        detail = _detail(record)
        self._write(
            f"  {record.operation.value} {record.uid}: {record.result.value} "
            f"({_seconds(record.duration)}){detail}"
        )

    def note(self, message: str) -> None:
        self._write(message)

    def finished(self, report: RunReport) -> None:
        for line in summary_lines(report):
            self._write(line)


# What `json.dumps(event, sort_keys=True, ensure_ascii=False)` makes, without making
# an encoder for each of the two events of every resource.
_EVENT_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


class JsonReporter:
    """One JSON object per line: {"ts", "event", ...}."""

    def __init__(self, stream: IO[str], redactor: Redactor) -> None:
        self._stream = stream
        self._redactor = redactor
        self._lock = threading.Lock()
        self._clock = time.monotonic()

    def _emit(self, event: str, **fields: Any) -> None:
        record: dict[str, Any] = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "event": event,
        }
        record["elapsed"] = round(time.monotonic() - self._clock, 4)
        record.update(fields)
        text = self._redactor.redact(_EVENT_JSON.encode(record))
        with self._lock:
            self._stream.write(text + "\n")
            self._stream.flush()

    def started(self, operation: str, total: int) -> None:
        self._emit("run_started", operation=operation, total=total)

    def job_started(self, key: str, uid: ResourceUid, operation: OperationKind) -> None:
        self._emit("resource_started", uid=str(uid), operation=operation.value)

    def job_finished(self, record: JobRecord) -> None:
        self._emit(
            "resource_finished",
            uid=str(record.uid),
            operation=record.operation.value,
            result=record.result.value,
            duration=round(record.duration, 4) if record.duration is not None else None,
            message=record.message,
            source=record.source,
        )

    def note(self, message: str) -> None:
        self._emit("note", message=message)

    def finished(self, report: RunReport) -> None:
        self._emit(
            "run_finished",
            operation=report.operation,
            ok=report.ok,
            counts=report.counts(),
            wall_time=round(report.wall_time, 4),
            critical_path=report.critical_path,
            critical_time=round(report.critical_time, 4),
            deployed_files=list(report.deployed_files),
            deploy_error=report.deploy_error,
            deployed_workloads=report.deployed_workloads,
            target_path=report.target_path,
        )


class LiveReporter:
    """A rich live display on stderr; finished lines scroll above it."""

    def __init__(self, stream: IO[str], redactor: Redactor) -> None:
        from rich.console import Console
        from rich.live import Live

        self._console = Console(file=stream, highlight=False)
        self._redactor = redactor
        self._running: dict[str, tuple[str, str, float]] = {}
        self._done = 0
        self._total = 0
        self._lock = threading.Lock()
        self._live = Live(
            console=self._console, refresh_per_second=8, transient=True, get_renderable=self._render
        )

    def _render(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        table = Table.grid(padding=(0, 2))
        now = time.monotonic()
        with self._lock:
            running = sorted(self._running.values(), key=lambda r: r[2])
            summary = f"{self._done}/{self._total} done, {len(running)} running"
        for uid, operation, since in running:
            name = Text(self._redactor.redact(uid))
            table.add_row(
                Text("⠿", style="cyan"), Text(operation), name, Text(f"{now - since:.1f}s")
            )
        table.add_row(Text(""), Text(""), Text(summary, style="bold"), Text(""))
        return table

    def _print(self, text: str) -> None:
        from rich.text import Text

        self._console.print(Text(self._redactor.redact(text)), soft_wrap=True)

    def started(self, operation: str, total: int) -> None:
        self._total = total
        self._live.start()

    def job_started(self, key: str, uid: ResourceUid, operation: OperationKind) -> None:
        with self._lock:
            self._running[key] = (str(uid), operation.value, time.monotonic())

    def job_finished(self, record: JobRecord) -> None:
        with self._lock:
            self._running.pop(record.key, None)
            self._done += 1
        self._live.refresh()  # a printed line redraws the live part as last refreshed
        detail = _detail(record)
        self._print(
            f"  {record.result.value:<9} {record.operation.value} {record.uid} "
            f"({_seconds(record.duration)}){detail}"
        )

    def note(self, message: str) -> None:
        self._live.refresh()
        self._print(message)

    def finished(self, report: RunReport) -> None:
        self._live.stop()
        for line in summary_lines(report):
            self._print(line)
