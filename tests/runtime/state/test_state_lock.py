"""The (app, env) lock, across real processes, on every backend."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from written_files import wait_for_text

from orchc.run_processes import stat_fields
from orchc.runtime.state.contract import LockedError, LockHolder
from orchc.runtime.state.sql import SqlStateStore

Spawn = Callable[..., Any]


def test_acquire_names_this_process_and_release_frees_the_lock(store: SqlStateStore) -> None:
    holder = store.acquire_lock("shop", "dev", "apply")
    assert (holder.host, holder.pid, holder.operation) == (
        socket.gethostname(),
        os.getpid(),
        "apply",
    )
    store.release_lock("shop", "dev")
    assert store.acquire_lock("shop", "dev", "destroy").operation == "destroy"


def test_the_lock_is_per_app_and_env(store: SqlStateStore) -> None:
    store.acquire_lock("shop", "dev", "apply")
    store.acquire_lock("shop", "prod", "apply")
    store.acquire_lock("blog", "dev", "apply")


def test_a_live_holder_in_this_process_keeps_the_lock(
    open_store: Callable[[], SqlStateStore],
) -> None:
    first, second = open_store(), open_store()
    holder = first.acquire_lock("shop", "dev", "apply")
    with pytest.raises(LockedError) as raised:
        second.acquire_lock("shop", "dev", "destroy")
    assert raised.value.holder == holder


def test_the_holder_takes_its_lock_again_nested(open_store: Callable[[], SqlStateStore]) -> None:
    """`apply --env` locks before it plans, then `apply_plan` locks again: the inner
    release must not free the lock the outer one still holds."""
    first, second = open_store(), open_store()
    holder = first.acquire_lock("shop", "dev", "apply")
    assert first.acquire_lock("shop", "dev", "apply") == holder
    first.release_lock("shop", "dev")
    with pytest.raises(LockedError):
        second.acquire_lock("shop", "dev", "apply")
    first.release_lock("shop", "dev")
    assert second.acquire_lock("shop", "dev", "apply").operation == "apply"


def test_a_waiting_store_takes_the_lock_once_it_is_released(
    open_store: Callable[[], SqlStateStore],
) -> None:
    first, second = open_store(), open_store()
    holder = first.acquire_lock("shop", "dev", "apply")
    waiting_for: list[LockHolder] = []
    announced = threading.Event()

    def notify(held: LockHolder) -> None:
        waiting_for.append(held)
        announced.set()

    second.wait_for_lock(600, notify)
    taken: list[LockHolder] = []
    waiter = threading.Thread(
        target=lambda: taken.append(second.acquire_lock("shop", "dev", "destroy"))
    )
    waiter.start()
    assert announced.wait(60)
    assert not taken  # still waiting: the lock is held
    first.release_lock("shop", "dev")
    waiter.join(60)
    assert waiting_for == [holder]
    assert [t.operation for t in taken] == ["destroy"]
    with pytest.raises(LockedError):
        first.acquire_lock("shop", "dev", "apply")


def test_a_wait_that_times_out_is_refused_naming_the_holder(
    open_store: Callable[[], SqlStateStore],
) -> None:
    first, second = open_store(), open_store()
    holder = first.acquire_lock("shop", "dev", "apply")
    notified: list[LockHolder] = []
    second.wait_for_lock(0.3, notified.append)
    with pytest.raises(LockedError) as raised:
        second.acquire_lock("shop", "dev", "apply")
    assert raised.value.holder == holder
    assert raised.value.waited > 0
    assert notified == [holder]


def test_a_second_process_is_refused_with_the_holder_named(
    spawn: Spawn, store: SqlStateStore
) -> None:
    child = spawn("hold", "apply")
    holder = LockHolder(**child.line())
    assert (holder.host, holder.pid) == (socket.gethostname(), child.process.pid)
    with pytest.raises(LockedError) as raised:
        store.acquire_lock("shop", "dev", "apply")
    assert str(raised.value) == (
        f"state is locked: apply by pid {child.process.pid} on {socket.gethostname()} "
        f"since {holder.since}"
    )
    assert raised.value.holder == holder
    assert child.finish() == 0


def test_release_leaves_another_process_lock_alone(spawn: Spawn, store: SqlStateStore) -> None:
    child = spawn("hold", "apply")
    holder = LockHolder(**child.line())
    store.release_lock("shop", "dev")
    with pytest.raises(LockedError) as raised:
        store.acquire_lock("shop", "dev", "apply")
    assert raised.value.holder == holder
    child.finish()


@pytest.mark.parametrize("reaped", [True, False], ids=["reaped", "zombie"])
def test_the_lock_of_a_killed_holder_is_taken_over(
    spawn: Spawn, store: SqlStateStore, reaped: bool
) -> None:
    child = spawn("hold", "apply")
    child.line()
    os.kill(child.process.pid, signal.SIGKILL)
    if reaped:
        child.process.wait(timeout=60)
    else:  # killed but not yet waited for: the pid still exists, as a zombie
        _wait_until_zombie(child.process.pid)
    holder = store.acquire_lock("shop", "dev", "apply")
    assert holder.pid == os.getpid()


def test_a_lock_whose_pid_was_reused_is_taken_over(store: SqlStateStore) -> None:
    # Our own pid, but a process token from another process start: the holder is gone.
    with store._transaction(write=True) as tx:
        tx.run(
            "INSERT INTO locks (app, env, host, pid, process, since, operation) "
            "VALUES ('shop', 'dev', ?, ?, 'another-boot/1', '2024-01-01T00:00:00Z', 'apply')",
            (socket.gethostname(), os.getpid()),
        )
    assert store.acquire_lock("shop", "dev", "apply").since != "2024-01-01T00:00:00Z"


def test_force_unlock_removes_any_lock_and_says_whose_it_was(
    spawn: Spawn, store: SqlStateStore
) -> None:
    assert store.force_unlock("shop", "dev") is None
    child = spawn("hold", "destroy")
    holder = LockHolder(**child.line())
    assert store.force_unlock("shop", "dev") == holder
    assert store.acquire_lock("shop", "dev", "apply").pid == os.getpid()
    child.finish()


def test_a_dead_holder_whose_program_still_runs_keeps_the_lock(
    spawn: Spawn, store: SqlStateStore, tmp_path: Path
) -> None:
    """An orphaned driver program (here one ignoring the SIGTERM sent when its orchc
    died) would race the next run: the lock waits for it, naming it."""
    pid_file = tmp_path / "program.pid"
    child = spawn("hold-running", str(pid_file))
    child.line()
    program = int(wait_for_text(pid_file))
    os.kill(child.process.pid, signal.SIGKILL)
    child.process.wait(timeout=60)
    try:
        with pytest.raises(LockedError) as raised:
            store.acquire_lock("shop", "dev", "apply")
        assert raised.value.holder.orphans == (f"{program} (sleep)",)
        assert str(raised.value).endswith(
            f"that orchc process is gone, but program(s) it started still run: {program} (sleep)"
        )
        with pytest.raises(LockedError):
            store.unlock_abandoned("shop", "dev")
    finally:
        os.kill(program, signal.SIGKILL)
    _wait_until_gone(program)
    assert store.acquire_lock("shop", "dev", "apply").pid == os.getpid()


def test_unlock_abandoned_refuses_a_live_holder_but_frees_a_dead_ones_lock(
    spawn: Spawn, store: SqlStateStore
) -> None:
    assert store.unlock_abandoned("shop", "dev") is None
    child = spawn("hold", "apply")
    holder = LockHolder(**child.line())
    with pytest.raises(LockedError) as raised:
        store.unlock_abandoned("shop", "dev")
    assert raised.value.holder == holder
    os.kill(child.process.pid, signal.SIGKILL)
    child.process.wait(timeout=60)
    assert store.unlock_abandoned("shop", "dev") == holder
    assert store.unlock_abandoned("shop", "dev") is None


def test_two_processes_racing_for_the_lock_have_exactly_one_winner(spawn: Spawn) -> None:
    racers = [spawn("race"), spawn("race")]
    for racer in racers:
        racer.send("go\n")
    results = sorted(racer.line()["result"] for racer in racers)
    assert results == ["locked", "won"]
    for racer in racers:
        assert racer.finish() == 0


def _wait_until_zombie(pid: int) -> None:
    # The kernel marks a SIGKILLed process Z asynchronously; this is not a timing
    # assertion, only a wait for a state the test then relies on.
    while _process_state(pid) != "Z":
        os.sched_yield()


def _process_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rpartition(")")[2].split()[0]


def _wait_until_gone(pid: int) -> None:
    for _ in range(600):
        fields = stat_fields(pid)
        if fields is None or fields[0] in "ZX":
            return
        time.sleep(0.05)
    pytest.fail(f"process {pid} did not die")
