"""Shape checks of syntax-tree blocks, used by the build_ir pass (`passes/build_ir.py`).

A block's body is checked against a `Shape` (which attributes and blocks it may hold,
which blocks may repeat); `split_body` reports what does not belong, with a "did you
mean" when a name is close to an allowed one, and returns the members by name. The
`expect_*` functions read one attribute's value as a string, boolean or integer, or
report what was found instead. Every message names the block it is about.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from orchc.grammar.diagnostics import Diagnostics
from orchc.grammar.source import Span
from orchc.grammar.strings import quote
from orchc.grammar.syntax import (
    Attribute,
    Block,
    Bool,
    Call,
    ListValue,
    MapValue,
    Null,
    Number,
    String,
    Value,
)

FUNCTIONS = ("env", "file")
FUNCTION_PLACES = "inputs, secrets and provision params"


@dataclass(frozen=True)
class Shape:
    """What the body of a block may contain; `where` names the block in messages
    ("definition 'pg-dev'", "the policy block")."""

    where: str
    attributes: tuple[str, ...] = ()
    blocks: tuple[str, ...] = ()
    repeatable: frozenset[str] = frozenset()
    attribute_word: str = "attribute"  # "key" in a match block


@dataclass
class Members:
    """A checked body: the first attribute of each name, every block of each kind."""

    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: dict[str, list[Block]] = field(default_factory=dict)

    def block(self, kind: str) -> Block | None:
        found = self.blocks.get(kind)
        return found[0] if found else None


def split_body(block: Block, shape: Shape, diagnostics: Diagnostics) -> Members:
    """The members of `block` that `shape` allows; the others are reported."""
    members = Members()
    for member in block.body:
        if isinstance(member, Attribute):
            _add_attribute(members, member, shape, diagnostics)
        else:
            _add_block(members, member, shape, diagnostics)
    return members


def _add_attribute(
    members: Members, attribute: Attribute, shape: Shape, diagnostics: Diagnostics
) -> None:
    name, span = attribute.name, attribute.span
    if name in shape.blocks:
        diagnostics.error(span, f"'{name}' is a block, not an attribute: write {name} {{ ... }}")
    elif name not in shape.attributes:
        word = shape.attribute_word
        diagnostics.error(span, unknown(word, name, shape.where, shape.attributes))
    elif name in members.attributes:
        first = members.attributes[name].span
        message = f"duplicate {shape.attribute_word} '{name}' in {shape.where}"
        diagnostics.error(span, message, first_at(first))
    else:
        members.attributes[name] = attribute


def _add_block(members: Members, block: Block, shape: Shape, diagnostics: Diagnostics) -> None:
    kind, span = block.kind, block.span
    if kind in shape.attributes:
        diagnostics.error(span, f"'{kind}' is an attribute, not a block: write {kind} = ...")
    elif kind not in shape.blocks:
        diagnostics.error(span, unknown("block", kind, shape.where, shape.blocks))
    elif kind in members.blocks and kind not in shape.repeatable:
        first = members.blocks[kind][0].span
        message = f"duplicate '{kind}' block in {shape.where}: there can be only one"
        diagnostics.error(span, message, first_at(first))
    else:
        members.blocks.setdefault(kind, []).append(block)


def unknown(what: str, name: str, where: str, allowed: Sequence[str]) -> str:
    """`unknown attribute 'drivr' in definition 'pg'; did you mean 'driver'?`, or the
    list of what is allowed when nothing is close.

    >>> unknown("block", "inptus", "definition 'pg'", ("match", "inputs"))
    "unknown block 'inptus' in definition 'pg'; did you mean 'inputs'?"
    >>> unknown("attribute", "x", "the policy block", ("retries",))
    "unknown attribute 'x' in the policy block; the only attribute is 'retries'"
    """
    head = f"unknown {what} '{name}' in {where}"
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    if close:
        return f"{head}; did you mean '{close[0]}'?"
    if not allowed:
        return f"{head}; it can hold no {what}s"
    if len(allowed) == 1:
        return f"{head}; the only {what} is '{allowed[0]}'"
    return f"{head}; the {what}s are {', '.join(allowed)}"


def first_at(span: Span, what: str = "the first") -> str:
    """The note pointing at the first of two things that clash."""
    return f"note: {what} is at {span}"


def check_labels(block: Block, count: int, usage: str, diagnostics: Diagnostics) -> bool:
    """Whether `block` has exactly `count` labels; `usage` shows the right form."""
    if len(block.labels) == count:
        return True
    if len(block.labels) < count:
        diagnostics.error(block.span, f"'{block.kind}' needs a label: {usage}")
    else:
        extra = block.labels[count]
        takes = "no label" if count == 0 else "one label"
        diagnostics.error(extra.span, f"'{block.kind}' takes {takes}: {usage}")
    return False


def describe(value: Value) -> str:
    """A value as messages name it: "the number 1.5", "a list", "env()"."""
    if isinstance(value, String):
        shown = quote(value.value)
        return "the string " + (shown if len(shown) <= 24 else shown[:20] + '..."')
    if isinstance(value, Number):
        return f"the number {value.text}"
    if isinstance(value, Bool):
        return "true" if value.value else "false"
    if isinstance(value, Null):
        return "null"
    if isinstance(value, ListValue):
        return "a list"
    if isinstance(value, MapValue):
        return "a map"
    return f"{value.name}()"


def wrong_kind(attribute: Attribute, expected: str, where: str) -> str:
    value = attribute.value
    if isinstance(value, Call) and value.name in FUNCTIONS:
        return f"{value.name}() can only be used in {FUNCTION_PLACES}, not in {where}"
    return f"'{attribute.name}' must be {expected}, found {describe(value)}"


def expect_string(attribute: Attribute, where: str, diagnostics: Diagnostics) -> str | None:
    """The attribute's value if it is a non-empty string."""
    value = attribute.value
    if not isinstance(value, String):
        diagnostics.error(value.span, wrong_kind(attribute, "a string", where))
        return None
    if not value.value:
        diagnostics.error(value.span, f"'{attribute.name}' must not be empty")
        return None
    return value.value


def expect_bool(attribute: Attribute, where: str, diagnostics: Diagnostics) -> bool | None:
    value = attribute.value
    if not isinstance(value, Bool):
        expected = "true or false"
        diagnostics.error(value.span, wrong_kind(attribute, expected, where))
        return None
    return value.value


def expect_int(
    attribute: Attribute, minimum: int, where: str, diagnostics: Diagnostics
) -> int | None:
    """The attribute's value if it is a whole number no smaller than `minimum`."""
    value = attribute.value
    if not isinstance(value, Number) or not isinstance(value.value, int):
        expected = f"a whole number (at least {minimum})"
        diagnostics.error(value.span, wrong_kind(attribute, expected, where))
        return None
    if value.value < minimum:
        message = f"'{attribute.name}' must be at least {minimum}, found {value.value}"
        diagnostics.error(value.span, message)
        return None
    return value.value
