"""Values as a reviewer reads them: known outputs filled in, strings quoted, multi-line
strings as blocks, changes as `~ path: before -> after` or a unified diff.

Known outputs are the outputs the state holds for resources this plan leaves
unchanged (`noop`): their values will not move, so `${resources['dns...'].outputs.host}`
is shown as the host itself. They are only ever used for display: the plan file keeps
the placeholder. The caller passes non-secret outputs only; a placeholder whose output
is not known stays as it is.

>>> known = {"dns.default#x": {"host": "x.example.com"}}
>>> show("https://${resources['dns.default#x'].outputs.host}/", known)
'https://x.example.com/'
>>> change_lines(Change("inputs.port", 1, 2), {})
['~ inputs.port: 1 -> 2']
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

from orchc.sensitive import SENSITIVE

from ..changes import Change, changes_from_json, child_path
from ..placeholders import (
    Placeholder,
    PlaceholderError,
    escape_literal,
    parse_template,
    render_placeholder,
)
from ..plan import Action, Plan, PlannedResource, PlannedWorkload

KnownOutputs = Mapping[str, Mapping[str, Any]]


def known_outputs_for(plan: Plan, outputs: KnownOutputs) -> dict[str, Mapping[str, Any]]:
    """The outputs that may be shown: those of resources the plan does not change."""
    return {
        uid: values
        for uid, values in outputs.items()
        if uid in plan.resources and plan.resources[uid].action is Action.NOOP
    }


def show(value: Any, known: KnownOutputs) -> Any:
    """`value` with every placeholder of a known output replaced by the output."""
    if isinstance(value, str):
        return _show_string(value, known) if "${" in value else value
    if isinstance(value, list):
        return [show(item, known) for item in value]
    if isinstance(value, dict):
        return {key: show(item, known) for key, item in value.items()}
    return value


def _show_string(text: str, known: KnownOutputs) -> Any:
    try:
        template = parse_template(text)
    except PlaceholderError:
        return text
    if len(template) == 1 and isinstance(template[0], Placeholder):
        found = _known(template[0], known)
        return render_placeholder(template[0]) if found is None else found[0]
    pieces = []
    for segment in template:
        if isinstance(segment, str):
            pieces.append(escape_literal(segment))
            continue
        found = _known(segment, known)
        if found is None:
            pieces.append(render_placeholder(segment))
        else:
            value = found[0]
            pieces.append(value if isinstance(value, str) else json.dumps(value, sort_keys=True))
    return "".join(pieces)


def _known(placeholder: Placeholder, known: KnownOutputs) -> tuple[Any] | None:
    ref = placeholder.ref
    if placeholder.root != "resources" or ref is None or not placeholder.path:
        return None
    uid = f"{ref.type}.{ref.class_}#{ref.id}"
    value: Any = known.get(uid, {})
    for key in placeholder.path:
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    return (value,)


def is_multiline(value: Any) -> bool:
    return isinstance(value, str) and "\n" in value.rstrip("\n")


def _multiline(*values: Any) -> bool:
    return any(is_multiline(value) for value in values)


def inline(value: Any) -> str:
    """One line: JSON text (strings quoted, objects compact with sorted keys); a
    secret is `(sensitive)`, unquoted, so it never reads as a value."""
    if value == SENSITIVE:
        return SENSITIVE
    return _INLINE.encode(value)


# What `json.dumps(value, sort_keys=True, ensure_ascii=False)` writes, without making an
# encoder for each of the thousands of values a large plan shows.
_INLINE = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


def unified_diff(before: str, after: str) -> list[str]:
    """The lines of a unified diff (3 lines of context), without the file headers."""
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), "before", "after", lineterm="", n=3
    )
    return [line for line in lines if not line.startswith(("---", "+++"))]


def change_lines(change: Change, known: KnownOutputs, as_diff: bool = False) -> list[str]:
    """A change as text: `~ path: before -> after`, `+ path: value`, `- path: value`;
    a multi-line string as `~ path:` and a unified diff (or the text) below it.
    `as_diff` writes lines for a ```diff block: a changed scalar as a `-` and a `+` line,
    diff and multi-line text lines unindented so that they keep their colour."""
    before, after = show(change.before, known), show(change.after, known)
    if change.added:
        return _value_lines("+", change.path, after, as_diff)
    if change.removed:
        return _value_lines("-", change.path, before, as_diff)
    if isinstance(before, str) and isinstance(after, str) and _multiline(before, after):
        indent = "" if as_diff else "    "
        return [f"~ {change.path}:", *(indent + line for line in unified_diff(before, after))]
    if as_diff and not before == after == SENSITIVE:
        return [f"- {change.path}: {inline(before)}", f"+ {change.path}: {inline(after)}"]
    return [f"~ {change.path}: {inline(before)} -> {inline(after)}"]


def _value_lines(mark: str, path: str, value: Any, as_diff: bool) -> list[str]:
    if is_multiline(value):
        prefix = mark + "   " if as_diff else "    "
        return [f"{mark} {path}:", *(prefix + line for line in str(value).splitlines())]
    return [f"{mark} {path}: {inline(value)}"]


def resource_details(resource: PlannedResource) -> list[Change]:
    """What to show under a resource: its changes; for a create, every input, param and
    secret (the secret as `(sensitive)`) as added."""
    if resource.action is Action.CREATE:
        shown = [Change(child_path("inputs", k), after=v) for k, v in resource.inputs.items()]
        shown += [Change(child_path("params", k), after=v) for k, v in resource.params.items()]
        shown += [Change(child_path("secrets", k), after=SENSITIVE) for k in resource.secrets]
        return sorted(shown, key=lambda change: change.path)
    return changes_from_json(resource.changes)


def workload_details(workload: PlannedWorkload) -> list[Change]:
    return changes_from_json(workload.changes)


def one_line(text: str) -> str:
    """`text` on one line: line breaks and other control characters escaped, so a value
    from a Score file or an override cannot start a line of its own in a render."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def override_lines(plan: Plan) -> list[str]:
    """What changed each workload's Score file (overrides, CI images), as the text plan
    prints it: `workload NAME` then an `overridden by ...` line for each, in order."""
    lines = []
    for name, workload in sorted(plan.workloads.items()):
        if workload.overrides:
            lines.append(f"workload {name}")
            lines += [f"  overridden by {one_line(o)}" for o in workload.overrides]
    return lines


def fenced(lines: list[str], language: str = "") -> list[str]:
    """`lines` in a Markdown code block whose fence no line can close."""
    longest = max((len(s) - len(s.lstrip("`")) for s in (x.lstrip() for x in lines)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + language, *lines, fence]
