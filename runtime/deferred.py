"""Environment values read where the workload starts, not at apply.

Compose interpolates `${NAME}` when `docker compose up` runs, from the shell and the
`.env` file beside the compose file, so under score-compose `NAME=John docker compose up`
changes what the workload gets without generating again. orchc does the same: when the
plan's target declares that it `interpolates_environment` (`compose`), a container
variable that embeds an output of a resource whose driver `reads_environment` (the
`environment` driver) is handed over as parts (literal text and variable names) instead
of the value read at apply. Everything else (file contents, volume sources, params, and
every value on Kubernetes) is read at apply, as before.

A variable that also embeds a secret output is not deferred: its value, read at apply,
goes through the secret channel like any other.

>>> from orchc.compiler.score.placeholders import Resolved
>>> lookup = {("resources", "db", "host"): Resolved("db-1")}.__getitem__
>>> parts = deferred_parts("${resources.env.NAME}@${resources.db.host}", {"env"}, lookup)
>>> [(p.text, p.variable) for p in parts]
[('', 'NAME'), ('@db-1', None)]
>>> written(parts)
'${NAME}@db-1'
>>> deferred_parts("${resources.db.host}", {"env"}, lookup) is None
True
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection

from orchc.compiler.plan import Plan, PlannedWorkload
from orchc.compiler.score import placeholders as score
from orchc.compiler.uid import TARGET_UID
from orchc.drivers.declarations import BUILT_IN
from orchc.drivers.protocol import DeferredPart

_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""A name Compose interpolates (`${NAME}`)."""


def deferring_resources(plan: Plan, workload: PlannedWorkload) -> frozenset[str]:
    """The names of `workload`'s resources whose outputs the plan's target reads where
    the workload starts; empty unless the target interpolates."""
    target = plan.resources.get(str(TARGET_UID))
    declared = BUILT_IN.get(target.driver) if target is not None else None
    if declared is None or not declared.interpolates_environment:
        return frozenset()
    return frozenset(
        name
        for name, uid in workload.resources.items()
        if uid in plan.resources and reads_environment(plan.resources[uid].driver)
    )


def reads_environment(driver: str) -> bool:
    """Whether `driver`'s outputs are variables of the environment (`environment`)."""
    declared = BUILT_IN.get(driver)
    return declared is not None and declared.reads_environment


def deferred_parts(
    text: str, deferring: Collection[str], lookup: score.Lookup
) -> tuple[DeferredPart, ...] | None:
    """`text` (a variable's value) as parts, or None when no part is deferred or a
    secret is embedded. Raises what `lookup` raises for the other placeholders."""
    parts: list[DeferredPart] = []
    for segment in score.parse_template(text):
        if isinstance(segment, str):
            parts.append(DeferredPart(text=segment))
            continue
        variable = _variable(segment, deferring)
        if variable is not None:
            parts.append(DeferredPart(variable=variable))
            continue
        resolved = lookup(segment.parts)
        if resolved.sensitive:
            return None
        parts.append(DeferredPart(text=_text(resolved.value)))
    if not any(part.variable for part in parts):
        return None
    return _joined(parts)


def written(parts: tuple[DeferredPart, ...]) -> str:
    """The value as the spec shows it: each variable written `${NAME}`."""
    return "".join(
        part.text if part.variable is None else f"${{{part.variable}}}" for part in parts
    )


def _variable(reference: score.Reference, deferring: Collection[str]) -> str | None:
    if len(reference.parts) != 3 or reference.parts[0] != "resources":
        return None
    name, key = reference.parts[1], reference.parts[2]
    return key if name in deferring and _VARIABLE.fullmatch(key) else None


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _joined(parts: list[DeferredPart]) -> tuple[DeferredPart, ...]:
    """Neighbouring text parts as one."""
    joined: list[DeferredPart] = []
    for part in parts:
        if joined and part.variable is None and joined[-1].variable is None:
            joined[-1] = DeferredPart(text=joined[-1].text + part.text)
        else:
            joined.append(part)
    return tuple(joined)
