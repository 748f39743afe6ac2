"""Sealing a plan (SPEC §9): the plan file's text is made from the one dump the digest
and signature are computed from, and is byte for byte the canonical JSON of the sealed
document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_plan_actions import make_plan, snapshot_of

from orchc.compiler.plan import Plan, canonical_json
from orchc.compiler.plan_integrity import load_verified, sealed
from orchc.compiler.state import StateSnapshot

# A value whose text, were newlines not escaped, would look like a top-level key line.
TRICKY = '\n  "resources": {\n  "state": "x",\n'


def _with_tricky_input(plan: Plan) -> Plan:
    name, resource = next(iter(plan.resources.items()))
    inputs = {**resource.inputs, "tricky": TRICKY, "ünïcode": "ø"}
    changed = resource.model_copy(update={"inputs": inputs})
    return plan.model_copy(update={"resources": {**plan.resources, name: changed}})


@pytest.mark.parametrize("key", [None, "", "k3y"])
def test_the_sealed_text_is_the_canonical_json_of_the_sealed_document(
    tmp_path: Path, key: str | None
) -> None:
    first = make_plan(tmp_path, StateSnapshot())
    changed = make_plan(tmp_path, snapshot_of(first), host="cache-2")
    for plan in (first, changed, _with_tricky_input(changed)):
        made = sealed(plan, key)

        assert made.text == canonical_json(made.document) == made.plan.to_json()
        assert ("signature" in made.document) == bool(key)
        assert load_verified(made.text, "plan.json", key) == made.plan
        assert json.loads(made.text) == made.document
