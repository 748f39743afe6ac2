"""`orchc history`, `orchc history show` and `orchc history prune` through the real CLI
(SPEC §13): every apply and destroy is a deployment with its serial, times, `user@host`,
plan digest, counts per action, result and duration, listed newest first; one
deployment shows what it changed; pruning keeps the newest N, under the lock, on SQLite
and PostgreSQL."""

from __future__ import annotations

import getpass
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import STATIC_DEFINITIONS, Project
from test_team_state import hold_lock, on_both_backends, state_url, waits_then_runs

DEFINITIONS = (
    STATIC_DEFINITIONS
    + """
definition "dns" {
  type   = "dns"
  driver = "static"
  match {}
  inputs { host = "shop.example.com" }
  secrets { token = env("DNS_TOKEN") }
}
"""
)

SECRET = "dns-t0ken-never-shown"


def score(image: str, with_dns: bool = True) -> str:
    text = f"""
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: {image}
"""
    if with_dns:
        text += """    variables:
      HOST: ${resources.dns.host}
resources:
  dns:
    type: dns
"""
    return text


def history(project: Project, *extra: str) -> dict[str, Any]:
    out = project.run("history", "--env", "dev", "--format", "json", *extra).stdout
    document: dict[str, Any] = json.loads(out)
    return document


def test_three_applies_and_a_destroy_newest_first(project: Project) -> None:
    project.env["DNS_TOKEN"] = SECRET
    project.write("definitions/platform.orch", DEFINITIONS)
    digests, summaries = [], []
    for image, with_dns in (("nginx:1", True), ("nginx:2", True), ("nginx:3", False)):
        project.write("web/score.yaml", score(image, with_dns))
        plan = project.plan()
        digests.append(plan["plan_digest"])
        summaries.append(plan["summary"])
        project.run("apply", "plan.json", "--auto-approve")
    project.run("destroy", "--env", "dev", "--auto-approve")

    listed = history(project)
    assert (listed["app"], listed["env"]) == ("shop", "dev")
    rows = listed["deployments"]
    assert [(r["serial"], r["operation"], r["result"]) for r in rows] == [
        (4, "destroy", "ok"),
        (3, "apply", "ok"),
        (2, "apply", "ok"),
        (1, "apply", "ok"),
    ]
    assert [r["plan_digest"] for r in rows[1:]] == digests[::-1]
    assert {r["actor"] for r in rows} == {f"{getpass.getuser()}@{socket.gethostname()}"}
    assert [r["counts"] for r in rows[1:]] == summaries[::-1]
    assert summaries[0]["create"] >= 3  # the target, the dns resource, the workload
    assert summaries[2]["delete"] == 1  # the dns resource
    remaining = sum(n for action, n in summaries[2].items() if action != "delete")
    assert rows[0]["counts"] == {"delete": remaining}  # everything serial 3 left
    for row in rows:
        assert row["ended"] >= row["started"] and row["duration"] >= 0

    text = project.run("history", "--env", "dev").stdout.splitlines()
    assert text[0].split() == [
        "SERIAL",
        "OPERATION",
        "RESULT",
        "STARTED",
        "DURATION",
        "BY",
        "CHANGES",
        "PLAN",
    ]
    assert [line.split()[:3] for line in text[1:]] == [
        ["4", "destroy", "ok"],
        ["3", "apply", "ok"],
        ["2", "apply", "ok"],
        ["1", "apply", "ok"],
    ]
    assert text[4].split()[6:8] == [f"+{summaries[0]['create']}", digests[0][:19]]
    assert len(history(project, "--limit", "2")["deployments"]) == 2
    assert SECRET not in json.dumps(listed) + "\n".join(text)


def test_show_says_what_one_deployment_changed(project: Project) -> None:
    project.env["DNS_TOKEN"] = SECRET
    project.write("definitions/platform.orch", DEFINITIONS)
    project.write("web/score.yaml", score("nginx:1"))
    project.run("apply", "--env", "dev", "--auto-approve")
    project.write("web/score.yaml", score("nginx:2", with_dns=False))
    project.run("apply", "--env", "dev", "--auto-approve")

    shown = json.loads(
        project.run("history", "show", "2", "--env", "dev", "--format", "json").stdout
    )
    assert (shown["serial"], shown["operation"], shown["result"]) == (2, "apply", "ok")
    assert shown["changed"] == {
        "resources": {
            "dns.default#web.dns": {"action": "delete", "definition": "dns", "result": "ok"}
        },
        "workloads": {"web": {"action": "update"}},
    }
    assert "applied" not in shown

    text = project.run("history", "show", "1", "--env", "dev").stdout
    assert text.startswith("Deployment serial 1 of shop/dev: apply, ok\n")
    assert "  +   dns.default#web.dns  (ok)" in text
    assert "Workloads:\n  +   web" in text
    assert SECRET not in text

    missing = project.run("history", "show", "9", "--env", "dev", expect=1)
    assert (
        missing.stderr == "orchc: error: no deployment with serial 9 in the history of shop/dev\n"
    )
    usage = project.run("history", expect=2)
    assert "missing option '--env'" in usage.stderr


def test_a_failed_apply_is_recorded_as_failed(project: Project) -> None:
    failing = (
        STATIC_DEFINITIONS
        + """
definition "dns" {
  type   = "dns"
  driver = "cmd"
  match {}
  inputs { command = ["python3", "-c", "import sys; sys.exit(3)"] }
}
"""
    )
    project.write("definitions/platform.orch", failing)
    project.write("web/score.yaml", score("nginx:1"))
    project.run("apply", "--env", "dev", "--auto-approve", expect=1)
    (row,) = history(project)["deployments"]
    assert (row["serial"], row["operation"], row["result"]) == (1, "apply", "failed")


