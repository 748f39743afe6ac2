"""The public render steps of the targets: objects returned, nothing written, and the
files they lay out are exactly what the targets' `deploy` writes (render + write)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchc.drivers.protocol import DeployManifest, DriverError
from orchc.drivers.targets.compose import ComposeTarget
from orchc.drivers.targets.compose_render import compose_files, render_compose
from orchc.drivers.targets.kubernetes_manifests import KubernetesManifestsTarget
from orchc.drivers.targets.kubernetes_render import (
    OwnedObjects,
    kubernetes_files,
    render_kubernetes,
)
from orchc.drivers.targets.output_dir import OutputFile

POSTGRES = "examples/resources/postgres/score.yaml"  # my-workload, a secret variable
FILES = "score-compose/examples/03-files/score.yaml"  # hello-world, mounted files
CONFIG_MAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}}


def everything_under(root: Path) -> list[Path]:
    return sorted(root.rglob("*"))


def written(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `root` but the index: relative path -> (bytes, mode)."""
    return {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mode & 0o777)
        for path in everything_under(root)
        if path.is_file() and "orchc-index" not in path.name
    }


def as_written(files: dict[str, OutputFile]) -> dict[str, tuple[bytes, int]]:
    return {path: (out.data, out.mode) for path, out in files.items()}


def test_render_kubernetes_returns_each_owners_objects_and_writes_nothing(
    make_deploy, load_workload, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    manifest = DeployManifest(uid="config.default#settings", object=CONFIG_MAP)
    request = make_deploy([load_workload(POSTGRES)], [manifest])

    owned = render_kubernetes(request, namespace="shop-dev")

    assert [(o.owner, o.stem) for o in owned] == [
        ("workload 'my-workload'", "my-workload"),
        ("resource 'config.default#settings'", "resources/config.default_settings"),
    ]
    workload_kinds = sorted(obj["kind"] for obj in owned[0].objects)
    assert workload_kinds == ["Deployment", "Secret"]
    assert {obj["metadata"]["namespace"] for obj in owned[0].objects} == {"shop-dev"}
    assert owned[1].objects == (
        CONFIG_MAP | {"metadata": {"name": "settings", "namespace": "shop-dev"}},
    )
    assert everything_under(tmp_path) == []


def test_render_kubernetes_refuses_two_different_objects_of_one_identity(make_deploy):
    twice = [
        DeployManifest(uid=f"config.default#{n}", object=CONFIG_MAP | {"data": {"n": n}})
        for n in "ab"
    ]
    with pytest.raises(DriverError) as error:
        render_kubernetes(make_deploy([], twice))
    assert str(error.value) == (
        "ConfigMap 'settings' is produced by both resource 'config.default#a' and "
        "resource 'config.default#b'"
    )


def test_render_kubernetes_keeps_an_identical_object_of_two_owners_once(make_deploy):
    twice = [DeployManifest(uid=f"config.default#{n}", object=CONFIG_MAP) for n in "ab"]
    owned = render_kubernetes(make_deploy([], twice))
    assert [(one.owner, one.objects) for one in owned] == [
        ("resource 'config.default#a'", (CONFIG_MAP,))
    ]


def test_kubernetes_files_keep_secrets_apart():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}
    files = kubernetes_files([OwnedObjects("workload 'web'", "web", (secret, CONFIG_MAP))])
    assert {path: out.mode for path, out in files.items()} == {
        "web.yaml": 0o644,
        "web.secrets.yaml": 0o600,
    }


def test_the_kubernetes_target_writes_exactly_the_rendered_files(
    make_deploy, load_workload, tmp_path
):
    request = make_deploy([load_workload(POSTGRES), load_workload(FILES)])
    expected = as_written(kubernetes_files(render_kubernetes(request)))

    KubernetesManifestsTarget().deploy(request)

    assert written(tmp_path / "build/shop/dev") == expected


def test_render_compose_returns_the_document_env_files_and_mounted_files(
    make_deploy, load_workload, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    workloads = [load_workload(POSTGRES), load_workload(FILES)]

    rendered = render_compose(make_deploy(workloads), "app.yaml")

    assert rendered.document["name"] == "shop-dev"
    assert sorted(rendered.document["services"]) == [
        "hello-world-hello",
        "my-workload-my-container",
    ]
    assert sorted(rendered.env_files) == ["app.my-workload-my-container.env"]
    assert all(path.startswith("app.files/hello-world/") for path in rendered.mounted_files)
    assert rendered.mounted_files
    assert everything_under(tmp_path) == []


def test_the_compose_target_writes_exactly_the_rendered_files(make_deploy, load_workload, tmp_path):
    request = make_deploy([load_workload(POSTGRES), load_workload(FILES)], path="compose.yaml")
    expected = as_written(compose_files(render_compose(request, "compose.yaml"), "compose.yaml"))

    ComposeTarget().deploy(request)

    assert written(tmp_path) == expected
    assert os.stat(tmp_path / "compose.my-workload-my-container.env").st_mode & 0o777 == 0o600
