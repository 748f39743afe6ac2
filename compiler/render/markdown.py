"""Plans as Markdown for a pull-request comment (SPEC §10).

Per environment: the summary table, a table of what changes (deletes and replaces
first: they are the risky ones), the overrides and CI images applied to the workloads'
Score files, then the detail of each change — updates, replaces and changed workloads
as ```diff blocks (multi-line values as unified diffs), creates in a collapsed section
with their inputs. Unchanged resources are counted, never listed. Several environments
start with a combined table.

The comment must fit a budget (`max_chars`, default 60,000, under the 65,536 a
pull-request comment takes): the summaries always stay; then table rows, then details
are kept in order while they fit; what did not fit is counted and named in a note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..changes import Change
from ..plan import Action, Plan, Summary
from .text import changed_rows, combined_summary, plan_details, summary_line
from .values import KnownOutputs, change_lines, fenced, known_outputs_for, override_lines

DEFAULT_MAX_CHARS = 60_000
_NOTE_RESERVE = 600  # room kept for the notes that say what was left out
_NAMED_IN_NOTE = 8

_EMOJI = {
    Action.CREATE: "🟢 create",
    Action.UPDATE: "🟡 update",
    Action.REPLACE: "🟠 replace",
    Action.DELETE: "🔴 delete",
    Action.NOOP: "⚪ noop",
}
_OVERRIDES = "overrides"  # the name of the overrides block among a section's details
_TABLE_HEAD = ["| action | resource | definition | source | why |", "|---|---|---|---|---|"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_cell(text)}`" if text else ""


@dataclass
class _Section:
    """One environment's part of the comment: what must stay, and what may go."""

    plan: Plan
    header: list[str]
    rows: list[tuple[str, str]]  # (name, table row)
    details: list[tuple[str, str]]  # (name, block)
    kept_rows: int = 0
    kept_details: list[str] = field(default_factory=list)


def render_markdown(
    plan: Plan, outputs: KnownOutputs | None = None, max_chars: int = DEFAULT_MAX_CHARS
) -> str:
    return render_markdown_report([plan], {plan.context.env: outputs or {}}, max_chars)


