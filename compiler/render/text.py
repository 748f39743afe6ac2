"""The plan as terminal text, Terraform-like: one line per resource and workload with
its action symbol, definition and location; under each change what changes
(`~ inputs.host: "a" -> "b"`, unified diffs for multi-line strings; for a create, its
inputs); then a summary line. Several environments print one after another with a
combined summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..changes import Change
from ..plan import Action, Plan, Summary
from .values import (
    KnownOutputs,
    change_lines,
    known_outputs_for,
    one_line,
    resource_details,
    workload_details,
)

DETAIL_INDENT = " " * 8


def plan_rows(plan: Plan) -> list[tuple[Action, str, str, str, str]]:
    """(action, name, definition, location, reason) for every resource then workload."""
    rows = [
        (r.action, uid, r.definition, r.source, r.reason or "")
        for uid, r in sorted(plan.resources.items())
    ]
    rows += [
        (w.action, f"workload {name}", "", w.source, w.reason or "")
        for name, w in sorted(plan.workloads.items())
    ]
    return rows


# Risky first: a reviewer must not miss a delete at the end of a long list.
_REVIEW_ORDER = {Action.DELETE: 0, Action.REPLACE: 1, Action.UPDATE: 2, Action.CREATE: 3}


def changed_rows(plan: Plan) -> list[tuple[Action, str, str, str, str]]:
    """The rows that change, deletes then replaces, updates and creates, by name."""
    changed = (row for row in plan_rows(plan) if row[0].changes)
    return sorted(changed, key=lambda row: (_REVIEW_ORDER[row[0]], row[1]))


def plan_details(plan: Plan) -> dict[str, list[Change]]:
    """The changes to show under each row, by row name (resources and `workload NAME`)."""
    details = {uid: resource_details(r) for uid, r in plan.resources.items()}
    details.update({f"workload {n}": workload_details(w) for n, w in plan.workloads.items()})
    return details


def summary_line(summary: Summary) -> str:
    return (
        f"Plan: {summary.create} to create, {summary.update} to update, "
        f"{summary.replace} to replace, {summary.delete} to delete, {summary.noop} unchanged."
    )


def heading(plan: Plan) -> str:
    context, state = plan.context, plan.state
    known = f"state serial {state.serial}" if state.lineage else "no state yet"
    return (
        f'Plan for app "{context.app}", environment "{context.env}" ({context.env_type}); {known}'
    )


def render_text(plan: Plan, outputs: KnownOutputs | None = None) -> str:
    """One plan; `outputs` (uid -> non-secret outputs from the state) fills in the known
    outputs of unchanged resources."""
    known = known_outputs_for(plan, outputs or {})
    rows = plan_rows(plan)
    details = plan_details(plan)
    overrides = {f"workload {n}": w.overrides for n, w in plan.workloads.items()}
    widths = [max((len(str(row[i])) for row in rows), default=0) for i in (1, 2, 3)]
    lines = [heading(plan), ""]
    for action, name, definition, location, reason in rows:
        cells = [name.ljust(widths[0]), definition.ljust(widths[1]), location.ljust(widths[2])]
        line = f"  {action.symbol:<3} " + "  ".join(cells)
        if reason:
            line += f"  ({reason})"
        lines.append(line.rstrip())
        for change in details.get(name, []) if action.changes else []:
            lines += [(DETAIL_INDENT + text).rstrip() for text in change_lines(change, known)]
        lines += [f"{DETAIL_INDENT}overridden by {one_line(o)}" for o in overrides.get(name, [])]
    lines += ["", summary_line(plan.summary)]
    return "\n".join(lines) + "\n"


def combined_summary(plans: Sequence[Plan]) -> Summary:
    totals: dict[str, int] = {action.value: 0 for action in Action}
    for plan in plans:
        for key, count in plan.summary.model_dump().items():
            totals[key] += count
    return Summary(**totals)


def render_text_report(
    plans: Sequence[Plan], outputs: Mapping[str, KnownOutputs] | None = None
) -> str:
    """Several environments one after another, then the combined summary; `outputs` is
    keyed by environment."""
    if len(plans) == 1:
        return render_text(plans[0], (outputs or {}).get(plans[0].context.env))
    parts = [render_text(plan, (outputs or {}).get(plan.context.env)) for plan in plans]
    envs = ", ".join(plan.context.env for plan in plans)
    total = combined_summary(plans)
    parts.append(f"All environments ({envs}): {summary_line(total)[len('Plan: ') :]}\n")
    return "\n".join(parts)
