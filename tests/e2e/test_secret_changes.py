"""A changed env() secret is planned as an update (SPEC §9): seen through salted
digests, named by key only; unset at plan time, nothing is compared."""

from __future__ import annotations

import json

from e2e_helpers import STATIC_DEFINITIONS, Project

DEFINITIONS = (
    STATIC_DEFINITIONS
    + """
definition "dns" {
  type   = "dns"
  driver = "static"
  match {}
  inputs { host = "shop.example.com" }
  secrets { token = env("DNS_TOKEN"), literal = "written-here" }
}
"""
)

SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx
    variables:
      HOST: ${resources.dns.host}
resources:
  dns:
    type: dns
"""

DNS = "dns.default#web.dns"


def test_a_changed_env_secret_updates_the_resource(project: Project) -> None:
    project.write("definitions/platform.orch", DEFINITIONS)
    project.write("score.yaml", SCORE)
    project.env["DNS_TOKEN"] = "first-Secret-4711"
    project.run("apply", "--env", "dev", "--auto-approve")
    assert project.actions()[DNS] == "noop"

    project.env["DNS_TOKEN"] = "second-Secret-4711"
    plan = project.plan()
    assert plan["resources"][DNS]["action"] == "update"
    assert plan["resources"][DNS]["reason"] == "secret changed: token"
    text = (project.root / "plan.json").read_text()
    assert "first-Secret-4711" not in text and "second-Secret-4711" not in text
    project.run("apply", "plan.json")
    shown = project.run("outputs", DNS, "--env", "dev", "--format", "json", "--show-secrets")
    assert json.loads(shown.stdout)["token"] == "second-Secret-4711"
    assert project.actions()[DNS] == "noop"

    del project.env["DNS_TOKEN"]
    assert project.actions()[DNS] == "noop"  # unset at plan time: nothing compared


def test_a_literal_secret_changed_after_the_plan_is_refused(project: Project) -> None:
    project.write("definitions/platform.orch", DEFINITIONS)
    project.write("score.yaml", SCORE)
    project.env["DNS_TOKEN"] = "first-Secret-4711"
    project.plan()  # creates dns: apply will read its literal secret again
    source = project.root / "definitions" / "platform.orch"
    source.write_text(source.read_text().replace("written-here", "changed-after-review"))

    refused = project.run("apply", "plan.json", expect=1)
    assert (
        "definitions changed since the plan: secret 'literal' of definition 'dns' "
        "(definitions/platform.orch:10) is not the one planned"
    ) in refused.stderr
    assert "changed-after-review" not in refused.stderr + refused.stdout
    assert "written-here" not in refused.stderr + refused.stdout
    assert not (project.root / "out").exists()  # refused before anything ran

    source.write_text(source.read_text().replace("changed-after-review", "written-here"))
    project.run("apply", "plan.json")  # not stale: the refused run changed nothing
    source.write_text(source.read_text().replace("written-here", "changed-after-review"))
    plan = project.plan()  # the plan itself sees the new text, without showing it
    assert plan["resources"][DNS]["action"] == "update"
    assert "changed-after-review" not in (project.root / "plan.json").read_text()
    project.run("apply", "plan.json")
    shown = project.run("outputs", DNS, "--env", "dev", "--format", "json", "--show-secrets")
    assert json.loads(shown.stdout)["literal"] == "changed-after-review"
