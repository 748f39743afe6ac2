"""End-to-end helpers: a throwaway orchc project driven through the real `orchc`
command (a subprocess, as CI runs it) with a real SQLite state file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import psycopg

ORCHC = str(Path(sys.executable).with_name("orchc"))


@dataclass
class Project:
    root: Path
    env: dict[str, str]

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    def run(
        self, *args: str, expect: int | None = 0, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [ORCHC, *args],
            cwd=self.root,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if expect is not None and result.returncode != expect:
            raise AssertionError(
                f"orchc {' '.join(args)} exited {result.returncode}, expected {expect}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [ORCHC, *args],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def plan(self, *extra: str, env: str = "dev") -> dict[str, Any]:
        self.run("plan", "--env", env, "-o", "plan.json", *extra)
        plan: dict[str, Any] = json.loads((self.root / "plan.json").read_text())
        return plan

    def actions(self, env: str = "dev") -> dict[str, str]:
        plan = self.plan(env=env)
        return {uid: r["action"] for uid, r in plan["resources"].items()}

    def state_uids(self, env: str = "dev") -> list[str]:
        out = self.run("state", "list", "--env", env).stdout
        return [line.split("\t")[0] for line in out.splitlines()]


def new_project(tmp_path: Path) -> Project:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHC_")}
    root = tmp_path / "project"
    root.mkdir(parents=True)
    made = Project(root, env)
    made.write("orchc.toml", 'app = "shop"\n')
    return made


STATIC_DEFINITIONS = """
environment "dev" { type = "development" }

definition "compose" {
  type   = "target"
  driver = "compose"
  match {}
  inputs { path = "out/compose.yaml" }
}
"""


def postgres_admin() -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit session on the local PostgreSQL server as its superuser."""
    return psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True)


def postgres_has(kind: Literal["role", "database"], name: str) -> bool:
    """Whether the local PostgreSQL server has a role or a database of that name."""
    query = {
        "role": "SELECT 1 FROM pg_roles WHERE rolname = %s",
        "database": "SELECT 1 FROM pg_database WHERE datname = %s",
    }[kind]
    with postgres_admin() as conn:
        return conn.execute(query, (name,)).fetchone() is not None


HELD_MODULE = Path(__file__).resolve().parents[1] / "drivers" / "tf_modules" / "held"
"""A Terraform module whose apply waits for a `release_file` (its `pid_file` says it
started), for tests that act while Terraform applies."""
TERRAFORM_TOKEN = "tf-s3cr3t-Token-0815"
"""The secret variable the `held` definitions pass (env `TF_TOKEN`)."""
BUCKET_SCORE = """
apiVersion: score.dev/v1b1
metadata: {name: app}
containers:
  main:
    image: busybox
    variables: {FIRST: "${resources.bucket.first}"}
resources: {bucket: {type: bucket}}
"""
"""A workload reading the `held` module's output `first` through a `bucket` resource."""


WORLD_PROGRAM = Path(__file__).parent / "programs" / "world.py"
"""A `cmd` program recording what it makes in a `world` file (`wait_for`: it waits for a file)."""


def apply_holding_the_lock(project: Project) -> subprocess.Popen[str]:
    """An apply (`--json`) whose only resource waits for the file `release` in the
    project, returned once that resource has started: it holds the lock."""
    release = project.root / "release"
    project.write(
        "definitions/held.orch",
        STATIC_DEFINITIONS
        + f"""
definition "held" {{
  type   = "node"
  driver = "cmd"
  match {{}}
  inputs {{
    command  = {json.dumps([sys.executable, str(WORLD_PROGRAM)])}
    world    = "{project.root / "world.json"}"
    wait_for = "{release}"
  }}
}}
""",
    )
    project.write(
        "score.yaml",
        """
        apiVersion: score.dev/v1b1
        metadata: {name: app}
        containers: {main: {image: busybox}}
        resources: {held: {type: node}}
        """,
    )
    apply = project.popen("apply", "--env", "dev", "--auto-approve", "--json")
    assert apply.stdout is not None
    for line in apply.stdout:  # the lock is held once a resource has started
        if json.loads(line)["event"] == "resource_started":
            break
    return apply
