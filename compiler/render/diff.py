"""Plan diffs (`orchc diff`, `orchc impact`) as text, Markdown or JSON: per pair of
plans what was added, removed and changed, each change as a path with its value before
and after (the same forms as the plan views: unified diffs for multi-line strings)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..plan import canonical_json
from ..plan_diff import Entry, PlanDiff, Status
from .markdown import DEFAULT_MAX_CHARS
from .values import change_lines, fenced

_NOTE_RESERVE = 600  # room kept for the note that says what was left out
_NAMED_IN_NOTE = 8
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


def render_diff_markdown(compared: Sequence[Compared], max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Each comparison's counts, then its entries while they fit under `max_chars`
    (for a pull-request comment); a note names the entries left out."""
    headers = [[f"### {item.title}", "", f"**{counts_line(item.diff)}**", ""] for item in compared]
    budget = max_chars - _NOTE_RESERVE * len(compared) - sum(len("\n".join(h)) for h in headers)
    lines: list[str] = []
    for item, header in zip(compared, headers, strict=True):
        lines += header
        left_out = []
        for entry in item.diff.entries:
            block = _entry_block(entry)
            if len(block) + 2 > budget:
                left_out.append(entry.label)
                continue
            budget -= len(block) + 2
            lines += [block, ""]
        lines += _left_out(left_out, max_chars)
    return "\n".join(lines).rstrip() + "\n"


def _entry_block(entry: Entry) -> str:
    lines = [f"#### {_EMOJI[entry.status]} `{entry.label}`"]
    if entry.definition:
        lines.append(f"`{entry.definition}` at `{entry.source}`")
    if entry.changes:
        body = [text for c in entry.changes for text in change_lines(c, {}, as_diff=True)]
        lines += ["", *fenced(body, "diff")]
    return "\n".join(lines)


def _left_out(labels: list[str], max_chars: int) -> list[str]:
    if not labels:
        return []
    named = ", ".join(f"`{label}`" for label in labels[:_NAMED_IN_NOTE])
    more = len(labels) - _NAMED_IN_NOTE
    named += f" and {more} more" if more > 0 else ""
    entries = "entry" if len(labels) == 1 else "entries"
    return [
        f"> **Left out** to keep this comment under {max_chars:,} characters: "
        f"{len(labels)} {entries} ({named}).",
        "",
    ]


def render_diff_json(compared: Sequence[Compared]) -> str:
    if len(compared) == 1:
        return canonical_json(compared[0].diff.to_json())
    return canonical_json({"diffs": [item.diff.to_json() for item in compared]})
