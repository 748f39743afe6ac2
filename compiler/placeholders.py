"""`${...}` placeholders inside definition strings (SPEC §4), parsed into templates.

A template is a tuple of literal text and `Placeholder`s. The same syntax is used in the
plan file for what is only known at apply time: references to resource outputs,
normalised to the bracket form with a full uid, and `${env.NAME}` for `env("NAME")`.

>>> parse_template("db-${context.env.id}")
('db-', Placeholder(root='context', path=('env', 'id'), ref=None, offset=3))
>>> parse_template("$${literal}")
('${literal}',)
>>> t = parse_template("${resources['dns.default#shared.main'].outputs.host}")
>>> t[0].ref, t[0].path
(Ref(type='dns', class_='default', id='shared.main'), ('host',))
>>> render_template(t)
"${resources['dns.default#shared.main'].outputs.host}"
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .uid import ResourceUid

ROOTS = ("context", "params", "resources", "env")
CONTEXT_KEYS = {
    ("app", "id"),
    ("env", "id"),
    ("env", "type"),
    ("res", "id"),
    ("res", "type"),
    ("res", "class"),
    ("res", "uid"),
    ("res", "guid"),
}
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?"
_REF = re.compile(rf"^(?P<type>{_NAME})(?:\.(?P<class>{_NAME}))?(?:#(?P<id>[A-Za-z0-9._-]+))?\Z")
_KEY = re.compile(r"^[A-Za-z0-9_-]+\Z")


class PlaceholderError(ValueError):
    """A malformed placeholder; `offset` is where its `${` starts in the string. Raised
    for `${...}` in definitions (here) and in Score files (`score/placeholders.py`)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Ref:
    """`TYPE`, `TYPE.CLASS`, `TYPE#ID` or `TYPE.CLASS#ID`; omitted parts are inherited."""

    type: str
    class_: str | None = None
    id: str | None = None

    def uid_from(self, holder: ResourceUid) -> ResourceUid:
        """The uid this reference names from inside `holder`'s definition: the parts it
        omits are `holder`'s.

        >>> Ref("dns").uid_from(ResourceUid("postgres", "large", "db"))
        ResourceUid(type='dns', class_='large', id='db')
        """
        return ResourceUid(self.type, self.class_ or holder.class_, self.id or holder.id)


@dataclass(frozen=True, slots=True)
class Placeholder:
    """`root` is one of ROOTS; `path` is what follows (for resources, after `outputs`)."""

    root: str
    path: tuple[str, ...]
    ref: Ref | None = None
    offset: int = 0


Segment = str | Placeholder
Template = tuple[Segment, ...]


def has_placeholders(text: str) -> bool:
    return "${" in text


def parse_template(text: str) -> Template:
    """Split `text` into literal strings and placeholders; `$${` is a literal `${`.
    Templates are immutable and the same strings come back for every resource a
    definition matches, so results are cached."""
    if "${" not in text:
        return (text,) if text else ()
    return _parse_template(text)


@functools.lru_cache(maxsize=4096)
def _parse_template(text: str) -> Template:
    segments: list[Segment] = []
    literal: list[str] = []
    position = 0
    while position < len(text):
        start = text.find("${", position)
        if start < 0:
            literal.append(text[position:])
            break
        if start > 0 and text[start - 1] == "$":
            literal.append(text[position : start - 1] + "${")
            position = start + 2
            continue
        literal.append(text[position:start])
        end = _closing_brace(text, start)
        if literal and "".join(literal):
            segments.append("".join(literal))
        literal = []
        segments.append(parse_expression(text[start + 2 : end], start))
        position = end + 1
    if "".join(literal):
        segments.append("".join(literal))
    return tuple(segments)


def _closing_brace(text: str, start: int) -> int:
    depth_quote: str | None = None
    for index in range(start + 2, len(text)):
        char = text[index]
        if depth_quote:
            if char == depth_quote:
                depth_quote = None
        elif char in "'\"":
            depth_quote = char
        elif char == "}":
            return index
    raise PlaceholderError("unterminated placeholder: missing '}'", start)


