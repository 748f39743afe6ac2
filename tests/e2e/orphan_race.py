"""SIGKILL `orchc apply` while its driver programs are still creating, then apply again
at once: the scenario of the orphan test (test_crash.py) and of bench/kill_race.py.

The programs (programs/slow_creator.py) check-then-create without atomicity, as many
cloud APIs do, so a program orphaned by the kill racing the next apply's program for
the same resource creates it twice. Half of them ignore SIGTERM: they outlive orchc and
finish their creation, so the next apply must wait for them (the lock is not taken over
while they live); the others die with orchc (the kernel's parent-death signal)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from e2e_helpers import STATIC_DEFINITIONS, Project

from orchc.run_processes import process_token, run_marker, run_processes

CREATOR = Path(__file__).parent / "programs" / "slow_creator.py"
NODES = ("n1", "n2", "n3", "n4")
STUBBORN = frozenset({"n2", "n4"})  # ignore SIGTERM: they outlive orchc
CREATION_SECONDS = 3.0  # longer than an orchc start: a racing apply would overlap
START_TIMEOUT = 120.0  # a hang guard while waiting for the programs to start


def definitions(root: Path) -> str:
    command = json.dumps([sys.executable, str(CREATOR)])
    body = STATIC_DEFINITIONS
    for name in NODES:
        body += f"""
definition "{name}" {{
  type   = "node"
  driver = "cmd"
  match {{ res_id = "{name}" }}
  inputs {{
    command           = {command}
    book              = "{root / "book.jsonl"}"
    running           = "{root / "running"}"
    creation_seconds  = {CREATION_SECONDS}
    ignore_sigterm    = {"true" if name in STUBBORN else "false"}
    value             = "{name}-value"
  }}
}}
"""
    return body


SCORE = f"""
apiVersion: score.dev/v1b1
metadata:
  name: app
containers:
  main:
    image: busybox
    variables:
      NODES: {" ".join(f"${{resources.{name}.value}}" for name in NODES)}
resources:
{"".join(f"  {name}: {{type: node, id: {name}}}{chr(10)}" for name in NODES)}"""


@dataclass(frozen=True)
class KillOutcome:
    orphans: int  # programs of the killed run alive just after the kill
    creations: Counter[str]  # real creations per uid after the next apply

    @property
    def doubles(self) -> int:
        return sum(1 for count in self.creations.values() if count > 1)


def prepare(project: Project) -> None:
    project.write("definitions/nodes.orch", definitions(project.root))
    project.write("score.yaml", SCORE)
    (project.root / "running").mkdir()


def kill_while_creating(project: Project) -> KillOutcome:
    """Start an apply, SIGKILL it once every program runs, then apply again at once
    (waiting for the lock, as CI would with --lock-timeout) and count creations."""
    process = project.popen("apply", "--env", "dev", "--auto-approve")
    token = _wait_for_programs(project, process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    orphans = len(run_processes(run_marker(process.pid, token)))
    project.run("apply", "--env", "dev", "--auto-approve", "--lock-timeout", "5m")
    project.run("plan", "--env", "dev", "--detailed-exitcode")  # converged: nothing to do
    return KillOutcome(orphans, creations(project.root))


def creations(root: Path) -> Counter[str]:
    book = root / "book.jsonl"
    lines = book.read_text().splitlines() if book.exists() else []
    return Counter(json.loads(line)["uid"] for line in lines)


def _wait_for_programs(project: Project, process: subprocess.Popen[str]) -> str:
    """Wait until every node's program has started; returns orchc's process token."""
    token = process_token(process.pid) or ""
    running = project.root / "running"
    deadline = time.monotonic() + START_TIMEOUT
    while len(list(running.iterdir())) < len(NODES):
        if process.poll() is not None:
            raise AssertionError(f"orchc apply ended (exit {process.poll()}) before the kill")
        if time.monotonic() > deadline:
            raise AssertionError("the driver programs never started")
        time.sleep(0.02)
    return token
