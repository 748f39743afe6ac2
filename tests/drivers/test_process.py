"""`run_process`, the subprocess runner shared by the terraform and cmd drivers."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from written_files import wait_for_text

from orchc.drivers import _process
from orchc.drivers._process import run_process, stop_running_programs
from orchc.drivers.protocol import DriverError
from orchc.run_processes import this_run


def test_output_stdin_and_environment(tmp_path: Path) -> None:
    run = run_process(
        ["sh", "-c", 'cat; echo "$GREETING"; pwd; echo oops >&2; exit 4'],
        cwd=tmp_path,
        stdin=b"from stdin\n",
        env={"GREETING": "hello", "PATH": "/usr/bin:/bin"},
        check=False,
    )

    assert run.returncode == 4
    assert run.stdout == f"from stdin\nhello\n{tmp_path}\n".encode()
    assert run.stderr == b"oops\n"


def test_a_failure_carries_the_clean_tail_of_stderr() -> None:
    script = (
        "for i in $(seq 1 25); do echo line $i >&2; done;"
        r" printf '\033[31mError:\033[0m token tok-Secret-4711 refused\n' >&2; exit 2"
    )

    with pytest.raises(DriverError) as failure:
        run_process(
            ["sh", "-c", script], cwd=None, label="tool apply", redact_values=["tok-Secret-4711"]
        )

    lines = "".join(f"\n  line {i}" for i in range(7, 26))
    assert str(failure.value) == (
        f"tool apply failed (exit code 2):{lines}\n  Error: token (sensitive) refused"
    )


def test_a_program_that_cannot_start() -> None:
    with pytest.raises(DriverError) as failure:
        run_process(["no-such-program-for-orchc"], cwd=None)

    assert str(failure.value) == "cannot run no-such-program-for-orchc: No such file or directory"


def test_a_timeout_stops_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = f"sleep 120 & echo $! > {pid_file}; echo waiting >&2; wait"

    with pytest.raises(DriverError) as failure:
        run_process(["sh", "-c", script], cwd=None, timeout=1)

    assert str(failure.value) == "sh timed out after 1s:\n  waiting"
    assert_dies(int(pid_file.read_text()))


def test_a_program_ignoring_sigterm_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_process, "TERMINATE_GRACE_SECONDS", 0.5)
    pid_file = tmp_path / "child.pid"
    # An ignored signal stays ignored across exec: the sleeper ignores SIGTERM too.
    script = f"trap '' TERM; sleep 120 & echo $! > {pid_file}; wait"

    with pytest.raises(DriverError) as failure:
        run_process(["sh", "-c", script], cwd=None, timeout=0.5)

    assert str(failure.value) == "sh timed out after 0.5s"
    assert_dies(int(pid_file.read_text()))


def assert_dies(pid: int) -> None:
    """The process is gone or a zombie soon; signal delivery is asynchronous, so poll
    (bounded) rather than assume."""
    status = Path(f"/proc/{pid}/stat")
    for _ in range(100):
        if not status.exists() or status.read_text().rpartition(")")[2].split()[0] in "ZX":
            return
        time.sleep(0.1)
    pytest.fail(f"process {pid} outlived the timeout")


def test_programs_carry_the_run_marker_of_this_process() -> None:
    run = run_process(["sh", "-c", 'echo "$ORCHC_RUN"'], cwd=None, env={"PATH": "/usr/bin:/bin"})

    assert run.stdout.decode().strip() == this_run()


# A stand-in for orchc: runs one program from a worker thread (as the executor does)
# after installing the signal handlers `orchc apply` installs, then waits for it.
ORCHC_STAND_IN = """
import sys, threading
from orchc.drivers import _process
from orchc.drivers._process import run_process, stop_programs_on_signals
if sys.argv[2:] == ["without-setpriv"]:
    _process._setpriv = lambda: None
stop_programs_on_signals()
worker = threading.Thread(target=run_process, args=(["sh", "-c", sys.argv[1]],),
                          kwargs={"cwd": None, "check": False})
worker.start()
worker.join()
"""


def start_stand_in(script: str, *options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", ORCHC_STAND_IN, script, *options])


@pytest.mark.parametrize("start", ["through setpriv", "without-setpriv"])
def test_a_program_dies_when_orchc_is_killed(tmp_path: Path, start: str) -> None:
    """SIGKILL leaves orchc no chance to act: the kernel signals the program, whether
    setpriv or orchc's own preexec step asked for the signal."""
    pid_file = tmp_path / "program.pid"
    orchc = start_stand_in(f"echo $$ > {pid_file}; exec sleep 300", start)
    program = int(wait_for_text(pid_file))

    orchc.kill()
    orchc.wait(timeout=60)

    assert_dies(program)


def test_sigterm_stops_the_program_group_then_orchc(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    orchc = start_stand_in(f"sleep 300 & echo $! > {pid_file}; wait")
    grandchild = int(wait_for_text(pid_file))

    orchc.send_signal(signal.SIGTERM)

    assert orchc.wait(timeout=60) == 128 + signal.SIGTERM
    assert_dies(grandchild)


def test_a_program_recorded_after_the_stop_signal_is_stopped_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The signal can come between a worker starting its program and recording it
    (seen under load: orchc then waited for the program to end)."""
    monkeypatch.setattr(_process, "_stop_requested", threading.Event())
    stop_running_programs()  # the signal, before this program is recorded

    run = run_process(["sleep", "300"], cwd=None, check=False, timeout=60)

    assert run.returncode == -signal.SIGTERM
