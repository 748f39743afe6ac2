"""State for teams through the `orchc` command (SPEC §14): an encrypted state, re-keyed;
a state migrated SQLite -> PostgreSQL -> SQLite keeps its generated passwords, history,
lineage and serial (the next plan is a no-op); `--lock-timeout` waits for the lock."""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg
import pytest
from e2e_helpers import STATIC_DEFINITIONS, Project

from orchc.runtime.state import open_state

DATABASE = """
definition "db" {
  type   = "postgres"
  driver = "template"
  match {}
  inputs {
    state   = "password: '{{ state.password | default(generate_password()) }}'"
    outputs = "host: db.internal"
    secrets = "password: '{{ state.password }}'"
  }
}
"""

SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx
    variables:
      DB_HOST: ${resources.db.host}
resources:
  db:
    type: postgres
"""

DB_UID = "postgres.default#web.db"
ALL_UIDS = [DB_UID, "target.default#target", "workload.default#web"]
KEY = "a passphrase only the team knows"
NEW_KEY = "the passphrase after the rotation"


@pytest.fixture
def applied(project: Project) -> Project:
    project.write("definitions/platform.orch", STATIC_DEFINITIONS + DATABASE)
    project.write("score.yaml", SCORE)
    return project


def password(project: Project, *state: str) -> str:
    shown = project.run(
        "outputs", DB_UID, "--env", "dev", "--format", "json", "--show-secrets", *state
    )
    value: str = json.loads(shown.stdout)["password"]
    return value


def serial(project: Project, *state: str) -> int:
    project.run("plan", "--env", "dev", "-o", "plan.json", *state)
    value: int = json.loads((project.root / "plan.json").read_text())["state"]["serial"]
    return value


def test_encrypted_state_through_the_cli(applied: Project) -> None:
    applied.env["ORCHC_STATE_KEY"] = KEY
    applied.run("apply", "--env", "dev", "--auto-approve")
    generated = password(applied)
    assert len(generated) >= 16
    state_file = applied.root / ".orchc" / "state.db"
    assert generated.encode() not in state_file.read_bytes()

    del applied.env["ORCHC_STATE_KEY"]
    refused = applied.run("state", "list", "--env", "dev", expect=1)
    assert refused.stderr.startswith("orchc: error: the state at ")
    assert "is encrypted: set ORCHC_STATE_KEY" in refused.stderr
    assert "Traceback" not in refused.stderr

    applied.env["ORCHC_STATE_KEY"] = KEY
    applied.env["ORCHC_STATE_NEW_KEY"] = NEW_KEY
    rekeyed = applied.run("state", "rekey")
    assert KEY not in rekeyed.stderr and NEW_KEY not in rekeyed.stderr
    old = applied.run("plan", "--env", "dev", expect=1)
    assert "ORCHC_STATE_KEY is not the key this state was encrypted with" in old.stderr

    applied.env["ORCHC_STATE_KEY"] = NEW_KEY
    assert password(applied) == generated
    assert applied.actions() == dict.fromkeys(ALL_UIDS, "noop")


@pytest.mark.services
def test_migrate_sqlite_to_postgresql_and_back_keeps_everything(
    applied: Project, postgres_url: str
) -> None:
    applied.run("apply", "--env", "dev", "--auto-approve")
    generated, at = password(applied), serial(applied)
    state_file = applied.root / ".orchc" / "state.db"
    before = state_file.read_bytes()

    applied.run("state", "migrate", "--to", postgres_url)
    assert state_file.read_bytes() == before  # the source is untouched
    assert password(applied, "--state", postgres_url) == generated
    assert serial(applied, "--state", postgres_url) == at
    assert applied.actions() == dict.fromkeys(ALL_UIDS, "noop")

    refused = applied.run("state", "migrate", "--to", postgres_url, expect=1)
    assert "is not empty" in refused.stderr

    applied.run("apply", "--env", "dev", "--auto-approve", "--state", postgres_url)
    back = "sqlite:///back/state.db"
    applied.run("state", "migrate", "--state", postgres_url, "--to", back)
    assert password(applied, "--state", back) == generated
    assert serial(applied, "--state", back) == at + 1
    applied.env["ORCHC_STATE"] = back
    assert applied.actions() == dict.fromkeys(ALL_UIDS, "noop")
    store = open_state(back, applied.root)
    try:
        deployments = store.deployments("shop", "dev")
    finally:
        store.close()
    assert [d["result"] for d in deployments] == ["ok", "ok"]  # both applies, in order
    assert deployments[0]["id"] > deployments[1]["id"]


@pytest.mark.services
def test_migrate_an_encrypted_state(applied: Project, postgres_url: str) -> None:
    applied.env["ORCHC_STATE_KEY"] = KEY
    applied.run("apply", "--env", "dev", "--auto-approve")
    generated = password(applied)
    applied.run("state", "migrate", "--to", postgres_url)
    assert password(applied, "--state", postgres_url) == generated
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute("SELECT * FROM orchc.resources").fetchall()
    assert rows and generated not in repr(rows)


HOLD_LOCK = """
import sys
from pathlib import Path
from orchc.runtime.state import open_state
store = open_state(sys.argv[1], Path(sys.argv[2]))
store.acquire_lock("shop", "dev", "apply")
print("held", flush=True)
sys.stdin.read()
store.release_lock("shop", "dev")
store.close()
"""


on_both_backends = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]
)


def state_url(backend: str, request: pytest.FixtureRequest) -> str:
    """The project's SQLite state, or a fresh PostgreSQL database of its own."""
    if backend == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return "sqlite:///.orchc/state.db"


