"""Output references checked at plan time (SPEC §11): which outputs count as provided
(the driver's own answer first, then the type's contract, else no check), each error
at the referencing line. Whole compilations are in tests/golden/contract-errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchc.compiler import pipeline
from orchc.compiler.state import InMemoryState
from orchc.drivers.registry import default_registry
from orchc.grammar.diagnostics import DiagnosticError

HEAD = 'environment "dev" { type = "development" }\n'


def plan_problems(tmp_path: Path, definitions: str, variables: dict[str, str]) -> list[str]:
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "d.orch").write_text(HEAD + definitions, encoding="utf-8")
    lines = "".join(f"      {name}: {value}\n" for name, value in variables.items())
    (tmp_path / "score.yaml").write_text(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\ncontainers:\n  main:\n"
        f"    image: nginx\n    variables:\n{lines}resources:\n  res:\n    type: thing\n",
        encoding="utf-8",
    )
    sources = pipeline.Sources(tmp_path, tmp_path / "defs", (tmp_path / "score.yaml",))
    drivers = default_registry()
    try:
        compilation = pipeline.read(sources, drivers)
        pipeline.plan(compilation, pipeline.Target("shop", "dev"), InMemoryState(), drivers)
    except DiagnosticError as error:
        return [f"{d.span}: {d.message}" for d in error.diagnostics]
    return []


def thing(driver: str, body: str) -> str:
    return f'definition "thing-dev" {{\n  type = "thing"\n  driver = "{driver}"\n  match {{}}\n{body}}}\n'


CONTRACT = 'resource_type "thing" { outputs = ["host"] }\n'
OUTPUTS = '    outputs = """\n      {{ "ho" ~ "st" }}: h\n    """\n'

CASES = [
    # static tells exactly: an extra key works at apply, so it is accepted.
    (CONTRACT + thing("static", '  inputs { host = "h", extra = 1 }\n'), "res.extra", []),
    (
        CONTRACT + thing("static", "  inputs { extra = 1 }\n"),
        "res.host",
        ["score.yaml:8:10: resource 'thing.default#web.res' has no output 'host'"],
    ),
    # cmd cannot tell: the contract decides, and without one nothing is checked.
    (
        CONTRACT + thing("cmd", '  inputs { command = ["./x"] }\n'),
        "res.port",
        ["score.yaml:8:10: resource 'thing.default#web.res' has no output 'port'"],
    ),
    (thing("cmd", '  inputs { command = ["./x"] }\n'), "res.port", []),
    # a template whose keys are computed cannot tell either.
    (CONTRACT + thing("template", f"  inputs {{\n{OUTPUTS}  }}\n"), "res.host", []),
    (
        CONTRACT + thing("template", f"  inputs {{\n{OUTPUTS}  }}\n"),
        "res.hots",
        [
            "score.yaml:8:10: resource 'thing.default#web.res' has no output 'hots'; "
            "did you mean 'host'?"
        ],
    ),
    # the nested part of a value is not an output name.
    (thing("static", "  inputs { host = { a = 1 } }\n"), "res.host.a", []),
]


@pytest.mark.parametrize(("definitions", "read", "expected"), CASES)
def test_references_are_checked_against_what_is_provided(
    tmp_path: Path, definitions: str, read: str, expected: list[str]
) -> None:
    found = plan_problems(tmp_path, definitions, {"X": "${resources." + read + "}"})
    assert found == expected
