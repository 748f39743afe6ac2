"""Changes to Score files made outside them (SPEC §12): overrides and images built by CI.

Applied to a Score document after its YAML is read and before it is validated, in this
order, as score-compose does:

1. override files (`orchc.toml` `[environments.<env>] overrides`, then
   `--overrides-file WORKLOAD=FILE`): a YAML mapping merged into the document (mappings
   merge key by key, any other value replaces, `null` removes the key);
2. `--override-property WORKLOAD:PATH=VALUE`: PATH is dotted (`containers.main.image`,
   `\\.` for a dot inside a key, a number indexes a list, `-1` appends), missing
   mappings on the way are created, VALUE is read as YAML (`8080` a number, `{a: 1}` a
   mapping); `null` or nothing removes the key;
3. `--image WORKLOAD.CONTAINER=IMAGE` sets that container's image; `--image
   WORKLOAD=IMAGE` every container whose image is `.` (Score's "built from here"), or
   the only container. An `image: .` left after this is an error saying what to pass.

Every change remembers where it came from (`Origin`), so a validation problem inside
what an override wrote is reported at the override (its file and line, or the option).

>>> overrides = parse_options((), ("web:containers.main.image=nginx",), ("web.side=busybox",))
>>> document = {"containers": {"main": {"image": "."}, "side": {"image": "."}}}
>>> changed = overrides.apply_properties(document, "web")
>>> _ = overrides.apply_images(document, "web")
>>> document["containers"]
{'main': {'image': 'nginx'}, 'side': {'image': 'busybox'}}
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchc.shown import shown

from ..plan import json_copy
from .yaml_positions import JsonPath, YamlSyntaxError, load_yaml

_WORKLOAD = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_CONTAINER = r"[a-zA-Z0-9](?:[a-zA-Z0-9_-]*[a-zA-Z0-9])?"
_IMAGE_OPTION = re.compile(
    rf"(?P<workload>{_WORKLOAD})(?:\.(?P<container>{_CONTAINER}))?=(?P<image>.*)", re.S
)
_PROPERTY_OPTION = re.compile(rf"(?P<workload>{_WORKLOAD}):(?P<path>[^=]+)=(?P<value>.*)", re.S)
_FILE_OPTION = re.compile(rf"(?P<workload>{_WORKLOAD})=(?P<file>.+)", re.S)
BUILT_HERE = "."


class OverrideError(ValueError):
    """An override option that cannot be read or applied; the message quotes it."""


@dataclass(frozen=True, slots=True)
class OverridesFile:
    """A YAML document to merge into one workload's Score file; `file` is relative to
    the project root; `given_by` says where it was named (for messages and the plan)."""

    workload: str
    file: str
    given_by: str

    def describe(self) -> str:
        """As messages and the plan show it: the path escaped (a newline or an escape
        sequence in a file name must not reach the terminal)."""
        return f"{self.given_by}: {shown(self.file)}"

    def digested(self) -> str:
        """What `inputs_digest` hashes for it: the path as given, unescaped, so the
        digest of a plan does not depend on how messages show it."""
        return f"{self.given_by}: {self.file}"


@dataclass(frozen=True, slots=True)
class PropertyOverride:
    workload: str
    path: tuple[str, ...]
    value: Any  # None removes
    option: str

    def describe(self) -> str:
        return f"--override-property {self.option}"


@dataclass(frozen=True, slots=True)
class ImageOverride:
    workload: str
    container: str | None
    image: str

    def describe(self) -> str:
        target = f"{self.workload}.{self.container}" if self.container else self.workload
        return f"--image {target}={self.image}"


@dataclass(frozen=True)
class ScoreOverrides:
    """Every override of one compilation, in the order they apply."""

    files: tuple[OverridesFile, ...] = ()
    properties: tuple[PropertyOverride, ...] = ()
    images: tuple[ImageOverride, ...] = ()

    def with_files(self, files: Iterable[OverridesFile]) -> ScoreOverrides:
        """These overrides with `files` applied before the ones given already (the
        environment's come from orchc.toml, before the command line's)."""
        return ScoreOverrides((*files, *self.files), self.properties, self.images)

    def only(self, workloads: set[str]) -> ScoreOverrides:
        """These overrides without those of other workloads (`orchc impact` drops, on
        the base revision, the options for workloads that a change adds).

        >>> parse_options((), (), ("web=a", "api=b")).only({"web"}).workloads()
        {'web'}
        """
        return ScoreOverrides(
            tuple(o for o in self.files if o.workload in workloads),
            tuple(o for o in self.properties if o.workload in workloads),
            tuple(o for o in self.images if o.workload in workloads),
        )

    def _every(self) -> list[OverridesFile | PropertyOverride | ImageOverride]:
        return [*self.files, *self.properties, *self.images]

    def workloads(self) -> set[str]:
        return {o.workload for o in self._every()}

    def of(self, workload: str) -> list[str]:
        """What changes `workload`, as the plan shows it, in order."""
        return [o.describe() for o in self._every() if o.workload == workload]

    def digest(self) -> str:
        """What `inputs_digest` covers besides the files read (the files themselves are
        read through the source map): every option, in order."""
        text = "\0".join(
            o.digested() if isinstance(o, OverridesFile) else o.describe() for o in self._every()
        )
        return hashlib.sha256(text.encode()).hexdigest()

    def apply_properties(self, document: dict[str, Any], workload: str) -> list[PropertyOverride]:
        """Apply this workload's `--override-property` options to `document`; returns
        them (to locate problems in what they wrote)."""
        applied = [o for o in self.properties if o.workload == workload]
        for override in applied:
            try:
                set_path(document, override.path, override.value)
            except OverrideError as error:
                raise OverrideError(f"{override.describe()}: {error}") from None
        return applied

    def apply_images(
        self, document: dict[str, Any], workload: str
    ) -> list[tuple[ImageOverride, list[str]]]:
        """Apply this workload's `--image` options; returns each with the containers
        whose image it set."""
        containers = document.get("containers")
        if not isinstance(containers, dict):
            return []
        applied = []
        for override in (o for o in self.images if o.workload == workload):
            names = _image_targets(override, containers)
            for name in names:
                if isinstance(containers[name], dict):
                    containers[name]["image"] = override.image
            applied.append((override, names))
        return applied


def _image_targets(override: ImageOverride, containers: dict[str, Any]) -> list[str]:
    if override.container is not None:
        if override.container not in containers:
            known = ", ".join(sorted(containers)) or "none"
            raise OverrideError(
                f"{override.describe()}: workload '{override.workload}' has no container "
                f"'{override.container}' (its containers: {known})"
            )
        return [override.container]
    built_here = [n for n, c in sorted(containers.items()) if _image(c) == BUILT_HERE]
    if built_here or len(containers) == 1:
        return built_here or list(containers)
    raise OverrideError(
        f"{override.describe()}: workload '{override.workload}' has {len(containers)} "
        "containers and none with `image: .`; name one: "
        f"--image {override.workload}.CONTAINER={override.image}"
    )


def _image(container: Any) -> Any:
    return container.get("image") if isinstance(container, dict) else None


def parse_options(
    files: Iterable[str], properties: Iterable[str], images: Iterable[str]
) -> ScoreOverrides:
    """The command line's overrides; `OverrideError` for one that cannot be read.

    >>> parse_options((), ("web:metadata.annotations.a\\\\.b/c=1",), ()).properties[0].path
    ('metadata', 'annotations', 'a.b/c')
    >>> parse_options((), (), ("web.main=",))
    Traceback (most recent call last):
    ...
    orchc.compiler.score.overrides.OverrideError: --image 'web.main=': expected WORKLOAD=IMAGE ...
    """
    return ScoreOverrides(
        files=tuple(_file_option(text) for text in files),
        properties=tuple(_property_option(text) for text in properties),
        images=tuple(_image_option(text) for text in images),
    )


def _file_option(text: str) -> OverridesFile:
    found = _FILE_OPTION.fullmatch(text)
    if found is None:
        raise OverrideError(f"--overrides-file {text!r}: expected WORKLOAD=FILE")
    return OverridesFile(found["workload"], found["file"], "--overrides-file")


def _property_option(text: str) -> PropertyOverride:
    found = _PROPERTY_OPTION.fullmatch(text)
    if found is None:
        raise OverrideError(f"--override-property {text!r}: expected WORKLOAD:PATH=VALUE")
    path = dotted_path(found["path"])
    if any(part == "" for part in path):
        raise OverrideError(f"--override-property {text!r}: PATH has an empty part")
    return PropertyOverride(found["workload"], path, _yaml_value(found["value"], text), text)


def _image_option(text: str) -> ImageOverride:
    found = _IMAGE_OPTION.fullmatch(text)
    if found is None or not found["image"].strip() or any(c.isspace() for c in found["image"]):
        raise OverrideError(
            f"--image {text!r}: expected WORKLOAD=IMAGE or WORKLOAD.CONTAINER=IMAGE with a "
            "non-empty IMAGE"
        )
    return ImageOverride(found["workload"], found["container"], found["image"])


def dotted_path(text: str) -> tuple[str, ...]:
    """A dotted override path, `\\.` standing for a dot inside a key (as score-compose).

    >>> dotted_path("containers.main.variables.A\\\\.B")
    ('containers', 'main', 'variables', 'A.B')
    """
    marked = text.replace("\\\\", "\x01").replace("\\.", "\x00")
    return tuple(p.replace("\x00", ".").replace("\x01", "\\") for p in marked.split("."))


def _yaml_value(text: str, option: str) -> Any:
    if text.strip() == "":
        return None
    try:
        loaded = load_yaml(text)
    except YamlSyntaxError as error:
        raise OverrideError(
            f"--override-property {option!r}: VALUE is not YAML: {error.problem.message}"
        ) from None
    if loaded.problems:
        raise OverrideError(
            f"--override-property {option!r}: VALUE is not YAML: {loaded.problems[0].message}"
        )
    return loaded.data


def set_path(document: Any, path: tuple[str, ...], value: Any) -> None:
    """Set (or, for None, remove) `path` in `document`, creating missing mappings.

    >>> document = {"a": [{"b": 1}]}
    >>> set_path(document, ("a", "0", "b"), None); set_path(document, ("a", "-1"), 2)
    >>> set_path(document, ("c", "d"), "x"); document
    {'a': [{}, 2], 'c': {'d': 'x'}}
    """
    node = document
    for depth, key in enumerate(path[:-1], start=1):
        node = _step(node, key, ".".join(path[:depth]))
    _set_last(node, path[-1], value, ".".join(path))


def _step(node: Any, key: str, where: str) -> Any:
    if isinstance(node, dict):
        if not isinstance(node.get(key), dict | list):
            if key in node and node[key] is not None:
                raise OverrideError(f"{where} is not a mapping or a list")
            node[key] = {}
        return node[key]
    if isinstance(node, list):
        return node[_index(node, key, where)]
    raise OverrideError(f"{where} is not a mapping or a list")


def _set_last(node: Any, key: str, value: Any, where: str) -> None:
    if isinstance(node, dict):
        if value is None:
            node.pop(key, None)
        else:
            node[key] = value
        return
    if not isinstance(node, list):
        raise OverrideError(f"{where}: its parent is not a mapping or a list")
    if key == "-1" and value is not None:
        node.append(value)
        return
    index = _index(node, key, where)
    if value is None:
        del node[index]
    else:
        node[index] = value


def _index(items: list[Any], key: str, where: str) -> int:
    if not key.isdigit() or int(key) >= len(items):
        raise OverrideError(f"{where}: no item {key!r} in a list of {len(items)}")
    return int(key)


def merge_document(document: dict[str, Any], overrides: dict[str, Any]) -> None:
    """Merge an overrides file into `document` in place: mappings key by key, `null`
    removes, any other value replaces.

    >>> document = {"a": {"b": 1, "c": 2}, "d": [1]}
    >>> merge_document(document, {"a": {"b": None, "e": 3}, "d": [2]}); document
    {'a': {'c': 2, 'e': 3}, 'd': [2]}
    """
    for key, value in overrides.items():
        if value is None:
            document.pop(key, None)
        elif isinstance(value, dict) and isinstance(document.get(key), dict):
            merge_document(document[key], value)
        else:
            document[key] = value


def unshare(document: dict[str, Any]) -> None:
    """Give every mapping and list under `document` its own copy, in place: a YAML
    alias (`*name`) loads as the very object its anchor made, and an override of one
    place must not change the other (score-compose decodes each alias apart).

    >>> shared = {"image": "."}
    >>> document = {"main": shared, "side": shared}
    >>> unshare(document); document["main"]["image"] = "nginx"; document["side"]
    {'image': '.'}
    """
    for key, value in document.items():
        document[key] = json_copy(value)


def written_paths(value: Any, prefix: JsonPath = ()) -> list[JsonPath]:
    """Every leaf path under `value` (what an override wrote), to locate problems."""
    if isinstance(value, dict) and value:
        return [p for k, v in value.items() for p in written_paths(v, (*prefix, k))]
    return [prefix]


def read_overrides_file(root: Path, overrides: OverridesFile) -> bytes:
    """The bytes of an overrides file, confined to the project like every other file
    orchc reads on a Score file's behalf."""
    from orchc.compiler.confined import ConfinementError, read_confined

    try:
        return read_confined(root, overrides.file, root)
    except ConfinementError as error:
        raise OverrideError(f"{overrides.describe()}: cannot read: {error}") from None
