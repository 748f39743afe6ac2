"""The `compose` target: one Docker Compose file for every workload and fragment.

Inputs (docs/drivers.md, "compose"): `path`, the compose file (relative to the project
root; default `compose.yaml`); `publish_port` (default 8080) and `gateway_image`
(default `nginx:1-alpine`) for the route gateway (`compose_gateway.py`). `create` only
validates them and returns the outputs `{"kind": "compose", "path": <path as given>}`.
`deploy` writes, in the compose file's directory, for `path: deploy/compose.yaml`:

```
compose.yaml                     the compose file (project `name: <app>-<env>`)
compose.<service>.env            a service's secret variables (mode 0600)
compose.gateway.nginx.conf       the route gateway's configuration, when there are routes
compose.files/<workload>/<container>/<target path>   files mounted into containers
.compose.yaml.orchc-index        what orchc wrote here (JSON; so stale files can be removed)
```

`deploy` renders (`compose_render.py`: a service per workload container, see
`compose_workload`, plus the services, volumes, networks, secrets and configs of the
fragments drivers returned, see `compose_fragments`), then writes. Secret values never
enter the compose file: each service that has some reads them from its own env file, so
it sees only its own secrets. Nothing but the route gateway is published to the host
(`expose` only), as in score-compose; add a `ports` override file to publish. Output is
deterministic (keys sorted); each deploy removes the files orchc wrote earlier and no
longer produces, never other files.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from orchc.drivers.input_blocks import Port, StrictBlock, parse_block
from orchc.drivers.protocol import (
    DeployRequest,
    DeployResult,
    DriverRequest,
    DriverResult,
    Journal,
    Observation,
)
from orchc.drivers.targets.compose_gateway import DEFAULT_IMAGE, DEFAULT_PORT, GatewaySettings
from orchc.drivers.targets.compose_render import compose_files, render_compose
from orchc.drivers.targets.deployed_files import observe_deployed
from orchc.drivers.targets.output_dir import OutputDir

DEFAULT_PATH = "compose.yaml"
# An image reference: registry/name:tag@digest characters, no spaces.
_IMAGE = r"^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$"


class ComposeInputs(StrictBlock):
    path: str = Field(default=DEFAULT_PATH, min_length=1)
    publish_port: Port = DEFAULT_PORT
    gateway_image: str = Field(default=DEFAULT_IMAGE, pattern=_IMAGE)

    def gateway(self) -> GatewaySettings:
        return GatewaySettings(self.publish_port, self.gateway_image)


class ComposeTarget:
    """Renders workloads and driver fragments as one Docker Compose file."""

    replace_inputs: ClassVar[frozenset[str]] = frozenset({"path"})

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult:
        inputs = parse_block(ComposeInputs, request.inputs, "inputs")
        return DriverResult(outputs={"kind": "compose", "path": inputs.path})

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        inputs = parse_block(ComposeInputs, request.inputs, "inputs")
        _output_dir(request.project_root, inputs.path).remove_all()

    def observe(self, request: DriverRequest) -> Observation:
        """Drift: the files the last deploy wrote are present and unchanged."""
        return observe_deployed(request)

    def deploy(self, request: DeployRequest) -> DeployResult:
        """Render (`compose_render.py`), then write (`OutputDir.sync`)."""
        inputs = parse_block(ComposeInputs, request.inputs, "inputs")
        compose_file = Path(inputs.path).name
        rendered = render_compose(request, compose_file, inputs.gateway())
        files = compose_files(rendered, compose_file)
        output = _output_dir(request.project_root, inputs.path)
        output.sync(files)
        return DeployResult(files=tuple(sorted(output.display(f) for f in files)))


def _output_dir(project_root: Path, path: str) -> OutputDir:
    compose_path = project_root / path
    return OutputDir(compose_path.parent, f".{compose_path.name}.orchc-index", project_root)