def hold_lock(url: str, project: Project) -> subprocess.Popen[str]:
    """A process holding the lock of shop/dev (as an apply) until its stdin closes."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, url, str(project.root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    return holder


@on_both_backends
def test_lock_timeout_waits_for_the_holder_then_applies(
    applied: Project, backend: str, request: pytest.FixtureRequest
) -> None:
    url = state_url(backend, request)
    applied.env["ORCHC_STATE"] = url
    holder = hold_lock(url, applied)
    assert holder.stdin is not None
    refused = applied.run("apply", "--env", "dev", "--auto-approve", expect=1)
    assert "the state is locked: apply by pid" in refused.stderr

    waits_then_runs(applied, holder, "apply", "--env", "dev", "--auto-approve")
    assert sorted(applied.state_uids()) == ALL_UIDS


def waits_then_runs(project: Project, holder: subprocess.Popen[str], *command: str) -> str:
    """`command --lock-timeout 5m` says it waits for `holder`, which is then released;
    the command then runs and succeeds. Returns what it printed on stdout."""
    assert holder.stdin is not None
    waiting = project.popen(*command, "--lock-timeout", "5m")
    assert waiting.stderr is not None
    line = waiting.stderr.readline()
    assert line.startswith(f"orchc: waiting for the lock, held by apply by pid {holder.pid}")
    assert line.rstrip().endswith("(up to 5m)")
    holder.stdin.close()
    assert holder.wait(60) == 0
    printed, rest = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, rest
    return printed


@pytest.mark.parametrize(
    "command",
    [("plan", "--env", "dev", "--refresh"), ("state", "rm", DB_UID, "--env", "dev")],
    ids=["plan --refresh", "state rm"],
)
def test_lock_timeout_of_the_other_commands_that_take_the_lock(
    applied: Project, command: tuple[str, ...]
) -> None:
    """`plan --refresh` and `state rm` take the (app, env) lock: refused, they suggest
    `--lock-timeout`, and with it they wait for the holder, then run."""
    applied.run("apply", "--env", "dev", "--auto-approve")
    holder = hold_lock("sqlite:///.orchc/state.db", applied)
    assert holder.stdin is not None
    refused = applied.run(*command, expect=1)
    assert f"the state is locked: apply by pid {holder.pid}" in refused.stderr
    assert "(--lock-timeout DURATION waits)" in refused.stderr
    assert sorted(applied.state_uids()) == ALL_UIDS

    waits_then_runs(applied, holder, *command)
    forgotten = command[:2] == ("state", "rm")
    assert sorted(applied.state_uids()) == [u for u in ALL_UIDS if not forgotten or u != DB_UID]

    bad = applied.run(*command, "--lock-timeout", "soon", expect=2)
    assert "'soon' is not a duration such as 30s, 5m, 1h or 1m30s" in bad.stderr
