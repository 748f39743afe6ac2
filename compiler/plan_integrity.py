"""Plan integrity (SPEC §9): what `orchc plan` writes is what `orchc apply` runs.

`plan_digest` is `sha256:` of the plan's canonical JSON without `plan_digest` and
`signature`; with a key (`ORCHC_PLAN_KEY`) the plan also carries `signature`, an
HMAC-SHA256 of that same text. Apply recomputes both from the file as read, so any edit
(a value, a key, an action, a removed digest) is refused, and with a key set at apply
time an unsigned plan is refused too.

>>> import json
>>> from orchc.compiler.plan import PlanContext, PlanState, Summary
>>> plan = Plan(context=PlanContext(app="a", env="e", env_type="t"), state=PlanState(),
...             inputs_digest="sha256:0", resources={}, workloads={}, summary=Summary())
>>> signed = seal(plan, "k3y")
>>> signed.plan_digest == body_digest(plan.document())
True
>>> sealed(plan, "k3y").text == signed.to_json()
True
>>> verify(json.loads(signed.to_json()), "plan.json", "k3y")
>>> verify(json.loads(signed.to_json()), "plan.json", "other")
Traceback (most recent call last):
...
orchc.compiler.plan_integrity.PlanIntegrityError: plan.json: the plan's signature does \
not match ORCHC_PLAN_KEY: it was signed with another key, or changed after it was written
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from .plan import (
    SEAL_FIELDS,
    Plan,
    PlanFileError,
    canonical_json,
    parse_document,
    validate_plan,
)

PLAN_KEY_VARIABLE = "ORCHC_PLAN_KEY"
SIGNATURE_PREFIX = "hmac-sha256:"
CHANGED = "the plan file was changed after it was written"


class PlanIntegrityError(PlanFileError):
    """A plan whose digest or signature does not hold; the message says which."""


def _body(document: dict[str, Any]) -> bytes:
    body = {k: v for k, v in document.items() if k not in SEAL_FIELDS}
    return canonical_json(body).encode()


def _digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _mac(body: bytes, key: str) -> str:
    return SIGNATURE_PREFIX + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def body_digest(document: dict[str, Any]) -> str:
    return _digest(_body(document))


def _signature(document: dict[str, Any], key: str) -> str:
    return _mac(_body(document), key)


@dataclass(frozen=True)
class SealedPlan:
    """A sealed plan, its JSON document and the plan file's text (canonical JSON), all
    from one dump: dumping a plan of 4,000 resources twice was a tenth of planning it.
    Kept beside the plan, not cached on it: the pydantic model's `==` compares every
    attribute it holds."""

    plan: Plan
    document: dict[str, Any]
    text: str


def seal(plan: Plan, key: str | None) -> Plan:
    """`plan` with its digest, and its signature when `key` is given (not empty)."""
    return sealed(plan, key).plan


def sealed(plan: Plan, key: str | None) -> SealedPlan:
    """`seal`, with the document and the text of the sealed plan."""
    document = {k: v for k, v in plan.document().items() if k not in SEAL_FIELDS}
    body = canonical_json(document)
    encoded = body.encode()
    fields = {"plan_digest": _digest(encoded), "signature": _mac(encoded, key) if key else None}
    seal_lines = {k: v for k, v in fields.items() if v is not None}
    document.update(seal_lines)
    text = _with_seal(body, document, seal_lines)
    return SealedPlan(plan.model_copy(update=fields), document, text)


def _with_seal(body: str, document: dict[str, Any], seal_lines: dict[str, str]) -> str:
    """`canonical_json(document)`, made from `body`, the canonical JSON of `document`
    without `seal_lines` (the second dump of a large plan cost as much as the first).
    Top-level keys are sorted and are the only lines indented by exactly two spaces
    (no JSON string holds a raw newline), so each sealing field goes in as one line
    before the top-level key that follows it; when none follows, the document is
    dumped again.

    >>> document = {"a": 1, "c": {"d": [2]}, "b": "x", "e": None}
    >>> body = canonical_json({k: v for k, v in document.items() if k != "b"})
    >>> _with_seal(body, document, {"b": "x"}) == canonical_json(document)
    True
    >>> _with_seal(canonical_json({"a": 1}), {"a": 1, "z": "x"}, {"z": "x"}) == canonical_json(
    ...     {"a": 1, "z": "x"}
    ... )
    True
    """
    keys = sorted(document)
    for name, value in seal_lines.items():
        position = keys.index(name) + 1
        following = keys[position] if position < len(keys) else None
        marker = f'\n  "{following}": '
        if following is None or following in seal_lines or marker not in body:
            return canonical_json(document)
        line = f'\n  "{name}": {json.dumps(value, ensure_ascii=False)},'
        body = body.replace(marker, line + marker, 1)
    return body


def verify(document: dict[str, Any], path: str, key: str | None) -> None:
    """Refuse a plan whose digest or (with `key`) signature does not match its text."""
    digest = document.get("plan_digest")
    if digest is None:
        raise PlanIntegrityError(
            f"{path}: the plan has no plan_digest: {CHANGED}, or was not written by "
            "`orchc plan`; plan again"
        )
    if not isinstance(digest, str) or not hmac.compare_digest(digest, body_digest(document)):
        raise PlanIntegrityError(f"{path}: {CHANGED} (its plan_digest does not match); plan again")
    if key:
        _verify_signature(document, path, key)


def _verify_signature(document: dict[str, Any], path: str, key: str) -> None:
    signature = document.get("signature")
    if signature is None:
        raise PlanIntegrityError(
            f"{path}: the plan is not signed, and ORCHC_PLAN_KEY is set: plan with "
            "ORCHC_PLAN_KEY set, or unset it to apply unsigned plans"
        )
    if not isinstance(signature, str) or not hmac.compare_digest(
        signature, _signature(document, key)
    ):
        raise PlanIntegrityError(
            f"{path}: the plan's signature does not match ORCHC_PLAN_KEY: it was signed "
            "with another key, or changed after it was written"
        )


def load_verified(text: str, path: str, key: str | None) -> Plan:
    """Read a plan file for apply: valid JSON, an intact digest and signature, a valid
    plan."""
    document = parse_document(text, path)
    verify(document, path, key)
    return validate_plan(document, path)
