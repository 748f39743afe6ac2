"""The Deploy phase: render every workload with its Score placeholders resolved and
hand them, with the manifests drivers returned, to the target (SPEC §8).

Only the places Score expands are substituted (variables, file contents unless
`noExpand`, volume sources; on Compose, environment values in variables are left for
`docker compose up`, see `deferred.py`); each value that embeds a secret output is listed in the
workload's `sensitive` paths, and so is every manifest string that contains a known
secret, so the target can route them through Secret objects or a 0600 env file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orchc.compiler.placeholders import PlaceholderError
from orchc.compiler.plan import Action, Plan, PlannedWorkload, json_copy
from orchc.compiler.score import placeholders as score
from orchc.compiler.uid import TARGET_UID, ResourceUid, workload_uid
from orchc.compiler.workload_patches import patch_problems
from orchc.drivers.protocol import (
    DeferredValue,
    DeployManifest,
    DeployRequest,
    DeployWorkload,
    JsonPath,
    WorkloadPatch,
)
from orchc.runtime.state.contract import ResourceRecord

from .deferred import deferred_parts, deferring_resources, written
from .placeholders import FillError, Outputs
from .redact import Redactor
from .requests import deploy_context, work_dir


class DeployError(Exception):
    """A workload that cannot be rendered; the message names it and the field."""


def _score_lookup(workload: PlannedWorkload, outputs: Outputs) -> score.Lookup:
    """What `${metadata...}` and `${resources.NAME...}` stand for in `workload`."""

    def lookup(parts: tuple[str, ...]) -> score.Resolved:
        if parts[0] == "metadata":
            value: Any = workload.spec.get("metadata")
            for key in parts[1:]:
                value = value.get(key) if isinstance(value, dict) else None
            return score.Resolved(value)
        resource, keys = parts[1], parts[2:]
        uid = workload.resources[resource]
        found = outputs.lookup(ResourceUid.parse(uid), keys or ("source",))
        return score.Resolved(found.value, found.sensitive)

    return lookup


def _set(document: dict[str, Any], path: JsonPath, value: Any) -> None:
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def render_workload(
    name: str,
    workload: PlannedWorkload,
    outputs: Outputs,
    patches: tuple[WorkloadPatch, ...] = (),
    deferring: frozenset[str] = frozenset(),
) -> DeployWorkload:
    """`workload` with its Score placeholders filled; raises `DeployError` naming every
    placeholder that cannot be filled (one per line), not only the first. Variables
    that embed an output of a resource named in `deferring` are read where the workload
    starts (`deferred.py`)."""
    spec = json_copy(workload.spec)
    sensitive: list[JsonPath] = []
    deferred: list[DeferredValue] = []
    problems: list[str] = []
    lookup = _score_lookup(workload, outputs)
    for site in score.sites(workload.spec):
        if site.holder is not None or "$" not in site.text:
            continue
        try:
            parts = deferred_parts(site.text, deferring, lookup) if _variable(site) else None
            if parts is not None:
                deferred.append(DeferredValue(path=site.path, parts=parts))
                _set(spec, site.path, written(parts))
                continue
            resolved = score.substitute(site.text, lookup)
        except (FillError, PlaceholderError) as error:
            where = ".".join(str(p) for p in site.path)
            problems.append(f"workload '{name}', {where}: {error}")
            continue
        _set(spec, site.path, resolved.value)
        if resolved.sensitive:
            sensitive.append(site.path)
    if problems:
        raise DeployError("\n".join(problems))
    return DeployWorkload(
        name=name,
        spec=spec,
        sensitive=tuple(sensitive),
        depends_on=tuple(sorted(workload.resources.values())),
        patches=patches,
        deferred=tuple(deferred),
    )


def workload_patches(plan: Plan, name: str, outputs: Outputs) -> tuple[WorkloadPatch, ...]:
    """The `patches` output of the workload's resource (SPEC §12), each naming the
    definition that returned it; none when the plan has no such resource or it returns
    no `patches`. A malformed or secret-bearing list is a `DeployError`."""
    uid = workload_uid(name)
    planned = plan.resources.get(str(uid))
    known = outputs.get(uid)
    if planned is None or known is None:
        return ()
    origin = f"definition '{planned.definition}' ({planned.source})"
    values, secrets = known
    if "patches" in secrets:
        # Patches are written into manifests as they are: a secret there would be clear text.
        raise DeployError(f"workload '{name}': the patches of {origin} embed a secret")
    value = values.get("patches")
    if value is None:
        return ()
    problems = patch_problems(value, resolved=True)
    if problems:
        raise DeployError(f"workload '{name}': {origin}: " + "; ".join(problems))
    return tuple(WorkloadPatch(**patch, origin=origin) for patch in value)


def _variable(site: score.Site) -> bool:
    return site.path[2:3] == ("variables",)


def sensitive_paths(value: Any, redactor: Redactor, path: JsonPath = ()) -> list[JsonPath]:
    """Paths of the strings inside `value` that contain a secret this run knows."""
    if isinstance(value, str):
        return [path] if redactor.contains_secret(value) else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in sensitive_paths(v, redactor, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in sensitive_paths(v, redactor, (*path, i))]
    return []


def _render_all(plan: Plan, outputs: Outputs) -> tuple[DeployWorkload, ...]:
    """Every workload rendered; every problem of every workload reported at once."""
    rendered, problems = [], []
    for name, workload in sorted(plan.workloads.items()):
        if workload.action is Action.DELETE:
            continue
        try:
            patches = workload_patches(plan, name, outputs)
            deferring = deferring_resources(plan, workload)
            rendered.append(render_workload(name, workload, outputs, patches, deferring))
        except DeployError as error:
            problems.append(str(error))
    if problems:
        raise DeployError("\n".join(problems))
    return tuple(rendered)


def deploy_request(
    plan: Plan,
    outputs: Outputs,
    manifests: Mapping[str, tuple[dict[str, Any], ...]],
    target: ResourceRecord | None,
    root: Path,
    redactor: Redactor,
) -> DeployRequest:
    """The request for the target's `deploy`: the workloads rendered, the manifests with
    their secret paths, and what a driver gets for the target's resource (its resolved
    inputs and secrets and its driver state as last recorded, its work directory, its
    policy timeout)."""
    workloads = _render_all(plan, outputs)
    deploy_manifests = tuple(
        DeployManifest(uid=uid, object=obj, sensitive=tuple(sensitive_paths(obj, redactor)))
        for uid in sorted(manifests)
        for obj in manifests[uid]
    )
    if target is None:  # it was created in this run or before: its record is there
        raise DeployError(f"no state recorded for the target {TARGET_UID}")
    planned = plan.resources[str(TARGET_UID)]
    return DeployRequest(
        context=deploy_context(plan),
        inputs=target.resolved_inputs,
        project_root=root,
        workloads=workloads,
        manifests=deploy_manifests,
        secrets=target.resolved_secrets,
        state=target.driver_state,
        work_dir=work_dir(root, planned.guid),
        timeout=planned.policy.timeout,
    )
