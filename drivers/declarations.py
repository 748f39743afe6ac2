"""What each built-in driver declares about itself for plan-time checks (SPEC §11):
its inputs (name, kind, required, secret), whether it accepts other inputs, and what
outputs it returns when that can be told from the definition alone.

These tables import no driver module (`orchc plan` must not pay for psycopg), so they
are kept beside the drivers and checked against them by the tests
(`tests/drivers/test_declarations.py` compares them with each driver's pydantic models).

Invariant: a declaration never refuses what its driver accepts at apply time. Inputs
the driver passes through (static, template, cmd) are open; kinds are as lax as the
driver's own validation (pydantic's lax mode: `port = "6432"` is a port).

>>> BUILT_IN["postgres"].input("port").kind
'port'
>>> sorted(BUILT_IN["static"].output_names({"host": "db"}, {"password": "x"}))
['host', 'password']
>>> sorted(BUILT_IN["template"].output_names({"outputs": "host: h\\nport: 1\\n"}, {}))
['host', 'port']
>>> sorted(BUILT_IN["template"].output_names({"outputs": "{% if a %}\\n  x: 1\\n{% endif %}"}, {}))
['x']
>>> loop = "{% for k in ks %}\\n{{ k }}: 1\\n{% endfor %}"
>>> BUILT_IN["template"].output_names({"outputs": loop}, {}) is None
True
>>> BUILT_IN["template"].template_error("{% if x %}\\nopen") is not None
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from orchc.drivers.targets.repository_paths import repository_path_problem

InputKind = Literal[
    "string", "integer", "port", "boolean", "map", "list", "command", "duration", "template", "any"
]
OutputRule = Literal["fixed", "echo", "template", "requested", "unknown"]


@dataclass(frozen=True, slots=True)
class InputDeclaration:
    """One input: `secret` ones belong in the definition's `secrets` block."""

    name: str
    kind: InputKind = "any"
    required: bool = False
    secret: bool = False


@dataclass(frozen=True, slots=True)
class DriverDeclaration:
    """A driver's inputs and outputs as far as they are known before apply.

    `open_inputs`/`open_secrets`: names not declared are accepted (passed on to the
    program or the templates). `outputs` says how the outputs follow from the definition:
    `fixed` (always `fixed_outputs`), `echo` (the inputs and secrets, as `static`),
    `template` (the keys its `outputs`/`secrets` templates write), `requested` (whatever
    is asked for, as `environment`) or `unknown` (the program decides)."""

    inputs: tuple[InputDeclaration, ...] = ()
    open_inputs: bool = False
    open_secrets: bool = False
    outputs: OutputRule = "unknown"
    fixed_outputs: frozenset[str] = frozenset()
    template_inputs: tuple[str, ...] = ()
    reads_environment: bool = False
    """Its outputs are variables of the environment (the `environment` driver): a
    target that `interpolates_environment` reads them where the workload starts."""
    interpolates_environment: bool = False
    """A target that starts workloads with variables of its own environment (Compose
    interpolates `${NAME}` at `docker compose up`)."""
    input_rules: tuple[tuple[str, Callable[[object], str | None]], ...] = ()
    """(input, what its driver refuses in a value of it, or None) for inputs whose
    values the driver checks beyond their kind, with the driver's own rule."""
    target: bool = False
    """The driver deploys workloads (a `Target`): the registry answers `is_target`
    from this, so a plan need not import the driver."""

    def input(self, name: str) -> InputDeclaration | None:
        return next((i for i in self.inputs if i.name == name), None)

    def output_names(
        self, inputs: Mapping[str, object], secrets: Mapping[str, object]
    ) -> frozenset[str] | None:
        """The outputs (plain and secret) the driver returns for these plan-form values,
        or None when that cannot be told before apply."""
        if self.outputs == "fixed":
            return self.fixed_outputs
        if self.outputs == "echo":
            return frozenset(inputs) | frozenset(secrets)
        if self.outputs == "template":
            return _template_keys(inputs)
        return None

    def refused_outputs(
        self, inputs: Mapping[str, object], keys: Collection[str], project_root: Path
    ) -> Mapping[str, tuple[str, str]]:
        """The outputs among `keys` the driver is known to refuse with these plan-form
        inputs, each with (why, how to allow it). Only a driver that `reads_environment`
        refuses any: a variable not in the project's env file that its allow list does
        not let it read from orchc's environment (`drivers/environment_sources.py`)."""
        if not self.reads_environment or not keys:
            return {}
        from orchc.drivers.environment_sources import refused_at_plan

        return refused_at_plan(inputs, keys, project_root)

    def read_again(
        self, inputs: Mapping[str, object], keys: Collection[str], project_root: Path
    ) -> Mapping[str, str] | None:
        """For a driver whose outputs come from outside its request (`reads_environment`):
        what it would return now for `keys`, given the resolved inputs its last create
        was sent. None for other drivers, or when that cannot be told before it runs."""
        if not self.reads_environment:
            return None
        from orchc.drivers.environment_sources import read_again

        return read_again(inputs, keys, project_root)

    def input_error(self, name: str, value: object) -> str | None:
        """What the driver refuses in input `name`'s plan-form value beyond its kind, as
        its own validation words it (`input_rules`); None when nothing.

        >>> BUILT_IN["environment"].input_error("process_variables", ["APP_*", "AWS_*_KEY"])
        "'AWS_*_KEY' is not a variable name or a prefix ending in '*'"
        >>> BUILT_IN["gitops"].input_error("path", "../elsewhere") is not None
        True
        """
        rule = dict(self.input_rules).get(name)
        return rule(value) if rule is not None else None

    def template_error(self, text: str) -> tuple[int, str] | None:
        """(line inside the template, message) of the first Jinja syntax error in `text`."""
        from jinja2 import TemplateSyntaxError

        from orchc.drivers.template import template_environment

        try:
            template_environment().parse(_mask_placeholders(text))
        except TemplateSyntaxError as error:
            return error.lineno, error.message or str(error)
        return None


