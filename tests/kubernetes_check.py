"""The one way the tests validate a Kubernetes object orchc writes.

`kubernetes-validate` (1.30, strict) knows the core API only. For a kind it has no
schema for it raises `SchemaNotFoundError`, which its command line reports as a warning
and passes. orchc writes one such kind, the Gateway API `HTTPRoute` (a CRD), so the
tests do not pass it blindly: they check it against `HTTPROUTE_SCHEMA` below, the
subset of `gateway.networking.k8s.io/v1` HTTPRoute that orchc writes, with the CRD's
own limits (item counts, host name pattern, path match types, port range) and no other
field allowed. Any other unknown kind fails.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import kubernetes_validate
from kubernetes_validate.utils import SchemaNotFoundError

VERSION = "1.30"

_DNS_LABEL = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}
_HOSTNAME = {
    "type": "string",
    "minLength": 1,
    "maxLength": 253,
    "pattern": r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
}


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _list(items: dict[str, Any], max_items: int) -> dict[str, Any]:
    return {"type": "array", "items": items, "maxItems": max_items}


_PARENT_REF = _object(
    {
        "name": {"type": "string", "minLength": 1, "maxLength": 253},
        "namespace": _DNS_LABEL,
        "sectionName": _DNS_LABEL,
    },
    ["name"],
)
_PATH_MATCH = _object(
    {
        "type": {"enum": ["Exact", "PathPrefix", "RegularExpression"]},
        "value": {"type": "string", "maxLength": 1024, "pattern": "^/"},
    },
    ["type", "value"],
)
_BACKEND_REF = _object(
    {
        "name": {"type": "string", "minLength": 1, "maxLength": 253},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
    },
    ["name", "port"],
)
_RULE = _object(
    {
        "matches": _list(_object({"path": _PATH_MATCH}, ["path"]), 64),
        "backendRefs": _list(_BACKEND_REF, 16),
    },
    [],
)
HTTPROUTE_SCHEMA = _object(
    {
        "apiVersion": {"const": "gateway.networking.k8s.io/v1"},
        "kind": {"const": "HTTPRoute"},
        "metadata": _object(
            {
                "name": _HOSTNAME,
                "namespace": _DNS_LABEL,
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            ["name"],
        ),
        "spec": _object(
            {
                "parentRefs": _list(_PARENT_REF, 32),
                "hostnames": _list(_HOSTNAME, 16),
                "rules": _list(_RULE, 16),
            },
            ["parentRefs", "rules"],
        ),
    },
    ["apiVersion", "kind", "metadata", "spec"],
)


def validate_object(obj: dict[str, Any]) -> None:
    """Raise unless `obj` is valid: the 1.30 schemas (strict), or `HTTPROUTE_SCHEMA`."""
    try:
        kubernetes_validate.validate(obj, VERSION, strict=True)
    except SchemaNotFoundError:
        if (obj.get("apiVersion"), obj.get("kind")) != (
            "gateway.networking.k8s.io/v1",
            "HTTPRoute",
        ):
            raise
        jsonschema.validate(obj, HTTPROUTE_SCHEMA)
