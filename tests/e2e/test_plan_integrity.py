"""Plan integrity through the real CLI (SPEC §9): `plan_digest` catches every edit of a
plan file, `ORCHC_PLAN_KEY` makes apply demand a valid signature, and `--env`/`--app`
that disagree with the plan are a usage error. A refused plan changes nothing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from e2e_helpers import STATIC_DEFINITIONS, Project

DEFINITIONS = (
    STATIC_DEFINITIONS
    + """
environment "prod" { type = "production" }

definition "dns" {
  type   = "dns"
  driver = "static"
  match {}
  inputs { host = "shop.example.com" }
  secrets { token = env("DNS_TOKEN") }
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
Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    def edit(plan: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node = plan
        for part in parents:
            node = node[part]
        node[last] = value

    return edit


def _recompute_digest(plan: dict[str, Any]) -> None:
    """What an attacker who knows the format does: edit, then write a matching digest."""
    plan["resources"][DNS]["inputs"]["host"] = "evil.example.com"
    body = {k: v for k, v in plan.items() if k not in ("plan_digest", "signature")}
    text = json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    plan["plan_digest"] = "sha256:" + hashlib.sha256(text.encode()).hexdigest()


EDITS: dict[str, Edit] = {
    "input value": _set(f"resources/{DNS}/inputs/host", "evil.example.com"),
    "action": _set(f"resources/{DNS}/action", "noop"),
    "driver": _set(f"resources/{DNS}/driver", "cmd"),
    "definition": _set(f"resources/{DNS}/definition", "other"),
    "policy": _set(f"resources/{DNS}/policy/prevent_destroy", True),
    "secret source": _set(f"resources/{DNS}/secret_sources/token/value", "${env.HOME}"),
    "depends_on": _set(f"resources/{DNS}/depends_on", []),
    "params": _set(f"resources/{DNS}/params", {"x": 1}),
    "context env": _set("context/env", "prod"),
    "context app": _set("context/app", "other"),
    "state serial": _set("state/serial", 7),
    "workload image": _set("workloads/web/spec/containers/main/image", "evil:latest"),
    "summary": _set("summary/create", 0),
    "added resource": lambda plan: plan["resources"].update(
        {"dns.default#extra": {**plan["resources"][DNS], "id": "extra"}}
    ),
    "removed workload": lambda plan: plan["workloads"].clear(),
    "removed digest": lambda plan: plan.pop("plan_digest"),
    "wrong digest": _set("plan_digest", "sha256:" + "0" * 64),
    "digest of another body": _set("plan_digest", 12),
}


@pytest.fixture
def planned(project: Project) -> Project:
    project.write("definitions/platform.orch", DEFINITIONS)
    project.write("score.yaml", SCORE)
    project.env["DNS_TOKEN"] = "t0ken"
    project.run("plan", "--env", "dev", "-o", "plan.json")
    return project


def _rewrite(project: Project, edit: Edit) -> None:
    path = project.root / "plan.json"
    plan = json.loads(path.read_text())
    edit(plan)
    path.write_text(json.dumps(plan, sort_keys=True, indent=2) + "\n")


def _assert_nothing_applied(project: Project) -> None:
    assert not (project.root / "out" / "compose.yaml").exists()
    assert project.run("state", "list", "--env", "dev", expect=None).stdout == ""


@pytest.mark.parametrize("name", sorted(EDITS))
def test_an_edited_plan_is_refused(planned: Project, name: str) -> None:
    _rewrite(planned, EDITS[name])
    refused = planned.run("apply", "plan.json", expect=1)
    assert "the plan file was changed after it was written" in refused.stderr
    assert "Traceback" not in refused.stderr
    _assert_nothing_applied(planned)


def test_a_plan_only_reformatted_applies(planned: Project) -> None:
    path = planned.root / "plan.json"
    path.write_text(json.dumps(json.loads(path.read_text()), indent=4))
    planned.run("apply", "plan.json")
    assert "HOST: shop.example.com" in (planned.root / "out" / "compose.yaml").read_text()


def test_the_plan_digest_is_over_the_canonical_text_without_it(planned: Project) -> None:
    plan = json.loads((planned.root / "plan.json").read_text())
    digest = plan.pop("plan_digest")
    assert "signature" not in plan
    text = json.dumps(plan, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert digest == "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def test_with_a_key_apply_needs_a_valid_signature(planned: Project) -> None:
    planned.env["ORCHC_PLAN_KEY"] = "k3y"
    unsigned = planned.run("apply", "plan.json", expect=1)
    assert "the plan is not signed, and ORCHC_PLAN_KEY is set" in unsigned.stderr
    _assert_nothing_applied(planned)

    planned.env["ORCHC_PLAN_KEY"] = "other"
    planned.run("plan", "--env", "dev", "-o", "plan.json")
    assert json.loads((planned.root / "plan.json").read_text())["signature"].startswith(
        "hmac-sha256:"
    )
    planned.env["ORCHC_PLAN_KEY"] = "k3y"
    wrong = planned.run("apply", "plan.json", expect=1)
    assert "the plan's signature does not match ORCHC_PLAN_KEY" in wrong.stderr
    _assert_nothing_applied(planned)

    planned.run("plan", "--env", "dev", "-o", "plan.json")
    _rewrite(planned, _recompute_digest)
    forged = planned.run("apply", "plan.json", expect=1)
    assert "the plan's signature does not match ORCHC_PLAN_KEY" in forged.stderr
    _assert_nothing_applied(planned)

    planned.run("plan", "--env", "dev", "-o", "plan.json")
    planned.run("apply", "plan.json")
    assert "HOST: shop.example.com" in (planned.root / "out" / "compose.yaml").read_text()


def test_a_signed_plan_applies_without_the_key(planned: Project) -> None:
    planned.env["ORCHC_PLAN_KEY"] = "k3y"
    planned.run("plan", "--env", "dev", "-o", "plan.json")
    del planned.env["ORCHC_PLAN_KEY"]
    planned.run("apply", "plan.json")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--env", "prod"), "--env prod disagrees with the plan plan.json"),
        (("--app", "other"), "--app other disagrees with the plan plan.json"),
    ],
)
def test_a_context_that_disagrees_with_the_plan_is_a_usage_error(
    planned: Project, flags: tuple[str, ...], message: str
) -> None:
    refused = planned.run("apply", "plan.json", *flags, expect=2)
    assert f"orchc: error: {message}, made for app 'shop', environment 'dev'" in refused.stderr
    _assert_nothing_applied(planned)
    planned.run("apply", "plan.json", "--env", "dev", "--app", "shop")
