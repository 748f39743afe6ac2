"""Check each definition's `inputs` and `secrets` against its driver's declaration
(SPEC §11), before any context is known.

For a driver that declares its inputs (`DriverCatalog.declaration`): an input it does
not know (with a "did you mean"), a plain input written in `secrets` or a secret in
`inputs`, a required input missing, and a value of the wrong kind are located errors at
the attribute (a missing one at the `inputs` block, or the definition). Only values
known now are checked: a string holding a `${...}` or an `env()` is left to apply.
Templates (the `template` driver's `init`, `state`, `outputs`, `secrets`, `manifests`)
are parsed with Jinja, and a syntax error is reported at its line in the .orch file
(inside a multi-line string, the line of the template text).

Every rule matches what the driver itself refuses at apply, so nothing that would have
worked is refused here. Shipped defaults are checked by orchc's own tests.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator

from orchc.grammar.diagnostics import Diagnostics
from orchc.grammar.source import SourceMap, Span

from .. import ir
from ..driver_declarations import DeclaredDriver, DeclaredInput
from ..placeholders import has_placeholders
from .check_definitions import DriverCatalog
from .check_workload_patches import plain

_WHOLE_NUMBER = re.compile(r"\s*[+-]?[0-9]+\s*")
_BOOLEAN_WORDS = {"0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes"}
_EXPECTED = {
    "string": "a string",
    "integer": "a whole number",
    "port": "a port number (1-65535)",
    "boolean": "true or false",
    "map": "a map",
    "list": "a list",
    "command": 'a non-empty list of strings, as in ["./run"]',
    "duration": 'a duration such as "30s" or "5m"',
    "template": "a template (a string)",
}


def check_inputs(
    program: ir.Program, drivers: DriverCatalog, sources: SourceMap, diagnostics: Diagnostics
) -> None:
    for definition in program.definitions:
        if definition.tier is not ir.Tier.USER or definition.driver not in drivers.names():
            continue
        declaration = drivers.declaration(definition.driver)
        if declaration is not None:
            _check_definition(definition, declaration, sources, diagnostics)


def _check_definition(
    definition: ir.Definition,
    declaration: DeclaredDriver,
    sources: SourceMap,
    diagnostics: Diagnostics,
) -> None:
    where = f"driver '{definition.driver}' (definition '{definition.id}')"
    for entry, secret in _entries(definition):
        declared = _declared(declaration, entry.key, secret)
        if declared is None:
            _unknown(declaration, entry, secret, where, diagnostics)
            continue
        _check_value(
            entry,
            declared,
            declaration,
            f"{'secret' if secret else 'input'} '{entry.key}' of {where}",
            diagnostics,
        )
        if entry.key in declaration.template_inputs and not secret:
            _check_template(entry, declaration, sources, diagnostics)
    _check_required(definition, declaration, where, diagnostics)


def _check_value(
    entry: ir.MapEntry,
    declared: DeclaredInput,
    declaration: DeclaredDriver,
    what: str,
    diagnostics: Diagnostics,
) -> None:
    """Its kind, then what the driver refuses beyond the kind (a value known now)."""
    problem = _kind_problem(declared.kind, entry.value)
    if problem is not None:
        message = f"{what} must be {_EXPECTED[declared.kind]}, found {problem}"
        diagnostics.error(entry.value.span, message)
    elif not _unknown_now(entry.value):
        refused = declaration.input_error(entry.key, plain(entry.value))
        if refused is not None:
            diagnostics.error(entry.value.span, f"{what}: {refused}")


def _entries(definition: ir.Definition) -> Iterator[tuple[ir.MapEntry, bool]]:
    for entry in definition.inputs.entries if definition.inputs else ():
        yield entry, False
    for entry in definition.secrets.entries if definition.secrets else ():
        yield entry, True


def _declared(declaration: DeclaredDriver, name: str, secret: bool) -> DeclaredInput | None:
    for declared in declaration.inputs:
        if declared.name == name and declared.secret == secret:
            return declared
    return None


def _unknown(
    declaration: DeclaredDriver,
    entry: ir.MapEntry,
    secret: bool,
    where: str,
    diagnostics: Diagnostics,
) -> None:
    if declaration.open_secrets if secret else declaration.open_inputs:
        return
    if _declared(declaration, entry.key, not secret) is not None:
        if secret:
            message = f"'{entry.key}' is an input of {where}, not a secret: move it to inputs"
        else:
            message = f"'{entry.key}' is a secret of {where}: move it to the secrets block"
        diagnostics.error(entry.span, message)
        return
    noun = "secret" if secret else "input"
    known = [d.name for d in declaration.inputs if d.secret == secret]
    close = difflib.get_close_matches(entry.key, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"its {noun}s: {', '.join(known) or 'none'}"
    diagnostics.error(entry.span, f"unknown {noun} '{entry.key}' for {where}; {hint}")


def _check_required(
    definition: ir.Definition, declaration: DeclaredDriver, where: str, diagnostics: Diagnostics
) -> None:
    for declared in declaration.inputs:
        if not declared.required:
            continue
        block = definition.secrets if declared.secret else definition.inputs
        if block is not None and block.get(declared.name) is not None:
            continue
        place = "secrets" if declared.secret else "inputs"
        span = block.span if block is not None else definition.span
        diagnostics.error(
            span, f"{where} needs the {place[:-1]} '{declared.name}': add it to {place}"
        )


def _kind_problem(kind: str, value: ir.Value) -> str | None:
    """What `value` is, when it is known now and cannot be `kind`; else None."""
    if kind in ("any", "") or isinstance(value, ir.EnvRef) or _unknown_now(value):
        return None
    accepted = _ACCEPTS.get(kind)
    if accepted is None or accepted(value):
        return None
    return _describe(value)


def _is_integer(value: ir.Value) -> bool:
    return _whole_number(value) is not None


def _is_port(value: ir.Value) -> bool:
    return (_whole_number(value) or 0) in range(1, 65536)


def _is_map(value: ir.Value) -> bool:
    return isinstance(value, ir.MapValue)


def _is_list(value: ir.Value) -> bool:
    return isinstance(value, ir.ListValue)


def _is_duration(value: ir.Value) -> bool:
    return _is_string(value) or _is_integer(value)


def _unknown_now(value: ir.Value) -> bool:
    """A value apply decides: a placeholder anywhere in it, or null."""
    if isinstance(value, ir.Scalar):
        return value.value is None or (
            isinstance(value.value, str) and has_placeholders(value.value)
        )
    if isinstance(value, ir.ListValue):
        return any(_unknown_now(item) for item in value.items)
    if isinstance(value, ir.MapValue):
        return any(_unknown_now(entry.value) for entry in value.entries)
    return isinstance(value, ir.EnvRef)


def _is_string(value: ir.Value) -> bool:
    return isinstance(value, ir.FileContent) or (
        isinstance(value, ir.Scalar) and isinstance(value.value, str)
    )


def _whole_number(value: ir.Value) -> int | None:
    if not isinstance(value, ir.Scalar) or isinstance(value.value, bool):
        return None
    if isinstance(value.value, int):
        return value.value
    if isinstance(value.value, float) and value.value.is_integer():
        return int(value.value)
    if isinstance(value.value, str) and _WHOLE_NUMBER.fullmatch(value.value):
        return int(value.value)
    return None


def _is_boolean(value: ir.Value) -> bool:
    if not isinstance(value, ir.Scalar):
        return False
    if isinstance(value.value, bool):
        return True
    if isinstance(value.value, str):
        return value.value.strip().lower() in _BOOLEAN_WORDS
    return isinstance(value.value, int) and value.value in (0, 1)


def _is_command(value: ir.Value) -> bool:
    return (
        isinstance(value, ir.ListValue)
        and bool(value.items)
        and all(_is_string(item) for item in value.items)
    )


def _describe(value: ir.Value) -> str:
    if isinstance(value, ir.MapValue):
        return "a map"
    if isinstance(value, ir.ListValue):
        return "an empty list" if not value.items else "a list"
    if isinstance(value, ir.FileContent):
        return f"the contents of '{value.path}'"
    if isinstance(value, ir.Scalar):
        if isinstance(value.value, bool):
            return "true" if value.value else "false"
        if isinstance(value.value, str):
            return f'the string "{value.value}"' if len(value.value) < 40 else "a long string"
        return f"the number {value.value}"
    return "a value"


_ACCEPTS: dict[str, Callable[[ir.Value], bool]] = {
    "string": _is_string,
    "template": _is_string,
    "integer": _is_integer,
    "port": _is_port,
    "boolean": _is_boolean,
    "map": _is_map,
    "list": _is_list,
    "command": _is_command,
    "duration": _is_duration,
}


# -- templates ---------------------------------------------------------------------------


def _check_template(
    entry: ir.MapEntry, declaration: DeclaredDriver, sources: SourceMap, diagnostics: Diagnostics
) -> None:
    value = entry.value
    if isinstance(value, ir.FileContent):
        text = value.content
    elif isinstance(value, ir.Scalar) and isinstance(value.value, str):
        text = value.value
    else:
        return
    found = declaration.template_error(text)
    if found is None:
        return
    line, message = found
    if isinstance(value, ir.FileContent):
        where = f"template '{entry.key}' (file '{value.path}', line {line})"
        diagnostics.error(value.span, f"{where}: {message}")
        return
    diagnostics.error(
        _template_line_span(value, line, sources), f"template '{entry.key}': {message}"
    )


def _template_line_span(value: ir.Scalar, line: int, sources: SourceMap) -> Span:
    """The .orch position of line `line` (1-based) of a template written as `value`:
    a multi-line string whose opening quotes end their line starts on the next one."""
    span = value.span
    source = sources.get(span.path)
    written = source.line(span.line) if source is not None else None
    if written is None or not written[span.col - 1 :].startswith('"""'):
        return span
    first = span.line + (1 if not written[span.col + 2 :].strip() else 0)
    number = first + line - 1
    text = source.line(number) if source is not None else None
    if text is None:
        return span
    return Span(span.path, number, len(text) - len(text.lstrip()) + 1)
