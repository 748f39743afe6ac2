"""The `template` driver: a resource described by Jinja2 templates in its inputs.

The inputs `init`, `state`, `outputs`, `secrets`, `manifests` and `patches` are
templates, rendered in that order in an immutable sandbox where an undefined name is an
error. Each renders YAML: `manifests` a list of objects, `patches` a list of workload
patches (SPEC §12, returned as the `patches` output), the others a mapping; a missing
template or an empty render is empty. Every template sees `context`, `params`,
`metadata` (the Score resource's, e.g. `metadata.annotations`; `{}` when it has none),
`inputs` (the other inputs), `secrets` (the definition's), `init` (what `init`
rendered) and `state`: in `init` and `state` that is the previous run's state (`{}` at
first), in the later ones it is the state just rendered. The rendered `state` is what
the next run gets back, so `{{ state.password | default(generate_password()) }}` in
the `state` template keeps a generated password across runs.

Invariants: a secret never reaches a plain output or a message. An output whose value
embeds a secret (a definition secret, a sensitive input, a rendered secret) is returned
as a secret; every error message is redacted. Rendering creates nothing outside, so
`delete` does nothing (the target removes what `manifests` produced).

>>> render_text("init", "name: {{ inputs.name | upper }}", {"inputs": {"name": "db"}})
'name: DB'
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import traceback
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Any, ClassVar, NoReturn

import yaml
from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment

from orchc import score_values
from orchc.drivers.protocol import (
    DriverError,
    DriverRequest,
    DriverResult,
    Journal,
    JsonObject,
    strings_in,
)
from orchc.drivers.secrets import generate_password as _random_password
from orchc.drivers.template_limits import (
    FAST_SAFE_LOADER,
    MAX_RENDERED_CHARS,
    MAX_VALUE_LENGTH,
    MAX_YAML_VALUES,
    BoundedCalls,
    TemplateTimeout,
    TooManyYamlValues,
    YamlLimits,
    check_filter,
    check_format,
    check_repeat,
    check_time,
    checked,
    is_big_number,
    time_limit,
)
from orchc.sensitive import redact

TEMPLATE_INPUTS = ("init", "state", "outputs", "secrets", "manifests", "patches")
"""The inputs that are templates, in the order they are rendered."""

MAX_PASSWORD_LENGTH = 4096
"""Bounds `generate_password`: a template must not be able to tie up the apply."""

DEFAULT_TIMEOUT = 60.0
"""Seconds one template may render when the definition sets no `policy.timeout`."""


class TemplateDriver:
    """Renders the resource's templates; keeps only the rendered `state`."""

    replace_inputs: ClassVar[frozenset[str]] = frozenset()
    code_inputs: ClassVar[frozenset[str]] = frozenset(TEMPLATE_INPUTS)
    """Templates are code: the compiler refuses `${...}` in them (values are data)."""

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult:
        renderer = _Renderer(request)
        renderer.scope["init"] = renderer.mapping("init")
        state = renderer.scope["state"] = renderer.mapping("state")
        renderer.hide(state)
        outputs = renderer.mapping("outputs")
        secrets = renderer.mapping("secrets")
        renderer.hide(secrets)
        manifests = renderer.objects("manifests")
        if "patches" in renderer.templates:
            outputs = _with_patches(outputs, renderer.objects("patches"))
        _refuse_clashes(outputs, secrets)
        plain, embedded = _split_secret_outputs(outputs, renderer.secret_strings(secrets))
        return DriverResult(
            outputs=plain, secrets=embedded | secrets, state=state, manifests=manifests
        )

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        return None


