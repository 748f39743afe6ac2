"""Score placeholders: `${metadata.KEY}` and `${resources.NAME.KEY}` inside workload
strings, as the Score specification and its reference implementation define them.

Syntax. `${` opens a placeholder and the first `}` closes it; what is between is split
on `.` into key segments, and `\\.` puts a dot inside a segment
(`${metadata.annotations.my\\.key}`). `$$` is a literal `$`, so `$${x}` is the text
`${x}`; any other `$` is literal too. Unlike the reference implementation, which leaves
them as text, an unterminated `${`, an empty `${}` and an empty segment are errors.

Where. Score expands placeholders in container `variables` values, file `content`
(unless `noExpand`; never in `binaryContent`), volume `source` and resource `params`
(recursively, values only). `command`, `args`, probes and everything else are passed
through untouched, as score-compose does. Variables, files and volumes are resolved in
the Deploy phase; `${resources.OTHER...}` in a resource's params makes OTHER a
dependency of that resource (see `references`).

Substitution (`substitute`, `substitute_value`): each placeholder is replaced by what the
caller's `lookup(parts)` returns. Strings stay strings, other values are embedded as
compact JSON (`5`, `true`, `{"a":1}`), as score-go does, except in `substitute_value`
(params), where a string that is exactly one placeholder keeps the value's type. The
result is sensitive when any value embedded in it was.

>>> literal, reference, rest = parse_template("postgres://${resources.db.host}:$${PORT}")
>>> literal, reference.parts, reference.offset, rest
('postgres://', ('resources', 'db', 'host'), 11, ':${PORT}')
>>> lookup = {("resources", "db", "host"): Resolved("db.internal"),
...           ("resources", "db", "password"): Resolved("s3cret", sensitive=True)}
>>> substitute("${resources.db.host}:5432", lookup.__getitem__)
Resolved(value='db.internal:5432', sensitive=False)
>>> substitute("pw=${resources.db.password}", lookup.__getitem__).sensitive
True
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from pydantic import JsonValue

from orchc.grammar.diagnostics import Diagnostic
from orchc.grammar.source import Span

from ..placeholders import PlaceholderError
from .workload import ScoreWorkload

if TYPE_CHECKING:
    from .yaml_positions import JsonPath

ROOTS = ("metadata", "resources")


@dataclass(frozen=True, slots=True)
class Reference:
    """`${a.b.c}`: `parts` are the key segments (escapes removed), `offset` is where the
    `${` is in the string, `raw` is the placeholder as written."""

    parts: tuple[str, ...]
    offset: int
    raw: str


Segment = str | Reference
Template = tuple[Segment, ...]


def has_placeholders(text: str) -> bool:
    """Whether `text` may hold a placeholder (a fast check before parsing)."""
    return "${" in text


def parse_template(text: str) -> Template:
    """Split `text` into literal text and references; raise `PlaceholderError`.
    Templates are immutable and the same strings come back in every workload (the
    reader checks each; expand and the Deploy phase read them again), so results are
    cached; an error is raised anew each time.

    >>> escaped, reference, rest = parse_template("$$ ${metadata.annotations.a\\\\.b} $x")
    >>> escaped, reference.parts, rest
    ('$ ', ('metadata', 'annotations', 'a.b'), ' $x')
    >>> try:
    ...     parse_template("${resources.db")
    ... except PlaceholderError as error:
    ...     print(error.offset, error.message)
    0 unterminated placeholder: '${' has no closing '}' (write '$${' for a literal '${')
    """
    if "$" not in text:
        return (text,) if text else ()
    return _parse_template(text)


@functools.lru_cache(maxsize=4096)
def _parse_template(text: str) -> Template:
    segments: list[Segment] = []
    literal: list[str] = []
    start = 0
    while (dollar := text.find("$", start)) >= 0:
        literal.append(text[start:dollar])
        follower = text[dollar + 1 : dollar + 2]
        if follower != "{":
            literal.append("$")
            start = dollar + (2 if follower == "$" else 1)
            continue
        reference = _reference(text, dollar)
        segments.extend(_flush(literal))
        segments.append(reference)
        start = dollar + len(reference.raw)
    literal.append(text[start:])
    segments.extend(_flush(literal))
    return tuple(segments)


def _flush(literal: list[str]) -> Iterator[str]:
    text = "".join(literal)
    literal.clear()
    if text:
        yield text


def _reference(text: str, offset: int) -> Reference:
    close = text.find("}", offset + 2)
    if close < 0:
        raise PlaceholderError(
            "unterminated placeholder: '${' has no closing '}' (write '$${' for a literal '${')",
            offset,
        )
    raw = text[offset : close + 1]
    if close == offset + 2:
        raise PlaceholderError("empty placeholder '${}'", offset)
    parts = tuple(part.replace("\0", ".") for part in raw[2:-1].replace("\\.", "\0").split("."))
    if "" in parts:
        raise PlaceholderError(f"placeholder '{raw}' has an empty key segment", offset)
    return Reference(parts, offset, raw)


@dataclass(frozen=True, slots=True)
class Resolved:
    """A value a placeholder stands for, and whether it is secret."""

    value: JsonValue
    sensitive: bool = False


Lookup = Callable[[tuple[str, ...]], Resolved]
"""What a placeholder's key segments stand for (the caller knows: the Deploy phase reads
metadata and resource outputs)."""


def substitute(text: str, lookup: Lookup) -> Resolved:
    """`text` with every placeholder replaced; always a string (Score's variables, file
    contents and volume sources are strings)."""
    pieces: list[str] = []
    sensitive = False
    for segment in parse_template(text):
        if isinstance(segment, str):
            pieces.append(segment)
            continue
        resolved = lookup(segment.parts)
        sensitive = sensitive or resolved.sensitive
        pieces.append(_as_text(resolved.value))
    return Resolved("".join(pieces), sensitive)


def substitute_value(value: JsonValue, lookup: Lookup) -> Resolved:
    """Substitute in every string of a JSON value (resource params). A string that is
    exactly one placeholder becomes the resolved value itself, of any type.

    >>> port = {("resources", "db", "port"): Resolved(5432)}.__getitem__
    >>> substitute_value({"port": "${resources.db.port}", "tag": ["v${resources.db.port}"]}, port)
    Resolved(value={'port': 5432, 'tag': ['v5432']}, sensitive=False)
    """
    if isinstance(value, str):
        template = parse_template(value) if has_placeholders(value) else (value,)
        if len(template) == 1 and isinstance(template[0], Reference):
            return lookup(template[0].parts)
        return substitute(value, lookup)
    if isinstance(value, list):
        items = [substitute_value(item, lookup) for item in value]
        return Resolved([i.value for i in items], any(i.sensitive for i in items))
    if isinstance(value, dict):
        entries = {key: substitute_value(item, lookup) for key, item in value.items()}
        values: dict[str, JsonValue] = {key: e.value for key, e in entries.items()}
        return Resolved(values, any(e.sensitive for e in entries.values()))
    return Resolved(value)


def _as_text(value: JsonValue) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Site(NamedTuple):
    """A string Score expands: its path in the spec, its text, and the resource whose
    params hold it (None for variables, files and volumes)."""

    path: JsonPath
    text: str
    holder: str | None


def sites(spec: dict[str, JsonValue]) -> Iterator[Site]:
    """Every string of a normalised spec where Score expands placeholders, in document
    order; the Deploy phase substitutes exactly these."""
    for name, container in _items(spec.get("containers")):
        base: JsonPath = ("containers", name)
        for key, value in _items(_get(container, "variables")):
            yield Site((*base, "variables", key), str(value), None)
        for target, file in _items(_get(container, "files")):
            content = _get(file, "content")
            if isinstance(content, str) and _get(file, "noExpand") is not True:
                yield Site((*base, "files", target, "content"), content, None)
        for target, volume in _items(_get(container, "volumes")):
            yield Site((*base, "volumes", target, "source"), str(_get(volume, "source")), None)
    for name, resource in _items(spec.get("resources")):
        yield from _strings(("resources", name, "params"), _get(resource, "params"), name)


def _strings(path: JsonPath, value: JsonValue, holder: str) -> Iterator[Site]:
    if isinstance(value, str):
        yield Site(path, value, holder)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings((*path, index), item, holder)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings((*path, key), item, holder)


def _items(value: JsonValue) -> list[tuple[str, JsonValue]]:
    return list(value.items()) if isinstance(value, dict) else []


def _get(value: JsonValue, key: str) -> JsonValue:
    return value.get(key) if isinstance(value, dict) else None


class ParamsReference(NamedTuple):
    """`${resources.REFERENCED...}` in the params of resource HOLDER, at `span`."""

    referenced: str
    holder: str
    span: Span


def references(workload: ScoreWorkload) -> list[ParamsReference]:
    """Every valid reference from a resource's params to another declared resource:
    the compiler turns each into an edge (REFERENCED is provisioned first)."""
    found: list[ParamsReference] = []
    for site in sites(workload.spec):
        if site.holder is None or not has_placeholders(site.text):
            continue
        for reference in _references_in(site.text):
            name = reference.parts[1] if len(reference.parts) > 1 else ""
            declared = workload.resource(name) is not None
            if reference.parts[0] == "resources" and name != site.holder and declared:
                span = workload.locate_text(site.path, reference.offset)
                found.append(ParamsReference(name, site.holder, span))
    return found


def _references_in(text: str) -> list[Reference]:
    try:
        return [s for s in parse_template(text) if isinstance(s, Reference)]
    except PlaceholderError:
        return []


def check_placeholders(workload: ScoreWorkload) -> list[Diagnostic]:
    """Every malformed placeholder, unknown root, missing metadata key and reference to
    an undeclared resource, each located at its `${`."""
    diagnostics: list[Diagnostic] = []
    for site in sites(workload.spec):
        if not has_placeholders(site.text):
            continue
        try:
            template = parse_template(site.text)
        except PlaceholderError as error:
            span = workload.locate_text(site.path, error.offset)
            diagnostics.append(Diagnostic.error(span, error.message))
            continue
        for segment in template:
            if isinstance(segment, Reference):
                diagnostics.extend(_check(workload, site, segment))
    return diagnostics


def _check(workload: ScoreWorkload, site: Site, reference: Reference) -> Iterator[Diagnostic]:
    problem = _problem(workload, site, reference)
    if problem is not None:
        message, notes = problem
        span = workload.locate_text(site.path, reference.offset)
        yield Diagnostic.error(span, f"placeholder '{reference.raw}': {message}", *notes)


def _problem(
    workload: ScoreWorkload, site: Site, reference: Reference
) -> tuple[str, tuple[str, ...]] | None:
    root, keys = reference.parts[0], reference.parts[1:]
    if root == "metadata":
        return _metadata_problem(workload.spec.get("metadata"), keys)
    if root == "resources":
        return _resource_problem(workload, site, keys)
    return (
        "unknown root: Score placeholders are '${metadata.KEY}' or"
        " '${resources.NAME.KEY}' (write '$$' for a literal '$')",
        (),
    )


def _metadata_problem(
    metadata: JsonValue, keys: tuple[str, ...]
) -> tuple[str, tuple[str, ...]] | None:
    if not keys:
        return "needs a key, as in '${metadata.name}'", ()
    value, walked = metadata, "metadata"
    for key in keys:
        if not isinstance(value, dict):
            return f"{walked} is not a mapping", ()
        if key not in value:
            return f"{walked} has no key '{key}'", ()
        value, walked = value[key], f"{walked}.{key}"
    return None


def _resource_problem(
    workload: ScoreWorkload, site: Site, keys: tuple[str, ...]
) -> tuple[str, tuple[str, ...]] | None:
    if not keys:
        return "needs a resource name, as in '${resources.db.host}'", ()
    name = keys[0]
    if workload.resource(name) is None:
        declared = ", ".join(r.name for r in workload.resources) or "none"
        return f"no resource '{name}' is declared in this workload", (f"declared: {declared}",)
    if name == site.holder:
        return f"resource '{name}' cannot use its own outputs in its params", ()
    return None
