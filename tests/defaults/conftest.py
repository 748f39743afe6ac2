"""Fixtures for the defaults tests: a project in tmp_path driven through the real CLI.

The project (`project` fixture, a `Project`) has an `orchc.toml` (app `shop`) and a
`platform/` definitions directory declaring two environments: `dev` (type
development) deploys with a Compose target definition to `compose.yaml`, `staging`
(type staging) with the built-in default target, Kubernetes manifests under
`build/shop/staging`. Everything else comes from orchc's defaults. `Project.run`
invokes `orchc.cli:main` through click's CliRunner inside the project directory.

Validators are fixtures too (test modules never import this file):
`kubernetes_objects(directory)` validates every object strictly against the
Kubernetes 1.30 schemas, `compose_config(file)` runs the real `docker-compose config`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from compose_check import run_compose_config
from kubernetes_check import validate_object

from orchc.cli import main

PLATFORM = """\
environment "dev" { type = "development" }
environment "staging" { type = "staging" }

definition "local-compose" {
  type   = "target"
  driver = "compose"
  match { env_type = "development" }
  inputs { path = "compose.yaml" }
}
"""

COMPOSE_FILE = "compose.yaml"
KUBERNETES_DIR = "build/shop/staging"


@dataclass
class Project:
    """A project directory; `run` is `orchc` with these arguments, run in it."""

    root: Path

    def run(self, *args: str, code: int = 0, env: Mapping[str, str | None] | None = None) -> Result:
        """Run orchc; fail the test (showing its output) unless it exits with `code`."""
        result = CliRunner().invoke(main, list(args), env=dict(env or {}), catch_exceptions=False)
        assert result.exit_code == code, f"orchc {' '.join(args)}:\n{result.output}"
        return result

    def define(self, name: str, text: str) -> None:
        """Add (or replace) the definitions file `platform/<name>`."""
        (self.root / "platform" / name).write_text(text, encoding="utf-8")

    def outputs(self, uid: str, env: str) -> dict[str, Any]:
        """`orchc outputs UID --format json`: secret outputs read "(sensitive)"."""
        found: dict[str, Any] = json.loads(
            self.run("outputs", uid, "--env", env, "--format", "json").stdout
        )
        return found

    def files(self, relative: str) -> dict[str, bytes]:
        """Every file under `relative` (a directory or one file), by path under it."""
        top = self.root / relative
        if top.is_file():
            return {top.name: top.read_bytes()}
        return {
            str(p.relative_to(top)): p.read_bytes() for p in sorted(top.rglob("*")) if p.is_file()
        }


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    (tmp_path / "orchc.toml").write_text('app = "shop"\ndefinitions = "platform"\n')
    (tmp_path / "platform").mkdir()
    (tmp_path / "platform" / "platform.orch").write_text(PLATFORM)
    monkeypatch.chdir(tmp_path)
    yield Project(tmp_path)


def _kubernetes_objects(directory: Path) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for path in sorted(directory.rglob("*.yaml")):
        for obj in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            validate_object(obj)
            objects.append(obj)
    return objects


@pytest.fixture(scope="session")
def kubernetes_objects() -> Callable[[Path], list[dict[str, Any]]]:
    """`kubernetes_objects(directory)`: every object of every YAML file under it, each
    validated strictly against the Kubernetes 1.30 schemas (an HTTPRoute against the
    Gateway API subset of `kubernetes_check.py`)."""
    return _kubernetes_objects


def _compose_config(compose_file: Path) -> dict[str, Any]:
    # No variable of the machine may leak into the model Compose resolves.
    environment = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")}
    quiet = run_compose_config(compose_file, "--quiet", env=environment)
    assert quiet.returncode == 0, quiet.stderr
    resolved = run_compose_config(compose_file, "--format", "json", env=environment)
    assert resolved.returncode == 0, resolved.stderr
    model: dict[str, Any] = json.loads(resolved.stdout)
    return model


@pytest.fixture(scope="session")
def compose_config() -> Callable[[Path], dict[str, Any]]:
    """`compose_config(compose_file)`: the file must pass the real `docker-compose
    config --quiet` (the Compose specification's schema and more); returns the model
    Compose resolved, env files read."""
    return _compose_config
