"""The build_ir pass: the syntax trees of the .orch files -> the typed `ir.Program`.

Checks every rule of SPEC §2 that the grammar does not: the top level holds only
`environment "<id>"`, `definition "<id>"` and `resource_type "<type>"` blocks (the
last read by `compiler/contract_reader.py`); ids are valid and unique (per kind, across
all files); each block holds only its own attributes and blocks, with values of the
right kind. Values of `inputs`, `secrets` and provision `params` become
`ir.Value`s (see `compiler/value_reader.py`), with `file()` read here.

Every problem is reported, none stops the pass. What is broken is left out of the
program: a block with a bad or duplicate id, a definition without a valid `type` or
`driver`, and within a definition any block or attribute in error (so later passes
may run on the rest without repeating these errors). A definition without a `match`
block is only a warning: it is valid, but can never be selected.

>>> from orchc.grammar.parse import parse_document
>>> document, _ = parse_document("a.orch", '''
... environment "dev" { type = "development" }
... definition "pg" {
...   type = "postgres", driver = "static"
...   match { env_type = "development" }
...   policy { timeout = "1m30s" }
... }''')
>>> diagnostics = Diagnostics()
>>> program = build_ir([document], Path("."), diagnostics)
>>> definition = program.definitions[0]
>>> definition.id, definition.matches[0].as_dict(), definition.policy.timeout_seconds
('pg', {'env_type': 'development'}, 90.0)
>>> len(diagnostics)
0
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from orchc.compiler import ir
from orchc.compiler.uid import DEFAULT_CLASS, ResourceUid, UidError
from orchc.grammar.diagnostics import Diagnostics
from orchc.grammar.syntax import Attribute, Block, Document, MapValue, String

from .. import contract_reader
from ..syntax_checks import (
    Shape,
    check_labels,
    describe,
    expect_bool,
    expect_int,
    expect_string,
    first_at,
    split_body,
    unknown,
    wrong_kind,
)
from ..value_reader import ValueReader

_ID = re.compile(r"[a-z0-9][a-z0-9-]*[a-z0-9]")
_DURATION = re.compile(r"(?:(?P<h>[0-9]+)h)?(?:(?P<m>[0-9]+)m)?(?:(?P<s>[0-9]+)s)?")
_TOP_LEVEL = ("environment", "definition", "resource_type")
_USAGE = {
    "environment": 'environment "<id>" { type = "<environment type>" }',
    "definition": 'definition "<id>" { type = "...", driver = "..." }',
    "resource_type": contract_reader.USAGE,
}
_T = TypeVar("_T")


def build_ir(
    documents: Sequence[Document],
    root: Path,
    diagnostics: Diagnostics,
    tier: ir.Tier = ir.Tier.USER,
) -> ir.Program:
    """The program of `documents` (in order); `root` is the project root, against which
    the documents' display paths are read (for `file()`)."""
    environments: list[ir.Environment] = []
    definitions: list[ir.Definition] = []
    contracts: list[ir.ResourceType] = []
    # One reader per file: making one resolves the file's directory (system calls).
    readers: dict[str, ValueReader] = {}
    for document, block, id_ in _unique_blocks(documents, diagnostics):
        if block.kind == "environment":
            environment = _environment(block, id_, diagnostics)
            environments.extend([environment] if environment else [])
        elif block.kind == "resource_type":
            contracts.append(contract_reader.resource_type(block, id_, diagnostics, tier))
        else:
            if document.path not in readers:
                readers[document.path] = ValueReader(root, document.path, diagnostics)
            definition = _definition(block, id_, readers[document.path], diagnostics, tier)
            definitions.extend([definition] if definition else [])
    return ir.Program(tuple(environments), tuple(definitions), tuple(contracts))


# -- top level ---------------------------------------------------------------------------


def _unique_blocks(
    documents: Sequence[Document], diagnostics: Diagnostics
) -> Iterator[tuple[Document, Block, str]]:
    """The top-level blocks with a valid id not seen before (per kind), with their id."""
    first: dict[tuple[str, str], Block] = {}
    for document, block in _top_level_blocks(documents, diagnostics):
        label = block.labels[0]
        if block.kind == "resource_type" and not _is_resource_type(label.value):
            diagnostics.error(label.span, _invalid_type(label.value))
            continue
        if block.kind != "resource_type" and not _ID.fullmatch(label.value):
            diagnostics.error(label.span, _invalid_id(block.kind, label.value))
            continue
        key = (block.kind, label.value)
        if key in first:
            note = first_at(first[key].labels[0].span, f"the first '{label.value}'")
            message = f"duplicate {block.kind} id '{label.value}': ids must be unique"
            if block.kind == "resource_type":
                message = f"duplicate resource_type '{label.value}': a type has one contract"
            diagnostics.error(label.span, message, note)
            continue
        first[key] = block
        yield document, block, label.value


