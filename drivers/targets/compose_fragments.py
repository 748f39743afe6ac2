"""Compose fragments returned by drivers, checked and merged into one.

For the compose target a driver's manifests are Compose fragments: mappings with any
of the top-level sections `services`, `volumes`, `networks`, `secrets`, `configs`. A
Kubernetes object (`apiVersion`/`kind`) or any other key is a `DriverError` naming the
resource uid. A name defined twice (by two resources, or twice by one) is an error
naming both. Fragments are taken as written Compose: their `$` are not escaped.

Secret values may only sit in a service's `environment` (map or list form); they are
moved out of the fragment into that service's env file. A secret anywhere else is an
error naming the uid and the path.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from orchc.drivers.protocol import DeployManifest, DriverError, JsonObject, JsonPath
from orchc.drivers.targets.sensitive_paths import SensitivePaths

SECTIONS = ("services", "volumes", "networks", "secrets", "configs")


@dataclass
class Fragments:
    """The merged fragments: each section's definitions, who defined each name, and
    the secret environment values taken out of fragment services."""

    sections: dict[str, dict[str, JsonObject]] = field(
        default_factory=lambda: {section: {} for section in SECTIONS}
    )
    owners: dict[tuple[str, str], str] = field(default_factory=dict)
    secret_env: dict[str, dict[str, str]] = field(default_factory=dict)

    def services_of(self, uid: str) -> list[str]:
        """The services the resource `uid` contributed, sorted."""
        return sorted(
            n for (s, n), owner in self.owners.items() if s == "services" and owner == uid
        )

    def owner(self, section: str, name: str) -> str | None:
        return self.owners.get((section, name))


def merge_fragments(manifests: Iterable[DeployManifest]) -> Fragments:
    """Every fragment checked, its secrets taken out, merged into one `Fragments`."""
    merged = Fragments()
    counts: dict[str, int] = {}
    for manifest in manifests:
        counts[manifest.uid] = counts.get(manifest.uid, 0) + 1
        where = f"resource '{manifest.uid}': manifest {counts[manifest.uid]}"
        fragment = copy.deepcopy(manifest.object)
        _check_shape(fragment, where)
        secret_env = _take_secret_env(fragment, SensitivePaths(manifest.sensitive), where)
        _add(merged, manifest.uid, fragment)
        for service, values in secret_env.items():
            merged.secret_env.setdefault(service, {}).update(values)
    return merged


def _check_shape(fragment: JsonObject, where: str) -> None:
    if "apiVersion" in fragment or "kind" in fragment:
        raise DriverError(
            f"{where} is a Kubernetes object; the compose target deploys Compose fragments "
            f"(mappings of {', '.join(SECTIONS)})"
        )
    unknown = sorted(set(fragment) - set(SECTIONS))
    if unknown:
        raise DriverError(
            f"{where} has unknown top-level keys {', '.join(unknown)} "
            f"(a Compose fragment has {', '.join(SECTIONS)})"
        )
    for section in SECTIONS:
        definitions = fragment.get(section, {})
        if not isinstance(definitions, dict) or not all(
            isinstance(d, dict) or d is None for d in definitions.values()
        ):
            raise DriverError(f"{where}: '{section}' must map names to definitions")


def _add(merged: Fragments, uid: str, fragment: JsonObject) -> None:
    for section in SECTIONS:
        for name, definition in sorted((fragment.get(section) or {}).items()):
            previous = merged.owner(section, name)
            if previous is not None:
                raise DriverError(
                    f"{section} '{name}' is defined by both resource '{previous}' "
                    f"and resource '{uid}'"
                )
            merged.owners[(section, name)] = uid
            merged.sections[section][name] = definition or {}


def _is_environment_entry(path: JsonPath) -> bool:
    return len(path) == 4 and path[0] == "services" and path[2] == "environment"


def _take_secret_env(
    fragment: JsonObject, sensitive: SensitivePaths, where: str
) -> dict[str, dict[str, str]]:
    channels = "service environment values"
    sensitive.refuse_outside(lambda _: True, _is_environment_entry, where, channels)
    taken: dict[str, dict[str, str]] = {}
    for name, service in sorted((fragment.get("services") or {}).items()):
        environment = (service or {}).get("environment")
        secret = sensitive.under(("services", name, "environment"))
        if environment and secret:
            kept, moved = _split_environment(environment, secret, f"{where}: services.{name}")
            taken[name] = moved
            if kept:
                service["environment"] = kept
            else:
                del service["environment"]
    return taken


def _split_environment(
    environment: Any, secret: SensitivePaths, where: str
) -> tuple[Any, dict[str, str]]:
    """(the environment without its secret entries, the secret entries by name)."""
    if isinstance(environment, dict):
        moved = {k: str(v) for k, v in environment.items() if secret.covers((k,))}
        return {k: v for k, v in environment.items() if k not in moved}, moved
    if not isinstance(environment, list):
        raise DriverError(f"{where}.environment must be a mapping or a list")
    kept: list[Any] = []
    moved = {}
    for index, entry in enumerate(environment):
        if not secret.covers((index,)):
            kept.append(entry)
        elif isinstance(entry, str) and "=" in entry:
            key, value = entry.split("=", 1)
            moved[key] = value
        else:
            raise DriverError(f"{where}.environment[{index}] is secret but not KEY=value")
    return kept, moved
