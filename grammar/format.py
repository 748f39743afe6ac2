"""`orchc fmt`: print a syntax tree in the one canonical layout of orch files.

The layout, decided by the tree and never by how the source was laid out, except for
comments and blank lines, which are kept:

- two spaces of indentation per level; one `key = value` or block per line;
- the `=` of consecutive attributes (or map entries) is aligned; a blank line, a
  comment line or a block ends the run;
- a block, map, list or call is printed on one line when it fits in 100 columns and
  holds no comment, no multi-line string and (for a block) no nested block:
  `match { env_type = "development" }`, `tags = ["a", "b"]`,
  `labels = { owner = "payments" }`; otherwise one item per line, list items and call
  arguments each followed by a comma;
- strings are re-escaped canonically; multi-line strings stay `\"\"\"`, their lines
  indented one level deeper than the line the string starts on;
- numbers are kept as written; attribute names and map keys stay quoted or bare as
  written (a name that is not a valid bare name, as in a tree built by hand, is
  quoted);
- a blank line between top-level blocks, and blank lines inside blocks kept (several
  become one, none at the start or end of a block);
- comments stay where they were: above a node, at the end of its line, or at the end
  of a block or of the file.

Formatting is idempotent: `format_source(format_source(x))` returns its input.

>>> print(format_source("a.orch", 'environment "dev" {type="development"}')[0], end="")
environment "dev" { type = "development" }
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from . import strings
from .diagnostics import Diagnostic
from .parse import parse_document
from .source import Span
from .syntax import (
    Attribute,
    Block,
    Bool,
    Call,
    Comment,
    Document,
    ListValue,
    MapEntry,
    MapValue,
    Null,
    Number,
    String,
    Value,
)

_BARE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
"""The grammar's NAME: what an attribute name or map key may be without quotes."""

WIDTH = 100
INDENT = "  "
TRAILING_COMMENT_GAP = "  "

Item = Attribute | Block | MapEntry | Value
Position = tuple[int, int]

_END_OF_FILE: Position = (1 << 62, 0)


def format_source(path: str, text: str) -> tuple[str | None, list[Diagnostic]]:
    """The canonical text of `text`, or None (and the errors) when it does not parse."""
    document, problems = parse_document(path, text)
    if any(problem.is_error for problem in problems):
        return None, problems
    return format_document(document), problems


def format_document(document: Document) -> str:
    """The canonical text of `document`: empty, or lines ending with a line break."""
    lines = _Printer(document.comments).top_level(document.body)
    return "".join(f"{line}\n" for line in lines)


def _position(span: Span) -> Position:
    return (span.line, span.col)


def _start(item: Item) -> Position:
    return _position(item.span)


def _end(item: Item) -> Position:
    """Where `item` ends; scalars other than multi-line strings end on their first line,
    and nothing (not even a comment) can sit inside them."""
    if isinstance(item, Attribute | MapEntry):
        return _end(item.value)
    end = getattr(item, "end", None)
    if isinstance(end, Span):
        return _position(end)
    children: Sequence[Item] = ()
    if isinstance(item, Block):
        children = item.body
    elif isinstance(item, ListValue | Call):
        children = item.items if isinstance(item, ListValue) else item.args
    elif isinstance(item, MapValue):
        children = item.entries
    return max([_start(item), *(_end(child) for child in children)])


@dataclass(frozen=True)
class _Piece:
    """One line-level element of a multi-line container: an item (with the comment at
    the end of its line) or a comment on a line of its own."""

    first_line: int
    last_line: int
    item: Item | None = None
    comment: Comment | None = None
    trailing: Comment | None = None