@on_both_backends
def test_prune_keeps_the_newest_deployments_under_the_lock(
    project: Project, backend: str, request: pytest.FixtureRequest
) -> None:
    url = state_url(backend, request)
    project.env.update(ORCHC_STATE=url, DNS_TOKEN=SECRET)
    project.write("definitions/platform.orch", DEFINITIONS)
    for version in range(1, 5):  # serials 1 to 4
        project.write("web/score.yaml", score(f"nginx:{version}"))
        project.run("apply", "--env", "dev", "--auto-approve")
    project.write("web/score.yaml", score("nginx:5"))
    project.plan()  # against serial 4, applied after the prune

    holder = hold_lock(url, project)
    assert holder.stdin is not None
    refused = project.run("history", "prune", "--keep", "2", "--env", "dev", expect=1)
    assert "the state is locked: apply by pid" in refused.stderr
    assert len(history(project)["deployments"]) == 4  # nothing deleted
    pruned = waits_then_runs(project, holder, "history", "prune", "--keep", "2", "--env", "dev")
    assert (
        pruned == "deleted 2 deployment(s) from the history of shop/dev; kept 2 (serials 3 to 4)\n"
    )

    project.run("apply", "plan.json", "--auto-approve")  # pruning moved no serial
    assert [r["serial"] for r in history(project)["deployments"]] == [5, 4, 3]
    gone = project.run("rollback", "--env", "dev", "--to", "2", "-o", "back.json", expect=1)
    assert "no deployment with serial 2 in the history of shop/dev" in gone.stderr
    project.run("rollback", "--env", "dev", "--to", "3", "-o", "back.json")
    project.run("apply", "back.json", "--auto-approve")
    assert "nginx:3" in (project.root / "out" / "compose.yaml").read_text()

    nothing = project.run("history", "prune", "--keep", "0", "--env", "dev", expect=2)
    assert "Invalid value for '--keep': 0 is not in the range x>=1" in nothing.stderr
    assert len(history(project)["deployments"]) == 4


# A third-party backend installed as a plugin (a module and its dist-info with an
# `orchc.state` entry point), whose store was written before `prune_deployments`
# joined the state contract: it delegates the rest to orchc's SQLite store.
OLD_PLUGIN = """
from pathlib import Path

from orchc.runtime.state.sqlite_store import SqliteStateStore


class OldFolderStore:
    def __init__(self, path):
        self._store = SqliteStateStore(path)
        self._closed = False

    def close(self):  # as a store with a connection pool might: closing twice is a bug
        if self._closed:
            raise RuntimeError("closed twice")
        self._closed = True
        self._store.close()

    def __getattr__(self, name):
        if name == "prune_deployments":
            raise AttributeError(name)
        return getattr(self._store, name)


class OldFolderBackend:
    def open(self, url, project_root):
        return OldFolderStore(self._path(url, project_root))

    def exists(self, url, project_root):
        return self._path(url, project_root).exists()

    def location(self, url, project_root):
        return str(self._path(url, project_root))

    def _path(self, url, project_root):
        return Path(project_root) / url.removeprefix("oldfolder://") / "state.db"
"""


def test_prune_on_a_backend_without_prune_deployments_is_a_clear_error(
    project: Project, tmp_path: Path
) -> None:
    _old_backend_applied_twice(project, tmp_path)
    refused = project.run("history", "prune", "--keep", "1", "--env", "dev", expect=1)
    assert refused.stderr == (
        "orchc: error: state backend 'oldfolder' (orchc_old_folder:OldFolderStore) cannot "
        "prune the history: its store has no `prune_deployments` method, which the state "
        "contract gained with `history prune`; nothing was deleted\n"
    )
    assert len(history(project)["deployments"]) == 2


@pytest.mark.parametrize(
    "command",
    [
        ("state", "rm", "dns.default#web.dns", "--env", "dev"),
        ("drift", "--env", "dev"),
        ("plan", "--env", "dev", "--refresh"),
        ("apply", "--env", "dev", "--auto-approve"),
        ("destroy", "--env", "dev", "--auto-approve"),
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_lock_timeout_on_a_backend_without_waiting_is_refused_cleanly(
    project: Project, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """The refusal closes the plugin's store once (its `close` refuses a second call)
    and changes nothing."""
    _old_backend_applied_twice(project, tmp_path)
    before = project.run("state", "list", "--env", "dev").stdout

    refused = project.run(*command, "--lock-timeout", "5m", expect=2)
    assert "--lock-timeout needs a sqlite or postgresql state" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert "closed twice" not in refused.stderr
    assert project.run("state", "list", "--env", "dev").stdout == before
    assert len(history(project)["deployments"]) == 2


def _old_backend_applied_twice(project: Project, tmp_path: Path) -> None:
    """Two applies on the `oldfolder://team` state of OLD_PLUGIN, installed as a plugin."""
    plugins = tmp_path / "plugins"
    info = plugins / "orchc_old_folder-1.0.dist-info"
    info.mkdir(parents=True)
    (plugins / "orchc_old_folder.py").write_text(OLD_PLUGIN)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: orchc-old-folder\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[orchc.state]\noldfolder = orchc_old_folder:OldFolderBackend\n"
    )
    project.env.update(PYTHONPATH=str(plugins), ORCHC_STATE="oldfolder://team", DNS_TOKEN=SECRET)
    project.write("definitions/platform.orch", DEFINITIONS)
    for version in (1, 2):
        project.write("web/score.yaml", score(f"nginx:{version}"))
        project.run("apply", "--env", "dev", "--auto-approve")
    assert (project.root / "team" / "state.db").is_file()  # the plugin's store is used
