"""The `compose` target: one Docker Compose file for every workload and fragment.

Input: `path`, the compose file (relative to the project root; default
`compose.yaml`). `create` only validates it and returns the outputs
`{"kind": "compose", "path": <path as given>}`. `deploy` writes, in the compose file's
directory, for `path: deploy/compose.yaml`:

```
compose.yaml                     the compose file (project `name: <app>-<env>`)
compose.<service>.env            a service's secret variables (mode 0600)
compose.files/<workload>/<container>/<target path>   files mounted into containers
.compose.yaml.orchc-index        what orchc wrote here (JSON; so stale files can be removed)
```

A service per workload container (`<workload>-<container>`, see `_compose_workload`)
plus the services, volumes, networks, secrets and configs of the fragments drivers
returned (see `_compose_fragments`). Secret values never enter the compose file: each
service that has some reads them from its own env file, so it sees only its own
secrets. Nothing is published to the host (`expose` only), as in score-compose; add a
`ports` override file to publish. Output is deterministic (keys sorted); each deploy
removes the files orchc wrote earlier and no longer produces, never other files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from orchc.drivers.input_blocks import StrictBlock, parse_block
from orchc.drivers.protocol import (
    DeployContext,
    DeployRequest,
    DeployResult,
    DriverError,
    DriverRequest,
    DriverResult,
    Journal,
    JsonObject,
)
from orchc.drivers.targets._compose_fragments import SECTIONS, Fragments, merge_fragments
from orchc.drivers.targets._compose_workload import Layout, RenderedWorkload, render_workload
from orchc.drivers.targets._envfile import env_file_text, valid_key
from orchc.drivers.targets._workload import parse_workload
from orchc.drivers.targets._yaml import dump
from orchc.drivers.targets.output_dir import OutputDir, OutputFile

DEFAULT_PATH = "compose.yaml"

_PROJECT_NAME_INVALID = re.compile(r"[^a-z0-9_-]+")
_VOLUME_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


class ComposeInputs(StrictBlock):
    path: str = Field(default=DEFAULT_PATH, min_length=1)


class ComposeTarget:
    """Renders workloads and driver fragments as one Docker Compose file."""

    replace_inputs: ClassVar[frozenset[str]] = frozenset({"path"})

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult:
        inputs = parse_block(ComposeInputs, request.inputs, "inputs")
        return DriverResult(outputs={"kind": "compose", "path": inputs.path})

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        inputs = parse_block(ComposeInputs, request.inputs, "inputs")
        _output_dir(request.project_root, inputs.path).remove_all()

    def deploy(self, request: DeployRequest) -> DeployResult:
        inputs = parse_block(ComposeInputs, request.inputs, "inputs")
        compose_file = Path(inputs.path).name
        layout = Layout(stem=Path(compose_file).stem)
        fragments = merge_fragments(request.manifests)
        rendered = _render_workloads(request, layout, fragments)
        document = _compose_document(request.context, fragments, rendered, layout)
        files = {compose_file: OutputFile(dump(document).encode("utf-8"))}
        files |= _env_files(fragments, rendered, layout)
        for workload in rendered:
            files |= workload.files
        output = _output_dir(request.project_root, inputs.path)
        output.sync(files)
        return DeployResult(files=tuple(sorted(output.display(f) for f in files)))


def _output_dir(project_root: Path, path: str) -> OutputDir:
    compose_path = project_root / path
    return OutputDir(compose_path.parent, f".{compose_path.name}.orchc-index", project_root)


def project_name(context: DeployContext) -> str:
    """The Compose project name for a context: `<app>-<env>`, made valid.

    >>> project_name(DeployContext(app="Shop", env="dev 1", env_type="development"))
    'shop-dev-1'
    """
    name = _PROJECT_NAME_INVALID.sub("-", f"{context.app}-{context.env}".lower())
    return name.strip("-_") or "orchc"


def _render_workloads(
    request: DeployRequest, layout: Layout, fragments: Fragments
) -> list[RenderedWorkload]:
    fragment_services = fragments.sections["services"]
    owners = {
        name: f"resource '{fragments.owners[('services', name)]}'" for name in fragment_services
    }
    rendered: list[RenderedWorkload] = []
    for deploy_workload in sorted(request.workloads, key=lambda w: w.name):
        workload = parse_workload(deploy_workload)
        uses = [s for uid in deploy_workload.depends_on for s in fragments.services_of(uid)]
        result = render_workload(workload, layout, sorted(set(uses)), fragment_services)
        for service in result.services:
            if service in owners:
                raise DriverError(
                    f"service '{service}' is produced by both {owners[service]} "
                    f"and workload '{workload.name}'"
                )
            owners[service] = f"workload '{workload.name}'"
        for volume in result.volumes:
            _check_volume_name(volume, workload.name)
        rendered.append(result)
    return rendered


def _check_volume_name(volume: str, workload: str) -> None:
    if not _VOLUME_NAME.match(volume):
        raise DriverError(
            f"workload '{workload}': volume source {volume!r} is not a valid Compose volume "
            "name (letters, digits, '_', '.', '-')"
        )


def _compose_document(
    context: DeployContext,
    fragments: Fragments,
    rendered: Iterable[RenderedWorkload],
    layout: Layout,
) -> JsonObject:
    sections = {section: dict(fragments.sections[section]) for section in SECTIONS}
    for workload in rendered:
        sections["services"] |= workload.services
        for volume in workload.volumes:
            sections["volumes"].setdefault(volume, {})
    for service in fragments.secret_env:
        _add_env_file(sections["services"][service], layout.env_file(service))
    document: JsonObject = {"name": project_name(context)}
    return document | {section: body for section, body in sections.items() if body}


def _add_env_file(service: JsonObject, env_file: str) -> None:
    existing = service.get("env_file") or []
    listed = [existing] if isinstance(existing, str | dict) else list(existing)
    service["env_file"] = [*listed, env_file]


def _env_files(
    fragments: Fragments, rendered: Iterable[RenderedWorkload], layout: Layout
) -> dict[str, OutputFile]:
    secrets = dict(fragments.secret_env)
    for workload in rendered:
        secrets |= workload.secret_env
    files: dict[str, OutputFile] = {}
    for service, values in sorted(secrets.items()):
        invalid = sorted(key for key in values if not valid_key(key))
        if invalid:
            raise DriverError(
                f"service '{service}': secret variable {', '.join(invalid)} cannot be "
                "written to an env file (use letters, digits, '_', '.', '-')"
            )
        text = env_file_text(values)
        files[layout.env_file(service)] = OutputFile(text.encode("utf-8"), 0o600)
    return files