def _required(name: str, kind: InputKind) -> InputDeclaration:
    return InputDeclaration(name, kind, required=True)


def _optional(name: str, kind: InputKind) -> InputDeclaration:
    return InputDeclaration(name, kind)


def _secret(name: str, kind: InputKind = "string") -> InputDeclaration:
    return InputDeclaration(name, kind, secret=True)


_DATABASE_OUTPUTS = frozenset({"host", "port", "name", "database", "username", "password", "url"})


def _database(*extra: InputDeclaration) -> DriverDeclaration:
    """A database server driver (drivers/database.py): admin credentials in, one
    database and user out."""
    return DriverDeclaration(
        inputs=(
            _required("host", "string"),
            _optional("port", "port"),
            _required("admin_user", "string"),
            *extra,
            _optional("database", "string"),
            _optional("username", "string"),
            _secret("admin_password"),
        ),
        outputs="fixed",
        fixed_outputs=_DATABASE_OUTPUTS,
    )


def _repository_path_problem(value: object) -> str | None:
    return repository_path_problem(value) if isinstance(value, str) else None


def _process_variables_problem(value: object) -> str | None:
    """The `environment` driver's rule for its allow list (imported when used: a plan
    imports no driver module)."""
    from orchc.drivers.environment_sources import ProcessVariables

    try:
        ProcessVariables.parse(value)
    except ValueError as error:
        return str(error)
    return None


# What `kubernetes-manifests` renders with; `gitops` renders the same files.
_KUBERNETES_RENDER_INPUTS = (
    _optional("namespace", "string"),
    _optional("create_namespace", "boolean"),
    _optional("allowed_kinds", "list"),
    _optional("route_kind", "string"),
    _optional("gateway", "string"),
)

TEMPLATE_INPUTS = ("init", "state", "outputs", "secrets", "manifests", "patches")

