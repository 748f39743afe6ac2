"""Secret changes seen at plan time (SPEC §9), through salted digests.

For a resource in the state, each secret whose plan-form template is made only of
`${env.NAME}` placeholders (and text) is evaluated from the environment now; when every
variable it names is set, its HMAC-SHA256 salted with the state's salt is compared with
the same digest of the value the last apply gave the driver. The plan learns one bit
per key ("changed"), never a value or a digest; unset variables compare nothing.

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
from typing import Any, Protocol

from orchc.compiler.placeholders import Placeholder, PlaceholderError, parse_template
from orchc.compiler.plan_actions import SecretCheck
from orchc.compiler.uid import ResourceUid

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


def secret_check(store: _Records, app: str, env: str, salt: str | None) -> SecretCheck | None:
    """The check the planner asks per resource secret; None without a state."""
    if salt is None:
        return None
    recorded: Mapping[str, Mapping[str, Any]] = {
        str(r.resource.uid): r.resolved_secrets for r in store.records(app, env)
    }

    def changed(uid: ResourceUid, key: str, template: object) -> bool:
        now = from_environment(template)
        last = recorded.get(str(uid), {})
        if now is None or key not in last:
            return False
        return not hmac.compare_digest(salted(salt, now), salted(salt, last[key]))

    return changed
