"""YAML aliases are bounded in every YAML orchc reads: an alias bomb or a recursive alias
in a Score file is a located error, found before anything is expanded."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from orchc.compiler.score import read_score
from orchc.grammar.diagnostics import render
from orchc.grammar.source import SourceMap


def _bomb(levels: int, where: str) -> str:
    lines = ["a: &a [x,x,x,x,x,x,x,x,x]"]
    names = "abcdefghi"
    lines += [
        f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]"
        for p, n in itertools.pairwise(names[:levels])
    ]
    body = "\n    ".join(lines)
    return (
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\n"
        "containers:\n  main:\n    image: nginx\n"
        f"resources:\n  db:\n    type: postgres\n    {where}:\n    {body}\n"
    )


def _read(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "score.yaml"
    path.write_text(text)
    sources = SourceMap()
    workload, diagnostics = read_score(path, tmp_path, sources)
    assert workload is None
    return render(diagnostics, sources).splitlines()


@pytest.mark.parametrize("where", ["params", "metadata"])
def test_an_alias_bomb_is_a_located_error(tmp_path: Path, where: str) -> None:
    # Six levels (531,441 values) expand cheaply enough that the old reader accepted
    # them; the nine levels (470 bytes, 387 million values) ran for minutes.
    for levels in (6, 9):
        lines = _read(tmp_path, _bomb(levels, where))
        assert lines[0].startswith("score.yaml:")
        assert "more than 100000 values once aliases are expanded" in lines[0]


def test_a_bomb_of_470_bytes_is_refused(tmp_path: Path) -> None:
    text = _bomb(9, "params")
    assert len(text.encode()) < 520
    assert "values once aliases are expanded" in _read(tmp_path, text)[0]


@pytest.mark.parametrize(
    "value", ["&x [1, *x]", "&x {a: *x}", "&x [[[*x]]]"], ids=["list", "map", "nested"]
)
def test_a_recursive_alias_is_a_located_error(tmp_path: Path, value: str) -> None:
    text = (
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\n"
        f"containers:\n  main:\n    image: nginx\nresources:\n  db:\n    type: x\n"
        f"    params:\n      loop: {value}\n"
    )
    lines = _read(tmp_path, text)
    assert lines[0] == (
        "score.yaml:11:13: error: invalid YAML: an alias refers to its own anchor "
        "(a recursive alias)"
    )


def test_nesting_deeper_than_the_limit_is_an_error(tmp_path: Path) -> None:
    deep = "[" * 70 + "]" * 70
    text = f"apiVersion: score.dev/v1b1\nmetadata:\n  name: web\n  deep: {deep}\n"
    assert "nested more than 64 levels" in _read(tmp_path, text)[0]
