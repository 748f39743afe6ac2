"""Secret changes seen at plan time (SPEC §9), through salted digests.

For a resource in the state, each secret whose plan-form template is made only of
`${env.NAME}` placeholders (and text) is evaluated from the environment now; when every
variable it names is set, its HMAC-SHA256 salted with the state's salt is compared with
the same digest of the value the last apply gave the driver. The plan learns one bit
per key ("changed"), never a value or a digest; unset variables compare nothing.

The same goes for the outputs of a driver that reads values from outside its request
(`environment`: the project's `.env`, the variables of orchc's environment its
`process_variables` allow): the plan reads each requested output as the driver would
now, with the inputs its last create was sent, and compares it with what that create
returned. A key set, changed or removed since is "changed", so the resource is updated
even though nothing in its request moved (a `.env` edited after a failed apply on
Compose, a rotated value). Variables the driver may not read are not read here either.

The salt is the state's lineage: random per (app, env), kept in the state and never in
a plan. (The state also holds the secret values themselves, which is why the digest of
the last applied value can be computed from it rather than stored beside it.)

>>> salted("lineage-1", "s3cret") == salted("lineage-1", "s3cret")
True
>>> salted("lineage-1", "s3cret") == salted("lineage-2", "s3cret")
False
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from orchc.compiler.placeholders import Placeholder, PlaceholderError, parse_template
from orchc.compiler.plan_actions import ReadCheck, SecretCheck
from orchc.compiler.uid import ResourceUid
from orchc.drivers.declarations import BUILT_IN

from .state.contract import ResourceRecord


class _Records(Protocol):
    def records(self, app: str, env: str) -> Sequence[ResourceRecord]: ...


def salted(salt: str, value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return hmac.new(salt.encode(), text.encode(), hashlib.sha256).hexdigest()


def from_environment(template: object) -> str | None:
    """The value of a template made only of text and `${env.NAME}`, or None when it
    holds anything else or names a variable that is not set."""
    if not isinstance(template, str):
        return None
    try:
        segments = parse_template(template)
    except PlaceholderError:
        return None
    parts = []
    for segment in segments:
        if isinstance(segment, Placeholder):
            name = ".".join(segment.path)
            if segment.root != "env" or name not in os.environ:
                return None
            parts.append(os.environ[name])
        else:
            parts.append(segment)
    return "".join(parts) if any(isinstance(s, Placeholder) for s in segments) else None


class PlanChecks(NamedTuple):
    """What the planner asks about values only the state holds; None without a state."""

    secret_changed: SecretCheck | None = None
    read_changed: ReadCheck | None = None


def plan_checks(store: _Records, app: str, env: str, salt: str | None, root: Path) -> PlanChecks:
    """The checks for (app, env), reading its records once; `root` is the project root
    (where the `environment` driver finds `.env`)."""
    if salt is None:
        return PlanChecks()
    records = {r.resource.uid: r for r in store.records(app, env)}
    return PlanChecks(_secret_check(records, salt), _read_check(records, salt, root))


def _secret_check(records: Mapping[ResourceUid, ResourceRecord], salt: str) -> SecretCheck:
    def changed(uid: ResourceUid, key: str, template: object) -> bool:
        now = from_environment(template)
        record = records.get(uid)
        last = record.resolved_secrets if record is not None else {}
        if now is None or key not in last:
            return False
        return _differs(salt, now, last[key])

    return changed


def _read_check(records: Mapping[ResourceUid, ResourceRecord], salt: str, root: Path) -> ReadCheck:
    def changed(uid: ResourceUid, keys: frozenset[str]) -> list[str]:
        record = records.get(uid)
        declared = BUILT_IN.get(record.resource.driver) if record is not None else None
        if record is None or declared is None:
            return []
        now = declared.read_again(record.resolved_inputs, keys, root)
        if now is None:
            return []
        last = record.outputs | record.secrets
        return sorted(key for key in keys if _differs(salt, now.get(key), last.get(key)))

    return changed


def _differs(salt: str, now: Any, last: Any) -> bool:
    """Whether two values differ, compared through their salted digests (None: unset)."""
    if now is None or last is None:
        return (now is None) != (last is None)
    return not hmac.compare_digest(salted(salt, now), salted(salt, last))
