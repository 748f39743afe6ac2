"""Driver inputs checked at plan time (SPEC §11): unknown, misplaced, missing and
mistyped inputs whose value is known, and Jinja syntax errors at their .orch line."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchc.compiler.pipeline import Sources, read
from orchc.drivers.registry import default_registry
from orchc.grammar.diagnostics import DiagnosticError

HEAD = 'environment "dev" { type = "development" }\n'


def problems(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "defs").mkdir(exist_ok=True)
    (tmp_path / "defs" / "d.orch").write_text(HEAD + text, encoding="utf-8")
    try:
        read(Sources(tmp_path, tmp_path / "defs"), default_registry())
    except DiagnosticError as error:
        return [f"{d.span}: {d.message}" for d in error.diagnostics]
    return []


def definition(driver: str, body: str) -> str:
    return f'definition "xx" {{\n  type = "t"\n  driver = "{driver}"\n  match {{}}\n{body}}}\n'


PG = '    admin_user = "postgres"\n'

CASES = [
    (
        definition("postgres", '  inputs {\n    hostname = "db"\n' + PG + "  }\n"),
        [
            "defs/d.orch:6:3: driver 'postgres' (definition 'xx') needs the input 'host': "
            "add it to inputs",
            "defs/d.orch:7:5: unknown input 'hostname' for driver 'postgres' (definition 'xx'); "
            "did you mean 'host'?",
        ],
    ),
    (
        definition("postgres", '  inputs {\n    host = "db"\n' + PG + '    port = "six"\n  }\n'),
        [
            "defs/d.orch:9:12: input 'port' of driver 'postgres' (definition 'xx') must be a port "
            'number (1-65535), found the string "six"',
        ],
    ),
    (
        definition("postgres", '  inputs {\n    host = "db"\n' + PG + "    port = 70000\n  }\n"),
        [
            "defs/d.orch:9:12: input 'port' of driver 'postgres' (definition 'xx') must be a port "
            "number (1-65535), found the number 70000",
        ],
    ),
    (
        definition(
            "mysql", '  inputs {\n    host = "db"\n' + PG + '    admin_password = "p"\n  }\n'
        ),
        [
            "defs/d.orch:9:5: 'admin_password' is a secret of driver 'mysql' (definition 'xx'): "
            "move it to the secrets block",
        ],
    ),
    (
        definition("redis", '  secrets { host = "db" }\n'),
        [
            "defs/d.orch:2:1: driver 'redis' (definition 'xx') needs the input 'host': "
            "add it to inputs",
            "defs/d.orch:6:13: 'host' is an input of driver 'redis' (definition 'xx'), "
            "not a secret: move it to inputs",
        ],
    ),
    (
        definition("cmd", "  inputs { command = [] }\n"),
        [
            "defs/d.orch:6:22: input 'command' of driver 'cmd' (definition 'xx') must be a non-empty "
            'list of strings, as in ["./run"], found an empty list',
        ],
    ),
    # Values apply decides are not checked; open drivers accept any input.
    (
        definition(
            "postgres",
            '  inputs {\n    host = "${params.host}"\n' + PG + '    port = "${params.port}"\n  }\n',
        ),
        [],
    ),
    (
        definition(
            "postgres", '  inputs {\n    host = env("H")\n' + PG + '    port = "6432"\n  }\n'
        ),
        [],
    ),
    (definition("static", "  inputs { anything = 1 }\n  secrets { else = 2 }\n"), []),
    (definition("cmd", '  inputs {\n    command = ["./run"]\n    extra = { a = 1 }\n  }\n'), []),
    (
        definition(
            "template",
            '  inputs {\n    outputs = """\n      host: db\n      {% if x %}\n'
            '      port: 1\n    """\n  }\n',
        ),
        [
            "defs/d.orch:10:7: template 'outputs': Unexpected end of template. Jinja was looking for "
            "the following tags: 'elif' or 'else' or 'endif'. The innermost block that needs to "
            "be closed is 'if'."
        ],
    ),
    (
        definition("template", '  inputs { init = "a: {{ 1 +}}" }\n'),
        ["defs/d.orch:6:19: template 'init': unexpected 'end of print statement'"],
    ),
    (
        # Values reach a template as variables, never as its source (docs/security.md).
        definition("template", '  inputs { state = "a: ${context.app.id}" }\n'),
        [
            "defs/d.orch:6:24: input 'state' is a template: '${context.app.id}' would be "
            "pasted into its source; read values as template variables instead "
            "({{ params.KEY }}, {{ inputs.NAME }}, {{ context.env.id }}) and pass other "
            "resources' outputs as separate inputs"
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_inputs_are_checked_against_the_driver(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    assert problems(tmp_path, text) == expected
