"""Build the request a driver receives: the one place a `DriverRequest` is made.

A create (or update) request is the planned resource with its placeholders filled and
its secrets read; a delete request is what the driver last received, as the state
recorded it, since the definition may be gone by now.

Secrets reach a create request from three places and never from the plan: a plan-form
template (`${env.X}`, `${resources[...]...}`), or, for a secret written literally in a
definition, the definition file itself, read again through the compiler's
`read_literal_secrets` (the plan only names the key). That function is imported only
when a resource has such a secret, so applying a plan does not load the language front
end otherwise.
"""

from __future__ import annotations

import functools
import hmac
from pathlib import Path
from typing import Any, Literal

from orchc.compiler.origin import file_of
from orchc.compiler.plan import Plan, PlannedResource, literal_digest
from orchc.compiler.uid import ResourceUid
from orchc.drivers.protocol import DeployContext, DriverRequest
from orchc.runtime.state.contract import ResourceRecord

from .placeholders import FillError, Outputs, fill_mapping, fill_value


class RequestError(Exception):
    """The request for a resource could not be built (an unset env var, a missing
    output, a definition file that changed since the plan)."""


def uid_of(resource: PlannedResource) -> ResourceUid:
    return ResourceUid(resource.type, resource.class_, resource.id)


def work_dir(root: Path, guid: str) -> Path:
    """The private directory of a resource on this machine (Terraform keeps its working
    copy there), surviving between runs."""
    return root.joinpath(".orchc", "work", guid)


def deploy_context(plan: Plan) -> DeployContext:
    context = plan.context
    return _deploy_context(context.app, context.env, context.env_type)


# Every request of a run has the same context and most share a definition file: one
# (immutable) model and one directory each, not one per resource.
@functools.lru_cache(maxsize=16)
def _deploy_context(app: str, env: str, env_type: str) -> DeployContext:
    return DeployContext(app=app, env=env, env_type=env_type)


@functools.lru_cache(maxsize=1024)
def _source_dir(source: str, root: Path) -> Path:
    return file_of(source, root).parent


def create_request(
    plan: Plan, resource: PlannedResource, outputs: Outputs, root: Path, state: dict[str, Any]
) -> DriverRequest:
    """The request to create or update `resource`, placeholders filled from `outputs`;
    `state` is what the driver saved last time (empty for a new resource)."""
    uid = uid_of(resource)
    try:
        params = fill_value(resource.params, outputs).value
        inputs, sensitive_inputs = fill_mapping(resource.inputs, outputs)
        secrets = _secrets(plan, resource, outputs, root)
    except FillError as error:
        raise RequestError(str(error)) from None
    return _driver_request(
        "create",
        uid,
        resource.guid or uid.guid(plan.context.app, plan.context.env),
        resource.definition,
        resource.source,
        root,
        context=deploy_context(plan),
        params=params,
        metadata=resource.metadata,
        inputs=inputs,
        secrets=secrets,
        sensitive_inputs=sensitive_inputs,
        state=state,
        requested_outputs=frozenset(resource.requested_outputs),
        timeout=resource.policy.timeout,
    )


def delete_request(record: ResourceRecord, app: str, env: str, root: Path) -> DriverRequest:
    """The request to delete a recorded resource, from what its driver last saw."""
    resource = record.resource
    context = record.resolved_context or {"app": app, "env": env, "env_type": ""}
    return _driver_request(
        "delete",
        resource.uid,
        resource.uid.guid(app, env),
        resource.definition,
        resource.source,
        root,
        context=DeployContext.model_validate(context),
        params=record.resolved_params,
        inputs=record.resolved_inputs,
        secrets=record.resolved_secrets,
        state=record.driver_state,
    )


def _driver_request(
    action: Literal["create", "delete"],
    uid: ResourceUid,
    guid: str,
    definition: str,
    source: str,
    root: Path,
    **what: Any,
) -> DriverRequest:
    """The fields every request derives the same way (names, directories); `what` is
    the rest (context, params, inputs, secrets, state, ...), validated by the model."""
    return DriverRequest(
        action=action,
        uid=str(uid),
        type=uid.type,
        class_=uid.class_,
        id=uid.id,
        guid=guid,
        definition=definition,
        source_dir=_source_dir(source, root),
        project_root=root,
        work_dir=work_dir(root, guid),
        **what,
    )


def _secrets(plan: Plan, resource: PlannedResource, outputs: Outputs, root: Path) -> dict[str, Any]:
    secrets: dict[str, Any] = {}
    literals = literal_secrets(plan, resource, root)
    for key, source in resource.secret_sources.items():
        value = literals[key] if source.literal is not None else source.value
        try:
            secrets[key] = fill_value(value, outputs).value
        except FillError as error:
            raise FillError(f"secret {key}: {error}") from None
    return secrets


def literal_secrets(plan: Plan, resource: PlannedResource, root: Path) -> dict[str, Any]:
    """The literal secrets of `resource`, read again from its definition file and
    checked against the digests the plan recorded."""
    keys = [key for key, s in resource.secret_sources.items() if s.literal is not None]
    literals = _literal_secrets(plan, resource, root, keys) if keys else {}
    check_literals(resource, literals)
    return literals


def check_literals(resource: PlannedResource, literals: dict[str, Any]) -> None:
    """A literal secret read again must be the text the plan recorded (its digest)."""
    uid = str(uid_of(resource))
    for key, value in sorted(literals.items()):
        recorded = resource.secret_sources[key].digest
        if recorded is not None and not hmac.compare_digest(recorded, literal_digest(uid, value)):
            raise FillError(
                f"definitions changed since the plan: secret '{key}' of definition "
                f"'{resource.definition}' ({resource.source}) is not the one planned; "
                "run `orchc plan` again"
            )


def _literal_secrets(
    plan: Plan, resource: PlannedResource, root: Path, keys: list[str]
) -> dict[str, Any]:
    # Imported here: it loads the parser (lark) and the compiler passes, which applying
    # a plan needs only for a secret written literally in a definition.
    from orchc.compiler.literal_secrets import LiteralSecretError, read_literal_secrets

    try:
        return read_literal_secrets(plan.context, resource, root, keys)
    except LiteralSecretError as error:
        raise FillError(str(error)) from None
