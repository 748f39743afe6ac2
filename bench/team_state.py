#!/usr/bin/env python3
"""Many CI runners on one PostgreSQL state (SPEC §14), and PostgreSQL next to SQLite.

1. Different environments: N concurrent `orchc apply` (one per environment) sharing one
   PostgreSQL state; wall time, resources per second, how many were refused.
2. One environment: M concurrent applies, first without `--lock-timeout` (all but the
   holder are refused, or find nothing left to do), then with it (they wait their turn).
3. Scale: `orchc apply` of 900 and 3,000 static resources (the `plan_scale` graph) on
   SQLite and on PostgreSQL.

After every concurrent part it checks that nothing was lost: every resource of every
environment is recorded once and ready, the serial equals the number of runs that
started (deployments), and a new plan has nothing to do.

The orchc modules are compiled to bytecode first (`python -m compileall`): this machine
sets PYTHONDONTWRITEBYTECODE=1, so otherwise every orchc process would compile them
again and the figures would measure the compiler.

    python bench/team_state.py                       # 8 envs, 4 on one env, 900 and 3000
    python bench/team_state.py --sizes 900 --skip-concurrency
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import measure
import plan_scale

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
APP = "bench"


@dataclass
class Run:
    """One finished orchc process."""

    returncode: int
    stderr: str
    seconds: float

    @property
    def refused(self) -> bool:
        return self.returncode != 0 and "the state is locked" in self.stderr

    @property
    def waited(self) -> bool:
        return "waiting for the lock" in self.stderr


@contextmanager
def database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    name = f"orchc_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE template0")  # never in use
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def project(root: Path, workloads: int, envs: list[str]) -> int:
    """The plan_scale project with one environment block per name; returns how many
    resources an environment has (the target included)."""
    plan_scale.orchc_project(root, workloads, 20)
    (root / "orchc.toml").write_text(f'app = "{APP}"\ndefinitions = "definitions"\n')
    blocks = [f'environment "{env}" {{ type = "development" }}\n' for env in envs if env != "bench"]
    blocks.append(
        'definition "compose" {\n  type = "target"\n  driver = "compose"\n  match {}\n'
        '  inputs { path = "out/${context.env.id}/compose.yaml" }\n}\n'
    )
    (root / "definitions" / "envs.orch").write_text("\n".join(blocks))
    return workloads * 3 + 2


def orchc(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*plan_scale.orchc_command(), *args],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def concurrently(root: Path, commands: list[list[str]]) -> tuple[float, list[Run]]:
    start = time.perf_counter()
    started = [(orchc(root, *command), time.perf_counter()) for command in commands]
    runs = []
    for process, began in started:
        _, stderr = process.communicate()
        runs.append(Run(process.returncode, stderr, time.perf_counter() - began))
    return time.perf_counter() - start, runs


def check_nothing_lost(url: str, root: Path, envs: list[str], per_env: int) -> list[str]:
    """Problems found: each env has `per_env` ready resources recorded once, a serial
    equal to its deployments, and a plan with nothing to do."""
    problems = []
    with psycopg.connect(url) as conn:
        for env in envs:
            rows, distinct, ready = conn.execute(
                "SELECT count(*), count(DISTINCT uid), count(*) FILTER (WHERE status = 'ready') "
                "FROM orchc.resources WHERE app = %s AND env = %s",
                (APP, env),
            ).fetchone() or (0, 0, 0)
            serial_row = conn.execute(
                "SELECT serial FROM orchc.lineages WHERE app = %s AND env = %s", (APP, env)
            ).fetchone()
            deployments_row = conn.execute(
                "SELECT count(*) FROM orchc.deployments WHERE app = %s AND env = %s", (APP, env)
            ).fetchone()
            serial = serial_row[0] if serial_row else 0
            deployments = deployments_row[0] if deployments_row else 0
            if not rows == distinct == ready == per_env:
                problems.append(
                    f"{env}: {rows} rows, {distinct} uids, {ready} ready, {per_env} expected"
                )
            if serial != deployments:
                problems.append(f"{env}: serial {serial} but {deployments} deployments")
    for env in envs:
        plan = orchc(root, "plan", "--env", env, "--state", url, "--detailed-exitcode")
        plan.communicate()
        if plan.returncode != 0:
            problems.append(f"{env}: the next plan is not empty (exit {plan.returncode})")
    return problems


def report_check(problems: list[str]) -> None:
    print("  nothing lost: " + ("yes" if not problems else "NO: " + "; ".join(problems)))


def different_envs(workdir: Path, admin_url: str, count: int, workloads: int) -> None:
    envs = [f"e{i}" for i in range(1, count + 1)]
    root = workdir / "envs"
    per_env = project(root, workloads, envs)
    with database(admin_url) as url:
        commands = [["apply", "--env", env, "--auto-approve", "--state", url] for env in envs]
        wall, runs = concurrently(root, commands)
        ok = sum(run.returncode == 0 for run in runs)
        print(
            f"{count} concurrent applies on {count} environments, one PostgreSQL state: "
            f"{wall:.2f} s wall, {count * per_env / wall:.0f} resources/s "
            f"({per_env} resources each); {ok} ok, {sum(r.refused for r in runs)} refused, "
            f"slowest {max(r.seconds for r in runs):.2f} s"
        )
        for run in runs:
            if run.returncode != 0 and not run.refused:
                print("  failed: " + run.stderr.strip().splitlines()[-1])
        report_check(check_nothing_lost(url, root, envs, per_env))


def same_env(workdir: Path, admin_url: str, count: int, workloads: int, timeout: str) -> None:
    root = workdir / f"same-{timeout or 'none'}"
    per_env = project(root, workloads, ["shared"])
    waiting = ["--lock-timeout", timeout] if timeout else []
    with database(admin_url) as url:
        command = ["apply", "--env", "shared", "--auto-approve", "--state", url, *waiting]
        wall, runs = concurrently(root, [command] * count)
        ok = sum(run.returncode == 0 for run in runs)
        label = f"with --lock-timeout {timeout}" if timeout else "without --lock-timeout"
        print(
            f"{count} concurrent applies on one environment {label}: {wall:.2f} s wall; "
            f"{ok} ok, {sum(r.refused for r in runs)} refused, {sum(r.waited for r in runs)} "
            f"waited for the lock"
        )
        for run in runs:
            if run.returncode != 0 and not run.refused:
                print("  failed: " + run.stderr.strip().splitlines()[-1])
        report_check(check_nothing_lost(url, root, ["shared"], per_env))


def apply_seconds(root: Path, url: str) -> tuple[float, float]:
    """Wall time of `orchc apply plan.json`, and the executor's own time."""
    subprocess.run(
        [*plan_scale.orchc_command(), "plan", "--env", "bench", "-o", "plan.json", "--state", url],
        cwd=root,
        check=True,
        capture_output=True,
    )
    start = time.perf_counter()
    result = subprocess.run(
        [*plan_scale.orchc_command(), "apply", "plan.json", "--state", url, "--json"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    final = json.loads(result.stdout.strip().splitlines()[-1])
    return elapsed, float(final["wall_time"])


def scale(workdir: Path, admin_url: str, sizes: list[int]) -> None:
    for size in sizes:
        for backend in ("sqlite", "postgresql"):
            root = workdir / f"scale-{size}-{backend}"
            resources = project(root, size // 3, ["bench"])
            if backend == "sqlite":
                wall, executor = apply_seconds(root, "sqlite:///.orchc/state.db")
            else:
                with database(admin_url) as url:
                    wall, executor = apply_seconds(root, url)
            print(
                f"apply {resources} static resources on {backend:10}: {wall:6.2f} s wall "
                f"({resources / wall:4.0f} resources/s; executor {executor:.2f} s)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--admin-url", default=ADMIN_URL, help="creates the bench databases")
    parser.add_argument("--envs", type=int, default=8)
    parser.add_argument("--same-env", type=int, default=4)
    parser.add_argument("--workloads", type=int, default=30, help="x3 resources per env")
    parser.add_argument("--lock-timeout", default="10m")
    parser.add_argument("--sizes", default="900,3000")
    parser.add_argument("--skip-concurrency", action="store_true")
    args = parser.parse_args()
    measure.compile_bytecode()
    print(f"orchc: {plan_scale.orchc_command()[0]}; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="orchc-team-bench-") as temporary:
        workdir = Path(temporary)
        if not args.skip_concurrency:
            different_envs(workdir, args.admin_url, args.envs, args.workloads)
            same_env(workdir, args.admin_url, args.same_env, args.workloads, "")
            same_env(workdir, args.admin_url, args.same_env, args.workloads, args.lock_timeout)
        if args.sizes:
            scale(workdir, args.admin_url, [int(size) for size in args.sizes.split(",")])


if __name__ == "__main__":
    main()
