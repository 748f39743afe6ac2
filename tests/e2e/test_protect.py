"""Lifecycle safety through the CLI against the real PostgreSQL server (SPEC §9):
destroy refuses while anything is protected (and the database is still there), apply
refuses a plan edited to delete a protected resource, apply's preflight names every
missing env() and creates nothing, `state rm` forgets without calling the driver."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import STATIC_DEFINITIONS, Project, postgres_has

from orchc.compiler.plan_integrity import body_digest

DEFINITIONS = (
    STATIC_DEFINITIONS
    + """
definition "pg" {
  type   = "postgres"
  driver = "postgres"
  match {}
  inputs { host = "127.0.0.1", port = 5432, admin_user = "postgres", database = "DB", username = "DB" }
  POLICY
}

definition "dns" {
  type   = "dns"
  driver = "static"
  match {}
  inputs { host = "shop.example.com", zone = env("DNS_ZONE") }
  secrets { token = env("DNS_TOKEN") }
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
      HOST: ${resources.dns.host}
resources:
  db: {type: postgres}
  dns: {type: dns}
"""

DB = "postgres.default#api.db"
PROTECTED = "policy { prevent_destroy = true }"


def setup(project: Project, database: str, policy: str = PROTECTED) -> None:
    project.write(
        "definitions/platform.orch",
        DEFINITIONS.replace("DB", database).replace("POLICY", policy),
    )
    project.write("score.yaml", SCORE)
    project.env.update(DNS_ZONE="example.com", DNS_TOKEN="t0ken")


@pytest.mark.services
def test_destroy_refuses_while_a_database_is_protected(
    project: Project, postgres_name: str
) -> None:
    setup(project, postgres_name)
    project.run("apply", "--env", "dev", "--auto-approve")
    assert postgres_has("database", postgres_name)

    refused = project.run("destroy", "--env", "dev", "--auto-approve", expect=1)
    assert "refusing to destroy: 1 resource(s) are protected by prevent_destroy" in refused.stderr
    assert f"{DB}: definition 'pg' (definitions/platform.orch:10)" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert postgres_has("database", postgres_name)
    assert DB in project.state_uids()
    assert (project.root / "out" / "compose.yaml").exists()  # nothing undeployed either

    setup(project, postgres_name, policy="")  # lifted in the definition: the policy in force
    project.run("destroy", "--env", "dev", "--auto-approve")
    assert not postgres_has("database", postgres_name)


@pytest.mark.services
def test_a_removed_protected_definition_still_protects(
    project: Project, postgres_name: str
) -> None:
    setup(project, postgres_name)
    project.run("apply", "--env", "dev", "--auto-approve")
    text = (project.root / "definitions" / "platform.orch").read_text()
    start = text.index('definition "pg"')
    project.write(
        "definitions/platform.orch", text[:start] + text[text.index('definition "dns"') :]
    )
    refused = project.run("destroy", "--env", "dev", "--auto-approve", expect=1)
    assert f"{DB}: definition 'pg' (definitions/platform.orch:10)" in refused.stderr
    assert postgres_has("database", postgres_name)


@pytest.mark.services
def test_apply_refuses_a_plan_edited_to_delete_a_protected_database(
    project: Project, postgres_name: str
) -> None:
    setup(project, postgres_name)
    project.run("apply", "--env", "dev", "--auto-approve")
    plan = project.plan()
    plan["resources"][DB]["action"] = "delete"
    plan["plan_digest"] = body_digest(plan)  # a careful forger (no ORCHC_PLAN_KEY set)
    (project.root / "edited.json").write_text(json.dumps(plan))

    refused = project.run("apply", "edited.json", expect=1)
    assert "the plan would destroy protected resources; nothing was changed" in refused.stderr
    assert f"{DB}: definition 'pg' (definitions/platform.orch:10) sets prevent_destroy" in (
        refused.stderr
    )
    assert postgres_has("database", postgres_name)
    project.run("apply", "plan.json")  # the refused run moved nothing: not stale


@pytest.mark.services
def test_preflight_names_every_missing_variable_and_creates_nothing(
    project: Project, postgres_name: str
) -> None:
    setup(project, postgres_name, policy="")
    project.run("plan", "--env", "dev", "-o", "plan.json")
    del project.env["DNS_ZONE"], project.env["DNS_TOKEN"]

    refused = project.run("apply", "plan.json", expect=1)
    assert (
        "2 environment variable(s) the plan needs are not set; nothing was changed:\n"
        "  DNS_TOKEN (needed by dns.default#api.dns)\n"
        "  DNS_ZONE (needed by dns.default#api.dns)"
    ) in refused.stderr
    assert not postgres_has("database", postgres_name)
    assert not (project.root / "out").exists()
    assert project.run("state", "list", "--env", "dev", expect=None).stdout == ""

    project.env.update(DNS_ZONE="example.com", DNS_TOKEN="t0ken")
    project.run("apply", "plan.json")  # not stale: the refused run changed nothing
    assert postgres_has("database", postgres_name)
    project.run("destroy", "--env", "dev", "--auto-approve")


@pytest.mark.services
def test_state_rm_forgets_without_calling_the_driver(project: Project, postgres_name: str) -> None:
    setup(project, postgres_name, policy="")
    project.run("apply", "--env", "dev", "--auto-approve")

    forgot = project.run("state", "rm", DB, "--env", "dev")
    assert forgot.stdout == (
        f"forgot {DB} (ready; definition 'pg' at definitions/platform.orch:10, driver "
        "postgres) in shop/dev\n"
    )
    assert "its driver was not called" in forgot.stderr
    assert DB not in project.state_uids()
    assert postgres_has("database", postgres_name)  # forgotten, not deleted
    assert project.actions()[DB] == "create"

    missing = project.run("state", "rm", DB, "--env", "dev", expect=1)
    assert f"orchc: error: no resource '{DB}' in the state of shop/dev (resources: " in (
        missing.stderr
    )
    project.run("apply", "plan.json")  # adopts the database it marked as its own
    project.run("destroy", "--env", "dev", "--auto-approve")
    assert not postgres_has("database", postgres_name)
