"""A canary secret goes through every path a secret can take; it must not appear in
any plan, log line, JSON event, state listing, manifest or compose file — only in the
state store, the 0600 env file and (base64) in Kubernetes Secret objects."""

from __future__ import annotations

import base64
import json
import stat
import sys
from pathlib import Path

from e2e_helpers import Project

CANARY = "canary-7f3a9c-do-not-leak"
WORLD = Path(__file__).parent / "programs" / "world.py"

DEFINITIONS = """
environment "dev"     { type = "development" }
environment "staging" { type = "staging" }

definition "compose" {
  type   = "target"
  driver = "compose"
  match { env = "dev" }
  inputs { path = "out/compose.yaml" }
}

definition "db" {
  type   = "postgres"
  driver = "static"
  match {}
  inputs {
    host = "db.internal"
    url  = "postgres://app:${resources.vault#creds.outputs.token}@db.internal/app"
  }
  secrets { password = env("CANARY_SECRET") }
}

definition "vault" {
  type   = "vault"
  driver = "static"
  match {}
  secrets { token = env("CANARY_SECRET") }
}

definition "leaky" {
  type   = "leaky"
  driver = "cmd"
  match {}
  inputs {
    command      = COMMAND
    world        = "WORLD"
    leak_secrets = true
  }
  secrets { token = env("CANARY_SECRET") }
}
"""

SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: api
containers:
  main:
    image: busybox
    variables:
      DB_HOST: ${resources.db.host}
      DB_PASSWORD: ${resources.db.password}
      DB_URL: ${resources.db.url}
    files:
      /etc/app/creds.ini:
        content: |
          password=${resources.db.password}
resources:
  db:
    type: postgres
"""


def setup(project: Project) -> None:
    project.env["CANARY_SECRET"] = CANARY
    definitions = DEFINITIONS.replace("COMMAND", json.dumps([sys.executable, str(WORLD)]))
    project.write(
        "definitions/platform.orch", definitions.replace("WORLD", str(project.root / "w.json"))
    )
    project.write("score.yaml", SCORE)


def readable_files(root: Path) -> dict[str, str]:
    """Every file outside the state store that is not private (mode 0600): the env
    files and secret file contents for Compose are private by design."""
    texts = {}
    for path in root.rglob("*"):
        if (
            path.is_file()
            and ".orchc" not in path.parts
            and stat.S_IMODE(path.stat().st_mode) != 0o600
        ):
            texts[str(path.relative_to(root))] = path.read_text(errors="replace")
    return texts


def test_the_canary_never_leaks(project: Project) -> None:
    setup(project)
    printed: list[str] = []
    for env in ("dev", "staging"):
        for result in (
            project.run("plan", "--env", env, "-o", f"{env}.json", "--format", "markdown"),
            project.run("apply", f"{env}.json", "--json"),
            project.run("plan", "--env", env, "--format", "json"),
            project.run("state", "list", "--env", env),
            project.run("state", "show", "postgres.default#api.db", "--env", env),
            project.run("outputs", "postgres.default#api.db", "--env", env, "--format", "json"),
        ):
            printed += [result.stdout, result.stderr]
    for text in printed:
        assert CANARY not in text
    for name, text in readable_files(project.root).items():
        assert CANARY not in text, f"the canary leaked into {name}"

    shown = project.run(
        "outputs", "postgres.default#api.db", "--env", "dev", "--show-secrets", "--format", "json"
    )
    assert json.loads(shown.stdout)["password"] == CANARY  # the positive control

    env_files = list((project.root / "out").glob("*.env"))
    assert env_files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in env_files)
    assert any(CANARY in p.read_text() for p in env_files)
    encoded = base64.b64encode(CANARY.encode()).decode()
    manifests = "".join(p.read_text() for p in (project.root / "build").rglob("*.yaml"))
    assert encoded in manifests  # delivered through a Secret object


def test_a_driver_printing_a_secret_is_scrubbed(project: Project) -> None:
    setup(project)
    project.write(
        "score.yaml",
        SCORE.replace("    type: postgres\n", "    type: postgres\n  leak:\n    type: leaky\n"),
    )
    failed = project.run("apply", "--env", "dev", "--auto-approve", expect=1)
    assert "cannot log in with" in failed.stderr
    assert "(sensitive)" in failed.stderr
    assert CANARY not in failed.stderr + failed.stdout
    events = project.run("apply", "--env", "dev", "--auto-approve", "--json", expect=1)
    assert "cannot log in with" in events.stdout and CANARY not in events.stdout
