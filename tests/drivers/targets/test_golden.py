"""Golden outputs: two workloads and a driver manifest per target, rendered to files
that reviewers read in the diff. `pytest --update-golden` rewrites them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchc.drivers.protocol import DeployManifest
from orchc.drivers.targets.compose import ComposeTarget
from orchc.drivers.targets.kubernetes_manifests import KubernetesManifestsTarget

GOLDEN = Path(__file__).parent / "golden"
CACHE_UID = "redis.default#cache"

KUBERNETES_MANIFEST = DeployManifest(
    uid=CACHE_UID,
    object={
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "cache", "labels": {"app": "cache"}},
        "spec": {
            "serviceName": "cache",
            "selector": {"matchLabels": {"app": "cache"}},
            "template": {
                "metadata": {"labels": {"app": "cache"}},
                "spec": {
                    "containers": [
                        {
                            "name": "redis",
                            "image": "redis:7",
                            "env": [{"name": "REDIS_PASSWORD", "value": "s3cr3t-canary-cache"}],
                        }
                    ]
                },
            },
        },
    },
    sensitive=(("spec", "template", "spec", "containers", 0, "env", 0, "value"),),
)

COMPOSE_MANIFEST = DeployManifest(
    uid=CACHE_UID,
    object={
        "services": {
            "cache": {
                "image": "redis:7",
                "environment": {"REDIS_PASSWORD": "s3cr3t-canary-cache"},
                "healthcheck": {"test": ["CMD", "redis-cli", "ping"]},
            }
        }
    },
    sensitive=(("services", "cache", "environment", "REDIS_PASSWORD"),),
)

CASES = {
    "kubernetes": (KubernetesManifestsTarget, KUBERNETES_MANIFEST, "out"),
    "compose": (ComposeTarget, COMPOSE_MANIFEST, "out/compose.yaml"),
}


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture
def validate(kubernetes_objects, compose_config):
    return {
        "kubernetes": kubernetes_objects,
        "compose": lambda out: compose_config(out / "compose.yaml"),
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case, load_workload, make_deploy, tmp_path, update_golden, validate):
    target_class, manifest, path = CASES[case]
    workloads = [
        load_workload("spec/samples/score-full.yaml", sources={"file.txt": "from file.txt\n"}),
        load_workload("examples/resources/redis/score.yaml", depends_on=(CACHE_UID,)),
    ]
    target_class().deploy(make_deploy(workloads, [manifest], path=path))
    validate[case](tmp_path / "out")
    actual = read_tree(tmp_path / "out")
    expected_dir = GOLDEN / case
    if update_golden:
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(tmp_path / "out", expected_dir)
    expected = read_tree(expected_dir)
    assert sorted(actual) == sorted(expected)
    for name, data in expected.items():
        assert actual[name] == data, name
