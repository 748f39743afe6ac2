"""Whether a lock holder still exists: pid, zombie, pid reuse and foreign hosts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from orchc.runtime.state.locking import process_is_gone, process_token, this_process

HOST = socket.gethostname()


def test_this_process_is_alive_under_its_own_token() -> None:
    me = this_process("apply")
    assert me.token == process_token(os.getpid()) and me.token
    assert process_is_gone(HOST, os.getpid(), me.token) is False


def test_a_process_that_exited_and_was_reaped_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    token = process_token(child.pid)
    child.wait()
    assert process_token(child.pid) is None
    assert process_is_gone(HOST, child.pid, token or "") is True


@pytest.mark.parametrize(
    ("host", "token", "gone"),
    [
        (HOST, "another-boot/1", True),  # our pid, but a different process start: reused
        (HOST, "", False),  # no token recorded: the live pid is trusted
        ("build-7", "another-boot/1", False),  # another host: we cannot tell, so alive
    ],
)
def test_a_live_pid_is_judged_by_host_and_token(host: str, token: str, gone: bool) -> None:
    assert process_is_gone(host, os.getpid(), token) is gone
