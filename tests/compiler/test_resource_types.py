"""`resource_type` blocks (SPEC §11): what they resolve to, every error located, and a
user contract replacing the shipped one."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchc.compiler import ir
from orchc.compiler.passes.build_ir import build_ir
from orchc.compiler.pipeline import Sources, read
from orchc.drivers.registry import default_registry
from orchc.grammar.diagnostics import Diagnostics
from orchc.grammar.parse import parse_document


def resolved(text: str) -> tuple[ir.Program, list[str]]:
    document, problems = parse_document("t.orch", text)
    assert problems == []
    diagnostics = Diagnostics()
    program = build_ir([document], Path("."), diagnostics)
    lines = [
        f"{d.span}: {d.message}" + "".join(f" | {note}" for note in d.notes) for d in diagnostics
    ]
    return program, lines


def test_a_contract_resolves_to_its_outputs_and_secrets() -> None:
    program, problems = resolved(
        'resource_type "llm-model" {\n'
        '  description = "a hosted language model"\n'
        '  outputs     = ["model", "url"]\n'
        '  secrets     = ["api-key"]\n'
        "}\n"
    )
    assert problems == []
    contract = program.contract("llm-model")
    assert contract is not None
    assert contract.description == "a hosted language model"
    assert [o.name for o in contract.outputs] == ["model", "url"]
    assert [o.name for o in contract.secrets] == ["api-key"]
    assert str(contract.secrets[0].span) == "t.orch:4:18"
    assert program.contract("postgres") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'resource_type "a" { outputs = ["x"] }\nresource_type "a" {}\n',
            "t.orch:2:15: duplicate resource_type 'a': a type has one contract "
            "| note: the first 'a' is at t.orch:1:15",
        ),
        (
            'resource_type "a" { output = ["x"] }',
            "t.orch:1:21: unknown attribute 'output' in resource_type 'a'; did you mean 'outputs'?",
        ),
        (
            'resource_type "a" { outputs = ["x", "y", "x"] }',
            "t.orch:1:42: output 'x' is listed twice | note: the first 'x' is at t.orch:1:32",
        ),
        (
            'resource_type "a" {\n  outputs = ["x"]\n  secrets = ["x"]\n}',
            "t.orch:3:14: output 'x' is listed twice | note: the first 'x' is at t.orch:2:14",
        ),
        (
            'resource_type "a" { outputs = "x" }',
            "t.orch:1:31: 'outputs' must be a list of output names, as in "
            'outputs = ["host", "port"], found the string "x"',
        ),
        (
            'resource_type "a" { secrets = [1] }',
            "t.orch:1:32: 'secrets' holds output names (strings), found the number 1",
        ),
        (
            'resource_type "a" { outputs = ["a.b"] }',
            "t.orch:1:32: invalid output name 'a.b': use letters, digits, '_' and '-' "
            "(a placeholder reads it as ${resources.NAME.KEY})",
        ),
        (
            'resource_type "a.b" {}',
            "t.orch:1:15: invalid resource type 'a.b': use letters, digits, '-' and '_', "
            "starting and ending with a letter or digit",
        ),
        (
            "resource_type {}",
            "t.orch:1:1: 'resource_type' needs a label: "
            'resource_type "<type>" { outputs = ["host"], secrets = ["password"] }',
        ),
    ],
)
def test_contract_errors_are_located(text: str, expected: str) -> None:
    _, problems = resolved(text)
    assert "\n".join(problems) == expected


def test_a_user_contract_replaces_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "types.orch").write_text(
        'resource_type "postgres" { outputs = ["dsn"] }\n', encoding="utf-8"
    )
    compilation = read(Sources(tmp_path, tmp_path / "defs"), default_registry())
    contract = compilation.program.contract("postgres")
    assert contract is not None
    assert contract.tier is ir.Tier.USER
    assert contract.names() == ("dsn",)
    assert [c.name for c in compilation.program.resource_types].count("postgres") == 1