class _Renderer:
    """Renders one request's templates into one shared scope; every error it raises
    names the template and hides every secret it knows of."""

    def __init__(self, request: DriverRequest) -> None:
        self._request = request
        self.templates = _templates(request)
        self._hidden: list[object] = []
        self.scope = _scope(request)

    def hide(self, value: object) -> None:
        """Also hide the strings in `value` (e.g. the new state) from messages."""
        self._hidden.append(value)

    def secret_strings(self, *extra: object) -> frozenset[str]:
        request = self._request
        sensitive = [request.inputs.get(name) for name in request.sensitive_inputs]
        return strings_in(request.secrets, sensitive, *extra)

    def mapping(self, name: str) -> JsonObject:
        value = self._render(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self._error(f"template {name!r} must render a YAML mapping, not {_kind(value)}")
        return value

    def objects(self, name: str) -> tuple[JsonObject, ...]:
        value = self._render(name)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self._error(f"template {name!r} must render a YAML list, not {_kind(value)}")
        for index, item in enumerate(value, start=1):
            if not isinstance(item, dict):
                raise self._error(
                    f"template {name!r}: item {index} is {_kind(item)}, not a mapping"
                )
        return tuple(value)

    def _render(self, name: str) -> object:
        source = self.templates.get(name)
        if source is None:
            return None
        timeout = self._request.timeout or DEFAULT_TIMEOUT
        try:
            with time_limit(timeout):  # reading the YAML counts too
                return parse_yaml(name, render_text(name, source, self.scope, timeout))
        except TemplateTimeout:
            raise self._error(_too_slow(name, timeout)) from None
        except DriverError as exc:
            # `from None`: the original exception may quote a secret in its own words.
            raise self._error(str(exc)) from None

    def _error(self, message: str) -> DriverError:
        hidden = self._request.secret_values() | strings_in(*self._hidden)
        return DriverError(redact(message, hidden))


def render_text(
    name: str, source: str, scope: Mapping[str, object], timeout: float = DEFAULT_TIMEOUT
) -> str:
    """Render one template in the sandbox, within `timeout` seconds and
    `MAX_RENDERED_CHARS`; any failure is a `DriverError` naming the template and, when
    known, the line inside it. Not redacted: the caller does that.

    >>> render_text("t", "{% for i in range(10**9) %}{% endfor %}", {})
    Traceback (most recent call last):
    ...
    orchc.drivers.protocol.DriverError: template 't', line 1: range of more than 100000 items
    >>> render_text("t", "{{ 'a' * 4000000000 }}", {})
    Traceback (most recent call last):
    ...
    orchc.drivers.protocol.DriverError: template 't', line 1: the result would be longer than ...
    """
    try:
        template = _environment().from_string(source)
        with time_limit(timeout):
            return _bounded_join(name, template.generate(scope))
    except DriverError:
        raise
    except TemplateTimeout:
        raise DriverError(_too_slow(name, timeout)) from None
    except TemplateSyntaxError as exc:
        raise DriverError(f"template {name!r}, line {exc.lineno}: {exc.message or exc}") from None
    except Exception as exc:  # templates are user code: any error is the user's to read
        where = _template_line(exc)
        place = f"template {name!r}, line {where}" if where else f"template {name!r}"
        raise DriverError(f"{place}: {_describe(exc, source)}") from None


def _too_slow(name: str, timeout: float) -> str:
    return (
        f"template {name!r} did not finish rendering within {timeout:g}s "
        "(the definition's policy.timeout)"
    )


def _bounded_join(name: str, chunks: Iterator[str]) -> str:
    parts: list[str] = []
    total = 0
    for chunk in chunks:
        check_time()
        total += len(chunk)
        if total > MAX_RENDERED_CHARS:
            raise DriverError(
                f"template {name!r} rendered more than {MAX_RENDERED_CHARS} characters"
            )
        parts.append(chunk)
    return "".join(parts)


def parse_yaml(name: str, text: str) -> object:
    """The rendered YAML as JSON-compatible data (None when empty).

    >>> parse_yaml("outputs", "released: 2024-01-02")
    {'released': '2024-01-02'}
    >>> parse_yaml("outputs", "1: one")
    Traceback (most recent call last):
    ...
    orchc.drivers.protocol.DriverError: template 'outputs' rendered a key that is not a string: 1
    """
    try:
        value = yaml.load(text, Loader=_JsonYamlLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        raise DriverError(
            f"template {name!r} rendered invalid YAML: {_yaml_problem(exc)}"
        ) from None
    except yaml.YAMLError as exc:
        raise DriverError(f"template {name!r} rendered invalid YAML: {exc}") from None
    except TooManyYamlValues as exc:
        raise DriverError(f"template {name!r} rendered {exc}") from None
    problem = _too_large(value) or _non_json(value)
    if problem:
        raise DriverError(f"template {name!r} rendered {problem}")
    return value


def generate_password(length: int = 32) -> str:
    """A cryptographically random, URL-safe password (letters, digits, `-`, `_`).

    >>> len(generate_password()), len(generate_password(8))
    (32, 8)
    """
    if not isinstance(length, int) or not 1 <= length <= MAX_PASSWORD_LENGTH:
        raise ValueError(
            f"generate_password: length must be a whole number from 1 to {MAX_PASSWORD_LENGTH}"
        )
    return _random_password(length)


def b64encode(value: str) -> str:
    """Base64 of the string's UTF-8 bytes (Kubernetes Secret `data`, basic auth).

    >>> b64encode("user:pw")
    'dXNlcjpwdw=='
    """
    return base64.b64encode(str(value).encode()).decode("ascii")


def b64decode(value: str) -> str:
    """The string whose UTF-8 bytes are the base64 `value`."""
    return base64.b64decode(str(value).encode("ascii"), validate=True).decode()


def sha256(value: str) -> str:
    """The hex SHA-256 of a string, e.g. to name a ConfigMap after its content."""
    return hashlib.sha256(str(value).encode()).hexdigest()


def tojson(value: object, indent: int | None = None) -> str:
    """JSON with sorted keys and no HTML escaping (Jinja's own escapes `<`, `&`).

    >>> tojson({"b": "<x>", "a": 1})
    '{"a": 1, "b": "<x>"}'
    """
    _refuse_undefined(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=indent)


def toyaml(value: object) -> str:
    """Block-style YAML with sorted keys and no trailing newline (pipe into `indent`).

    >>> print(toyaml({"b": [1, 2], "a": "x"}))
    a: x
    b:
    - 1
    - 2
    """
    _refuse_undefined(value)
    text = yaml.safe_dump(value, sort_keys=True, default_flow_style=False, allow_unicode=True)
    return text.removesuffix("...\n").rstrip("\n")


def template_environment() -> ImmutableSandboxedEnvironment:
    """The sandbox templates render in (shared; plan-time checks parse with it)."""
    return _environment()


class _LimitedEnvironment(BoundedCalls, ImmutableSandboxedEnvironment):
    """The immutable sandbox, with `range` and operators bounded: `'a' * n`, `[x] * n`,
    `n ** m` and `+` never build more than `MAX_VALUE_LENGTH` items."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        check_time()
        if operator == "%":
            check_format(left, right)
        if operator == "*":
            check_repeat(left, right)
            check_repeat(right, left)
        big_power = isinstance(right, int) and abs(right) > 64
        if operator == "**" and big_power and isinstance(left, int) and abs(left) > 1:
            raise SecurityError(f"an exponent above 64 ({right})")
        return checked(super().call_binop(context, operator, left, right))


def fail(message: object) -> NoReturn:
    """`{{ fail("...") }}`: a template's own check failed; rendering stops with `message`.

    >>> render_text("t", "{% if 1 > 0 %}{{ fail('port must be a number') }}{% endif %}", {})
    Traceback (most recent call last):
    ...
    orchc.drivers.protocol.DriverError: port must be a number
    """
    raise DriverError(str(message))


def published_port(metadata: object, annotation: str, default: int = 0) -> int:
    """`{% set publish = published_port(metadata, "compose.score.dev/publish-port") %}`:
    the host port a Score resource's annotation asks for (0: not published), `default`
    without the annotation. Anything but ASCII digits up to 65535 stops rendering (the
    rule of `orchc.score_values`, which the plan applied to the Score file already).

    >>> published_port({"annotations": {"a/port": "8080"}}, "a/port"), published_port({}, "a/port")
    (8080, 0)
    >>> published_port({"annotations": {"a/port": "²"}}, "a/port")
    Traceback (most recent call last):
    ...
    orchc.drivers.protocol.DriverError: annotation a/port must be a port number (0: not published)
    """
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    found = annotations.get(annotation) if isinstance(annotations, Mapping) else None
    try:
        return score_values.published_port(default if found is None else found)
    except score_values.RefusedValue as refused:
        raise DriverError(f"annotation {annotation} {refused}") from None


def _safe_range(*args: int) -> range:
    found = range(*args)
    if len(found) > MAX_RANGE:
        raise SecurityError(f"range of more than {MAX_RANGE} items")
    return found


def _bounded_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` refusing an integer argument above `MAX_VALUE_LENGTH` (a width, a
    count) before it runs, and a result longer than that after."""

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        check_time()
        for value in (*args, *kwargs.values()):
            if is_big_number(value):
                raise SecurityError(f"an argument above {MAX_VALUE_LENGTH} ({value})")
        check_filter(function, args, kwargs)
        return checked(function(*args, **kwargs))

    return bounded


def _refuse_undefined(value: object) -> None:
    """Serialising an undefined value is the undefined-name error it stands for (not
    "StrictUndefined is not JSON serializable")."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()


@functools.cache
def _environment() -> ImmutableSandboxedEnvironment:
    # trim_blocks/lstrip_blocks: a `{% if %}` on its own line leaves no blank line or
    # stray indentation behind, which matters when the output is YAML.
    environment = _LimitedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        b64encode=b64encode, b64decode=b64decode, sha256=sha256, tojson=tojson, toyaml=toyaml
    )
    environment.globals["generate_password"] = generate_password
    environment.globals["range"] = _safe_range
    environment.globals["fail"] = fail
    environment.globals["published_port"] = published_port
    environment.filters = {name: _bounded_filter(f) for name, f in environment.filters.items()}
    return environment


def _templates(request: DriverRequest) -> dict[str, str]:
    templates: dict[str, str] = {}
    for name in TEMPLATE_INPUTS:
        source = request.inputs.get(name)
        if source is None:
            continue
        if not isinstance(source, str):
            raise DriverError(f"input {name!r} must be a template (a string), not {_kind(source)}")
        templates[name] = source
    return templates


def _scope(request: DriverRequest) -> dict[str, object]:
    context = request.context
    resource = {"id": request.id, "type": request.type, "class": request.class_}
    return {
        "context": {
            "app": {"id": context.app},
            "env": {"id": context.env, "type": context.env_type},
            "res": resource | {"uid": request.uid, "guid": request.guid},
        },
        "params": request.params,
        "metadata": request.metadata,
        "inputs": {k: v for k, v in request.inputs.items() if k not in TEMPLATE_INPUTS},
        "secrets": request.secrets,
        "state": request.state,
        "init": {},
    }


def _with_patches(outputs: JsonObject, patches: tuple[JsonObject, ...]) -> JsonObject:
    if "patches" in outputs:
        raise DriverError("templates 'outputs' and 'patches' both render 'patches'")
    return outputs | {"patches": list(patches)}


def _refuse_clashes(outputs: JsonObject, secrets: JsonObject) -> None:
    # A consumer names an output without saying plain or secret; two values under one
    # name would make what it gets a guess.
    clashes = sorted(outputs.keys() & secrets.keys())
    if clashes:
        names = ", ".join(repr(name) for name in clashes)
        raise DriverError(f"templates 'outputs' and 'secrets' both render {names}")


def _split_secret_outputs(
    outputs: JsonObject, secrets: frozenset[str]
) -> tuple[JsonObject, JsonObject]:
    """(plain outputs, outputs that embed a secret string): SPEC §4, a value that
    embeds a secret is itself secret, wherever the template author put it."""
    embedded = {
        key
        for key, value in outputs.items()
        if any(secret in text for text in strings_in(value) for secret in secrets)
    }
    plain = {k: v for k, v in outputs.items() if k not in embedded}
    return plain, {k: v for k, v in outputs.items() if k in embedded}


def _template_line(exc: BaseException) -> int | None:
    """The line inside the template where `exc` was raised: Jinja rewrites tracebacks so
    the template's frames carry the file name `<template>` and the template's lines."""
    lines = [
        line
        for frame, line in traceback.walk_tb(exc.__traceback__)
        if frame.f_code.co_filename == "<template>"
    ]
    return lines[-1] if lines else None


def _describe(exc: Exception, source: str) -> str:
    """What went wrong, without quoting any value: Jinja and Python quote the values
    they choke on (`'dict object' has no attribute '<a secret>'`, `invalid literal for
    int(): '<a param>'`), so every quoted part is masked unless it is a type name or
    a word written in the template's own source (which holds no value: placeholders
    are refused in templates).

    >>> from jinja2 import UndefinedError
    >>> secret = "it's " + '"a" secret'
    >>> _describe(UndefinedError(f"'dict object' has no attribute {secret!r}"), "")
    "'dict object' has no attribute '…'"
    >>> _describe(UndefinedError("'dict object' has no attribute 'hots'"), "{{ x.hots }}")
    "'dict object' has no attribute 'hots'"
    >>> _describe(ValueError(f"invalid literal for int() with base 10: {secret!r}"), "")
    "ValueError: invalid literal for int() with base 10: '…'"
    """
    words = set(_WORD.findall(source))

    def mask(found: re.Match[str]) -> str:
        quoted = found.group(0)
        inner = quoted[1:-1]
        if inner in words or _TYPE_NAME.fullmatch(inner):
            return quoted
        return "'…'"

    masked = _QUOTED.sub(mask, str(exc))
    if type(exc).__module__.startswith("jinja2") or isinstance(exc, SecurityError):
        return masked
    return f"{type(exc).__name__}: {masked}"


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_TYPE_NAME = re.compile(r"(?:str|int|float|bool|dict|list|tuple|NoneType|Markup)(?: object)?")


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    # Never `str(exc)`: it quotes the offending rendered line, which may hold a secret.
    problem = exc.problem or exc.context or "unreadable"
    mark = exc.problem_mark
    if mark is None:
        return problem
    return f"{problem} (rendered line {mark.line + 1}, column {mark.column + 1})"


def _too_large(value: object) -> str | None:
    """Whether YAML aliases make `value` recursive or, expanded, larger than
    `MAX_YAML_VALUES` (each shared list or mapping is counted once per use, memoised)."""
    sizes: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[object, bool]] = [(value, False)]
    while stack:
        item, leaving = stack.pop()
        key = id(item)
        children = _members(item)
        if leaving:
            entered.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in children)
            if sizes[key] > MAX_YAML_VALUES:
                return f"more than {MAX_YAML_VALUES} values once YAML aliases are expanded"
        elif key in entered:
            return "a YAML alias inside its own anchor (a recursive alias)"
        elif key not in sizes:
            entered.add(key)
            stack.append((item, True))
            stack.extend((child, False) for child in children)
    return None


def _members(value: object) -> list[object]:
    if isinstance(value, dict):
        return list(value.values())
    return list(value) if isinstance(value, list) else []


def _non_json(value: object) -> str | None:
    """What in `value` is not JSON data (a non-string key, a binary or set), if any."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"a key that is not a string: {key!r}"
            problem = _non_json(item)
            if problem:
                return problem
        return None
    if isinstance(value, list):
        return next(filter(None, map(_non_json, value)), None)
    if value is None or isinstance(value, str | int | float | bool):
        return None
    return f"a value YAML typed as {type(value).__name__}, which JSON cannot hold"


def _kind(value: object) -> str:
    if value is None:
        return "null"
    kinds = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}
    for python_type, kind in kinds.items():
        if isinstance(value, python_type):
            return kind
    return "a number" if isinstance(value, int | float) else f"a {type(value).__name__}"


class _JsonYamlLoader(YamlLimits, FAST_SAFE_LOADER):  # type: ignore[misc,valid-type]
    """A SafeLoader for JSON data, read strictly: dates stay strings (2024-01-02 must not
    become a `datetime.date`) and a key given twice is an error, not a silent overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # the base class reports an unhashable key
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


_JsonYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
