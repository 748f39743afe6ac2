"""Pieces every Kubernetes object orchc renders is made of: its labels, its metadata,
a Secret's base64 data, and text made literal where Kubernetes expands `$(VAR)`.

>>> metadata("web", "shop", workload_labels("web"))["labels"]["app.kubernetes.io/name"]
'web'
"""

from __future__ import annotations

import base64

from orchc.drivers.protocol import JsonObject

NAME_LABEL = "app.kubernetes.io/name"
MANAGED_BY_LABELS = {"app.kubernetes.io/managed-by": "orchc"}


def workload_labels(workload: str) -> dict[str, str]:
    """The selector labels of a workload's pods (fixed once applied: docs/drivers.md)."""
    return {NAME_LABEL: workload}


def literal(text: str) -> str:
    """`text` escaped for fields where Kubernetes expands `$(VAR)`: every `$` doubled
    when the text contains `$(` or `$$`, else unchanged (a lone `$` is kept as is).

    >>> literal("echo $(date)"), literal("$HOME"), literal("a$$b")
    ('echo $$(date)', '$HOME', 'a$$$$b')
    """
    return text.replace("$", "$$") if "$(" in text or "$$" in text else text


def metadata(name: str, namespace: str | None, labels: dict[str, str]) -> JsonObject:
    """`metadata` of an object orchc renders: name, labels and the target's namespace."""
    meta: JsonObject = {"name": name, "labels": {**labels, **MANAGED_BY_LABELS}}
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


def secret(
    name: str, namespace: str | None, labels: dict[str, str], data: JsonObject
) -> JsonObject:
    """A v1 `Secret` with base64 `data` (never `stringData`, which is plain text)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(name, namespace, labels),
        "type": "Opaque",
        "data": data,
    }


def encode(text: str) -> str:
    """`text` as base64 of its UTF-8 bytes, for a Secret's `data`."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
