"""Corrupt or foreign state is an error that says what is wrong and where, never an
empty state: nothing is planned or applied against it, and no traceback (issue 10,
item 7). A state file that does not exist yet is still the empty state of a first run."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from e2e_helpers import STATIC_DEFINITIONS, Project

DEFINITIONS = (
    STATIC_DEFINITIONS
    + """
definition "thing" {
  type   = "thing"
  driver = "static"
  match {}
  inputs { name = "one" }
}
"""
)
SCORE = """
apiVersion: score.dev/v1b1
metadata: {name: app}
containers:
  main:
    image: busybox
    variables: {NAME: "${resources.thing.name}"}
resources: {thing: {type: thing}}
"""
COMMANDS = (
    ("plan", "--env", "dev", "-o", "plan.json"),
    ("apply", "--env", "dev", "--auto-approve"),
    ("state", "list", "--env", "dev"),
    ("destroy", "--env", "dev", "--auto-approve"),
)


@pytest.fixture
def applied(project: Project) -> Project:
    project.write("definitions/thing.orch", DEFINITIONS)
    project.write("score.yaml", SCORE)
    project.run("apply", "--env", "dev", "--auto-approve")
    return project


def refused_everywhere(project: Project, *expected: str) -> None:
    """Every command fails with one located line containing `expected`; nothing is
    planned (no plan file) and nothing deployed."""
    (project.root / "out" / "compose.yaml").unlink(missing_ok=True)
    for command in COMMANDS:
        result = project.run(*command, expect=1)
        for text in expected:
            assert text in result.stderr, (command, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("orchc: error: the state at ")
    assert not (project.root / "plan.json").exists()
    assert not (project.root / "out" / "compose.yaml").exists()


def sql(project: Project, statement: str) -> None:
    with sqlite3.connect(project.root / ".orchc" / "state.db") as connection:
        connection.execute(statement)


def test_a_missing_state_file_is_the_empty_state_of_a_first_run(project: Project) -> None:
    project.write("definitions/thing.orch", DEFINITIONS)
    project.write("score.yaml", SCORE)
    plan = project.plan()
    assert {r["action"] for r in plan["resources"].values()} == {"create"}
    assert not (project.root / ".orchc" / "state.db").exists()  # plan created nothing


def test_an_empty_state_file(applied: Project) -> None:
    state = applied.root / ".orchc" / "state.db"
    for leftover in state.parent.glob("state.db*"):
        leftover.unlink()
    state.write_bytes(b"")
    refused_everywhere(applied, str(state), "is an empty file (0 bytes), not an orchc state")
    assert state.read_bytes() == b""  # nothing written into it


def test_a_file_that_is_not_a_database(applied: Project) -> None:
    state = applied.root / ".orchc" / "state.db"
    for leftover in state.parent.glob("state.db*"):
        leftover.unlink()
    state.write_text('{"version": 4}\n')
    refused_everywhere(applied, str(state), "not an orchc state database: file is not a database")


def test_another_applications_database(project: Project) -> None:
    project.write("definitions/thing.orch", DEFINITIONS)
    project.write("score.yaml", SCORE)
    (project.root / ".orchc").mkdir()
    sql(project, "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")
    refused_everywhere(project, "is not an orchc state: it has no 'meta' table (its tables: users)")


def test_a_dropped_table(applied: Project) -> None:
    sql(applied, "DROP TABLE resources")
    refused_everywhere(applied, "is damaged: table(s) resources missing")


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("99", "has schema version 99, written by a newer orchc"),
        ("three", "its schema version is missing or not a number"),
    ],
)
def test_a_schema_version_this_orchc_cannot_read(
    applied: Project, version: str, expected: str
) -> None:
    sql(applied, f"UPDATE meta SET value = '{version}' WHERE key = 'schema_version'")
    refused_everywhere(applied, expected)


@pytest.mark.parametrize("column", ["inputs", "depends_on", "outputs", "driver_state"])
def test_invalid_json_in_a_column(applied: Project, column: str) -> None:
    sql(applied, f"UPDATE resources SET {column} = '{{\"cut' WHERE uid LIKE 'thing%'")
    result = applied.run("apply", "--env", "dev", "--auto-approve", expect=1)
    # The planner reads only the planning columns (inputs, depends_on, ...): the others
    # are read, and refused, when the run starts, before any driver is called.
    assert result.stderr.endswith(
        f"orchc: error: the state at {applied.root / '.orchc' / 'state.db'} is damaged: "
        f"resource 'thing.default#app.thing' of shop/dev: column '{column}' is not valid JSON\n"
    )
    assert "Traceback" not in result.stderr
    shown = applied.run("state", "show", "thing.default#app.thing", "--env", "dev", expect=1)
    assert f"column '{column}' is not valid JSON" in shown.stderr


@pytest.mark.services
@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("DROP TABLE orchc.resources", "is damaged: table(s) resources missing"),
        ("DROP TABLE orchc.meta", "is not an orchc state: it has no 'meta' table"),
        (
            "UPDATE orchc.meta SET value = '99' WHERE key = 'schema_version'",
            "has schema version 99, written by a newer orchc",
        ),
        (
            "UPDATE orchc.resources SET inputs = '[1' WHERE uid LIKE 'thing%'",
            "resource 'thing.default#app.thing' of shop/dev: column 'inputs' is not valid JSON",
        ),
    ],
)
def test_damaged_postgresql_state(
    project: Project, postgres_url: str, damage: str, expected: str
) -> None:
    project.env["ORCHC_STATE"] = postgres_url
    project.write("definitions/thing.orch", DEFINITIONS)
    project.write("score.yaml", SCORE)
    project.run("apply", "--env", "dev", "--auto-approve")
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(damage)  # type: ignore[arg-type]
    refused_everywhere(project, "postgres", expected)
