"""The executor: run jobs along their dependencies, as soon as each is ready.

It knows nothing about drivers or state. A job starts the moment every job it waits
for has succeeded (a ready queue, not level by level), at most `parallelism` at once and
at most `max_parallel` per group; the ready set is taken in key order so runs are
reproducible. A failed job's dependents are skipped, never started; independent
branches run to the end. Work runs on a thread pool; `on_start` and `on_done` run on
the calling thread, which is where a caller persists results. An `inline` job (work
that only computes, such as the static driver's) runs on the calling thread too: a
hop to a worker and back costs more than such work, and its GIL contention slows the
bookkeeping. Every step is linear in the jobs and their dependencies.
"""

from __future__ import annotations

import enum
import heapq
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Job:
    key: str
    after: frozenset[str] = frozenset()
    group: str | None = None
    max_parallel: int | None = None
    payload: Any = None
    inline: bool = False  # run on the calling thread (quick work that never waits)


class JobResult(enum.Enum):
    """How a job ended; the value is the word reports print."""

    OK = "ok"
    UNCHANGED = "unchanged"  # nothing to do: the work found it already done
    FAILED = "failed"
    SKIPPED = "skipped"  # never started: a job it waits for did not succeed

    @property
    def succeeded(self) -> bool:
        return self in (JobResult.OK, JobResult.UNCHANGED)


@dataclass(frozen=True)
class Outcome:
    """How a job ended; times are seconds since the run started, `value` is what the
    work returned for the caller's `on_done`."""

    result: JobResult
    started: float | None = None
    duration: float | None = None
    message: str | None = None
    value: Any = None

    @property
    def succeeded(self) -> bool:
        return self.result.succeeded


class _Progress:
    """The ready queue: per job, how many of the jobs it waits for are unfinished;
    a job enters the (key-ordered) ready heap when that count reaches zero."""

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = {job.key: job for job in jobs}
        self.outcomes: dict[str, Outcome] = {}
        self.running: dict[Future[Outcome], str] = {}
        self.group_load: dict[str, int] = {}
        self.dependents: dict[str, list[str]] = {key: [] for key in self.jobs}
        self.unfinished: dict[str, int] = {}
        for job in jobs:
            unknown = [key for key in job.after if key not in self.jobs]
            if unknown:
                raise ValueError(f"job {job.key} waits for unknown jobs: {sorted(unknown)}")
            self.unfinished[job.key] = len(job.after)
            for before in job.after:
                self.dependents[before].append(job.key)
        self.ready = [key for key, count in self.unfinished.items() if count == 0]
        heapq.heapify(self.ready)

    def group_full(self, job: Job) -> bool:
        return bool(
            job.group and job.max_parallel and self.group_load.get(job.group, 0) >= job.max_parallel
        )

    def succeeded(self, key: str) -> None:
        for dependent in self.dependents[key]:
            self.unfinished[dependent] -= 1
            if self.unfinished[dependent] == 0:
                heapq.heappush(self.ready, dependent)

    def unreachable(self, key: str) -> list[str]:
        """Every job that (transitively) waits for `key`, in key order."""
        found: set[str] = set()
        stack = list(self.dependents[key])
        while stack:
            dependent = stack.pop()
            if dependent not in found and dependent not in self.outcomes:
                found.add(dependent)
                stack.extend(self.dependents[dependent])
        return sorted(found)


Work = Callable[[Job], Outcome]


