"""The example shop's README is executable documentation, and this test executes it.

Each ```sh block of `examples/shop/README.md` runs, in order, as one bash script
(`set -euo pipefail`) in a fresh copy of the example, with the venv's `orchc` and the
real `docker-compose` (see `compose_check.py`) first on PATH; it must succeed, and every
line of the ```text block that follows it must appear in its output (runs of whitespace
compared as one space).
After the steps that deploy, the output is checked for real: the Compose file by
`docker-compose config`, every Kubernetes object strictly against the 1.30 schemas,
and in prod the database, role and Redis user the drivers created are used through
the credentials orchc returned. The prod resources are destroyed even when a step
fails, and a resource the walk-through's own `destroy` left behind fails the test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate
import psycopg
import pytest
import redis
import yaml
from compose_check import COMPOSE_DIR, run_compose_config
from psycopg import sql

from orchc.compiler.uid import ResourceUid

BIN = Path(sys.executable).parent
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"
FENCE = re.compile(r"^```(?P<lang>\S*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
PROD_DATABASES = (
    "postgres.default#catalog.db",
    "postgres.default#orders-db",
    "postgres.default#payments.ledger",
)
PROD_CACHE = "redis.default#shop-cache"
# The broker password the README exports for the prod apply: it must show nowhere.
AMQP_PASSWORD = "handed-over-by-the-broker-team"


@dataclass(frozen=True)
class Step:
    """One ```sh block: its line in the README, its script, the output it must show."""

    line: int
    script: str
    expected: tuple[str, ...] = ()

    def runs(self, command: str) -> bool:
        return command in (line.strip() for line in self.script.splitlines())


def read_steps(markdown: str) -> list[Step]:
    """The ```sh blocks in order, each with the lines of the ```text block after it."""
    steps: list[Step] = []
    for fence in FENCE.finditer(markdown):
        line = markdown.count("\n", 0, fence.start()) + 1
        if fence["lang"] == "sh":
            steps.append(Step(line, fence["body"]))
        elif fence["lang"] == "text" and steps and not steps[-1].expected:
            expected = tuple(text for text in fence["body"].splitlines() if text.strip())
            steps[-1] = Step(steps[-1].line, steps[-1].script, expected)
    return steps


def squeeze(text: str) -> str:
    return " ".join(text.split())


def shell_env() -> dict[str, str]:
    """The test's environment, minus what would point orchc elsewhere; `docker-compose`
    is the real binary (the venv's script of that name never fails)."""
    env = {k: v for k, v in os.environ.items() if k not in {"ORCHC_STATE", "SHOP_AMQP_PASSWORD"}}
    return {**env, "PATH": os.pathsep.join([str(COMPOSE_DIR), str(BIN), env["PATH"]])}


def run_step(step: Step, shop: Path) -> str:
    """Run one step; fail with its output unless it succeeds and shows what it should."""
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", step.script],
        cwd=shop,
        env=shell_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    where = f"README.md:{step.line}:\n{step.script}--- output\n{output}"
    assert result.returncode == 0, f"exit code {result.returncode} at {where}"
    for line in step.expected:
        assert squeeze(line) in squeeze(output), f"{line!r} not in the output at {where}"
    return output


def orchc_json(shop: Path, *args: str) -> dict[str, Any]:
    result = subprocess.run(
        [str(BIN / "orchc"), *args, "--format", "json"],
        cwd=shop,
        env=shell_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, Any] = json.loads(result.stdout)
    return found


# What the deploying steps produced, checked for real ------------------------------------


def check_dev(shop: Path) -> None:
    """The Compose file passes `docker-compose config`; secret env files are 0600."""
    checked = run_compose_config(shop / "build/dev/compose.yaml", "--quiet")
    assert checked.returncode == 0, checked.stderr
    env_files = sorted((shop / "build/dev").glob("compose.*.env"))
    assert len(env_files) == 11  # six workloads, three databases, the cache, the broker
    assert {stat.S_IMODE(path.stat().st_mode) for path in env_files} == {0o600}


def check_staging(shop: Path) -> None:
    """Every object is valid Kubernetes 1.30; the definitions made what they promise."""
    kinds: dict[str, set[str]] = {}
    for path in sorted((shop / "build/staging").rglob("*.yaml")):
        for obj in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            kubernetes_validate.validate(obj, "1.30", strict=True)
            kinds.setdefault(obj["kind"], set()).add(obj["metadata"]["name"])
    assert kinds["StatefulSet"] == {
        "amqp-shop-events",
        "postgres-catalog-db",
        "postgres-orders-db",
        "postgres-payments-ledger",
        "redis-shop-cache",
    }
    assert kinds["Ingress"] == {"route-storefront-route"}
    assert len(kinds["Deployment"]) == 6


def check_prod(shop: Path) -> None:
    """Each database works with the credentials orchc returned; the Redis user may
    write under its key prefix only."""
    for uid in PROD_DATABASES:
        outputs = orchc_json(shop, "outputs", uid, "--env", "prod", "--show-secrets")
        with psycopg.connect(outputs["url"], connect_timeout=10) as conn:
            row = conn.execute("SELECT current_user, current_database()").fetchone()
        assert row == (outputs["username"], outputs["database"])
    cache = orchc_json(shop, "outputs", PROD_CACHE, "--env", "prod", "--show-secrets")
    client = redis.Redis.from_url(cache["url"], socket_timeout=10)
    assert client.set(f"{cache['key_prefix']}greeting", "hello")
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.set("outside-the-prefix", "x")
    client.close()


CHECKS: dict[str, Callable[[Path], None]] = {
    "orchc apply dev.plan.json": check_dev,
    "orchc apply --auto-approve --env staging": check_staging,
    "orchc apply prod.plan.json": check_prod,
}


# Cleaning up prod, whatever happened ---------------------------------------------------


def prod_names(uids: tuple[str, ...]) -> list[str]:
    """What prod provisions for these resources: the drivers name it after the guid."""
    app = tomllib.loads((EXAMPLE / "orchc.toml").read_text(encoding="utf-8"))["app"]
    return [ResourceUid.parse(uid).guid(app, "prod") for uid in uids]


def remove_leftovers() -> list[str]:
    """Drop every prod database, role and Redis user still there; what was dropped."""
    return drop_databases(prod_names(PROD_DATABASES)) + drop_redis_users(prod_names((PROD_CACHE,)))


def drop_databases(names: list[str]) -> list[str]:
    found = (
        "SELECT 1 FROM pg_database WHERE datname = %s "
        "UNION ALL SELECT 1 FROM pg_roles WHERE rolname = %s"
    )
    dropped = []
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres") as admin:
        admin.autocommit = True
        for name in names:
            if admin.execute(found, (name, name)).fetchone() is not None:
                dropped.append(f"postgres {name}")
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
    return dropped


def drop_redis_users(names: list[str]) -> list[str]:
    server = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=10)
    try:
        return [f"redis user {name}" for name in names if server.acl_deluser(name)]
    finally:
        server.close()


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Path]:
    """A fresh copy of the example; prod is destroyed at teardown if a step failed."""
    copy = tmp_path / "shop"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".orchc", "build", "*.plan.json"))
    try:
        yield copy
    finally:
        if (copy / ".orchc").exists():
            subprocess.run(
                [str(BIN / "orchc"), "destroy", "--env", "prod", "--auto-approve"],
                cwd=copy,
                env=shell_env(),
                capture_output=True,
                check=False,
            )
        remove_leftovers()


# The tests --------------------------------------------------------------------------------


def test_the_readme_has_the_walkthrough_steps() -> None:
    steps = read_steps((EXAMPLE / "README.md").read_text(encoding="utf-8"))
    assert all(any(step.runs(command) for step in steps) for command in CHECKS)
    assert sum(step.runs("orchc destroy --env prod --auto-approve") for step in steps) == 1
    assert any(f"SHOP_AMQP_PASSWORD='{AMQP_PASSWORD}'" in step.script for step in steps)


@pytest.mark.services
def test_the_walkthrough_runs_step_by_step(shop: Path) -> None:
    outputs = []
    for step in read_steps((shop / "README.md").read_text(encoding="utf-8")):
        outputs.append(run_step(step, shop))
        for command, check in CHECKS.items():
            if step.runs(command):
                check(shop)
    assert remove_leftovers() == [], "the walk-through's destroy left these behind"
    assert not any(AMQP_PASSWORD in output for output in outputs)
    leaked = [
        path
        for path in shop.rglob("*")
        if path.is_file()
        and ".orchc" not in path.parts
        and AMQP_PASSWORD.encode() in path.read_bytes()
    ]
    assert leaked == [shop / "README.md"]


def test_the_definitions_are_formatted_and_check_cleanly(shop: Path) -> None:
    fmt = subprocess.run(
        [str(BIN / "orchc"), "fmt", "--check"],
        cwd=shop,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (fmt.returncode, fmt.stderr) == (0, "")
    check = subprocess.run(
        [str(BIN / "orchc"), "check"], cwd=shop, capture_output=True, text=True, check=False
    )
    assert (check.returncode, check.stderr) == (
        0,
        "ok: 17 definition(s), 3 environment(s), 6 workload(s)\n",
    )