def _top_level_blocks(
    documents: Sequence[Document], diagnostics: Diagnostics
) -> Iterator[tuple[Document, Block]]:
    where = "a .orch file"
    for document in documents:
        for member in document.body:
            if isinstance(member, Attribute):
                message = f"attribute '{member.name}' outside any block: {where} holds only"
                diagnostics.error(
                    member.span, f"{message} environment, definition and resource_type blocks"
                )
            elif member.kind not in _TOP_LEVEL:
                diagnostics.error(member.span, unknown("block", member.kind, where, _TOP_LEVEL))
            elif check_labels(member, 1, _USAGE[member.kind], diagnostics):
                yield document, member


def _invalid_id(kind: str, value: str) -> str:
    return (
        f"invalid {kind} id '{value}': use 2 or more lowercase letters, digits and '-', "
        "starting and ending with a letter or digit"
    )


def _missing(block: Block, where: str, name: str, example: str, diagnostics: Diagnostics) -> None:
    diagnostics.error(block.span, f"{where} has no '{name}': add {name} = {example}")


# -- environments ------------------------------------------------------------------------


def _environment(block: Block, id_: str, diagnostics: Diagnostics) -> ir.Environment | None:
    where = f"environment '{id_}'"
    members = split_body(block, Shape(where, attributes=("type",)), diagnostics)
    if "type" not in members.attributes:
        _missing(block, where, "type", '"development"', diagnostics)
        return None
    env_type = expect_string(members.attributes["type"], where, diagnostics)
    return ir.Environment(block.span, id_, env_type) if env_type else None


# -- definitions -------------------------------------------------------------------------


def _definition(
    block: Block, id_: str, reader: ValueReader, diagnostics: Diagnostics, tier: ir.Tier
) -> ir.Definition | None:
    where = f"definition '{id_}'"
    members = split_body(block, _definition_shape(where), diagnostics)
    resource_type = _resource_type(block, members.attributes, where, diagnostics)
    driver = _driver(block, members.attributes, where, diagnostics)
    description = members.attributes.get("description")
    matches = members.blocks.get("match", [])
    # Every part is built (and its errors reported) even when the definition itself
    # is unusable for want of a type or driver.
    definition = ir.Definition(
        span=block.span,
        id=id_,
        type=resource_type or "",
        driver=driver or "",
        description=expect_string(description, where, diagnostics) if description else None,
        matches=_each(matches, lambda b: _match(b, diagnostics)),
        inputs=_values_block(members.block("inputs"), reader, diagnostics),
        secrets=_values_block(members.block("secrets"), reader, diagnostics),
        provisions=_each(
            members.blocks.get("provision", []), lambda b: _provision(b, reader, diagnostics)
        ),
        policy=_policy(members.block("policy"), diagnostics),
        tier=tier,
    )
    if not matches:
        _warn_never_selected(definition, diagnostics)
    return definition if resource_type and driver else None


def _definition_shape(where: str) -> Shape:
    return Shape(
        where,
        attributes=("type", "driver", "description"),
        blocks=("match", "inputs", "secrets", "provision", "policy"),
        repeatable=frozenset({"match", "provision"}),
    )


def _warn_never_selected(definition: ir.Definition, diagnostics: Diagnostics) -> None:
    diagnostics.warning(
        definition.span,
        f"definition '{definition.id}' has no match block and will never be selected",
        "note: add 'match {}' to select it for every resource of its type",
    )


def _each(blocks: Sequence[Block], build_one: Callable[[Block], _T | None]) -> tuple[_T, ...]:
    """The blocks built, leaving out those in error."""
    built = (build_one(block) for block in blocks)
    return tuple(item for item in built if item is not None)


def _resource_type(
    block: Block, attributes: dict[str, Attribute], where: str, diagnostics: Diagnostics
) -> str | None:
    if "type" not in attributes:
        _missing(block, where, "type", '"<resource type>"', diagnostics)
        return None
    value = expect_string(attributes["type"], where, diagnostics)
    if value is not None and not _is_resource_type(value):
        diagnostics.error(attributes["type"].value.span, _invalid_type(value))
        return None
    return value


def _invalid_type(value: str) -> str:
    return (
        f"invalid resource type '{value}': use letters, digits, '-' and '_', "
        "starting and ending with a letter or digit"
    )


def _driver(
    block: Block, attributes: dict[str, Attribute], where: str, diagnostics: Diagnostics
) -> str | None:
    if "driver" not in attributes:
        _missing(block, where, "driver", '"<driver name>"', diagnostics)
        return None
    return expect_string(attributes["driver"], where, diagnostics)