class Executor:
    def __init__(
        self,
        jobs: list[Job],
        work: Work,
        parallelism: int = 10,
        on_start: Callable[[Job], None] | None = None,
        on_done: Callable[[Job, Outcome], Outcome] | None = None,
        step: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> None:
        """`step` wraps the calling thread's work of one step (the `on_start` calls
        before the submits; then the inline jobs; then the `on_done` calls of the jobs
        that finished together), e.g. to make their state writes one transaction."""
        self._progress = _Progress(jobs)
        self._step = step
        self._work = work
        self._parallelism = max(1, parallelism)
        self._on_start = on_start or (lambda job: None)
        self._on_done = on_done or (lambda job, outcome: outcome)
        self._clock = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self._clock

    def run(self) -> dict[str, Outcome]:
        progress = self._progress
        with ThreadPoolExecutor(max_workers=self._parallelism, thread_name_prefix="orchc") as pool:
            while True:
                ran_inline = self._start_ready(pool)
                if not progress.running and not ran_inline:
                    break
                # After inline work, only collect what has finished: more inline work
                # may be ready, and must not wait for a slow job on a worker.
                timeout = 0 if ran_inline else None
                done, _ = wait(list(progress.running), timeout, FIRST_COMPLETED)
                with self._step():
                    for future in sorted(done, key=lambda f: progress.running[f]):
                        key = progress.running.pop(future)
                        self._finish(progress.jobs[key], future.result())
        for key in sorted(progress.jobs.keys() - progress.outcomes.keys()):
            # Only possible when jobs wait for each other in a cycle.
            progress.outcomes[key] = Outcome(JobResult.SKIPPED, message="waits for itself")
        return progress.outcomes

    def _start_ready(self, pool: ThreadPoolExecutor) -> bool:
        """Start every job that may start now; whether any ran inline. All `on_start`
        calls happen before the first submit: once workers run they compete for the
        GIL, and the last job of a wide level would wait for them. Inline jobs run
        after the submits, so the workers are busy meanwhile."""
        progress = self._progress
        deferred: list[str] = []
        starting: list[Job] = []
        with self._step():
            while progress.ready and len(progress.running) + len(starting) < self._parallelism:
                job = progress.jobs[heapq.heappop(progress.ready)]
                if progress.group_full(job):
                    deferred.append(job.key)
                    continue
                if job.group:
                    progress.group_load[job.group] = progress.group_load.get(job.group, 0) + 1
                self._on_start(job)
                starting.append(job)
        for job in starting:
            if not job.inline:
                progress.running[pool.submit(self._timed, job)] = job.key
        for key in deferred:
            heapq.heappush(progress.ready, key)
        inline = [job for job in starting if job.inline]
        with self._step():
            for job in inline:
                self._finish(job, self._timed(job))
        return bool(inline)

    def _timed(self, job: Job) -> Outcome:
        started = self.elapsed()
        try:
            outcome = self._work(job)
        except Exception as error:  # a bug in one job must not stop the others
            outcome = Outcome(JobResult.FAILED, message=f"{type(error).__name__}: {error}")
        duration = self.elapsed() - started
        # Not `dataclasses.replace`, which looks up the fields again for every job.
        return Outcome(outcome.result, started, duration, outcome.message, outcome.value)

    def _finish(self, job: Job, outcome: Outcome) -> None:
        progress = self._progress
        if job.group:
            progress.group_load[job.group] -= 1
        outcome = self._on_done(job, outcome)
        progress.outcomes[job.key] = outcome
        if outcome.succeeded:
            progress.succeeded(job.key)
            return
        for dependent in progress.unreachable(job.key):
            skipped = Outcome(JobResult.SKIPPED, message=f"{job.key} did not succeed")
            progress.outcomes[dependent] = self._on_done(progress.jobs[dependent], skipped)


def critical_path(jobs: list[Job], outcomes: dict[str, Outcome]) -> tuple[list[str], float]:
    """The chain of jobs, each waiting for the previous, with the largest total
    duration: the lower bound of the run's wall time. Ties go to the smallest key.
    Jobs in a dependency cycle (never run) are left out.

    >>> times = {"a": 1.0, "b": 2.0, "c": 0.5}
    >>> done = {key: Outcome(JobResult.OK, duration=d) for key, d in times.items()}
    >>> critical_path([Job("a"), Job("b"), Job("c", frozenset({"a", "b"}))], done)
    (['b', 'c'], 2.5)
    """
    by_key = {job.key: job for job in jobs}
    # Per job: the longest total ending with it, and the job before it on that chain.
    longest: dict[str, tuple[float, str | None]] = {}
    for key in _dependencies_first(by_key):
        outcome = outcomes.get(key)
        own = (outcome.duration if outcome else None) or 0.0
        after = sorted(by_key[key].after)
        before = max(after, key=lambda k: longest[k][0], default=None)
        longest[key] = ((longest[before][0] if before else 0.0) + own, before)
    last = max(sorted(longest), key=lambda k: longest[k][0], default=None)
    path: list[str] = []
    step = last
    while step is not None:
        path.append(step)
        step = longest[step][1]
    return path[::-1], longest[last][0] if last else 0.0


def _dependencies_first(by_key: dict[str, Job]) -> list[str]:
    """The jobs in an order where each comes after every job it waits for (Kahn)."""
    waiting = {key: len(job.after) for key, job in by_key.items()}
    dependents: dict[str, list[str]] = {key: [] for key in by_key}
    for job in by_key.values():
        for before in job.after:
            dependents[before].append(job.key)
    order = [key for key, count in waiting.items() if count == 0]
    for key in order:  # grows while it is read
        for dependent in dependents[key]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                order.append(dependent)
    return order