BUILT_IN: dict[str, DriverDeclaration] = {
    "static": DriverDeclaration(open_inputs=True, open_secrets=True, outputs="echo"),
    "template": DriverDeclaration(
        inputs=tuple(_optional(name, "template") for name in TEMPLATE_INPUTS),
        open_inputs=True,
        open_secrets=True,
        outputs="template",
        template_inputs=TEMPLATE_INPUTS,
    ),
    "cmd": DriverDeclaration(
        inputs=(_required("command", "command"), _optional("timeout", "duration")),
        open_inputs=True,
        open_secrets=True,
    ),
    "environment": DriverDeclaration(
        inputs=(
            _optional("env_file", "string"),
            _optional("process_variables", "list"),
            _optional("target_kind", "string"),
        ),
        open_secrets=True,
        outputs="requested",
        reads_environment=True,
        input_rules=(("process_variables", _process_variables_problem),),
    ),
    "postgres": _database(_optional("admin_database", "string")),
    "mysql": _database(),
    "redis": DriverDeclaration(
        inputs=(
            _required("host", "string"),
            _optional("port", "port"),
            _optional("admin_user", "string"),
            _optional("username", "string"),
            _optional("key_prefix", "string"),
            _optional("flush_keys_on_delete", "boolean"),
            _secret("admin_password"),
        ),
        outputs="fixed",
        fixed_outputs=frozenset({"host", "port", "username", "key_prefix", "password", "url"}),
    ),
    "terraform": DriverDeclaration(
        inputs=(
            _required("source", "string"),
            _optional("variables", "map"),
            _optional("terraform_binary", "string"),
            _secret("variables", "map"),
        ),
    ),
    "kubernetes-manifests": DriverDeclaration(
        target=True,
        inputs=(_optional("path", "string"), *_KUBERNETES_RENDER_INPUTS),
        open_secrets=True,
        outputs="fixed",
        fixed_outputs=frozenset({"kind", "path", "namespace"}),
    ),
    "gitops": DriverDeclaration(
        target=True,
        inputs=(
            _required("repo", "string"),
            _optional("branch", "string"),
            _optional("path", "string"),
            _optional("author", "string"),
            _optional("commit_secrets", "boolean"),
            *_KUBERNETES_RENDER_INPUTS,
            _secret("token", "string"),
        ),
        outputs="fixed",
        fixed_outputs=frozenset({"kind", "path", "namespace", "repo", "branch"}),
        input_rules=(("path", _repository_path_problem),),
    ),
    "compose": DriverDeclaration(
        target=True,
        inputs=(
            _optional("path", "string"),
            _optional("publish_port", "port"),
            _optional("gateway_image", "string"),
        ),
        open_secrets=True,
        outputs="fixed",
        fixed_outputs=frozenset({"kind", "path"}),
        interpolates_environment=True,
    ),
}
"""The declarations of the drivers that ship with orchc, by registered name."""


_TOP_LEVEL_KEY = re.compile(
    r'^(?:"([^"\\]*)"|\'([^\'\\]*)\'|([A-Za-z0-9_][A-Za-z0-9_.-]*))\s*:(?:\s|$)'
)
_HARMLESS_TAG = re.compile(r"^\{%-?\s*(?:set|if|elif|else|endif|endset)\b")
_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)


def _template_keys(inputs: Mapping[str, object]) -> frozenset[str] | None:
    """The top-level keys the `outputs` and `secrets` templates write, when every one
    is written literally: a key made by `{{ }}`, a loop or a flow mapping could be any
    key, and then nothing is known. A `patches` template returns `patches`."""
    keys: set[str] = {"patches"} if inputs.get("patches") is not None else set()
    for name in ("outputs", "secrets"):
        source = inputs.get(name)
        if source is None:
            continue
        if not isinstance(source, str) or "${" in source:
            return None
        found = _literal_keys(source)
        if found is None:
            return None
        keys |= found
    return frozenset(keys)


def _literal_keys(source: str) -> set[str] | None:
    """The keys at the mapping's own indentation (the least of the text lines; Jinja
    tags and comments do not count), or None when one of them is not written literally
    or a tag at that level could write more (a loop, an include)."""
    lines = [line for line in _JINJA_COMMENT.sub("", source).splitlines() if line.strip()]
    text = [line for line in lines if not line.lstrip().startswith(("{%", "#"))]
    if not text:
        return set()
    margin = min(_indentation(line) for line in text)
    keys: set[str] = set()
    for line in lines:
        body = line.lstrip()
        if body.startswith("{%"):
            if _indentation(line) <= margin and not _HARMLESS_TAG.match(body):
                return None
            continue
        if body.startswith("#") or _indentation(line) != margin:
            continue
        found = _TOP_LEVEL_KEY.match(body)
        if found is None:
            return None
        keys.add(next(group for group in found.groups() if group is not None))
    return keys


def _indentation(line: str) -> int:
    return len(line) - len(line.lstrip())


_PLACEHOLDER = re.compile(r"(?<!\$)\$\{[^}\n]*\}")


def _mask_placeholders(text: str) -> str:
    """`text` with each `${...}` (resolved before the template runs) replaced by as many
    `x`, so Jinja sees plain text and every line keeps its number."""
    return _PLACEHOLDER.sub(lambda m: "x" * len(m.group(0)), text)