def _values_block(
    block: Block | None, reader: ValueReader, diagnostics: Diagnostics
) -> ir.MapValue | None:
    if block is None:
        return None
    if not check_labels(block, 0, f"{block.kind} {{ name = value }}", diagnostics):
        return None
    return reader.block_map(block)


def _match(block: Block, diagnostics: Diagnostics) -> ir.MatchBlock | None:
    if not check_labels(block, 0, 'match { env_type = "development" }', diagnostics):
        return None
    shape = Shape("the match block", attributes=ir.MATCH_KEYS, attribute_word="key")
    members = split_body(block, shape, diagnostics)
    criteria = []
    for key, attribute in members.attributes.items():
        value = expect_string(attribute, "a match block", diagnostics)
        if value is not None:
            criteria.append(ir.Criterion(attribute.span, key, value))
    return ir.MatchBlock(block.span, tuple(criteria))


def _provision(block: Block, reader: ValueReader, diagnostics: Diagnostics) -> ir.Provision | None:
    if not check_labels(block, 1, 'provision "<type>" { is_dependent = true }', diagnostics):
        return None
    # The reference's form is checked with the placeholders' (check_definitions.py).
    ref = block.labels[0]
    where = f"provision '{ref.value}'"
    shape = Shape(where, attributes=("is_dependent", "match_dependents", "params"))
    attributes = split_body(block, shape, diagnostics).attributes

    def flag(name: str) -> bool:
        attribute = attributes.get(name)
        return bool(attribute and expect_bool(attribute, where, diagnostics))

    return ir.Provision(
        block.span,
        ref.value,
        is_dependent=flag("is_dependent"),
        match_dependents=flag("match_dependents"),
        params=_params(attributes.get("params"), reader, diagnostics),
    )


def _params(
    attribute: Attribute | None, reader: ValueReader, diagnostics: Diagnostics
) -> ir.MapValue | None:
    if attribute is None:
        return None
    if not isinstance(attribute.value, MapValue):
        found = describe(attribute.value)
        message = f"'params' must be a map, as in params = {{ size = 10 }}, found {found}"
        diagnostics.error(attribute.value.span, message)
        return None
    converted = reader.value(attribute.value)
    assert isinstance(converted, ir.MapValue)
    return converted


def _is_resource_type(text: str) -> bool:
    """Whether `text` can be the type part of a uid (checked by the uid grammar itself)."""
    try:
        ResourceUid.parse(f"{text}.{DEFAULT_CLASS}#id")
    except UidError:
        return False
    return "." not in text and "#" not in text


_POLICY_ATTRIBUTES = (
    "timeout",
    "retries",
    "max_parallel",
    "prevent_destroy",
    "create_before_destroy",
)


def _policy(block: Block | None, diagnostics: Diagnostics) -> ir.Policy | None:
    if block is None or not check_labels(block, 0, 'policy { timeout = "5m" }', diagnostics):
        return None
    where = "the policy block"
    shape = Shape(where, attributes=_POLICY_ATTRIBUTES)
    attributes = split_body(block, shape, diagnostics).attributes

    def read(name: str, convert: Callable[[Attribute], _T | None]) -> _T | None:
        return convert(attributes[name]) if name in attributes else None

    return ir.Policy(
        block.span,
        timeout_seconds=read("timeout", lambda a: _timeout(a, diagnostics)),
        retries=read("retries", lambda a: expect_int(a, 0, where, diagnostics)) or 0,
        max_parallel=read("max_parallel", lambda a: expect_int(a, 1, where, diagnostics)),
        prevent_destroy=bool(read("prevent_destroy", lambda a: expect_bool(a, where, diagnostics))),
        create_before_destroy=bool(
            read("create_before_destroy", lambda a: expect_bool(a, where, diagnostics))
        ),
    )


def _timeout(attribute: Attribute, diagnostics: Diagnostics) -> float | None:
    """A duration such as "30s", "2m" or "1h30m", in seconds."""
    value = attribute.value
    example = 'write a number and a unit, as in "30s", "2m" or "1h30m"'
    if not isinstance(value, String):
        expected = 'a duration such as "30s", "2m" or "1h30m"'
        diagnostics.error(value.span, wrong_kind(attribute, expected, "the policy block"))
        return None
    found = _DURATION.fullmatch(value.value)
    if not value.value or found is None:
        diagnostics.error(value.span, f"invalid duration '{value.value}' for 'timeout': {example}")
        return None
    units = (("h", 3600), ("m", 60), ("s", 1))
    seconds = sum(int(found[unit] or 0) * size for unit, size in units)
    if seconds == 0:
        diagnostics.error(value.span, "'timeout' must be longer than 0s")
        return None
    return float(seconds)
