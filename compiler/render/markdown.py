"""The plan as Markdown for a pull-request comment: the summary table first, then one
row per change, then the inputs of each changed resource in a collapsed section."""

from __future__ import annotations

import json

from ..plan import Action, Plan
from .text import plan_rows, summary_line

_EMOJI = {
    Action.CREATE: "🟢 create",
    Action.UPDATE: "🟡 update",
    Action.REPLACE: "🟠 replace",
    Action.DELETE: "🔴 delete",
    Action.NOOP: "⚪ noop",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(plan: Plan) -> str:
    context = plan.context
    summary = plan.summary.model_dump()
    lines = [
        f"### orchc plan: `{context.app}` / `{context.env}` ({context.env_type})",
        "",
        "| create | update | replace | delete | unchanged |",
        "|---:|---:|---:|---:|---:|",
        "| {create} | {update} | {replace} | {delete} | {noop} |".format(**summary),
        "",
        f"**{summary_line(plan.summary)}**",
        "",
    ]
    changes = [row for row in plan_rows(plan) if row[0].changes]
    if changes:
        lines += ["| action | resource | definition | source | why |", "|---|---|---|---|---|"]
        for action, name, definition, location, reason in changes:
            code = f"`{_cell(definition)}`" if definition else ""
            lines.append(
                f"| {_EMOJI[action]} | `{_cell(name)}` | {code} "
                f"| `{_cell(location)}` | {_cell(reason)} |"
            )
        lines.append("")
    lines += _details(plan)
    return "\n".join(lines).rstrip() + "\n"


def _details(plan: Plan) -> list[str]:
    changed = [(uid, r) for uid, r in sorted(plan.resources.items()) if r.action.changes]
    if not changed:
        return []
    lines = ["<details><summary>Inputs of the changed resources</summary>", ""]
    for uid, resource in changed:
        body = {"driver": resource.driver, "inputs": resource.inputs}
        if resource.params:
            body["params"] = resource.params
        if resource.secrets:
            body["secrets"] = resource.secrets
        lines += [f"#### `{uid}` ({resource.action.value})", "", "```json"]
        lines += [json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False), "```", ""]
    lines.append("</details>")
    return lines
