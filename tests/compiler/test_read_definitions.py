"""The read pass for definitions: which files, in which order, under which names."""

from __future__ import annotations

from pathlib import Path

from orchc.compiler.passes.read_definitions import read_definitions
from orchc.grammar.diagnostics import Diagnostics, render
from orchc.grammar.source import SourceMap


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def test_every_orch_file_recursively_sorted_by_display_path(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "platform/z.orch": 'environment "zz" { type = "t" }\n',
            "platform/b/a.orch": 'environment "ba" { type = "t" }\n',
            "platform/a.orch": 'environment "aa" { type = "t" }\n',
            "platform/notes.txt": "not orch",
            "platform/dir.orch/inside.orch": 'environment "di" { type = "t" }\n',
        },
    )
    sources, diagnostics = SourceMap(), Diagnostics()
    documents = read_definitions(tmp_path / "platform", tmp_path, sources, diagnostics)
    assert list(diagnostics) == []
    assert [d.path for d in documents] == [
        "platform/a.orch",
        "platform/b/a.orch",
        "platform/dir.orch/inside.orch",
        "platform/z.orch",
    ]
    assert [s.path for s in sources] == [d.path for d in documents]
    source = sources.get("platform/a.orch")
    assert source is not None and source.line(1) == 'environment "aa" { type = "t" }'


def test_syntax_errors_are_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "defs/bad.orch": 'environment "dev" { type = }\nenvironment "ok" { type = "t" }\n',
            "defs/good.orch": 'environment "fine" { type = "t" }\n',
        },
    )
    sources, diagnostics = SourceMap(), Diagnostics()
    documents = read_definitions(tmp_path / "defs", tmp_path, sources, diagnostics)
    assert [len(d.body) for d in documents] == [1, 1]
    assert render(diagnostics, sources) == (
        "defs/bad.orch:1:28: error: expected a value after '=', found '}'\n"
        '  environment "dev" { type = }\n'
        "                             ^"
    )


def test_a_file_that_is_not_utf8_is_reported_and_skipped(tmp_path: Path) -> None:
    _write(tmp_path, {"defs/latin1.orch": b'a = "caf\xe9"\n', "defs/ok.orch": "a = 1\n"})
    sources, diagnostics = SourceMap(), Diagnostics()
    documents = read_definitions(tmp_path / "defs", tmp_path, sources, diagnostics)
    assert [d.path for d in documents] == ["defs/ok.orch"]
    assert render(diagnostics, sources) == (
        "defs/latin1.orch:1:9: error: the file is not valid UTF-8: byte 0xe9 cannot start here"
    )


def test_a_missing_directory_is_one_diagnostic_without_a_place(tmp_path: Path) -> None:
    diagnostics = Diagnostics()
    assert read_definitions(tmp_path / "platform", tmp_path, SourceMap(), diagnostics) == []
    assert (
        render(diagnostics) == "orchc: error: the definitions directory 'platform' does not exist"
    )


def test_a_file_given_as_the_directory_is_one_diagnostic(tmp_path: Path) -> None:
    _write(tmp_path, {"defs.orch": "a = 1\n"})
    diagnostics = Diagnostics()
    assert read_definitions(tmp_path / "defs.orch", tmp_path, SourceMap(), diagnostics) == []
    assert render(diagnostics) == (
        "orchc: error: the definitions directory 'defs.orch' is not a directory"
    )


def test_an_empty_directory_is_an_empty_program(tmp_path: Path) -> None:
    (tmp_path / "defs").mkdir()
    diagnostics = Diagnostics()
    assert read_definitions(tmp_path / "defs", tmp_path, SourceMap(), diagnostics) == []
    assert list(diagnostics) == []
