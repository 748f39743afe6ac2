"""The Compose render step: a deploy request -> the compose document and its companions.

Public, so that every target that deploys with Docker Compose renders the same thing;
the `compose` target writes it beside its compose file (`OutputDir.sync`). Two steps,
neither writes:

- `render_compose(request, compose_file)`: a `ComposeRender`: the compose `document`
  (a service per workload container, see `compose_workload`, plus the services,
  volumes, networks, secrets and configs of the fragments drivers returned, see
  `compose_fragments`), the `env_files` that hold each service's secret variables, and
  the `mounted_files` bind-mounted into containers. Secret values are never in the
  document;
- `compose_files(rendered, compose_file)`: all of it as files by relative path (env
  files mode 0600), keys sorted, so equal renders give equal bytes.

>>> from orchc.drivers.protocol import DeployContext, DeployRequest, DeployWorkload
>>> spec = {"apiVersion": "score.dev/v1b1", "metadata": {"name": "web"},
...         "containers": {"main": {"image": "nginx"}}}
>>> request = DeployRequest(
...     context=DeployContext(app="shop", env="dev", env_type="development"),
...     inputs={}, project_root=".", work_dir=".",
...     workloads=(DeployWorkload(name="web", spec=spec),),
... )
>>> rendered = render_compose(request, "compose.yaml")
>>> rendered.document["name"], sorted(rendered.document["services"]), rendered.env_files
('shop-dev', ['web-main'], {})
>>> sorted(compose_files(rendered, "compose.yaml"))
['compose.yaml']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from orchc.drivers.protocol import DeployContext, DeployRequest, DriverError, JsonObject
from orchc.drivers.targets.compose_fragments import SECTIONS, Fragments, merge_fragments
from orchc.drivers.targets.compose_gateway import (
    DEFAULT_GATEWAY,
    GATEWAY_SERVICE,
    GatewaySettings,
    render_gateway,
)
from orchc.drivers.targets.compose_workload import Layout, RenderedWorkload, render_workload
from orchc.drivers.targets.env_file import env_file_text, valid_key
from orchc.drivers.targets.output_dir import OutputFile
from orchc.drivers.targets.route_requests import take_routes
from orchc.drivers.targets.score_workload import parse_workload
from orchc.drivers.targets.workload_patches import apply_patches
from orchc.drivers.targets.yaml_text import dump

_PROJECT_NAME_INVALID = re.compile(r"[^a-z0-9_-]+")
_VOLUME_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*\Z")


@dataclass(frozen=True)
class ComposeRender:
    """What a deploy renders to: paths are relative to the compose file's directory."""

    document: JsonObject  # the compose file
    env_files: dict[str, dict[str, str]]  # path -> one service's secret variables
    mounted_files: dict[str, OutputFile]  # path -> a file bind-mounted into a container


def render_compose(
    request: DeployRequest, compose_file: str, gateway: GatewaySettings = DEFAULT_GATEWAY
) -> ComposeRender:
    """`request` rendered for the compose file named `compose_file` (its companions'
    names start with its stem); route requests are served by the gateway service
    (`compose_gateway.py`) that `gateway` configures. Raises a `DriverError` for what
    cannot be rendered."""
    layout = Layout(stem=Path(compose_file).stem)
    routes, manifests = take_routes(request.manifests)
    fragments = merge_fragments(manifests)
    rendered = _render_workloads(request, layout, fragments)
    mounted: dict[str, OutputFile] = {}
    for workload in rendered:
        mounted |= workload.files
    document = _compose_document(request.context, fragments, rendered, layout)
    served = render_gateway(routes, request.workloads, gateway, layout.stem)
    if served is not None:
        _add_gateway(document, served.service)
        mounted[served.config_path] = served.config
    _check_published_ports(document.get("services") or {})
    return ComposeRender(
        document=document,
        env_files=_env_files(fragments, rendered, layout),
        mounted_files=mounted,
    )


def compose_files(rendered: ComposeRender, compose_file: str) -> dict[str, OutputFile]:
    """The files of `rendered`, by path relative to the compose file's directory."""
    files = {compose_file: OutputFile(dump(rendered.document).encode("utf-8"))}
    for path, values in rendered.env_files.items():
        files[path] = OutputFile(env_file_text(values).encode("utf-8"), 0o600)
    return files | rendered.mounted_files


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
        owner = f"workload '{workload.name}'"
        apply_patches(result.services.values(), deploy_workload.patches, None, owner)
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


def _check_published_ports(services: JsonObject) -> None:
    """Two services cannot publish one host port: `docker compose up` would fail on
    the second, after starting the first. Say so at deploy, naming both."""
    owners: dict[tuple[str, str], str] = {}
    for name, service in sorted(services.items()):
        for port in service.get("ports") or [] if isinstance(service, dict) else []:
            key = _published(port)
            if key is None:
                continue
            if key in owners and owners[key] != name:
                raise DriverError(
                    f"host port {key[0]}/{key[1]} is published by both service "
                    f"'{owners[key]}' and service '{name}': give each its own (for a "
                    "backing service, its resource's compose.score.dev/publish-port "
                    "annotations)"
                )
            owners[key] = name


def _published(port: object) -> tuple[str, str] | None:
    """(host port, protocol) of a published port, long or short syntax; None when the
    port is not published on the host (or Compose picks the host port).

    >>> _published({"target": 80, "published": "8080"}), _published("127.0.0.1:53:53/udp")
    (('8080', 'tcp'), ('53', 'udp'))
    >>> _published("80"), _published({"target": 80})
    (None, None)
    """
    if isinstance(port, dict):
        published = port.get("published")
        protocol = str(port.get("protocol") or "tcp")
    elif isinstance(port, str | int):
        text, _, protocol = str(port).partition("/")
        parts = text.split(":")
        published = parts[-2] if len(parts) >= 2 else None
        protocol = protocol or "tcp"
    else:
        return None
    return (str(published), protocol) if published not in (None, "", "0") else None


def _add_gateway(document: JsonObject, service: JsonObject) -> None:
    services = document.setdefault("services", {})
    if GATEWAY_SERVICE in services:
        raise DriverError(
            f"service '{GATEWAY_SERVICE}' is produced by both the route gateway and a "
            "workload or resource; rename it"
        )
    services[GATEWAY_SERVICE] = service


def _add_env_file(service: JsonObject, env_file: str) -> None:
    existing = service.get("env_file") or []
    listed = [existing] if isinstance(existing, str | dict) else list(existing)
    service["env_file"] = [*listed, env_file]


def _env_files(
    fragments: Fragments, rendered: Iterable[RenderedWorkload], layout: Layout
) -> dict[str, dict[str, str]]:
    secrets = dict(fragments.secret_env)
    for workload in rendered:
        secrets |= workload.secret_env
    files: dict[str, dict[str, str]] = {}
    for service, values in sorted(secrets.items()):
        invalid = sorted(key for key in values if not valid_key(key))
        if invalid:
            raise DriverError(
                f"service '{service}': secret variable {', '.join(invalid)} cannot be "
                "written to an env file (use letters, digits, '_', '.', '-')"
            )
        files[layout.env_file(service)] = dict(values)
    return files
