"""The pull-request comment (SPEC §10): it stays under its budget however large the
plan, says what it left out, and shows templates as diffs, never escaped strings."""

from __future__ import annotations

from typing import Any

from orchc.compiler.plan import Plan, load_plan
from orchc.compiler.plan_diff import diff_plans
from orchc.compiler.render.diff import Compared, render_diff_markdown
from orchc.compiler.render.markdown import DEFAULT_MAX_CHARS, render_markdown
from orchc.compiler.render.text import render_text

TEMPLATE = "kind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n"


def resource(index: int, action: str) -> dict[str, Any]:
    name = f"svc-{index:04d}"
    data: dict[str, Any] = {
        "type": "config",
        "class": "default",
        "id": name,
        "guid": f"g{index}",
        "definition": "manifests",
        "source": "platform/k8s.orch:3",
        "driver": "template",
        "inputs": {"manifest": TEMPLATE.format(name=name, replicas=3)},
        "inputs_digest": "sha256:x",
        "action": action,
    }
    if action == "update":
        data["reason"] = "inputs changed: manifest"
        data["changes"] = [
            {
                "path": "inputs.manifest",
                "before": TEMPLATE.format(name=name, replicas=1),
                "after": TEMPLATE.format(name=name, replicas=3),
            }
        ]
    return data


def big_plan(count: int) -> Plan:
    actions = ["update", "update", "create", "delete", "noop"]
    resources = {
        f"config.default#svc-{i:04d}": resource(i, actions[i % len(actions)]) for i in range(count)
    }
    summary = {a: sum(1 for r in resources.values() if r["action"] == a) for a in actions}
    return Plan.model_validate(
        {
            "format_version": 1,
            "context": {"app": "shop", "env": "prod", "env_type": "production"},
            "state": {"lineage": "l", "serial": 4},
            "inputs_digest": "sha256:y",
            "resources": resources,
            "workloads": {},
            "summary": summary,
        }
    )


def test_a_report_of_2000_resources_stays_under_the_budget_and_says_what_it_left_out() -> None:
    text = render_markdown(big_plan(2000))
    assert len(text) <= DEFAULT_MAX_CHARS
    assert "| 800 | 0 | 400 | 400 |" in text  # the summary always stays
    assert "**Left out** to keep this comment under 60,000 characters" in text
    assert "row(s) of the table of changes" in text
    assert "the details of" in text and "`config.default#svc-" in text
    assert "Run `orchc plan --env prod` for everything." in text
    assert "🔴 delete" in text.split("####")[0]  # deletes are listed before the rest


def test_a_smaller_budget_is_kept_too() -> None:
    text = render_markdown(big_plan(300), max_chars=5_000)
    assert len(text) <= 5_000
    assert "Left out" in text


def test_a_small_plan_is_shown_whole() -> None:
    text = render_markdown(big_plan(5))
    assert "Left out" not in text
    assert "```diff\n~ inputs.manifest:\n@@ -2,4 +2,4 @@\n" in text
    assert "-  replicas: 1\n+  replicas: 3\n" in text
    assert "\\n" not in text  # a reviewer never sees escaped newlines


def test_the_text_view_shows_a_template_change_as_a_unified_diff() -> None:
    text = render_text(big_plan(1))
    assert "        ~ inputs.manifest:\n            @@ -2,4 +2,4 @@\n" in text
    assert "            -  replicas: 1\n            +  replicas: 3\n" in text


def test_a_plan_diff_in_markdown_stays_under_its_budget_and_names_what_it_left_out() -> None:
    old = big_plan(2000)
    new = load_plan(old.to_json().replace("replicas: 3", "replicas: 5"), "new.json")
    text = render_diff_markdown([Compared("Diff", diff_plans(old, new))])
    assert len(text) <= DEFAULT_MAX_CHARS
    assert "**1600 changed, 0 added, 0 removed, 0 equal.**" in text
    assert "-  replicas: 3\n+  replicas: 5\n" in text
    assert "**Left out** to keep this comment under 60,000 characters:" in text
    assert "`config.default#svc-1999`" not in text.split("Left out")[0]
