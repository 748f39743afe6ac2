"""The .orch parser's memory is linear and small in the input: a long string literal
(the issue's 10 MB string peaked at 2.9 GB) costs a few times its size."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from orchc.compiler.passes.read_definitions import read_definitions
from orchc.grammar.diagnostics import Diagnostics
from orchc.grammar.source import SourceMap

SIZE = 200_000


@pytest.mark.parametrize(
    "literal",
    [
        '"' + "a" * SIZE + '"',
        '"' + "\\n" * (SIZE // 2) + '"',
        '"""\n' + ("    " + 'ab"c' * 15 + "\n") * (SIZE // 65) + '  """',
    ],
    ids=["plain", "escapes", "multi-line"],
)
def test_a_long_string_costs_a_few_times_its_size(tmp_path: Path, literal: str) -> None:
    (tmp_path / "a.orch").write_text(
        f'definition "aa" {{\n  type = "x"\n  driver = "static"\n  match {{}}\n'
        f"  inputs {{ big = {literal} }}\n}}\n"
    )
    diagnostics = Diagnostics()
    read_definitions(tmp_path, tmp_path, SourceMap(), Diagnostics())  # warm the grammar
    tracemalloc.start()
    try:
        documents = read_definitions(tmp_path, tmp_path, SourceMap(), diagnostics)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert list(diagnostics) == [] and len(documents) == 1
    assert peak < 25 * SIZE, f"peak {peak // 1000} kB for a {SIZE // 1000} kB string"
