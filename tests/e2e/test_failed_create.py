"""A failed create can always be deleted (SPEC §9): the state keeps the inputs of the
last attempted operation, so destroy reaches what the failed create left on the real
PostgreSQL server (here: the role, made before CREATE DATABASE failed because the
definition's admin may create roles but not databases)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e_helpers import STATIC_DEFINITIONS, Project, postgres_admin, postgres_has
from psycopg import sql

DEFINITIONS = (
    STATIC_DEFINITIONS
    + """
definition "pg" {
  type   = "postgres"
  driver = "postgres"
  match {}
  inputs {
    host = "127.0.0.1", port = 5432, admin_user = "ADMIN", database = "DB", username = "DB"
  }
}
"""
)

SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: api
containers:
  main:
    image: busybox
    variables:
      PG_URL: ${resources.db.url}
resources:
  db: {type: postgres}
"""

DB = "postgres.default#api.db"


@pytest.fixture
def admin_without_createdb(postgres_name: str) -> Iterator[str]:
    """A login role that may create roles but not databases (as a platform team's
    admin whose CREATEDB was revoked), dropped after the test."""
    admin = f"{postgres_name}_admin"
    with postgres_admin() as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEROLE NOCREATEDB").format(sql.Identifier(admin))
        )
    yield admin
    with postgres_admin() as conn:
        for statement in ("DROP DATABASE IF EXISTS {} WITH (FORCE)", "DROP ROLE IF EXISTS {}"):
            conn.execute(sql.SQL(statement).format(sql.Identifier(postgres_name)))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(admin)))


@pytest.mark.services
def test_a_failed_create_is_destroyed_leaving_nothing(
    project: Project, postgres_name: str, admin_without_createdb: str
) -> None:
    name = postgres_name
    definitions = DEFINITIONS.replace("DB", name).replace("ADMIN", admin_without_createdb)
    project.write("definitions/platform.orch", definitions)
    project.write("score.yaml", SCORE)

    failed = project.run("apply", "--env", "dev", "--auto-approve", expect=1)
    assert f"cannot create database '{name}': permission denied to create database" in (
        failed.stderr
    )
    assert postgres_has("role", name) and not postgres_has("database", name)
    listed = project.run("state", "list", "--env", "dev").stdout
    assert f"{DB}\tcreating\t" in listed

    project.run("destroy", "--env", "dev", "--auto-approve")
    assert not postgres_has("role", name)
    assert not postgres_has("database", name)
    assert project.state_uids() == []
