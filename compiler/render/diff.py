"""Plan diffs (`orchc diff`, `orchc impact`) as text, Markdown or JSON: per pair of
plans what was added, removed and changed, each change as a path with its value before
and after (the same forms as the plan views: unified diffs for multi-line strings)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..plan import canonical_json
from ..plan_diff import PlanDiff, Status
from .values import change_lines, fenced

_EMOJI = {Status.ADDED: "🟢 added", Status.REMOVED: "🔴 removed", Status.CHANGED: "🟡 changed"}


@dataclass(frozen=True, slots=True)
class Compared:
    """One diff with the heading that says what was compared."""

    title: str
    diff: PlanDiff


def counts_line(diff: PlanDiff) -> str:
    return (
        f"{diff.count(Status.CHANGED)} changed, {diff.count(Status.ADDED)} added, "
        f"{diff.count(Status.REMOVED)} removed, {diff.equal} equal."
    )


def render_diff_text(compared: Sequence[Compared]) -> str:
    lines: list[str] = []
    for item in compared:
        lines += [item.title, ""]
        if not item.diff.entries:
            lines.append("  no differences")
        for entry in item.diff.entries:
            where = f"  ({entry.definition} {entry.source})" if entry.definition else ""
            lines.append(f"  {entry.status.symbol} {entry.label}{where}".rstrip())
            for change in entry.changes:
                lines += [("        " + text).rstrip() for text in change_lines(change, {})]
        lines += ["", counts_line(item.diff), ""]
    return "\n".join(lines).rstrip() + "\n"


def render_diff_markdown(compared: Sequence[Compared]) -> str:
    lines: list[str] = []
    for item in compared:
        lines += [f"### {item.title}", "", f"**{counts_line(item.diff)}**", ""]
        for entry in item.diff.entries:
            lines.append(f"#### {_EMOJI[entry.status]} `{entry.label}`")
            if entry.definition:
                lines.append(f"`{entry.definition}` at `{entry.source}`")
            lines.append("")
            if entry.changes:
                body = [text for c in entry.changes for text in change_lines(c, {}, as_diff=True)]
                lines += [*fenced(body, "diff"), ""]
    return "\n".join(lines).rstrip() + "\n"


def render_diff_json(compared: Sequence[Compared]) -> str:
    if len(compared) == 1:
        return canonical_json(compared[0].diff.to_json())
    return canonical_json({"diffs": [item.diff.to_json() for item in compared]})