def render_markdown_report(
    plans: Sequence[Plan],
    outputs: Mapping[str, KnownOutputs] | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> str:
    """Every plan's section under one budget of `max_chars` characters."""
    outputs = outputs or {}
    sections = [_section(plan, outputs.get(plan.context.env, {})) for plan in plans]
    top = _combined(plans) if len(plans) > 1 else []
    used = _length(top) + sum(_length(s.header) for s in sections)
    budget = max_chars - _NOTE_RESERVE * len(sections)
    # The table may take half of what is left, so some diffs are shown however long
    # the table; the details take what they need, and the table gets the rest back.
    used = _keep_rows(sections, used, used + (budget - used) // 2)
    used = _keep_details(sections, used, budget)
    _keep_rows(sections, used, budget)
    lines = list(top)
    for section in sections:
        lines += _render_section(section, max_chars)
    text = "\n".join(lines).rstrip() + "\n"
    return text if len(text) <= max_chars else _cut(text, max_chars)


def _length(lines: Sequence[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _keep_rows(sections: list[_Section], used: int, budget: int) -> int:
    """Keep more rows of the tables, in order, while they fit under `budget`."""
    for section in sections:
        if section.rows and not section.kept_rows:
            used += _length(_TABLE_HEAD) + 1
        for _, row in section.rows[section.kept_rows :]:
            if used + len(row) + 1 > budget:
                return used
            used += len(row) + 1
            section.kept_rows += 1
    return used


def _keep_details(sections: list[_Section], used: int, budget: int) -> int:
    for section in sections:
        for name, block in section.details:
            if used + len(block) + 1 <= budget:
                used += len(block) + 1
                section.kept_details.append(name)
    return used


def _combined(plans: Sequence[Plan]) -> list[str]:
    total = combined_summary(plans)
    lines = [
        f"## orchc plan: `{plans[0].context.app}`, {len(plans)} environments",
        "",
        "| environment | create | update | replace | delete | unchanged |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for plan in plans:
        lines.append(f"| `{_cell(plan.context.env)}` | " + _counts(plan.summary))
    lines += [f"| **all** | {_counts(total)}", "", f"**{summary_line(total)}**", ""]
    return lines


def _counts(summary: Summary) -> str:
    s = summary
    return f"{s.create} | {s.update} | {s.replace} | {s.delete} | {s.noop} |"


def _section(plan: Plan, outputs: KnownOutputs) -> _Section:
    context = plan.context
    header = [
        f"### orchc plan: `{context.app}` / `{context.env}` ({context.env_type})",
        "",
        "| create | update | replace | delete | unchanged |",
        "|---:|---:|---:|---:|---:|",
        "| " + _counts(plan.summary),
        "",
        f"**{summary_line(plan.summary)}**",
        "",
    ]
    changed = changed_rows(plan)
    rows = [
        (name, f"| {_EMOJI[a]} | {_code(name)} | {_code(d)} | {_code(loc)} | {_cell(why)} |")
        for a, name, d, loc, why in changed
    ]
    known = known_outputs_for(plan, outputs)
    details = plan_details(plan)
    blocks = [
        (name, _detail_block(action, name, details.get(name, []), known))
        for action, name, _, _, _ in changed
        if details.get(name)
    ]
    return _Section(plan, header, rows, _overrides_block(plan) + blocks)


def _overrides_block(plan: Plan) -> list[tuple[str, str]]:
    """The overrides and CI images of every workload that has some, changed or not (the
    reviewer checks which image is deployed), first among the details. In a code block:
    the values come from Score files and the command line and are never markup."""
    lines = override_lines(plan)
    if not lines:
        return []
    block = ["#### Overrides and images", "", *fenced(lines)]
    return [(_OVERRIDES, "\n".join(block))]


def _detail_block(action: Action, name: str, changes: list[Change], known: KnownOutputs) -> str:
    body = [line for change in changes for line in change_lines(change, known, as_diff=True)]
    block = fenced(body, "diff")
    if action is Action.CREATE:
        summary = f"{_EMOJI[action]} <code>{_html(name)}</code>"
        return "\n".join([f"<details><summary>{summary}</summary>", "", *block, "", "</details>"])
    return "\n".join([f"#### {_EMOJI[action]} {_code(name)}", "", *block])


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _render_section(section: _Section, max_chars: int) -> list[str]:
    lines = list(section.header)
    if section.rows:
        lines += _TABLE_HEAD + [row for _, row in section.rows[: section.kept_rows]]
        left = len(section.rows) - section.kept_rows
        if left:
            lines.append(f"| … | {left} more not listed | | | |")
        lines.append("")
    kept = set(section.kept_details)
    for name, block in section.details:
        if name in kept:
            lines += [block, ""]
    lines += _left_out_note(section, max_chars)
    return lines


def _left_out_note(section: _Section, max_chars: int) -> list[str]:
    env = section.plan.context.env
    unlisted = len(section.rows) - section.kept_rows
    kept = set(section.kept_details)
    undetailed = [name for name, _ in section.details if name not in kept]
    parts = []
    if _OVERRIDES in undetailed:
        undetailed.remove(_OVERRIDES)
        parts.append("the overrides and images")
    if not unlisted and not undetailed and not parts:
        return []
    if unlisted:
        parts.append(f"{unlisted} row(s) of the table of changes")
    if undetailed:
        named = ", ".join(f"`{_cell(n)}`" for n in undetailed[:_NAMED_IN_NOTE])
        more = len(undetailed) - _NAMED_IN_NOTE
        named += f" and {more} more" if more > 0 else ""
        parts.append(f"the details of {len(undetailed)} change(s) ({named})")
    return [
        f"> **Left out** to keep this comment under {max_chars:,} characters: "
        + "; ".join(parts)
        + f". Run `orchc plan --env {env}` for everything.",
        "",
    ]


def _cut(text: str, max_chars: int) -> str:
    """Last resort when even the summaries do not fit: cut, and say so."""
    note = f"\n\n> **Cut** at {max_chars:,} characters: run `orchc plan` for everything.\n"
    return text[: max(0, max_chars - len(note))] + note
