"""Checks apply makes before any driver runs (SPEC §9).

- Every literal secret apply reads again from a definition file is the one planned.
- Every `${env.NAME}` the plan needs is set: all missing ones are named at once, and
  nothing is created (a missing variable must not fail the run after ten resources).
- `prevent_destroy` holds against the state too: a plan that deletes or replaces a
  resource the state records as protected is refused unless the plan itself shows the
  protection lifted in that resource's own definition (the reviewed `policy changed`).
  So a plan edited to say `delete` never deletes a protected resource.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from orchc.compiler.placeholders import Placeholder, PlaceholderError, parse_template
from orchc.compiler.plan import Action, Plan, PlannedResource

from .placeholders import FillError
from .requests import literal_secrets
from .state.contract import ResourceRecord

RUNS = (Action.CREATE, Action.UPDATE, Action.REPLACE)
DESTROYS = (Action.DELETE, Action.REPLACE)


class PreflightError(Exception):
    """Apply cannot start; the message names everything that is wrong."""


def check_environment(plan: Plan) -> None:
    """Raise naming every environment variable the plan needs that is not set."""
    missing: dict[str, list[str]] = {}
    for uid, planned in sorted(plan.resources.items()):
        if planned.action in RUNS:
            for name in sorted(set(env_names(planned))):
                if name not in os.environ:
                    missing.setdefault(name, []).append(uid)
    if missing:
        lines = [f"  {name} (needed by {', '.join(uids)})" for name, uids in missing.items()]
        raise PreflightError(
            f"{len(missing)} environment variable(s) the plan needs are not set; nothing "
            "was changed:\n" + "\n".join(lines)
        )


def check_literal_secrets(plan: Plan, root: Path) -> None:
    """Every literal secret apply will read again from a definition file is the text the
    plan recorded; else "definitions changed since the plan", before anything runs."""
    problems = []
    for _, planned in sorted(plan.resources.items()):
        if planned.action in RUNS and any(s.literal for s in planned.secret_sources.values()):
            try:
                literal_secrets(plan, planned, root)
            except FillError as error:
                problems.append(f"  {error}")
    if problems:
        raise PreflightError("cannot apply this plan; nothing was changed:\n" + "\n".join(problems))


def env_names(planned: PlannedResource) -> Iterator[str]:
    """The `${env.NAME}` placeholders in a resource's inputs, params and secret sources."""
    sources = [s.value for s in planned.secret_sources.values()]
    for text in _strings([planned.inputs, planned.params, sources]):
        if "${" not in text:
            continue  # no placeholder (most values): nothing to parse
        try:
            template = parse_template(text)
        except PlaceholderError:
            continue  # reported with its resource when the value is resolved
        for segment in template:
            if isinstance(segment, Placeholder) and segment.root == "env":
                yield ".".join(segment.path)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def check_protection(plan: Plan, records: Mapping[str, ResourceRecord]) -> None:
    """Raise naming every protected resource the plan would delete or replace."""
    refused = [
        _protected(uid, planned, records[uid])
        for uid, planned in sorted(plan.resources.items())
        if planned.action in DESTROYS and uid in records
    ]
    found = [line for line in refused if line]
    if found:
        raise PreflightError(
            "the plan would destroy protected resources; nothing was changed:\n"
            + "\n".join(found)
            + "\n  lift prevent_destroy in the definition, plan and apply that first"
        )


def _protected(uid: str, planned: PlannedResource, record: ResourceRecord) -> str | None:
    known = record.resource
    lifted_by_its_definition = (
        planned.definition == known.definition and not planned.policy.prevent_destroy
    )
    if planned.policy.prevent_destroy or (known.prevent_destroy and not lifted_by_its_definition):
        return f"  {uid}: definition '{known.definition}' ({known.source}) sets prevent_destroy"
    return None


# definition id -> (prevent_destroy, "file:line"), for the definitions that exist now
DefinitionPolicies = Mapping[str, tuple[bool, str]]


def check_destroy(records: Mapping[str, ResourceRecord], now: DefinitionPolicies) -> None:
    """`orchc destroy` refuses while any resource is protected by the policy in force:
    its definition's now when it still exists, else the one recorded at the last apply."""
    found = []
    for uid, record in sorted(records.items()):
        known = record.resource
        protected, where = now.get(known.definition, (known.prevent_destroy, known.source))
        if protected:
            found.append(f"  {uid}: definition '{known.definition}' ({where})")
    if found:
        raise PreflightError(
            f"refusing to destroy: {len(found)} resource(s) are protected by prevent_destroy; "
            "nothing was deleted:\n"
            + "\n".join(found)
            + "\n  lift prevent_destroy in these definitions (and apply) to destroy them"
        )
