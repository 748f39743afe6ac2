#!/usr/bin/env python3
"""SIGKILL `orchc apply` while its driver programs are still creating, apply again at
once, and count creations: the orphan scenario of tests/e2e/test_crash.py, repeated.

Each kill uses a fresh project with four `cmd` resources whose program checks, then
creates (3 s, not atomic with the check); two of them ignore SIGTERM and outlive orchc.
The next apply runs right after the kill with `--lock-timeout 5m`. A double creation
means a program of the killed run raced the next one. Printed per backend: kills,
programs still alive just after the kill (orphans), double creations, seconds per kill.

    python bench/kill_race.py                 # 25 kills on SQLite, 25 on PostgreSQL
    python bench/kill_race.py --kills 5 --backends sqlite
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

import orphan_race
from e2e_helpers import new_project

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def run(backend: str, kills: int) -> None:
    database = f"orchc_kill_race_{uuid.uuid4().hex}" if backend == "postgresql" else None
    if database:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {database} TEMPLATE template0")
    orphans = doubles = 0
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for kill in range(kills):
                project = new_project(Path(scratch) / str(kill))
                project.write("orchc.toml", f'app = "shop{kill}"\n')
                if database:
                    project.env["ORCHC_STATE"] = f"postgresql://postgres@127.0.0.1:5432/{database}"
                orphan_race.prepare(project)
                outcome = orphan_race.kill_while_creating(project)
                orphans += outcome.orphans
                doubles += outcome.doubles
                missing = [
                    n for n in orphan_race.NODES if f"node.default#{n}" not in outcome.creations
                ]
                print(
                    f"  {backend} kill {kill + 1}: orphans {outcome.orphans}, "
                    f"doubles {outcome.doubles}, missing {missing}",
                    flush=True,
                )
    finally:
        if database:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    seconds = (time.monotonic() - started) / max(kills, 1)
    print(
        f"{backend}: {kills} kills, {orphans} orphans alive after the kills, "
        f"{doubles} double creations, {seconds:.1f} s per kill",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=25)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    arguments = parser.parse_args()
    for backend in arguments.backends:
        run(backend, arguments.kills)


if __name__ == "__main__":
    main()
