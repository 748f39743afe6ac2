"""Bounds on rendering one template and reading the YAML it renders: time and size.

Time: `time_limit(seconds)` covers rendering *and* parsing the result (a 600 KB YAML
flow list took 19 s to parse, outside the old bound). The deadline is checked
- before every operator, filter and method call a template makes (`check_time`), so a
  line chaining expensive calls stops between them,
- on every item of every `{% for %}` loop (the only construct that repeats without a
  call: `bounded_iter`), so nested loops with an empty body stop too,
- for every YAML node read and built (`YamlLimits`); the YAML is parsed by libyaml when
  present, so a single huge scalar costs C time (0.1 s for 4 MB, 4 s in pure Python).
What is left past the deadline is one bounded operation in C (each input and result is
bounded by `MAX_VALUE_LENGTH`/`MAX_RENDERED_CHARS`): tens of milliseconds, a few
hundred for the worst (`sort` of a million items).

Size: `~` is refused before it builds a text longer than `MAX_VALUE_LENGTH` (a
template's own code generator routes it through `concat`), and so is `*`
repeating a list whose *text* would be (`['a' * 999999] * 999` has 999 items);
a method called on a value (`'x'.center(n)`, `.ljust`, `.zfill`, `.expandtabs`)
gets the limits filters have: an integer argument above `MAX_VALUE_LENGTH` is refused
before it runs and a longer result after; `lipsum` (a pure-Python loop over its count)
is not offered.

>>> with time_limit(60):
...     check_time()
>>> with time_limit(0):
...     check_time()
Traceback (most recent call last):
...
orchc.drivers.template_limits.TemplateTimeout
"""

from __future__ import annotations

import functools
import inspect
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import yaml
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context

MAX_VALUE_LENGTH = 1_000_000
"""The longest string or list an operator (`'a' * n`), a filter (`center`, `replace`,
`indent`, `format`, ...) or a method (`'x'.ljust(n)`) may build inside a template; an
integer argument above it is refused before anything is built."""

MAX_RENDERED_CHARS = 4_000_000
"""The most text one template may render, and the most text any list a template
builds may stand for (`str()` of it)."""

MAX_YAML_VALUES = 100_000
"""The most values a template's YAML may hold once its aliases are expanded."""

_current = threading.local()  # this thread's deadline (time.monotonic()), if any


class TemplateTimeout(Exception):
    """Raised in a template (or while its YAML is read) once its deadline has passed."""


class TooManyYamlValues(Exception):
    """The rendered YAML has more than `MAX_YAML_VALUES` distinct values."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """While active, this thread's templates and YAML reading raise `TemplateTimeout`
    past `seconds` from now (or past an enclosing limit, if sooner). No tracing: the
    checks are in the calls, operators and loops a template runs (a trace function on
    every line tripled the time a template takes to render)."""
    outer = getattr(_current, "end", None)
    end = time.monotonic() + seconds
    _current.end = end if outer is None else min(end, outer)
    try:
        yield
    finally:
        _current.end = outer


def check_time() -> None:
    """`TemplateTimeout` if this thread's deadline has passed."""
    end = getattr(_current, "end", None)
    if end is not None and time.monotonic() > end:
        raise TemplateTimeout


class BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with `~` going through `concat` (the environment's
    `bounded_concat`) and every `{% for %}` iterating through `bounded_iter`."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        # Jinja refuses new node types: the iterable is wrapped in a call instead.
        bounded = nodes.Call(
            nodes.EnvironmentAttribute("bounded_iter"), [node.iter], [], None, None
        ).set_lineno(node.iter.lineno)
        fields = (node.target, bounded, node.body, node.else_, node.test, node.recursive)
        super().visit_For(nodes.For(*fields, lineno=node.lineno), frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")


class BoundedCalls:
    """A mixin for the sandbox: every call a template makes (a function, a method of a
    value) checks the deadline first, refuses an integer argument above
    `MAX_VALUE_LENGTH`, and a result longer than that. `lipsum` is removed."""

    globals: dict[str, Any]
    code_generator_class: type[CodeGenerator] = BoundedCodeGenerator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals.pop("lipsum", None)

    def bounded_concat(self, parts: tuple[Any, ...]) -> str:
        """What `a ~ b` compiles to (see `BoundedCodeGenerator`)."""
        return concat(parts)

    def bounded_iter(self, items: Any) -> Iterator[Any]:
        """What a `{% for %}` loop iterates (see `BoundedCodeGenerator`): `items`, the
        deadline checked before each."""
        for item in items:
            check_time()
            yield item

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        check_time()
        # The sandbox hands `str.format` over wrapped; the method is `__wrapped__`.
        method = getattr(__obj, "__wrapped__", __obj)
        if isinstance(getattr(method, "__self__", None), str | list | tuple | dict):
            _check_method_call(method, args, kwargs)
        return checked(super().call(__context, __obj, *args, **kwargs))  # type: ignore[misc]


def is_big_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_VALUE_LENGTH


def checked(result: Any) -> Any:
    """`result`, unless it is a string or list longer than `MAX_VALUE_LENGTH`, or a
    list whose text would be longer than `MAX_RENDERED_CHARS` (items shared many times,
    `['a' * 999999] * 999`)."""
    if isinstance(result, str | list | tuple) and len(result) > MAX_VALUE_LENGTH:
        raise _too_long()
    if isinstance(result, list | tuple | dict) and text_size(result) > MAX_RENDERED_CHARS:
        raise _too_long()
    return result


def check_repeat(sequence: object, times: object) -> None:
    """Refuse `sequence * times` when the result would be longer than
    `MAX_VALUE_LENGTH` or its text longer than `MAX_RENDERED_CHARS`."""
    if not isinstance(sequence, str | list | tuple) or not isinstance(times, int):
        return
    if len(sequence) * times > MAX_VALUE_LENGTH:
        raise _too_long()
    budget = MAX_RENDERED_CHARS // max(times, 1) + 1
    if times > 0 and text_size(sequence, budget) * times > MAX_RENDERED_CHARS:
        raise _too_long()


def concat(parts: tuple[Any, ...]) -> str:
    """`a ~ b ~ ...` in a template: refused before it is built when the text would be
    longer than `MAX_VALUE_LENGTH` (a loop doubling a string stops at once)."""
    check_time()
    if sum(text_size(part) for part in parts) > MAX_VALUE_LENGTH:
        raise _too_long()
    return "".join(map(str, parts))


def text_size(value: object, budget: int = MAX_VALUE_LENGTH) -> int:
    """About how many characters `str(value)` has, counted until `budget` is passed
    (then some number above it): shared items count each time they appear.

    >>> text_size(["ab", {"k": 1}]), text_size(["a" * 10] * 10**9, 1000) > 1000
    (27, True)
    """
    total, pending = 0, [value]
    while pending and total <= budget:
        item = pending.pop()
        if isinstance(item, str | bytes):
            total += len(item) + 2
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + 2 * len(item)
            pending.extend(item if len(item) <= budget else ())
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            pending.extend((*item.keys(), *item.values()) if len(item) <= budget else ())
        else:
            total += 8
    return total


def check_filter(function: Callable[..., Any], args: tuple[Any, ...], kwargs: Any) -> None:
    """Refuse a filter call whose result is known beforehand to be too long: a
    replacement, indentation, wrap string or separator repeated once per occurrence,
    line or item; a format width; a JSON indentation repeated per value."""
    check = _FILTER_CHECKS.get(function.__name__)
    if check is not None:
        named = _signature(function).bind_partial(*args, **kwargs).arguments
        if check(named) > MAX_VALUE_LENGTH:
            raise _too_long()


def check_format(template: object, values: object = ()) -> None:
    """`'%9999999s' % x`, `'{:>9999999}'.format(x)`: a width or precision above
    `MAX_VALUE_LENGTH`, given in the format or as an argument, is refused."""
    widths = _NUMBER.findall(template) if isinstance(template, str) else ()
    given = values if isinstance(values, tuple) else (values,)
    if any(len(width) > 7 and int(width) > MAX_VALUE_LENGTH for width in widths) or any(
        is_big_number(value) for value in given
    ):
        raise SecurityError(f"a width above {MAX_VALUE_LENGTH}")


def _replaced(named: dict[str, Any]) -> int:
    text, old, new = (str(named.get(key, "")) for key in ("s", "old", "new"))
    grown = text.count(old) * (len(new) - len(old)) if old else len(text) * len(new)
    return len(text) + grown


def _indented(named: dict[str, Any]) -> int:
    text, width = str(named.get("s", "")), named.get("width", 4)
    step = width if isinstance(width, int) else len(str(width))
    return len(text) + (text.count("\n") + 1) * step


def _wrapped(named: dict[str, Any]) -> int:
    text, width = str(named.get("s", "")), named.get("width", 79)
    breaks = len(text) // max(width, 1) + 1 if isinstance(width, int) else len(text)
    return len(text) + breaks * len(str(named.get("wrapstring") or "\n"))


def _joined(named: dict[str, Any]) -> int:
    value, separator = named.get("value", ()), str(named.get("d", ""))
    items = len(value) if isinstance(value, list | tuple | dict | str) else 0
    return text_size(value) + items * len(separator)


def _formatted(named: dict[str, Any]) -> int:
    check_format(named.get("value"), tuple(named.get("args", ())))
    return 0


def _json_indented(named: dict[str, Any]) -> int:
    indent = named.get("indent")
    return text_size(named.get("value")) * (1 + (indent if isinstance(indent, int) else 0))


_FILTER_CHECKS: dict[str, Callable[[dict[str, Any]], int]] = {
    "do_replace": _replaced,
    "do_indent": _indented,
    "do_wordwrap": _wrapped,
    "do_join": _joined,
    "do_format": _formatted,
    "tojson": _json_indented,
}
_NUMBER = re.compile(r"\d+")


@functools.cache
def _signature(function: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(function)


def _too_long() -> SecurityError:
    return SecurityError(f"the result would be longer than {MAX_VALUE_LENGTH}")


def _check_method_call(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """A method of a value (`'x'.ljust(n)`): no integer argument above the limit. The
    functions a template is given (`range`, ...) check their own arguments."""
    for value in (*args, *kwargs.values()):
        if is_big_number(value):
            raise SecurityError(f"an argument above {MAX_VALUE_LENGTH} ({value})")
    if method.__name__ in ("format", "format_map"):
        check_format(method.__self__, (*args, *kwargs.values()))
    if method.__name__ != "expandtabs":
        return
    # `'\t' * 1000` expanded with a tab size of 999999 is a billion spaces, built in C.
    text = method.__self__
    size = args[0] if args else kwargs.get("tabsize", 8)
    grown = text.count("\t") * size if isinstance(text, str) and isinstance(size, int) else 0
    if grown > MAX_VALUE_LENGTH:
        raise SecurityError(f"the result would be longer than {MAX_VALUE_LENGTH}")


class YamlLimits:
    """A mixin for a PyYAML loader: every node resolved or built checks the deadline,
    and more than `MAX_YAML_VALUES` distinct nodes stop the reading at once (aliases
    only add to that, see the expanded count after)."""

    _nodes = 0

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        check_time()
        self._nodes += 1
        if self._nodes > MAX_YAML_VALUES:
            raise TooManyYamlValues(f"more than {MAX_YAML_VALUES} values")
        return super().resolve(kind, value, implicit)  # type: ignore[misc]

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        check_time()
        return super().construct_object(node, deep=deep)  # type: ignore[misc]


FAST_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's SafeLoader when PyYAML was built with it: scanning and parsing in C."""
