"""The shipped defaults' program is built once and read back from the user's cache:
the same program, named by what it is made from, never trusted when damaged."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchc.compiler.defaults_cache import DefaultsCache
from orchc.compiler.origin import defaults_dir
from orchc.compiler.pipeline import read_defaults
from orchc.grammar.diagnostics import Diagnostics
from orchc.grammar.source import SourceFile, SourceMap


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "orchc"


def read() -> tuple[object, SourceMap, Diagnostics]:
    sources, diagnostics = SourceMap(), Diagnostics()
    return read_defaults(sources, diagnostics), sources, diagnostics


def test_the_kept_program_is_the_one_built(cache_home: Path) -> None:
    built, built_sources, built_diagnostics = read()
    (kept_file,) = cache_home.glob("defaults-*.pickle")
    assert oct(kept_file.stat().st_mode & 0o777) == "0o600"
    kept, kept_sources, kept_diagnostics = read()
    assert kept == built
    # Diagnostics still quote the defaults, and the inputs digest covers their text.
    assert [(s.path, s.text) for s in kept_sources] == [(s.path, s.text) for s in built_sources]
    assert len(kept_diagnostics) == len(built_diagnostics) == 0


def test_a_damaged_cache_file_is_built_again(cache_home: Path) -> None:
    built, _, _ = read()
    (kept_file,) = cache_home.glob("defaults-*.pickle")
    kept_file.write_bytes(b"not a pickle")
    again, _, _ = read()
    assert again == built
    assert kept_file.read_bytes() != b"not a pickle"


def test_the_cache_file_is_named_by_the_texts(cache_home: Path) -> None:
    folder = defaults_dir()
    text = 'environment "dev" { type = "development" }\n'
    one = DefaultsCache([SourceFile("orchc:defaults/a.orch", text)], folder)
    same = DefaultsCache([SourceFile("orchc:defaults/a.orch", text)], folder)
    edited = DefaultsCache([SourceFile("orchc:defaults/a.orch", text + "\n")], folder)
    renamed = DefaultsCache([SourceFile("orchc:defaults/b.orch", text)], folder)
    assert one.file == same.file
    assert len({one.file, edited.file, renamed.file}) == 3


def test_without_a_cache_folder_the_program_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))  # orchc/ cannot be made under a file
    program, _, diagnostics = read()
    assert program == read_defaults(SourceMap(), Diagnostics())
    assert len(diagnostics) == 0


def test_the_cache_folder_is_the_users_alone(cache_home: Path) -> None:
    read()
    assert oct(cache_home.stat().st_mode & 0o777) == "0o700"
