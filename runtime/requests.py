"""Build a driver request for a planned resource: placeholders resolved, secrets read.

Secrets reach the request from three places and never from the plan: a plan-form
template (`${env.X}`, `${resources[...]...}`), or, for a secret written literally in a
definition, the definition file itself, read again here (the plan only names the key).
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any, Literal

from orchc.compiler import ir
from orchc.compiler.evaluate import Scope, evaluate
from orchc.compiler.origin import file_of
from orchc.compiler.passes.build_ir import build_ir
from orchc.compiler.plan import Plan, PlannedResource, literal_digest
from orchc.compiler.uid import ResourceUid
from orchc.drivers.protocol import DeployContext, DriverRequest
from orchc.grammar.diagnostics import Diagnostics
from orchc.grammar.parse import parse_document

from .resolve import Outputs, ResolveError, resolve_mapping, resolve_value
from .state.contract import ResourceRecord


class RequestError(Exception):
    """The request for a resource could not be built (an unset env var, a missing
    output, a definition file that changed since the plan)."""


def uid_of(resource: PlannedResource) -> ResourceUid:
    return ResourceUid(resource.type, resource.class_, resource.id)


def work_dir(root: Path, guid: str) -> Path:
    """The private directory of a resource on this machine (Terraform keeps its working
    copy there), surviving between runs."""
    return root / ".orchc" / "work" / guid


def deploy_context(plan: Plan) -> DeployContext:
    context = plan.context
    return DeployContext(app=context.app, env=context.env, env_type=context.env_type)


def build_request(
    plan: Plan,
    resource: PlannedResource,
    outputs: Outputs,
    root: Path,
    state: dict[str, Any],
    action: Literal["create", "delete"] = "create",
) -> DriverRequest:
    uid = uid_of(resource)
    try:
        params = resolve_value(resource.params, outputs).value
        inputs, sensitive_inputs = resolve_mapping(resource.inputs, outputs)
        secrets = _secrets(plan, resource, outputs, root)
    except ResolveError as error:
        raise RequestError(str(error)) from None
    definition_file = file_of(resource.source, root)
    guid = resource.guid or uid.guid(plan.context.app, plan.context.env)
    return DriverRequest(
        action=action,
        uid=str(uid),
        type=uid.type,
        class_=uid.class_,
        id=uid.id,
        guid=guid,
        definition=resource.definition,
        context=deploy_context(plan),
        params=params,
        inputs=inputs,
        secrets=secrets,
        sensitive_inputs=sensitive_inputs,
        state=state,
        requested_outputs=frozenset(resource.requested_outputs),
        source_dir=definition_file.parent,
        project_root=root,
        work_dir=work_dir(root, guid),
        timeout=resource.policy.timeout,
    )


def _secrets(plan: Plan, resource: PlannedResource, outputs: Outputs, root: Path) -> dict[str, Any]:
    secrets: dict[str, Any] = {}
    literals = literal_secrets(plan, resource, root)
    for key, source in resource.secret_sources.items():
        value = literals[key] if source.literal is not None else source.value
        try:
            secrets[key] = resolve_value(value, outputs).value
        except ResolveError as error:
            raise ResolveError(f"secret {key}: {error}") from None
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
            raise ResolveError(
                f"definitions changed since the plan: secret '{key}' of definition "
                f"'{resource.definition}' ({resource.source}) is not the one planned; "
                "run `orchc plan` again"
            )


def _literal_secrets(
    plan: Plan, resource: PlannedResource, root: Path, keys: list[str]
) -> dict[str, Any]:
    """Evaluate literal secrets from the definition file, as the planner did."""
    path = file_of(resource.source, root)
    display = resource.source.rsplit(":", 1)[0]
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ResolveError(f"cannot read the definition file {display}: {error.strerror}") from None
    diagnostics = Diagnostics()
    document, problems = parse_document(display, text)
    program = build_ir([document], root, diagnostics) if not problems else ir.Program()
    definition = next((d for d in program.definitions if d.id == resource.definition), None)
    if definition is None or definition.secrets is None:
        raise ResolveError(
            f"definition '{resource.definition}' in {display} changed since the plan was made; "
            "run `orchc plan` again"
        )
    context = plan.context
    scope = Scope(context.app, context.env, context.env_type, uid_of(resource), resource.params)
    found = {}
    for key in keys:
        value = definition.secrets.get(key)
        if value is None:
            raise ResolveError(f"definition '{resource.definition}' no longer has secret '{key}'")
        found[key] = evaluate(value, scope, diagnostics)
    return found


def delete_request(record: ResourceRecord, app: str, env: str, root: Path) -> DriverRequest:
    """The request to delete a recorded resource, from what its driver last saw."""
    resource = record.resource
    uid = resource.uid
    guid = uid.guid(app, env)
    context = record.resolved_context or {"app": app, "env": env, "env_type": ""}
    return DriverRequest(
        action="delete",
        uid=str(uid),
        type=uid.type,
        class_=uid.class_,
        id=uid.id,
        guid=guid,
        definition=resource.definition,
        context=DeployContext.model_validate(context),
        params=record.resolved_params,
        inputs=record.resolved_inputs,
        secrets=record.resolved_secrets,
        state=record.driver_state,
        source_dir=file_of(resource.source, root).parent,
        project_root=root,
        work_dir=work_dir(root, guid),
    )
