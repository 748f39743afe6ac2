"""YAML for Score files: a strict, JSON-shaped loader and the positions of its nodes.

`load_yaml` parses with libyaml (`yaml.CSafeLoader`) when it is available and builds
the data with a resolver close to YAML 1.2's core schema, as the Go reference tools do:
only `true`/`false` are booleans (`on`, `yes` and `no` stay strings), dates stay
strings, `0o17` is octal and `017` is seventeen. The data is therefore always JSON:
mapping keys must be strings and tags outside JSON (`!!binary`, `!!set`, ...) are
errors. Duplicate keys, which YAML loaders silently resolve to the last one, are
reported as problems.

The loader keeps the node tree, so `YamlPositions` can map a JSON path of the data back
to the line and column it came from, without any work on the fast path (no error, no
lookup). Lines and columns start at 1.

>>> loaded = load_yaml("a:\\n  b: [1, on, 017]\\n")
>>> loaded.data
{'a': {'b': [1, 'on', 17]}}
>>> loaded.positions.value(("a", "b", 1))
(2, 10)
>>> load_yaml("a: 1\\na: 2\\n").problems
(YamlProblem(message="duplicate key 'a' (first at line 1)", line=2, col=1),)
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import yaml
from pydantic import JsonValue
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

if TYPE_CHECKING or yaml.__with_libyaml__:
    from yaml import CSafeLoader as _Loader
else:  # pure Python, ten times slower
    from yaml import SafeLoader as _Loader

Point = tuple[int, int]
"""(line, column), both starting at 1."""

JsonPath = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
# The keys SafeConstructor.flatten_mapping rewrites.
_FLATTENED = (_MERGE, "tag:yaml.org,2002:value")
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_UNSUPPORTED = ("binary", "set", "omap", "pairs", "timestamp")


@dataclass(frozen=True, slots=True)
class YamlProblem:
    """A located problem in the YAML itself (not in what the document says)."""

    message: str
    line: int
    col: int


class YamlSyntaxError(Exception):
    """The text is not YAML, or not one JSON-shaped document; nothing was loaded."""

    def __init__(self, problem: YamlProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _ScoreLoader(_Loader):
    """The safe loader with the YAML 1.2-like resolver described in the module doc,
    collecting duplicate and non-string keys instead of keeping the last value."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.problems: list[YamlProblem] = []
        self._checked: set[Node] = set()
        self._built: dict[int, JsonValue] = {}

    def build(self, node: Node, depth: int = 1) -> JsonValue:
        """What `construct_document` returns, without its generator machinery for the
        plain cases (strings, lists, maps: nearly every node of a Score file), which
        made constructing a sixth of reading one. Other tags go through the
        constructors; an alias is the same object, as there. Refuses nesting deeper
        than `MAX_YAML_DEPTH` (it recurses); a graph with aliases must have passed
        `check_bounds` first."""
        if depth > MAX_YAML_DEPTH:
            raise _OutOfBounds(node, f"nested more than {MAX_YAML_DEPTH} levels")
        if isinstance(node, ScalarNode):
            return node.value if node.tag == _STR else self.construct_object(node)  # type: ignore[no-any-return]
        built = self._built.get(id(node))
        if built is not None:
            return built
        if isinstance(node, SequenceNode) and node.tag == _SEQ:
            items: list[JsonValue] = []
            self._built[id(node)] = items
            items.extend(self.build(item, depth + 1) for item in node.value)
            return items
        if isinstance(node, MappingNode) and node.tag == _MAP:
            return self._build_mapping(node, depth)
        return self.construct_object(node, deep=True)  # type: ignore[no-any-return]

    def _build_mapping(self, node: MappingNode, depth: int) -> JsonValue:
        data: dict[str, JsonValue] = {}
        self._built[id(node)] = data
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.build(key_node, depth + 1)
            if type(key) is not str and not isinstance(key, Hashable):  # the ABC check is slow
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found unhashable key",
                    key_node.start_mark,
                )
            data[key] = self.build(value_node, depth + 1)  # type: ignore[index]
        return data

    def flatten_mapping(self, node: MappingNode) -> None:
        # Merging (`<<: *base`) rewrites node.value in place, and keys merged in may be
        # overridden on purpose: check each mapping once, before anything is merged.
        # Flattening leaves no merge or `!!value` key behind, so once is enough too,
        # and a mapping without such keys (nearly all) has nothing to flatten.
        if node not in self._checked:
            self._checked.add(node)
            if self._check_keys(node):
                super().flatten_mapping(node)

    def _check_keys(self, node: MappingNode) -> bool:
        """Report duplicate and non-string keys; True when a key is one `flatten_mapping`
        rewrites (a merge or `!!value` key)."""
        first_line: dict[str, int] = {}
        flatten = False
        for key, _ in node.value:
            if key.tag in _FLATTENED:
                flatten = True
            if key.tag == _MERGE:
                continue
            if not isinstance(key, ScalarNode) or key.tag != _STR:
                self._problem(key, "mapping keys must be strings (quote the key)")
            elif key.value in first_line:
                where = first_line[key.value]
                self._problem(key, f"duplicate key '{key.value}' (first at line {where})")
            else:
                first_line[key.value] = key.start_mark.line + 1
        return flatten

    def _problem(self, node: Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append(YamlProblem(message, mark.line + 1, mark.column + 1))

    def resolve(self, kind: type[Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        """The tag `BaseResolver.resolve` gives with `_RULES` (and no path resolvers),
        with one match per plain scalar: the generic lookup was a tenth of reading a
        Score file."""
        if kind is ScalarNode:
            rules = _PLAIN.get(value[:1]) if implicit[0] and value is not None else None
            found = rules.match(value) if rules else None  # type: ignore[arg-type]
            return _TAGS[found.lastgroup] if found and found.lastgroup else _STR
        return _SEQ if kind is SequenceNode else _MAP

    def descend_resolver(self, current_node: Node | None, current_index: object) -> None:
        """Nothing to track: this loader has no path resolvers."""

    def ascend_resolver(self) -> None:
        """Nothing to track: this loader has no path resolvers."""

    def construct_yaml_int(self, node: ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        try:
            if text[:2] in ("0o", "0x"):
                return int(text[2:], 8 if text[1] == "o" else 16)
            return int(text, 10)
        except ValueError as error:  # `!!int abc`, or more digits than Python converts
            digits, limit = text.lstrip("+-"), sys.get_int_max_str_digits()
            long = digits.isdigit() and len(digits) > limit
            raise _invalid_number(
                node, f"{len(digits)} digits, at most {limit}" if long else error
            ) from None

    def construct_yaml_bool(self, node: ScalarNode) -> bool:
        value = self.bool_values.get(str(self.construct_scalar(node)).lower())
        if value is None:  # `!!bool maybe`: PyYAML's KeyError was a traceback
            raise YamlSyntaxError(_problem_at(node, "a !!bool value is true or false"))
        return bool(value)

    def construct_yaml_float(self, node: ScalarNode) -> float:
        try:
            return float(str(self.construct_scalar(node)))
        except ValueError as error:  # `!!float abc`
            raise _invalid_number(node, error) from None


def _invalid_number(node: Node, error: object) -> YamlSyntaxError:
    """A number that does not convert, located at its node."""
    return YamlSyntaxError(_problem_at(node, f"invalid number: {error}", prefix=""))


_RULES = (
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("bool", r"true|True|TRUE|false|False|FALSE", list("tTfF")),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", list("-+0123456789")),
    (
        "float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?",
        list("-+.0123456789"),
    ),
    ("merge", r"<<", ["<"]),
)
"""The implicit tags of plain scalars, tried in this order; the characters a match
can start with (PyYAML's index of the rules)."""


def _by_first_character() -> dict[str, re.Pattern[str]]:
    """PyYAML's index of the rules by the first character of the scalar ("" for the
    empty one), with each entry's rules joined into one pattern, tried in order: the
    group that matched names the tag."""
    characters = {c for _, _, first in _RULES for c in first}
    return {
        c: re.compile(
            "^(?:" + "|".join(f"(?P<{n}>{rule})" for n, rule, first in _RULES if c in first) + ")$"
        )
        for c in characters
    }


_PLAIN = _by_first_character()
_TAGS = {name: f"tag:yaml.org,2002:{name}" for name, _, _ in _RULES}


def _install_resolvers(loader: type[_ScoreLoader]) -> None:
    loader.yaml_implicit_resolvers = {}
    for name, rule, first in _RULES:
        loader.add_implicit_resolver(_TAGS[name], re.compile(f"^(?:{rule})$"), first)
    unsupported = {f"tag:yaml.org,2002:{name}" for name in _UNSUPPORTED}
    loader.yaml_constructors = {
        tag: constructor
        for tag, constructor in SafeConstructor.yaml_constructors.items()
        if tag not in unsupported
    }
    loader.add_constructor("tag:yaml.org,2002:bool", _ScoreLoader.construct_yaml_bool)
    loader.add_constructor("tag:yaml.org,2002:int", _ScoreLoader.construct_yaml_int)
    loader.add_constructor("tag:yaml.org,2002:float", _ScoreLoader.construct_yaml_float)


_install_resolvers(_ScoreLoader)


@dataclass(frozen=True, slots=True)
class LoadedYaml:
    """One document: its data, where each node came from, and non-fatal problems."""

    data: JsonValue
    positions: YamlPositions
    problems: tuple[YamlProblem, ...]


MAX_YAML_NODES = 100_000
"""The most values a document may hold once every alias is expanded (a Score file of a
thousand lines has a few thousand): an alias bomb of a few hundred bytes is refused
before it is expanded."""

MAX_YAML_DEPTH = 64
"""The deepest nesting of mappings and sequences a document may have."""


def load_yaml(text: str) -> LoadedYaml:
    """Parse one YAML document; raise `YamlSyntaxError` when it cannot be loaded, when
    an alias refers to itself, or when it is larger or deeper than the limits above."""
    loader = _ScoreLoader(text)
    try:
        node = loader.get_single_node()
        # Without an alias (`*name`) nothing is expanded: the data is as large as the
        # text, and `build` checks the depth; most Score files skip the extra walk.
        problem = check_bounds(node) if node is not None and "*" in text else None
        if problem is not None:
            raise YamlSyntaxError(problem)
        data = loader.build(node) if node is not None else None
    except _OutOfBounds as out:
        raise YamlSyntaxError(_problem_at(out.node, out.message)) from None
    except RecursionError:
        problem = YamlProblem(f"invalid YAML: nested more than {MAX_YAML_DEPTH} levels", 1, 1)
        raise YamlSyntaxError(problem) from None
    except yaml.YAMLError as error:
        raise YamlSyntaxError(_describe(error, text)) from None
    except (ValueError, OverflowError) as error:  # an int or float the resolver let through
        raise YamlSyntaxError(YamlProblem(f"invalid number: {error}", 1, 1)) from None
    finally:
        loader.dispose()
    return LoadedYaml(data, YamlPositions(node), tuple(loader.problems))


def check_bounds(
    root: Node, max_nodes: int = MAX_YAML_NODES, max_depth: int = MAX_YAML_DEPTH
) -> YamlProblem | None:
    """The first problem with the node graph's expanded shape: an alias inside its own
    anchor, more than `max_nodes` values once aliases are expanded, or more than
    `max_depth` levels. Linear in the graph (each collection's expanded size is
    memoised), so it costs nothing like the expansion it prevents.

    >>> bomb = "a: &a [x, x, x]\\nb: &b [*a, *a, *a]\\nc: [*b, *b, *b]\\n"
    >>> check_bounds(yaml.compose(bomb), max_nodes=20).message
    'invalid YAML: more than 20 values once aliases are expanded'
    >>> check_bounds(yaml.compose("a: &x [1, *x]")).message
    'invalid YAML: an alias refers to its own anchor (a recursive alias)'
    """
    try:
        _Shape(max_nodes, max_depth).measure(root, 1)
    except _OutOfBounds as out:
        return _problem_at(out.node, out.message)
    return None


class _OutOfBounds(Exception):
    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


class _Shape:
    """Expanded size and height of collections, memoised by node identity (an alias is
    the same node object). Recursive, but never deeper than `max_depth` frames: a
    Score file is measured once per plan, so this is on the hot path."""

    def __init__(self, max_nodes: int, max_depth: int) -> None:
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.known: dict[int, tuple[int, int]] = {}
        self.entered: set[int] = set()

    def measure(self, node: Node, depth: int) -> tuple[int, int]:
        """(expanded size, height) of `node` found `depth` levels down (root: 1)."""
        if isinstance(node, ScalarNode):
            known = (1, 1)
        else:
            known = self.known.get(id(node)) or self._measure_new(node, depth)
        if depth - 1 + known[1] > self.max_depth:
            raise _OutOfBounds(node, f"nested more than {self.max_depth} levels")
        return known

    def _measure_new(self, node: Node, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in self.entered:
            raise _OutOfBounds(node, "an alias refers to its own anchor (a recursive alias)")
        if depth > self.max_depth:
            raise _OutOfBounds(node, f"nested more than {self.max_depth} levels")
        self.entered.add(key)
        size, height = 1, 0
        for child in _children(node):
            child_size, child_height = self.measure(child, depth + 1)
            size += child_size
            height = max(height, child_height)
        self.entered.discard(key)
        if size > self.max_nodes:
            raise _OutOfBounds(node, f"more than {self.max_nodes} values once aliases are expanded")
        self.known[key] = (size, height + 1)
        return size, height + 1


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [item for pair in node.value for item in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _problem_at(node: Node, message: str, prefix: str = "invalid YAML: ") -> YamlProblem:
    line, col = _start(node)
    return YamlProblem(f"{prefix}{message}", line, col)


def _describe(error: yaml.YAMLError, text: str) -> YamlProblem:
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        if mark is not None and error.context_mark and mark.index >= len(text.rstrip()):
            mark = error.context_mark  # "unexpected end of file": show where it started
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return YamlProblem(f"invalid YAML: {_explain(error, text, mark)}", line, col)
    if isinstance(error, yaml.reader.ReaderError):
        line, col = _point_at(text, error.position)
        return YamlProblem(f"invalid YAML: {error.reason}", line, col)
    return YamlProblem(f"invalid YAML: {error}", 1, 1)


def _explain(error: yaml.MarkedYAMLError, text: str, mark: yaml.Mark | None) -> str:
    if mark is not None and text[mark.index : mark.index + 1] == "\t":
        return "tab characters cannot indent YAML"
    problem, context = error.problem or "", error.context or ""
    if problem.startswith("but "):  # "expected a single document ..., but found another"
        return f"{context}, {problem}"
    return f"{problem} ({context})" if problem and context else problem or context


def _point_at(text: str, offset: int) -> Point:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


class YamlPositions:
    """Maps JSON paths of a loaded document to the position of their YAML nodes.

    A path that leads nowhere resolves to its deepest existing ancestor. In a sequence,
    a string segment names the item whose `target` is that string: the deprecated list
    form of Score's `files` and `volumes`, which the reader turns into maps.

    The node tree is kept for the whole compilation: planning locates every output
    reference of every workload in it (releasing the trees after reading, as orchc once
    did, made it parse each Score file twice), and the garbage collector that made
    holding a thousand trees costly runs rarely in the command line (orchc/cli.py).
    """

    def __init__(self, root: Node | None) -> None:
        self._root = root

    def _tree(self) -> Node | None:
        return self._root

    def find(self, path: JsonPath) -> tuple[Node | None, Node | None]:
        """(key node, value node) of the deepest node on `path`; the key is None for
        the root and for sequence items."""
        key: Node | None = None
        node = self._tree()
        for segment in path:
            child = _child(node, segment) if node is not None else None
            if child is None:
                break
            key, node = child
        return key, node

    def value(self, path: JsonPath) -> Point:
        """Where the value at `path` starts."""
        return _start(self.find(path)[1])

    def entry(self, path: JsonPath) -> Point:
        """Where the entry at `path` starts: its key in a mapping, else its value."""
        key, node = self.find(path)
        return _start(key or node)

    def best(self, path: JsonPath) -> Point:
        """The value when it is a scalar (the caret lands on it), else the entry (a
        block collection starts on the line after its key)."""
        key, node = self.find(path)
        return _start(node if isinstance(node, ScalarNode) else key or node)

    def in_text(self, path: JsonPath, offset: int, line_at: Callable[[int], str | None]) -> Point:
        """Where character `offset` of the string at `path` is in the source, when the
        scalar's style lets us know for sure (plain or quoted on one line, or a literal
        block); else where the value starts. `line_at(n)` returns source line n."""
        node = self.find(path)[1]
        if not isinstance(node, ScalarNode) or not node.value:
            return _start(node)
        guess = _guess_point(node, offset, line_at)
        if guess is not None and _text_matches(node.value, offset, guess, line_at):
            return guess
        return _start(node)


def _child(node: Node, segment: str | int) -> tuple[Node | None, Node] | None:
    if isinstance(node, MappingNode) and isinstance(segment, str):
        # Last wins, as when the data was built (merged keys come first).
        for key, value in reversed(node.value):
            if isinstance(key, ScalarNode) and key.value == segment:
                return key, value
        return None
    if isinstance(node, SequenceNode) and isinstance(segment, int):
        return (None, node.value[segment]) if 0 <= segment < len(node.value) else None
    if isinstance(node, SequenceNode):
        for item in node.value:
            target = _child(item, "target")
            value = target[1] if target is not None else None
            if isinstance(value, ScalarNode) and value.value == segment:
                return None, item
    return None


def _start(node: Node | None) -> Point:
    if node is None:
        return (1, 1)
    return node.start_mark.line + 1, node.start_mark.column + 1


def _guess_point(
    node: ScalarNode, offset: int, line_at: Callable[[int], str | None]
) -> Point | None:
    line, col = _start(node)
    quoted = node.style in ("'", '"')
    if (quoted or not node.style) and node.end_mark.line == node.start_mark.line:
        return line, col + offset + (1 if quoted else 0)
    if node.style == "|":
        before = node.value[:offset]
        row = line + 1 + before.count("\n")
        content = node.value.split("\n")[before.count("\n")]
        source = line_at(row)
        if source is None or not source.endswith(content):
            return None
        return row, len(source) - len(content) + len(before) - (before.rfind("\n") + 1) + 1
    return None


def _text_matches(
    value: str, offset: int, point: Point, line_at: Callable[[int], str | None]
) -> bool:
    source = line_at(point[0])
    if source is None:
        return False
    close = value.find("}", offset)
    expected = value[offset : close + 1 if close >= 0 else offset + 2]
    return source[point[1] - 1 : point[1] - 1 + len(expected)] == expected
