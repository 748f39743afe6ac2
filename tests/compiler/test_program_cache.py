"""Built programs are read back from the user's cache: the same program, named by what
it is made from, never kept when it reads other files or has diagnostics, never trusted
when damaged."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from orchc.compiler import ir, pipeline
from orchc.compiler.origin import defaults_dir
from orchc.compiler.pipeline import read_defaults
from orchc.compiler.program_cache import ProgramCache
from orchc.grammar.diagnostics import Diagnostics, render
from orchc.grammar.source import SourceFile, SourceMap
from orchc.user_cache import cache_folder

DEFINITION = """
environment "dev" { type = "development" }
definition "db" {
  type   = "postgres"
  driver = "static"
  match { env_type = "development" }
  inputs { host = "db.internal" }
}
"""


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    return tmp_path / "cache-home" / "orchc"


def read() -> tuple[ir.Program, SourceMap, Diagnostics]:
    sources, diagnostics = SourceMap(), Diagnostics()
    return read_defaults(sources, diagnostics), sources, diagnostics


def kept(cache_home: Path) -> list[Path]:
    return sorted(cache_home.glob("program-*.pickle"))


def test_the_kept_defaults_are_the_program_built(cache_home: Path) -> None:
    built, built_sources, built_diagnostics = read()
    (kept_file,) = kept(cache_home)
    assert oct(kept_file.stat().st_mode & 0o777) == "0o600"
    again, again_sources, again_diagnostics = read()
    assert again == built
    # Diagnostics still quote the defaults, and the inputs digest covers their text.
    assert [(s.path, s.text) for s in again_sources] == [(s.path, s.text) for s in built_sources]
    assert len(again_diagnostics) == len(built_diagnostics) == 0


def test_a_damaged_cache_file_is_built_again(cache_home: Path) -> None:
    built, _, _ = read()
    (kept_file,) = kept(cache_home)
    kept_file.write_bytes(b"not a pickle")
    again, _, _ = read()
    assert again == built
    assert kept_file.read_bytes() != b"not a pickle"


def test_the_cache_file_is_named_by_what_the_program_is_made_of(cache_home: Path) -> None:
    folder = defaults_dir()
    text = 'environment "dev" { type = "development" }\n'
    one = ProgramCache([SourceFile("a.orch", text)], folder, ir.Tier.USER)
    same = ProgramCache([SourceFile("a.orch", text)], folder, ir.Tier.USER)
    edited = ProgramCache([SourceFile("a.orch", text + "\n")], folder, ir.Tier.USER)
    renamed = ProgramCache([SourceFile("b.orch", text)], folder, ir.Tier.USER)
    shipped = ProgramCache([SourceFile("a.orch", text)], folder, ir.Tier.DEFAULT)
    elsewhere = ProgramCache([SourceFile("a.orch", text)], folder.parent, ir.Tier.USER)
    assert one.file == same.file
    assert len({one.file, edited.file, renamed.file, shipped.file, elsewhere.file}) == 5


def test_without_a_cache_folder_the_program_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))  # orchc/ cannot be made under a file
    program, _, diagnostics = read()
    assert program.definitions
    assert len(diagnostics) == 0


def test_the_cache_folder_is_the_users_alone(cache_home: Path) -> None:
    read()
    assert oct(cache_home.stat().st_mode & 0o777) == "0o700"


class _Planted:
    """A pickle someone else left: loading it would write `marker`."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (Path.write_text, (str(self.marker), "loaded"))


def test_a_cache_folder_others_may_write_is_not_used(cache_home: Path, tmp_path: Path) -> None:
    """An `XDG_CACHE_HOME` in a shared place: a pickle there may be anyone's code."""
    built, _, _ = read()
    (kept_file,) = kept(cache_home)
    marker = tmp_path / "marker"
    kept_file.write_bytes(pickle.dumps(_Planted(marker)))
    cache_home.chmod(0o777)
    again, _, diagnostics = read()
    assert again == built
    assert len(diagnostics) == 0
    assert not marker.exists()
    assert kept(cache_home) == [kept_file]  # neither read nor rewritten
    assert cache_folder() is None
    cache_home.chmod(0o700)
    assert cache_folder() == cache_home


def program_of(root: Path) -> tuple[ir.Program, str]:
    sources, diagnostics = SourceMap(), Diagnostics()
    files = pipeline.definition_files(root / "definitions", root, sources, diagnostics)
    program = pipeline._program_of(files, root, ir.Tier.USER, diagnostics)
    return program, render(diagnostics, sources)


def test_a_projects_definitions_are_kept_until_they_change(
    cache_home: Path, tmp_path: Path
) -> None:
    definitions = tmp_path / "definitions" / "platform.orch"
    definitions.parent.mkdir()
    definitions.write_text(DEFINITION)
    built, _ = program_of(tmp_path)
    assert len(kept(cache_home)) == 1
    assert program_of(tmp_path)[0] == built
    definitions.write_text(DEFINITION.replace("db.internal", "db2.internal"))
    changed, _ = program_of(tmp_path)
    assert changed != built
    assert "db2.internal" in repr(changed.definitions[0].inputs)
    assert len(kept(cache_home)) == 2


def test_a_program_that_reads_a_file_is_not_kept(cache_home: Path, tmp_path: Path) -> None:
    """`file()` reads a file the definitions do not contain: its new text must show."""
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "ca.pem").write_text("first")
    text = DEFINITION.replace('host = "db.internal"', 'ca = file("ca.pem")')
    (tmp_path / "definitions" / "platform.orch").write_text(text)
    first, _ = program_of(tmp_path)
    assert first.reads_files()
    assert kept(cache_home) == []
    (tmp_path / "definitions" / "ca.pem").write_text("second")
    second, _ = program_of(tmp_path)
    assert "'second'" in repr(second.definitions[0].inputs)


def test_a_program_with_warnings_is_not_kept_and_warns_every_time(
    cache_home: Path, tmp_path: Path
) -> None:
    (tmp_path / "definitions").mkdir()
    no_match = DEFINITION.replace('  match { env_type = "development" }\n', "")
    (tmp_path / "definitions" / "platform.orch").write_text(no_match)
    _, first = program_of(tmp_path)
    _, second = program_of(tmp_path)
    assert "warning" in first
    assert second == first
    assert kept(cache_home) == []


def test_a_program_holding_a_literal_secret_is_not_kept(cache_home: Path, tmp_path: Path) -> None:
    (tmp_path / "definitions").mkdir()
    literal = DEFINITION.replace(
        "  inputs {", '  secrets { password = "written-here-7" }\n  inputs {'
    )
    (tmp_path / "definitions" / "platform.orch").write_text(literal)
    program, _ = program_of(tmp_path)
    assert program.has_literal_secrets()
    assert kept(cache_home) == []
    from_env = literal.replace('"written-here-7"', 'env("DB_PASSWORD")')
    (tmp_path / "definitions" / "platform.orch").write_text(from_env)
    program, _ = program_of(tmp_path)
    assert not program.has_literal_secrets()
    assert len(kept(cache_home)) == 1
