"""Score resource params -> their plan form.

A resource's `params` may hold Score placeholders (SPEC §4): `${metadata.KEY}` is
known at plan time and substituted; `${resources.OTHER.KEY}` becomes the plan-form
reference `${resources['<uid of OTHER>'].outputs.KEY}`, resolved just before the
resource's driver runs, and adds an edge (OTHER is provisioned first). Literal text is
escaped so the runtime reads it back unchanged. A `service-port`'s port name becomes
the named port's numbers (`service_ports.py`).
"""

from __future__ import annotations

import json
import re

from pydantic import JsonValue

from orchc.grammar.diagnostics import Diagnostics

from .evaluate import Json, OnReference, OutputReference
from .placeholders import escape_literal
from .score import placeholders as score
from .score.workload import ResourceRequest, ScoreWorkload
from .service_ports import (
    SERVICE_PORT_TYPE,
    UnknownPort,
    UnlistedWorkload,
    WorkloadPorts,
    resolve_service_port,
)
from .uid import ResourceUid

_OUTPUT_KEY = re.compile(r"^[A-Za-z0-9_-]+\Z")


class _Convert:
    def __init__(
        self,
        workload: ScoreWorkload,
        uids: dict[str, ResourceUid],
        diagnostics: Diagnostics,
        on_reference: OnReference,
    ) -> None:
        self.workload = workload
        self.uids = uids
        self.diagnostics = diagnostics
        self.on_reference = on_reference

    def value(self, value: JsonValue, path: tuple[str | int, ...]) -> Json:
        if isinstance(value, str):
            return self.string(value, path)
        if isinstance(value, list):
            return [self.value(item, (*path, i)) for i, item in enumerate(value)]
        if isinstance(value, dict):
            return {key: self.value(item, (*path, key)) for key, item in value.items()}
        return value

    def string(self, text: str, path: tuple[str | int, ...]) -> Json:
        if "$" not in text:
            return text
        template = score.parse_template(text)  # the Score reader validated it
        if len(template) == 1 and isinstance(template[0], score.Reference):
            whole = self.reference(template[0], path)
            return (
                escape_literal(whole)
                if isinstance(whole, str) and not _is_ref(template[0])
                else whole
            )
        return "".join(self.embedded(segment, path) for segment in template)

    def embedded(self, segment: score.Segment, path: tuple[str | int, ...]) -> str:
        if isinstance(segment, str):
            return escape_literal(segment)
        found = self.reference(segment, path)
        if _is_ref(segment):
            return str(found)
        text = found if isinstance(found, str) else json.dumps(found, sort_keys=True)
        return escape_literal(text)

    def reference(self, reference: score.Reference, path: tuple[str | int, ...]) -> Json:
        if reference.parts[0] == "metadata":
            found: JsonValue = self.workload.spec.get("metadata")
            for key in reference.parts[1:]:
                found = found.get(key) if isinstance(found, dict) else None
            return found
        name, keys = reference.parts[1], reference.parts[2:]
        target = self.uids[name]
        span = self.workload.locate_text(path, reference.offset)
        if not keys or not all(_OUTPUT_KEY.match(key) for key in keys):
            self.diagnostics.error(
                span,
                f"placeholder '{reference.raw}' must name an output of resource '{name}', "
                f"as in ${{resources.{name}.host}}",
            )
            return reference.raw
        self.on_reference(OutputReference(target, keys[0], span))
        return "${resources['" + str(target) + "'].outputs." + ".".join(keys) + "}"


def _is_ref(reference: score.Reference) -> bool:
    return reference.parts[0] == "resources"


def score_params_to_plan(
    resource: ResourceRequest,
    workload: ScoreWorkload,
    uids: dict[str, ResourceUid],
    diagnostics: Diagnostics,
    on_reference: OnReference,
    ports: WorkloadPorts,
) -> dict[str, Json]:
    """`resource`'s params in plan form; a `service-port`'s port name resolved against
    `ports`, the service ports of the deployment's workloads (`service_ports.py`)."""
    converter = _Convert(workload, uids, diagnostics, on_reference)
    path = ("resources", resource.name, "params")
    params = {key: converter.value(v, (*path, key)) for key, v in resource.params.items()}
    if resource.type != SERVICE_PORT_TYPE:
        return params
    try:
        return resolve_service_port(params, ports)
    except (UnknownPort, UnlistedWorkload):  # reported when the files were read
        return params