def parse_expression(expression: str, offset: int = 0) -> Placeholder:
    """Parse the inside of `${...}`."""
    expression = expression.strip()
    if not expression:
        raise PlaceholderError("empty placeholder '${}'", offset)
    root, _, rest = expression.partition(".")
    root = root.split("[", 1)[0]
    if root not in ROOTS:
        known = ", ".join(r for r in ROOTS if r != "env")
        raise PlaceholderError(
            f"unknown placeholder '${{{expression}}}': it must start with one of {known}", offset
        )
    if root == "resources":
        return _parse_resource_reference(expression[len("resources") :], expression, offset)
    path = tuple(rest.split(".")) if rest else ()
    _check_path(path, expression, offset)
    if root == "context" and path not in CONTEXT_KEYS:
        choices = ", ".join(sorted(".".join(("context", *k)) for k in CONTEXT_KEYS))
        raise PlaceholderError(
            f"unknown context value '${{{expression}}}' (one of {choices})", offset
        )
    return Placeholder(root, path, None, offset)


def _parse_resource_reference(rest: str, expression: str, offset: int) -> Placeholder:
    """`rest` follows `resources`: `['uid'].outputs.k` or `.REF.outputs.k`."""
    if rest.startswith("["):
        match = re.match(r"^\[\s*'([^']*)'\s*\]\.(.*)$", rest) or re.match(
            r'^\[\s*"([^"]*)"\s*\]\.(.*)$', rest
        )
        if match is None:
            raise PlaceholderError(
                f"malformed reference '${{{expression}}}': expected resources['<ref>'].outputs.KEY",
                offset,
            )
        ref_text, tail = match[1], match[2]
    else:
        body = rest[1:] if rest.startswith(".") else rest
        ref_text, separator, tail = body.partition(".outputs")
        if not separator:
            raise PlaceholderError(
                f"malformed reference '${{{expression}}}': expected resources.<ref>.outputs.KEY",
                offset,
            )
        tail = "outputs" + tail
    ref = _parse_ref(ref_text, expression, offset)
    head, _, key_path = tail.partition(".")
    if head != "outputs" or not key_path:
        raise PlaceholderError(
            f"malformed reference '${{{expression}}}': it must name an output, "
            "as in resources.<ref>.outputs.KEY",
            offset,
        )
    path = tuple(key_path.split("."))
    _check_path(path, expression, offset)
    return Placeholder("resources", path, ref, offset)


def _parse_ref(text: str, expression: str, offset: int) -> Ref:
    match = _REF.match(text)
    if match is None:
        raise PlaceholderError(
            f"malformed resource reference '{text}' in '${{{expression}}}': expected TYPE, "
            "TYPE.CLASS, TYPE#ID or TYPE.CLASS#ID",
            offset,
        )
    return Ref(match["type"], match["class"], match["id"])


def _check_path(path: tuple[str, ...], expression: str, offset: int) -> None:
    for key in path:
        if not _KEY.match(key):
            raise PlaceholderError(f"malformed placeholder '${{{expression}}}'", offset)


def escape_literal(text: str) -> str:
    """Escape literal text so that `parse_template` reads it back unchanged."""
    return text.replace("${", "$${")


def render_placeholder(placeholder: Placeholder, uid: ResourceUid | None = None) -> str:
    """The canonical text of a placeholder; resource references use the bracket form with
    the full uid when `uid` (the resolved reference) is given."""
    if placeholder.root == "resources" and placeholder.ref is not None:
        ref = str(uid) if uid else _ref_text(placeholder.ref)
        return "${resources['" + ref + "'].outputs." + ".".join(placeholder.path) + "}"
    return "${" + ".".join((placeholder.root, *placeholder.path)) + "}"


def _ref_text(ref: Ref) -> str:
    text = ref.type
    if ref.class_:
        text += "." + ref.class_
    if ref.id:
        text += "#" + ref.id
    return text


def render_template(template: Template) -> str:
    return "".join(
        escape_literal(s) if isinstance(s, str) else render_placeholder(s) for s in template
    )


def placeholders(template: Template) -> Iterator[Placeholder]:
    for segment in template:
        if isinstance(segment, Placeholder):
            yield segment
