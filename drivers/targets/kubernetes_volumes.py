"""No PersistentVolumeClaim for a `volume` resource that nothing mounts.

A Score file may declare a `volume` resource and not mount it (yet): a claim would
reserve storage for nothing. So a PersistentVolumeClaim returned by a resource of type
`volume` is written only when its name is mounted: by a workload container (its
volume's resolved `source`) or by a pod template among the drivers' objects. Other
types' claims are left alone: only a `volume` is known to exist for mounting.

The claim itself (rather than score-k8s's `emptyDir`) is the built-in default's choice:
the data survives the pod (docs/defaults.md).

>>> claim = DeployManifest(uid="volume.default#web.data", object={
...     "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"}})
>>> [m.uid for m in without_unmounted_claims([claim], ())]
[]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from orchc.drivers.protocol import DeployManifest, DeployWorkload
from orchc.drivers.targets.score_workload import parse_workload

VOLUME_TYPE = "volume"


def without_unmounted_claims(
    manifests: Iterable[DeployManifest], workloads: Iterable[DeployWorkload]
) -> list[DeployManifest]:
    """`manifests` without the claims of `volume` resources that nothing mounts."""
    manifests = list(manifests)
    mounted = _workload_sources(workloads) | {
        name for m in manifests for name in _claims_in(m.object)
    }
    return [m for m in manifests if not _unmounted_volume_claim(m, mounted)]


def resource_type(uid: str) -> str:
    """The type of a resource uid (`volume` for `volume.default#web.data`)."""
    return uid.partition("#")[0].rpartition(".")[0]


def _unmounted_volume_claim(manifest: DeployManifest, mounted: set[str]) -> bool:
    obj = manifest.object
    if resource_type(manifest.uid) != VOLUME_TYPE or obj.get("kind") != "PersistentVolumeClaim":
        return False
    meta = obj.get("metadata")
    return isinstance(meta, dict) and meta.get("name") not in mounted


def _workload_sources(workloads: Iterable[DeployWorkload]) -> set[str]:
    return {
        volume.source
        for workload in workloads
        for container in parse_workload(workload).spec.containers.values()
        for volume in container.volumes.values()
    }


def _claims_in(node: Any) -> Iterator[str]:
    """Every `persistentVolumeClaim.claimName` anywhere in an object."""
    if isinstance(node, dict):
        claim = node.get("persistentVolumeClaim")
        if isinstance(claim, dict) and isinstance(claim.get("claimName"), str):
            yield claim["claimName"]
        for value in node.values():
            yield from _claims_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from _claims_in(value)
