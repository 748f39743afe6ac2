"""Each command loads only what it uses (issue 16): `orchc --version` and `--help` load
click and nothing of orchc beyond the command line; `orchc apply plan.json` loads neither
the language front end (lark, the grammar's parser, the Score reader, the compiler
passes) nor Jinja, unless a secret written literally in a definition must be read
again. The commands run as the `orchc` script runs them, in a fresh
interpreter, which writes the names in `sys.modules` when it exits.

What is asserted is which modules are loaded, never a time: bench/README.md has the
figures."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest
from e2e_helpers import STATIC_DEFINITIONS, Project

from orchc.cli import LazyGroup, main

REPOSITORY = Path(__file__).resolve().parents[2]

# The `orchc` console script, writing sys.modules at exit (SystemExit included).
PROBE = """
import atexit, json, sys
atexit.register(lambda: json.dump(sorted(sys.modules), open("loaded.json", "w")))
from orchc.cli import run
sys.argv = ["orchc", *sys.argv[1:]]
run()
"""

# What `--version` and `--help` may load of orchc, and the libraries they must not.
START_UP_MODULES = {"orchc", "orchc.cli", "orchc.options"}
LIBRARIES = ("pydantic", "yaml", "lark", "jinja2", "networkx", "cryptography", "sqlite3", "orjson")

# The language front end and what only planning needs: `apply PLAN` loads none of them.
FRONT_END = (
    "lark",
    "jinja2",
    "networkx",
    "orchc.compiler.pipeline",
    "orchc.compiler.passes",
    "orchc.compiler.render",
    "orchc.compiler.plan_actions",
    "orchc.compiler.matching",
    "orchc.compiler.ir",
    "orchc.compiler.score.reader",
    "orchc.compiler.score.model",
    "orchc.compiler.score.messages",
    "orchc.compiler.score.yaml_positions",
)
# Of the grammar package, apply may load only the leaves every layer shares.
GRAMMAR_LEAVES = {"orchc.grammar", "orchc.grammar.diagnostics", "orchc.grammar.source"}

# What neither `plan` (text report, unencrypted state) nor `apply` of its plan needs:
# the renderers of the other formats, comparing plans (`diff`, `impact`), and the state
# cipher's library.
NOT_FOR_A_TEXT_PLAN = (
    "cryptography",
    "orchc.compiler.plan_diff",
    "orchc.compiler.render.diff",
    "orchc.compiler.render.html",
    "orchc.compiler.render.graphs",
    "orchc.drivers.targets.kubernetes_render",
)

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


def loaded_by(project: Project, *args: str) -> list[str]:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
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


def under(modules: list[str], package: str) -> list[str]:
    return [m for m in modules if m == package or m.startswith(package + ".")]


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_load_only_the_command_line(project: Project, flag: str) -> None:
    loaded = loaded_by(project, flag)
    assert set(under(loaded, "orchc")) == START_UP_MODULES
    assert [m for library in LIBRARIES for m in under(loaded, library)] == []


def apply_loads(project: Project) -> list[str]:
    project.plan()
    return loaded_by(project, "apply", "plan.json", "--auto-approve")


def front_end(loaded: list[str]) -> list[str]:
    grammar = [m for m in under(loaded, "orchc.grammar") if m not in GRAMMAR_LEAVES]
    return grammar + [m for package in FRONT_END for m in under(loaded, package)]


def deployed_texts(project: Project) -> str:
    files = (project.root / "out").rglob("*")
    return "\n".join(p.read_text(errors="replace") for p in files if p.is_file())


def test_apply_of_a_plan_loads_no_front_end(project: Project) -> None:
    project.env["DB_PASSWORD"] = "from-the-environment-42"
    project.write("definitions/platform.orch", db_definition('env("DB_PASSWORD")'))
    project.write("score.yaml", SCORE)
    assert front_end(apply_loads(project)) == []
    assert "from-the-environment-42" in deployed_texts(project)


def test_plan_loads_only_what_its_format_and_state_need(project: Project) -> None:
    """Planning against a deployed state loads the default target's driver (Kubernetes
    manifests) for its metadata, not its renderer; an unencrypted state never loads the
    cipher; the html and graph renderers load only for their formats."""
    definitions = db_definition('env("DB_PASSWORD")').replace(STATIC_DEFINITIONS, "")
    project.write("definitions/platform.orch", 'environment "dev" { type = "development" }\n')
    project.write("definitions/db.orch", definitions)
    project.write("score.yaml", SCORE)
    project.env["DB_PASSWORD"] = "from-the-environment-42"
    applied = apply_loads(project)
    assert "orchc.drivers.targets.kubernetes_render" in applied
    assert under(applied, "cryptography") == []
    loaded = loaded_by(project, "plan", "--env", "dev", "-o", "plan.json")
    assert "orchc.drivers.targets.kubernetes_manifests" in loaded
    assert "orchc.runtime.state.sqlite_store" in loaded
    assert [m for package in NOT_FOR_A_TEXT_PLAN for m in under(loaded, package)] == []
    html = loaded_by(project, "plan", "--env", "dev", "--format", "html", "-o", "plan.json")
    assert "orchc.compiler.render.html" in html


def test_a_literal_secret_is_read_again_through_the_front_end(project: Project) -> None:
    """Only a secret written literally in a definition makes apply read the definition
    file again (compiler/literal_secrets.py), and so load the parser."""
    project.write("definitions/platform.orch", db_definition('"written-literally-7"'))
    project.write("score.yaml", SCORE)
    loaded = apply_loads(project)
    assert "lark" in loaded and "orchc.grammar.parse" in loaded
    assert "written-literally-7" in deployed_texts(project)
    assert "written-literally-7" not in (project.root / "plan.json").read_text()


def test_a_plan_of_unchanged_definitions_loads_no_parser(project: Project) -> None:
    """The defaults' and the project's programs are read from the user's cache
    (compiler/program_cache.py) once built: nothing is left to parse."""
    project.env["XDG_CACHE_HOME"] = str(project.root / "cache-home")
    project.env["DB_PASSWORD"] = "from-the-environment-42"
    project.write("definitions/platform.orch", db_definition('env("DB_PASSWORD")'))
    project.write("score.yaml", SCORE)
    first = loaded_by(project, "plan", "--env", "dev", "-o", "plan.json")
    assert "lark" in first
    again = loaded_by(project, "plan", "--env", "dev", "-o", "plan.json")
    assert under(again, "lark") == []
    assert "orchc.grammar.parse" not in again


def test_a_first_plan_loads_no_driver_and_no_state_store(project: Project) -> None:
    """With no state yet, planning checks built-in drivers against their declarations
    (drivers/declarations.py): it imports no driver module and not the driver protocol's
    pydantic models. It only asks whether the state file exists: neither sqlite3 nor the
    store's modules load."""
    project.env["DB_PASSWORD"] = "from-the-environment-42"
    project.write("definitions/platform.orch", db_definition('env("DB_PASSWORD")'))
    project.write("score.yaml", SCORE)
    loaded = loaded_by(project, "plan", "--env", "dev", "-o", "plan.json")
    drivers = {m for m in under(loaded, "orchc.drivers") if m != "orchc.drivers.targets"}
    assert drivers == {
        "orchc.drivers",
        "orchc.drivers.declarations",
        "orchc.drivers.registry",
        "orchc.drivers.targets.repository_paths",
    }
    assert under(loaded, "sqlite3") == []
    assert under(loaded, "orchc.runtime.state.sqlite_store") == []
    assert "orchc.runtime.state.sqlite" in loaded