class _Printer:
    def __init__(self, comments: Sequence[Comment]) -> None:
        self._comments = sorted(comments, key=lambda c: _position(c.span))
        self._positions = [_position(c.span) for c in self._comments]

    # -- comments ---------------------------------------------------------------------

    def _between(self, after: Position, before: Position) -> list[Comment]:
        low = bisect_right(self._positions, after)
        high = bisect_left(self._positions, before)
        return self._comments[low:high]

    def _has_comment(self, item: Item) -> bool:
        return bool(self._between(_start(item), _end(item)))

    def _pieces(
        self, items: Sequence[Item], opening: Position, closing: Position
    ) -> tuple[Comment | None, list[_Piece]]:
        """The comment on the opening line, then the items and the comments between
        them; a comment on the line where an item ends is that item's trailing one."""
        header: Comment | None = None
        pieces: list[_Piece] = []
        previous_end = opening
        for item in [*items, None]:
            bound = _start(item) if item is not None else closing
            for comment in self._between(previous_end, bound):
                line = comment.span.line
                if line == previous_end[0] and pieces and pieces[-1].item is not None:
                    pieces[-1] = _with_trailing(pieces[-1], comment)
                elif line == opening[0] and not pieces:
                    header = comment
                else:
                    pieces.append(_Piece(line, line, comment=comment))
            if item is not None:
                pieces.append(_Piece(item.span.line, _end(item)[0], item=item))
                previous_end = _end(item)
        return header, pieces

    # -- layout -------------------------------------------------------------------------

    def top_level(self, body: Sequence[Attribute | Block]) -> list[str]:
        _, pieces = self._pieces(body, (0, 0), _END_OF_FILE)
        # No alignment at the top level: a blank line may be added between two items
        # there, which would split their run on the next pass. (Top-level attributes
        # are errors for the compiler anyway.)
        rendered = self._render_items(pieces, "", align=False)
        lines: list[str] = []
        for index, piece in enumerate(pieces):
            if index and self._blank_before(pieces, rendered, index):
                lines.append("")
            lines.extend(rendered[index] if piece.comment is None else [piece.comment.text])
        return lines

    def _blank_before(
        self, pieces: list[_Piece], rendered: dict[int, list[str]], index: int
    ) -> bool:
        """At the top level: blank lines of the source are kept, and two items are
        always separated by one when either prints on several lines (the blank goes
        right after the first, above the comments leading to the second)."""
        if pieces[index].first_line - pieces[index - 1].last_line > 1:
            return True
        if pieces[index - 1].item is None:
            return False
        following = next((i for i in range(index, len(pieces)) if pieces[i].item), None)
        if following is None:
            return False
        gaps = range(index + 1, following + 1)
        if any(pieces[i].first_line - pieces[i - 1].last_line > 1 for i in gaps):
            return False
        return len(rendered[index - 1]) > 1 or len(rendered[following]) > 1

    def _render_items(
        self, pieces: list[_Piece], indent: str, *, align: bool = True
    ) -> dict[int, list[str]]:
        """The lines of each item piece, with `=` aligned within runs."""
        widths = _alignment(pieces) if align else {}
        rendered: dict[int, list[str]] = {}
        for index, piece in enumerate(pieces):
            if piece.item is None:
                continue
            lines = self._item(piece.item, indent, widths.get(index, 0))
            if piece.trailing is not None:
                lines[-1] += TRAILING_COMMENT_GAP + piece.trailing.text
            rendered[index] = lines
        return rendered

    def _body(self, pieces: list[_Piece], indent: str) -> list[str]:
        """The lines between the brackets of a multi-line container."""
        rendered = self._render_items(pieces, indent)
        lines: list[str] = []
        for index, piece in enumerate(pieces):
            if index and piece.first_line - pieces[index - 1].last_line > 1:
                lines.append("")
            if piece.comment is not None:
                lines.append(indent + piece.comment.text)
            else:
                lines.extend(rendered[index])
        return lines

    def _item(self, item: Item, indent: str, width: int) -> list[str]:
        if isinstance(item, Block):
            return self._block(item, indent)
        if isinstance(item, Attribute | MapEntry):
            return self._value(item.value, f"{indent}{_key(item).ljust(width)} = ", indent)
        return self._value(item, indent, indent, suffix=",")

    def _block(self, block: Block, indent: str) -> list[str]:
        labels = "".join(f" {strings.quote(label.value)}" for label in block.labels)
        head = indent + block.kind + labels
        inline = self._inline_block(block)
        if inline is not None and len(head) + 1 + len(inline) <= WIDTH:
            return [f"{head} {inline}"]
        return self._container(block, block.body, f"{head} {{", indent, "}")

    def _container(
        self, node: Item, items: Sequence[Item], opening: str, indent: str, closing: str
    ) -> list[str]:
        end = _end(node)
        header, pieces = self._pieces(items, (node.span.line, node.span.col), end)
        first = opening + (TRAILING_COMMENT_GAP + header.text if header else "")
        return [first, *self._body(pieces, indent + INDENT), indent + closing]

    def _value(self, value: Value, prefix: str, indent: str, suffix: str = "") -> list[str]:
        inline = self._inline(value)
        if inline is not None and len(prefix) + len(inline) + len(suffix) <= WIDTH:
            return [prefix + inline + suffix]
        if isinstance(value, ListValue):
            lines = self._container(value, value.items, "[", indent, "]")
        elif isinstance(value, MapValue):
            lines = self._container(value, value.entries, "{", indent, "}")
        elif isinstance(value, Call):
            lines = self._container(value, value.args, f"{value.name}(", indent, ")")
        elif isinstance(value, String) and value.multiline:
            lines = strings.quote_multiline(value.value, indent)
        else:
            lines = [_scalar(value)]
        lines[0] = prefix + lines[0]
        lines[-1] += suffix
        return lines

    # -- one-line forms -----------------------------------------------------------------

    def _inline(self, value: Value) -> str | None:
        """`value` on one line, or None when it cannot be (comments, multi-line strings)."""
        if isinstance(value, String) and value.multiline:
            return None
        if not isinstance(value, ListValue | MapValue | Call):
            return _scalar(value)
        if self._has_comment(value):
            return None
        if isinstance(value, MapValue):
            return self._inline_entries(value.entries)
        items = value.items if isinstance(value, ListValue) else value.args
        parts = [self._inline(item) for item in items]
        if None in parts:
            return None
        joined = ", ".join(part for part in parts if part is not None)
        return f"[{joined}]" if isinstance(value, ListValue) else f"{value.name}({joined})"

    def _inline_entries(self, entries: Sequence[Attribute | MapEntry]) -> str | None:
        parts = []
        for entry in entries:
            value = self._inline(entry.value)
            if value is None:
                return None
            key = _key(entry)
            parts.append(f"{key} = {value}")
        return "{ " + ", ".join(parts) + " }" if parts else "{}"

    def _inline_block(self, block: Block) -> str | None:
        attributes = [member for member in block.body if isinstance(member, Attribute)]
        if len(attributes) != len(block.body) or self._has_comment(block):
            return None
        return self._inline_entries(attributes)


