"""Fixtures for the target tests: Score documents of the shared corpus turned into
`DeployWorkload`s as the runtime would hand them over, and the real validators.

The loader is a deliberately tiny stand-in for the Score reader and the apply-time
resolver (both written elsewhere): it upgrades the deprecated array forms of `files` and
`volumes`, reads file `source`s, and resolves `${metadata.KEY}` and `${resources.NAME[.KEY]}`
in variables, file contents (unless `noExpand`) and volume sources. A resource output is
`NAME-KEY` (a volume source is `NAME`), except the outputs listed as secret, which
resolve to a canary string and make the path sensitive, as a secret output does.

Everything is offered as a fixture (test modules never import this file):
`load_workload`, `make_deploy`, `canary`, `kubernetes_objects`, `compose_config`, and
the parameter `corpus_document` (every Score document of the corpus).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from compose_check import run_compose_config, unescape
from kubernetes_check import validate_object
from shared_corpus import CORPUS, corpus_files

from orchc.drivers.protocol import DeployContext, DeployManifest, DeployRequest, DeployWorkload

CANARY = "s3cr3t-canary"
SECRET_OUTPUTS = frozenset({"password", "connection", "url"})
CONTEXT = DeployContext(app="shop", env="dev", env_type="development")

_PLACEHOLDER = re.compile(r"\$(\$|\{([^}]*)\})")


class Resolver:
    """Resolves Score placeholders for one workload, remembering whether a secret
    output was embedded."""

    def __init__(self, metadata: dict[str, Any], secret_outputs: Iterable[str]) -> None:
        self.metadata = metadata
        self.secret_outputs = frozenset(secret_outputs)
        self.embedded_secret = False

    def __call__(self, text: str) -> str:
        self.embedded_secret = False
        return _PLACEHOLDER.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        if match[1] == "$":
            return "$"
        parts = match[2].split(".")
        if parts[0] == "metadata":
            return str(self.metadata[parts[1]])
        assert parts[0] == "resources", match[0]
        if len(parts) == 2:
            return parts[1]
        if parts[2] in self.secret_outputs:
            self.embedded_secret = True
            return f"{CANARY}-{parts[1]}"
        return f"{parts[1]}-{parts[2]}"


def normalise(
    document: dict[str, Any],
    score_dir: Path,
    secret_outputs: Iterable[str] = SECRET_OUTPUTS,
    sources: dict[str, str] | None = None,
) -> tuple[dict[str, Any], list[tuple[str | int, ...]]]:
    """(the normalised spec, the sensitive paths in it)."""
    spec = json.loads(json.dumps(document))
    resolve = Resolver(spec["metadata"], secret_outputs)
    sensitive: list[tuple[str | int, ...]] = []
    for name, container in spec["containers"].items():
        for key in ("files", "volumes"):
            if isinstance(container.get(key), list):
                container[key] = {item.pop("target"): item for item in container[key]}
        for variable, value in container.get("variables", {}).items():
            container["variables"][variable] = resolve(value)
            if resolve.embedded_secret:
                sensitive.append(("containers", name, "variables", variable))
        for target, file in container.get("files", {}).items():
            _read_source(file, score_dir, sources or {})
            if "content" in file and not file.get("noExpand"):
                file["content"] = resolve(file["content"])
                if resolve.embedded_secret:
                    sensitive.append(("containers", name, "files", target, "content"))
        for volume in container.get("volumes", {}).values():
            volume["source"] = resolve(volume["source"])
    return spec, sensitive


def _read_source(file: dict[str, Any], score_dir: Path, sources: dict[str, str]) -> None:
    if "source" not in file:
        return
    source = file.pop("source")
    if source in sources:
        file["content"] = sources[source]
        return
    data = (score_dir / source).read_bytes()
    try:
        file["content"] = data.decode("utf-8")
    except UnicodeDecodeError:
        file["binaryContent"] = base64.b64encode(data).decode("ascii")


LoadWorkload = Callable[..., DeployWorkload]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking `corpus_document` runs once per Score document of the corpus."""
    if "corpus_document" in metafunc.fixturenames:
        documents = [str(p.relative_to(CORPUS)) for p in corpus_files()]
        metafunc.parametrize("corpus_document", documents)


@pytest.fixture(scope="session")
def corpus(shared_dir: Path) -> Path:
    return shared_dir / "score" / "corpus"


@pytest.fixture(scope="session")
def load_workload(corpus: Path) -> LoadWorkload:
    """`load_workload("examples/specification/files/score.yaml", depends_on=(...))`."""

    def load(
        relative: str,
        *,
        depends_on: tuple[str, ...] = (),
        secret_outputs: Iterable[str] = SECRET_OUTPUTS,
        sources: dict[str, str] | None = None,
        edit: Callable[[dict[str, Any]], None] | None = None,
    ) -> DeployWorkload:
        path = corpus / relative
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        if edit is not None:
            edit(document)
        spec, sensitive = normalise(document, path.parent, secret_outputs, sources)
        return DeployWorkload(
            name=spec["metadata"]["name"],
            spec=spec,
            sensitive=tuple(sensitive),
            depends_on=depends_on,
        )

    return load


MakeDeploy = Callable[..., DeployRequest]


@pytest.fixture
def make_deploy(tmp_path: Path) -> MakeDeploy:
    """`make_deploy(workloads, manifests=(), **inputs)`: a DeployRequest for the
    context shop/dev whose project root is the test's tmp_path."""

    def build(
        workloads: Iterable[DeployWorkload], manifests: Iterable[DeployManifest] = (), **inputs: Any
    ) -> DeployRequest:
        return DeployRequest(
            context=CONTEXT,
            inputs=inputs,
            project_root=tmp_path,
            workloads=tuple(workloads),
            manifests=tuple(manifests),
            work_dir=tmp_path / ".orchc" / "work" / "target",
        )

    return build


@pytest.fixture(scope="session")
def canary() -> str:
    """The text every secret output of `load_workload` starts with."""
    return CANARY


def _kubernetes_objects(directory: Path) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for path in sorted(directory.rglob("*.yaml")):
        for obj in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            validate_object(obj)
            objects.append(obj)
    return objects


@pytest.fixture(scope="session")
def kubernetes_objects() -> Callable[[Path], list[dict[str, Any]]]:
    """`kubernetes_objects(directory)`: every object in every YAML file under
    `directory`, each validated strictly against the Kubernetes 1.30 schemas (an
    HTTPRoute against the Gateway API subset of `kubernetes_check.py`)."""
    return _kubernetes_objects


def _compose_config(compose_file: Path) -> dict[str, Any]:
    quiet = run_compose_config(compose_file, "--quiet")
    assert quiet.returncode == 0, quiet.stderr
    resolved = run_compose_config(compose_file, "--format", "json")
    assert resolved.returncode == 0, resolved.stderr
    model: dict[str, Any] = unescape(json.loads(resolved.stdout))
    return model


@pytest.fixture(scope="session")
def compose_config() -> Callable[[Path], dict[str, Any]]:
    """`compose_config(compose_file)`: the file must pass the real `docker-compose
    config --quiet`; returns the model Compose resolved (env files read, `$$` escapes
    undone), i.e. the values containers would get."""
    return _compose_config