@pytest.mark.parametrize("name", sorted(LazyGroup.lazy_commands))
def test_help_summarises_each_lazy_command_as_its_docstring(name: str) -> None:
    """`--help` lists lazy commands from `LazyGroup.summaries` without importing them;
    each summary is what click would show from the command itself."""
    command = main.get_command(click.Context(main), name)
    assert command is not None
    assert LazyGroup.summaries.get(name) == command.get_short_help_str(limit=1000)


# `run` pauses the collector while the command's modules load; a command that runs
# drivers must work with it on (a large apply makes garbage cycles), while `plan`, which
# only compiles, keeps it paused to the end (`COMPILING_COMMANDS`).
GC_PROBE = """
import atexit, gc, json, sys
atexit.register(lambda: json.dump(gc.isenabled(), open("collector.json", "w")))
from orchc.cli import run
sys.argv = ["orchc", *sys.argv[1:]]
run()
"""


def test_the_console_script_is_run_and_resumes_the_collector_to_apply(
    project: Project,
) -> None:
    # pyproject.toml, not the installed metadata: a venv installed before the change
    # still runs orchc.cli:main until it is installed again.
    pyproject = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["orchc"] == "orchc.cli:run"
    project.write("definitions/platform.orch", db_definition('env("DB_PASSWORD")'))
    project.write("score.yaml", SCORE)
    project.env["DB_PASSWORD"] = "from-the-environment-42"
    for command, collecting in (
        (["plan", "--env", "dev", "-o", "plan.json"], False),
        (["apply", "plan.json", "--auto-approve"], True),
    ):
        run = subprocess.run(
            [sys.executable, "-c", GC_PROBE, *command],
            cwd=project.root,
            env=project.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        assert json.loads((project.root / "collector.json").read_text()) is collecting