def _with_trailing(piece: _Piece, comment: Comment) -> _Piece:
    return _Piece(piece.first_line, piece.last_line, piece.item, trailing=comment)


def _alignment(pieces: list[_Piece]) -> dict[int, int]:
    """For each attribute or map entry piece, the width its name is padded to: the
    longest name of its run of adjacent ones (no blank line or comment between)."""
    runs: list[list[int]] = []
    for index, piece in enumerate(pieces):
        if not isinstance(piece.item, Attribute | MapEntry):
            continue
        previous = pieces[index - 1]
        if runs and runs[-1][-1] == index - 1 and piece.first_line - previous.last_line <= 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    widths: dict[int, int] = {}
    for run in runs:
        widths.update(dict.fromkeys(run, max(len(_name(pieces[i].item)) for i in run)))
    return widths


def _name(item: Item | None) -> str:
    return _key(item) if isinstance(item, Attribute | MapEntry) else ""


def _key(entry: Attribute | MapEntry) -> str:
    """The name as written: bare, or quoted when it was (or must be)."""
    name = entry.name if isinstance(entry, Attribute) else entry.key
    bare = _BARE_NAME.fullmatch(name) is not None
    return name if bare and not entry.quoted else strings.quote(name)


def _scalar(value: Value) -> str:
    if isinstance(value, String):
        return strings.quote(value.value)
    if isinstance(value, Number):
        return value.text or repr(value.value)
    if isinstance(value, Bool):
        return "true" if value.value else "false"
    if isinstance(value, Null):
        return "null"
    raise TypeError(f"not a scalar: {type(value).__name__}")
