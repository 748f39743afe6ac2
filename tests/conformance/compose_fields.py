"""The fields a score-compose user looks at, read from a resolved Compose model.

Field names are dotted paths, the same in every case's `reference.yaml`:

| field | value |
|---|---|
| `workload_services` | the names of the services that run workload containers |
| `backing` | the kinds (image name without registry, path or tag) of every other service |
| `backing_ports.<kind>` | the host ports those services publish, `published->target` |
| `services.<s>.image`, `.entrypoint`, `.command`, `.network_mode`, `.read_only` | as written |
| `services.<s>.environment.<NAME>` | the value the process gets |
| `services.<s>.ports` | published ports, `published->target` |
| `services.<s>.volumes` | mount targets, sorted |
| `services.<s>.volume_types.<target>` | `volume`, `bind`, ... |
| `services.<s>.annotations` | as written |
| `services.<s>.reachable_as` | the names other services reach it by (hostname, aliases) |
| `services.<s>.waits_for` | the kinds of backing services it starts after, transitively |
| `mounted.<s>.<target>` | the content of a file bind-mounted into the service |

A reference value that is a string starting with `re:` is a regular expression the
whole value must match (for generated names and passwords).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

WORKLOAD_ANNOTATION = "compose.score.dev/workload-name"


def kind(image: str) -> str:
    """`mirror.gcr.io/redis:7-alpine` -> `redis`."""
    return image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]


def _ports(service: dict[str, Any]) -> list[str]:
    return sorted(f"{p.get('published')}->{p['target']}" for p in service.get("ports") or [])


def _is_workload(service: dict[str, Any]) -> bool:
    return WORKLOAD_ANNOTATION in (service.get("annotations") or {})


def _waits_for(name: str, services: dict[str, Any]) -> list[str]:
    seen: set[str] = set()
    stack = [name]
    while stack:
        for other in services[stack.pop()].get("depends_on") or {}:
            if other not in seen:
                seen.add(other)
                stack.append(other)
    return sorted(kind(services[s]["image"]) for s in seen if not _is_workload(services[s]))


def _reachable_as(service: dict[str, Any]) -> list[str]:
    names = [service["hostname"]] if service.get("hostname") else []
    for network in (service.get("networks") or {}).values():
        names += (network or {}).get("aliases") or []
    return sorted(set(names))


def fields(model: dict[str, Any], root: Path) -> dict[str, Any]:
    """Every field of `model` (see the module); `root` is where bind sources live."""
    services: dict[str, Any] = model.get("services") or {}
    found: dict[str, Any] = {
        "workload_services": sorted(s for s, body in services.items() if _is_workload(body))
    }
    backing = sorted(
        (kind(body["image"]), s) for s, body in services.items() if not _is_workload(body)
    )
    found["backing"] = [k for k, _ in backing]
    for backing_kind, service in backing:
        ports = found.setdefault(f"backing_ports.{backing_kind}", [])
        found[f"backing_ports.{backing_kind}"] = sorted(ports + _ports(services[service]))
    for name, body in services.items():
        if _is_workload(body):
            found |= _workload_fields(name, body, services, root)
    return found


def _workload_fields(
    name: str, body: dict[str, Any], services: dict[str, Any], root: Path
) -> dict[str, Any]:
    prefix = f"services.{name}"
    found: dict[str, Any] = {
        f"{prefix}.{key}": body.get(key)
        for key in ("image", "entrypoint", "command", "network_mode", "read_only", "annotations")
    }
    for variable, value in (body.get("environment") or {}).items():
        found[f"{prefix}.environment.{variable}"] = value
    found[f"{prefix}.ports"] = _ports(body)
    mounts = body.get("volumes") or []
    found[f"{prefix}.volumes"] = sorted(m["target"] for m in mounts)
    for mount in mounts:
        found[f"{prefix}.volume_types.{mount['target']}"] = mount["type"]
        if mount["type"] == "bind" and (root / mount["source"]).is_file():
            text = (root / mount["source"]).read_bytes().decode("utf-8", "replace")
            found[f"mounted.{name}.{mount['target']}"] = text
    found[f"{prefix}.reachable_as"] = _reachable_as(body)
    found[f"{prefix}.waits_for"] = _waits_for(name, services)
    return found


def matches(expected: Any, actual: Any) -> bool:
    """Whether `actual` is what `expected` says (`re:` strings are patterns)."""
    if isinstance(expected, str) and expected.startswith("re:"):
        return isinstance(actual, str) and re.fullmatch(expected[3:], actual) is not None
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return all(matches(e, a) for e, a in zip(expected, actual, strict=True))
    return bool(expected == actual)
