"""Values of `inputs`, `secrets` and provision `params`: syntax values -> `ir.Value`.

Scalars, lists and maps keep their spans; `env("NAME")` becomes an `EnvRef` (read at
apply time, never here); `file("path")` becomes a `FileContent` holding the file's text,
read now, relative to the directory of the .orch file that calls it, confined to the
project directory (no absolute path, no `..` or symlink out, a regular file of at most
1 MiB). Duplicate map
keys and bad calls are reported, and the offending entry is left out. Placeholders
(`${...}`) stay text: the placeholder pass checks them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path

from orchc.compiler import ir
from orchc.compiler.confined import ConfinementError, confining_dir, path_problem, read_confined
from orchc.grammar import syntax
from orchc.grammar.diagnostics import Diagnostics
from orchc.grammar.source import Span, display_path

from .origin import file_of
from .syntax_checks import FUNCTIONS, describe, first_at

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ValueReader:
    """Converts the values of one .orch file (`path` is its display path)."""

    def __init__(self, root: Path, path: str, diagnostics: Diagnostics) -> None:
        self.root = root
        self.directory = file_of(path, root).parent
        self.confine = confining_dir(file_of(path, root), root)
        self.diagnostics = diagnostics

    def block_map(self, block: syntax.Block) -> ir.MapValue:
        """An `inputs`/`secrets` block as a map of its attributes."""
        entries: list[ir.MapEntry] = []
        seen: dict[str, Span] = {}
        for member in block.body:
            if isinstance(member, syntax.Block):
                message = (
                    f"'{member.kind} {{ ... }}' is a block; inside '{block.kind}', "
                    f"write {member.kind} = {{ ... }}"
                )
                self.diagnostics.error(member.span, message)
            elif self._is_new_key(member.name, member.span, f"'{block.kind}'", seen):
                entries.append(self._entry(member.span, member.name, member.value))
        return ir.MapValue(block.span, tuple(entries))

    def value(self, value: syntax.Value) -> ir.Value:
        if isinstance(value, syntax.String | syntax.Number | syntax.Bool):
            return ir.Scalar(value.span, value.value)
        if isinstance(value, syntax.Null):
            return ir.Scalar(value.span, None)
        if isinstance(value, syntax.ListValue):
            return ir.ListValue(value.span, tuple(self.value(item) for item in value.items))
        if isinstance(value, syntax.MapValue):
            return self._map(value)
        return self._call(value)

    def _map(self, value: syntax.MapValue) -> ir.MapValue:
        entries: list[ir.MapEntry] = []
        seen: dict[str, Span] = {}
        for entry in value.entries:
            if self._is_new_key(entry.key, entry.span, "the map", seen):
                entries.append(self._entry(entry.span, entry.key, entry.value))
        return ir.MapValue(value.span, tuple(entries))

    def _entry(self, span: Span, key: str, value: syntax.Value) -> ir.MapEntry:
        return ir.MapEntry(span, key, self.value(value))

    def _is_new_key(self, key: str, span: Span, where: str, seen: dict[str, Span]) -> bool:
        if key in seen:
            self.diagnostics.error(span, f"duplicate key '{key}' in {where}", first_at(seen[key]))
            return False
        seen[key] = span
        return True

    def _call(self, call: syntax.Call) -> ir.Value:
        argument = self._single_string_argument(call)
        if call.name == "env" and argument is not None:
            return self._env(call, argument)
        if call.name == "file" and argument is not None:
            return self._file(call, argument)
        return ir.Scalar(call.span, None)  # reported; stands in for the bad call

    def _single_string_argument(self, call: syntax.Call) -> syntax.String | None:
        if call.name not in FUNCTIONS:
            self.diagnostics.error(call.span, unknown_function(call.name))
            return None
        usage = 'env("NAME")' if call.name == "env" else 'file("relative/path")'
        if len(call.args) != 1:
            message = f"{call.name}() takes one argument, found {len(call.args)}: write {usage}"
            self.diagnostics.error(call.span, message)
            return None
        argument = call.args[0]
        if not isinstance(argument, syntax.String):
            message = f"{call.name}() takes a string, found {describe(argument)}: write {usage}"
            self.diagnostics.error(argument.span, message)
            return None
        return argument

    def _env(self, call: syntax.Call, name: syntax.String) -> ir.Value:
        if not _ENV_NAME.fullmatch(name.value):
            message = (
                f"invalid environment variable name '{name.value}': use letters, digits "
                "and '_', not starting with a digit"
            )
            self.diagnostics.error(name.span, message)
            return ir.Scalar(call.span, None)
        return ir.EnvRef(call.span, name.value)

    def _file(self, call: syntax.Call, path: syntax.String) -> ir.Value:
        content, problem = self._read(path.value)
        if content is None:
            shown = path.value.replace("\0", "\\0")
            self.diagnostics.error(path.span, f'file("{shown}"): {problem}')
            return ir.Scalar(call.span, None)
        return ir.FileContent(call.span, path.value, content)

    def _read(self, relative: str) -> tuple[str | None, str | None]:
        """The file's text, or None and why it cannot be read: the path is confined to
        the project directory (see `orchc.compiler.confined`)."""
        problem = path_problem(relative)
        if problem is not None:
            return None, f"{problem}; give a path relative to the .orch file"
        shown = display_path(self.directory / relative, self.root)
        try:
            raw = read_confined(self.directory, relative, self.confine)
        except ConfinementError as error:
            return None, f"{shown}: {error}"
        try:
            return raw.decode("utf-8"), None
        except UnicodeDecodeError:
            return None, f"{shown} is not UTF-8 text"


def unknown_function(name: str) -> str:
    """The message for a call to a function that does not exist.

    >>> unknown_function("evn")
    "unknown function 'evn()'; did you mean 'env()'?"
    """
    close = difflib.get_close_matches(name, FUNCTIONS, n=1, cutoff=0.6)
    if close:
        return f"unknown function '{name}()'; did you mean '{close[0]}()'?"
    return f"unknown function '{name}()'; the functions are {_listing(FUNCTIONS)}"


def _listing(functions: Sequence[str]) -> str:
    return " and ".join(f"{name}()" for name in functions)
