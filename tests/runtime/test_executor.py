"""The executor: a ready queue over jobs, failure isolation, limits."""

from __future__ import annotations

import itertools
import threading
import time

from orchc.runtime.executor import Executor, Job, JobResult, Outcome, critical_path


def job(key: str, *after: str, group: str | None = None, limit: int | None = None) -> Job:
    return Job(key, frozenset(after), group=group, max_parallel=limit)


def test_dependencies_run_first_and_failures_skip_only_dependents() -> None:
    jobs = [job("a"), job("b", "a"), job("c", "a"), job("d", "b", "c"), job("e")]
    finished: list[str] = []

    def work(j: Job) -> Outcome:
        finished.append(j.key)
        return Outcome(JobResult.FAILED, message="boom") if j.key == "b" else Outcome(JobResult.OK)

    outcomes = Executor(jobs, work, parallelism=1).run()
    assert {k: o.result for k, o in outcomes.items()} == {
        "a": JobResult.OK,
        "b": JobResult.FAILED,
        "c": JobResult.OK,
        "d": JobResult.SKIPPED,
        "e": JobResult.OK,
    }
    assert outcomes["d"].message == "b did not succeed"
    assert "d" not in finished
    assert finished.index("a") < finished.index("b")


def test_a_job_starts_as_soon_as_its_own_dependencies_are_done() -> None:
    """Not level by level: `fast-child` must not wait for the slow sibling. `slow` runs
    until `fast-child` has started (or a generous hang guard expires), so no timing
    decides the outcome."""
    child_started = threading.Event()

    def work(j: Job) -> Outcome:
        if j.key == "fast-child":
            child_started.set()
        if j.key == "slow":
            ok = child_started.wait(timeout=120)
            return Outcome(JobResult.OK if ok else JobResult.FAILED)
        return Outcome(JobResult.OK)

    jobs = [job("slow"), job("fast"), job("fast-child", "fast")]
    outcomes = Executor(jobs, work, parallelism=4).run()
    assert outcomes["slow"].result is JobResult.OK  # fast-child started while slow ran


def test_parallelism_and_group_limits_are_respected() -> None:
    running = 0
    peak = {"all": 0, "db": 0}
    in_group = 0
    lock = threading.Lock()

    def work(j: Job) -> Outcome:
        nonlocal running, in_group
        with lock:
            running += 1
            in_group += j.group == "db"
            peak["all"] = max(peak["all"], running)
            peak["db"] = max(peak["db"], in_group)
        time.sleep(0.02)
        with lock:
            running -= 1
            in_group -= j.group == "db"
        return Outcome(JobResult.OK)

    jobs = [job(f"db{i}", group="db", limit=2) for i in range(6)] + [job(f"x{i}") for i in range(6)]
    outcomes = Executor(jobs, work, parallelism=3).run()
    assert all(o.result is JobResult.OK for o in outcomes.values())
    assert peak["all"] <= 3
    assert peak["db"] <= 2


def test_an_exception_in_a_job_is_a_failure_not_a_crash() -> None:
    def work(j: Job) -> Outcome:
        raise RuntimeError("driver bug")

    outcomes = Executor([job("a"), job("b", "a")], work).run()
    assert outcomes["a"].result is JobResult.FAILED
    assert outcomes["a"].message == "RuntimeError: driver bug"
    assert outcomes["b"].result is JobResult.SKIPPED


def test_on_done_sees_every_outcome_on_the_calling_thread() -> None:
    seen: list[tuple[str, str, bool]] = []
    caller = threading.get_ident()

    def on_done(j: Job, outcome: Outcome) -> Outcome:
        seen.append((j.key, outcome.result.value, threading.get_ident() == caller))
        return outcome

    Executor([job("a"), job("b", "a")], lambda j: Outcome(JobResult.FAILED), on_done=on_done).run()
    assert sorted(seen) == [("a", "failed", True), ("b", "skipped", True)]


def test_critical_path_is_the_longest_chain() -> None:
    jobs = [job("a"), job("b", "a"), job("c")]
    outcomes = {
        "a": Outcome(JobResult.OK, 0.0, 1.0),
        "b": Outcome(JobResult.OK, 1.0, 2.0),
        "c": Outcome(JobResult.OK, 0.0, 2.5),
    }
    assert critical_path(jobs, outcomes) == (["a", "b"], 3.0)


def test_inline_jobs_run_on_the_calling_thread_and_the_others_on_workers() -> None:
    caller = threading.get_ident()
    threads: dict[str, bool] = {}

    def work(j: Job) -> Outcome:
        threads[j.key] = threading.get_ident() == caller
        return Outcome(JobResult.FAILED if j.key == "b" else JobResult.OK)

    jobs = [
        Job("a", inline=True),
        Job("b", frozenset({"a"}), inline=True),
        Job("c", frozenset({"b"})),
        Job("d", frozenset({"a"})),
        Job("e", frozenset({"d"}), inline=True),
    ]
    outcomes = Executor(jobs, work, parallelism=2).run()
    assert {k: o.result.value for k, o in outcomes.items()} == {
        "a": "ok",
        "b": "failed",
        "c": "skipped",
        "d": "ok",
        "e": "ok",
    }
    assert threads == {"a": True, "b": True, "d": False, "e": True}


def test_a_long_chain_runs_and_is_the_critical_path() -> None:
    """Nothing recurses along a chain, so its length is not bounded by the stack."""
    keys = [f"j{i:05d}" for i in range(5000, 0, -1)]  # the last job sorts first
    jobs = [Job(keys[0], inline=True)]
    chain = itertools.pairwise(keys)
    jobs += [Job(key, frozenset({before}), inline=True) for before, key in chain]
    outcomes = Executor(jobs, lambda j: Outcome(JobResult.OK), parallelism=4).run()
    assert all(o.result is JobResult.OK for o in outcomes.values())
    path, _ = critical_path(jobs, outcomes)
    assert path == keys
