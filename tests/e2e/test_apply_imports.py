"""`orchc apply plan.json` runs without the language front end: it loads the parser
(lark, `orchc.grammar.parse`), the compiler pipeline and the Score reader only when a
secret written literally in a definition must be read again."""

from __future__ import annotations

import json
import subprocess
import sys

from e2e_helpers import STATIC_DEFINITIONS, Project

FRONT_END = (
    "lark",
    "orchc.grammar.parse",
    "orchc.compiler.pipeline",
    "orchc.compiler.score.reader",
)

# Runs `orchc apply` in this interpreter and writes which front-end modules it loaded.
PROBE = f"""
import json, sys
from orchc.cli import main
try:
    main(["apply", "plan.json", "--auto-approve"])
finally:
    with open("loaded.json", "w") as out:
        json.dump([m for m in {FRONT_END!r} if m in sys.modules], out)
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
      DB_PASSWORD: ${resources.db.password}
resources:
  db:
    type: postgres
"""


def db_definition(secret: str) -> str:
    return (
        STATIC_DEFINITIONS
        + f"""
definition "db" {{
  type   = "postgres"
  driver = "static"
  match {{}}
  inputs {{ host = "db.internal" }}
  secrets {{ password = {secret} }}
}}
"""
    )


def apply_in_probe(project: Project) -> list[str]:
    project.plan()
    run = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=project.root,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    loaded: list[str] = json.loads((project.root / "loaded.json").read_text())
    return loaded


def deployed_texts(project: Project) -> str:
    files = (project.root / "out").rglob("*")
    return "\n".join(p.read_text(errors="replace") for p in files if p.is_file())


def test_apply_of_a_plan_does_not_load_the_front_end(project: Project) -> None:
    project.env["DB_PASSWORD"] = "from-the-environment-42"
    project.write("definitions/platform.orch", db_definition('env("DB_PASSWORD")'))
    project.write("score.yaml", SCORE)
    assert apply_in_probe(project) == []
    assert "from-the-environment-42" in deployed_texts(project)


def test_a_literal_secret_is_read_again_through_the_front_end(project: Project) -> None:
    project.write("definitions/platform.orch", db_definition('"written-literally-7"'))
    project.write("score.yaml", SCORE)
    loaded = apply_in_probe(project)
    assert "lark" in loaded and "orchc.grammar.parse" in loaded
    assert "written-literally-7" in deployed_texts(project)
    assert "written-literally-7" not in (project.root / "plan.json").read_text()
