"""The plan as terminal text, Terraform-like: one line per resource and workload with
its action symbol, definition and location, then a summary line."""

from __future__ import annotations

from ..plan import Action, Plan, Summary


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


def render_text(plan: Plan) -> str:
    rows = plan_rows(plan)
    widths = [max((len(str(row[i])) for row in rows), default=0) for i in (1, 2, 3)]
    lines = [heading(plan), ""]
    for action, name, definition, location, reason in rows:
        cells = [name.ljust(widths[0]), definition.ljust(widths[1]), location.ljust(widths[2])]
        line = f"  {action.symbol:<3} " + "  ".join(cells)
        if reason:
            line += f"  ({reason})"
        lines.append(line.rstrip())
    lines += ["", summary_line(plan.summary)]
    return "\n".join(lines) + "\n"
