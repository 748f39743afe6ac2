"""The defaults as users meet them: `orchc defaults` prints them, `orchc explain` says
when one was chosen, and any matching user definition wins over them (SPEC §3.5)."""

from __future__ import annotations

import json
from importlib import resources as package_files
from pathlib import Path
from typing import Any

import pytest

from orchc.cli_defaults import load_defaults

DEFAULTS = Path(str(package_files.files("orchc.defaults")))

SCORE = """\
apiVersion: score.dev/v1b1
metadata: {name: app}
containers:
  main:
    image: busybox
    variables: {DB_HOST: "${resources.db.host}"}
resources:
  db: {type: postgres}
"""
UID = "postgres.default#app.db"


@pytest.fixture
def score(project: Any) -> str:
    path = project.root / "score.yaml"
    path.write_text(SCORE)
    return str(path)


def match_line(name: str) -> int:
    lines = (DEFAULTS / name).read_text().splitlines()
    return lines.index("  match {}") + 1


def test_defaults_lists_one_line_per_definition(project: Any) -> None:
    lines = project.run("defaults").stdout.splitlines()
    assert lines[0].split() == ["TYPE", "DEFINITION", "DRIVER", "DESCRIPTION"]
    rows = {line.split()[0]: line.split(maxsplit=3) for line in lines[1:]}
    assert rows["postgres"] == [
        "postgres",
        "default-postgres",
        "template",
        "a PostgreSQL server per resource, as a container beside the workloads",
    ]
    assert rows["environment"][:3] == ["environment", "default-environment", "environment"]
    assert rows["target"][:3] == ["target", "default-target", "kubernetes-manifests"]
    assert project.run("defaults", "--list").stdout == "\n".join(lines) + "\n"


def test_defaults_type_prints_the_file_as_orchc_reads_it(project: Any) -> None:
    printed = project.run("defaults", "postgres").stdout
    assert printed == (DEFAULTS / "postgres.orch").read_text()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["defaults", "nope"],
            1,
            "orchc: error: no default definition for type 'nope' (defaults exist for: amqp, "
            "dns, elasticsearch, environment, kafka-topic, mongodb, mssql, mysql, postgres, "
            "postgres-instance, redis, route, s3, service-port, target, volume, workload)\n",
        ),
        (
            ["defaults", "--list", "redis"],
            2,
            "orchc: error: give either --list or a TYPE, not both\n",
        ),
    ],
)
def test_defaults_usage_errors(project: Any, args: list[str], code: int, message: str) -> None:
    assert project.run(*args, code=code).stderr == message


def test_every_default_is_a_catch_all_with_a_description() -> None:
    program, _ = load_defaults()
    for definition in program.definitions:
        assert definition.id == f"default-{definition.type}"
        assert definition.description
        assert [block.criteria for block in definition.matches] == [()]
        assert definition.span.path == f"orchc:defaults/{definition.type}.orch"


def test_defaults_are_formatted(project: Any) -> None:
    project.run("fmt", "--check", str(DEFAULTS))


def test_explain_shows_the_default_was_chosen(project: Any, score: str) -> None:
    line = match_line("postgres.orch")
    explained = project.run("explain", UID, "--env", "dev", "-f", score).stdout
    assert explained == (
        f"resource {UID}\n"
        "context  app=shop env=dev env_type=development\n"
        "\n"
        f"default-postgres (default) orchc:defaults/postgres.orch:{line}: match {{}} -> "
        "satisfied, rank {}\n"
        "    pass  class = 'default' (resource: 'default')\n"
        "\n"
        f"winner: default-postgres (orchc:defaults/postgres.orch:{line}), driver template\n"
    )


USER_DB = """\
definition "shared-db" {{
  type   = "postgres"
  driver = "static"
  {match}
  inputs {{ host = "db.internal" }}
}}
"""


@pytest.mark.parametrize(
    ("match", "env", "winner"),
    [
        ("match {}", "dev", "shared-db"),
        ("match {}", "staging", "shared-db"),
        ('match { env_type = "staging" }', "staging", "shared-db"),
        ('match { env_type = "staging" }', "dev", "default-postgres"),
        ('match { app = "other" }', "dev", "default-postgres"),
    ],
)
def test_a_matching_user_definition_wins_over_the_default(
    project: Any, score: str, match: str, env: str, winner: str
) -> None:
    project.define("db.orch", USER_DB.format(match=match))
    plan = json.loads(project.run("plan", "--env", env, "-f", score, "--format", "json").stdout)
    assert plan["resources"][UID]["definition"] == winner
    explained = project.run("explain", UID, "--env", env, "-f", score).stdout
    assert f"winner: {winner} " in explained
    assert "default-postgres (default) orchc:defaults/postgres.orch" in explained


def test_a_printed_default_is_the_start_of_an_override(project: Any, score: str) -> None:
    printed = project.run("defaults", "postgres").stdout
    edited = printed.replace('"default-postgres"', '"team-postgres"').replace(
        '"postgres:17-alpine"', '"postgres:16-alpine"'
    )
    project.define("postgres.orch", edited)
    project.run("apply", "--env", "dev", "-f", score, "--auto-approve")
    plan = json.loads(project.run("plan", "--env", "dev", "-f", score, "--format", "json").stdout)
    assert plan["resources"][UID]["definition"] == "team-postgres"
    assert plan["resources"][UID]["source"].startswith("platform/postgres.orch:")
    compose = (project.root / "compose.yaml").read_text()
    assert "image: postgres:16-alpine" in compose
    assert "postgres:17-alpine" not in compose
