"""The real drivers through the CLI: `orchc apply` provisions a PostgreSQL role and
database, a MariaDB user and database, a Redis ACL user and a Terraform module for a
workload; the generated credentials do real work; re-planning is a no-op; `orchc
destroy` removes it all. Each run uses its own app id, so names never collide."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
import redis
from e2e_helpers import Project

MODULE = Path(__file__).resolve().parents[1] / "drivers" / "tf_modules" / "basic"

DEFINITIONS = """
environment "dev" { type = "development" }

definition "compose" {
  type   = "target"
  driver = "compose"
  match {}
  inputs { path = "out/compose.yaml" }
}

definition "pg" {
  type   = "postgres"
  driver = "postgres"
  match {}
  inputs { host = "127.0.0.1", port = 5432, admin_user = "postgres" }
}

definition "maria" {
  type   = "mysql"
  driver = "mysql"
  match {}
  inputs { host = "127.0.0.1", port = 3306, admin_user = "root" }
}

definition "cache" {
  type   = "redis"
  driver = "redis"
  match {}
  inputs { host = "127.0.0.1", port = 6379, flush_keys_on_delete = true }
}

definition "bucket" {
  type   = "bucket"
  driver = "terraform"
  match {}
  inputs {
    source    = "modules/basic"
    variables = { name = "${context.app.id}", size = 3 }
  }
  secrets { variables = { token = env("BUCKET_TOKEN") } }
  policy { timeout = "5m" }
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
      PG_URL: ${resources.db.url}
      MYSQL_USER: ${resources.sql.username}
      REDIS_PREFIX: ${resources.cache.key_prefix}
      GREETING: ${resources.bucket.greeting}
resources:
  db: {type: postgres}
  sql: {type: mysql}
  cache: {type: redis}
  bucket: {type: bucket}
"""

UIDS = {
    "db": "postgres.default#api.db",
    "sql": "mysql.default#api.sql",
    "cache": "redis.default#api.cache",
    "bucket": "bucket.default#api.bucket",
}


def outputs(project: Project, name: str) -> dict[str, Any]:
    shown = project.run("outputs", UIDS[name], "--env", "dev", "--format", "json", "--show-secrets")
    found: dict[str, Any] = json.loads(shown.stdout)
    return found


def use_postgres(found: dict[str, Any]) -> None:
    with psycopg.connect(found["url"]) as connection:
        connection.execute("CREATE TABLE orders (id int primary key, item text)")
        connection.execute("INSERT INTO orders VALUES (1, 'book')")
        assert connection.execute("SELECT item FROM orders").fetchone() == ("book",)


def use_mysql(found: dict[str, Any]) -> None:
    connection = pymysql.connect(
        host=found["host"],
        port=found["port"],
        user=found["username"],
        password=found["password"],
        database=found["database"],
    )
    with connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE orders (id int primary key, item text)")
        cursor.execute("INSERT INTO orders VALUES (1, 'book')")
        cursor.execute("SELECT item FROM orders")
        assert cursor.fetchone() == ("book",)


def use_redis(found: dict[str, Any]) -> None:
    client = redis.Redis(
        host=found["host"],
        port=found["port"],
        username=found["username"],
        password=found["password"],
    )
    client.set(found["key_prefix"] + "greeting", "hi")
    assert client.get(found["key_prefix"] + "greeting") == b"hi"
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.set("outside-the-prefix", "no")


def gone(found: dict[str, dict[str, Any]]) -> None:
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres") as admin:
        roles = admin.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", [found["db"]["username"]]
        ).fetchall()
        databases = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [found["db"]["database"]]
        ).fetchall()
        assert roles == [] and databases == []
    connection = pymysql.connect(host="127.0.0.1", user="root", password="")
    with connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM mysql.user WHERE user = %s", [found["sql"]["username"]]
        )
        assert cursor.fetchone() == (0,)
        cursor.execute("SHOW DATABASES LIKE %s", [found["sql"]["database"]])
        assert cursor.fetchall() == ()
    admin_redis = redis.Redis(host="127.0.0.1", port=6379)
    assert found["cache"]["username"] not in [str(u) for u in admin_redis.acl_users()]
    assert list(admin_redis.scan_iter(found["cache"]["key_prefix"] + "*")) == []


@pytest.mark.services
@pytest.mark.terraform
def test_real_drivers_provision_work_and_are_destroyed(project: Project) -> None:
    app = f"t{uuid.uuid4().hex[:10]}"
    project.write("orchc.toml", f'app = "{app}"\n')
    project.write("definitions/real.orch", DEFINITIONS)
    project.write("score.yaml", SCORE)
    shutil.copytree(MODULE, project.root / "definitions" / "modules" / "basic")
    project.env["BUCKET_TOKEN"] = "token-s3cr3t-value"
    try:
        project.plan()
        project.run("apply", "plan.json")
        found = {name: outputs(project, name) for name in UIDS}
        use_postgres(found["db"])
        use_mysql(found["sql"])
        use_redis(found["cache"])
        assert found["bucket"]["greeting"] == f"hello {app}"

        assert set(project.actions().values()) == {"noop"}
        project.run("apply", "--env", "dev", "--auto-approve")
        assert {name: outputs(project, name) for name in UIDS} == found  # credentials kept
    finally:
        project.run("destroy", "--env", "dev", "--auto-approve", expect=None)
    gone(found)
    assert project.state_uids() == []
    assert "token-s3cr3t-value" not in (project.root / "plan.json").read_text()
