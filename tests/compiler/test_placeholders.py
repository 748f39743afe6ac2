"""The `${...}` syntax of definitions (SPEC §4)."""

from __future__ import annotations

import pytest

from orchc.compiler.placeholders import (
    Placeholder,
    PlaceholderError,
    Ref,
    parse_template,
    render_template,
)

VALID = [
    ("plain", "plain", ("plain",)),
    ("empty", "", ()),
    ("context", "${context.app.id}", (Placeholder("context", ("app", "id")),)),
    (
        "embedded",
        "db-${context.env.id}!",
        ("db-", Placeholder("context", ("env", "id"), offset=3), "!"),
    ),
    ("escape", "$${not.a.placeholder}", ("${not.a.placeholder}",)),
    ("lone dollar", "cost: $5", ("cost: $5",)),
    ("params", "${params.size}", (Placeholder("params", ("size",)),)),
    ("nested params", "${params.a.b}", (Placeholder("params", ("a", "b")),)),
    (
        "type ref",
        "${resources.dns.outputs.host}",
        (Placeholder("resources", ("host",), Ref("dns")),),
    ),
    (
        "type.class",
        "${resources.dns.large.outputs.host}",
        (Placeholder("resources", ("host",), Ref("dns", "large")),),
    ),
    (
        "type#id",
        "${resources.dns#shared.outputs.host}",
        (Placeholder("resources", ("host",), Ref("dns", None, "shared")),),
    ),
    (
        "full",
        "${resources.dns.large#shared.outputs.a.b}",
        (Placeholder("resources", ("a", "b"), Ref("dns", "large", "shared")),),
    ),
    (
        "bracket",
        "${resources['dns.default#shared.main'].outputs.host}",
        (Placeholder("resources", ("host",), Ref("dns", "default", "shared.main")),),
    ),
    (
        "bracket double quotes",
        '${resources["dns#a.b"].outputs.host}',
        (Placeholder("resources", ("host",), Ref("dns", None, "a.b")),),
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), VALID, ids=[v[0] for v in VALID])
def test_parse(name: str, text: str, expected: tuple[object, ...]) -> None:
    assert parse_template(text) == expected


def _without_offsets(template: tuple[object, ...]) -> tuple[object, ...]:
    return tuple(s if isinstance(s, str) else Placeholder(s.root, s.path, s.ref) for s in template)  # type: ignore[union-attr]


@pytest.mark.parametrize(("name", "text", "_"), VALID, ids=[v[0] for v in VALID])
def test_render_round_trips(name: str, text: str, _: object) -> None:
    template = parse_template(text)
    assert _without_offsets(parse_template(render_template(template))) == _without_offsets(template)


INVALID = [
    ("${context.app.id", 0, "unterminated placeholder: missing '}'"),
    ("x ${}", 2, "empty placeholder '${}'"),
    (
        "${foo.bar}",
        0,
        "unknown placeholder '${foo.bar}': it must start with one of context, params, resources",
    ),
    (
        "${context.app.name}",
        0,
        "unknown context value '${context.app.name}' (one of context.app.id, context.env.id, context.env.type, context.res.class, context.res.guid, context.res.id, context.res.type, context.res.uid)",
    ),
    (
        "${resources.dns.host}",
        0,
        "malformed reference '${resources.dns.host}': expected resources.<ref>.outputs.KEY",
    ),
    (
        "${resources.dns.outputs}",
        0,
        "malformed reference '${resources.dns.outputs}': it must name an output, as in resources.<ref>.outputs.KEY",
    ),
    (
        "${resources.d$s.outputs.x}",
        0,
        "malformed resource reference 'd$s' in '${resources.d$s.outputs.x}': expected TYPE, TYPE.CLASS, TYPE#ID or TYPE.CLASS#ID",
    ),
    ("${resources['dns].outputs.x}", 0, "unterminated placeholder: missing '}'"),
    ("${params.a..b}", 0, "malformed placeholder '${params.a..b}'"),
]


@pytest.mark.parametrize(("text", "offset", "message"), INVALID)
def test_errors(text: str, offset: int, message: str) -> None:
    with pytest.raises(PlaceholderError) as raised:
        parse_template(text)
    assert (raised.value.offset, raised.value.message) == (offset, message)
