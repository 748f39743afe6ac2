"""OutputDir: atomic writes with exact modes, an index of what orchc wrote, stale files
removed, foreign files never touched."""

from __future__ import annotations

import json
import os

import pytest

from orchc.drivers.protocol import DriverError
from orchc.drivers.targets.output_dir import OutputDir, OutputFile


@pytest.fixture
def output(tmp_path):
    return OutputDir(tmp_path / "out", ".index.json", tmp_path)


def tree(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_sync_writes_files_with_their_modes_and_an_index(output):
    output.sync(
        {
            "a.yaml": OutputFile(b"a\n"),
            "deep/er/b.env": OutputFile(b"secret\n", 0o600),
            "c.sh": OutputFile(b"#!/bin/sh\n", 0o755),
        }
    )
    root = output.root
    assert tree(root) == [".index.json", "a.yaml", "c.sh", "deep", "deep/er", "deep/er/b.env"]
    assert (root / "deep/er/b.env").read_bytes() == b"secret\n"
    modes = {
        name: (root / name).stat().st_mode & 0o777 for name in ("a.yaml", "deep/er/b.env", "c.sh")
    }
    assert modes == {"a.yaml": 0o644, "deep/er/b.env": 0o600, "c.sh": 0o755}
    index = json.loads((root / ".index.json").read_text())
    assert index == {"format_version": 1, "files": ["a.yaml", "c.sh", "deep/er/b.env"]}


def test_modes_do_not_depend_on_the_umask(output):
    previous = os.umask(0o077)
    try:
        output.sync({"a.yaml": OutputFile(b"a\n", 0o644)})
    finally:
        os.umask(previous)
    assert (output.root / "a.yaml").stat().st_mode & 0o777 == 0o644


def test_stale_files_and_their_empty_directories_are_removed(output):
    output.sync({"keep.yaml": OutputFile(b"1"), "old/nested/x.yaml": OutputFile(b"2")})
    (output.root / "old" / "mine.txt").write_text("not orchc's")
    output.sync({"keep.yaml": OutputFile(b"1")})
    assert tree(output.root) == [".index.json", "keep.yaml", "old", "old/mine.txt"]


def test_a_mode_change_is_applied_and_unchanged_files_are_not_rewritten(output):
    output.sync({"a": OutputFile(b"x"), "b": OutputFile(b"y")})
    inode = (output.root / "a").stat().st_ino
    output.sync({"a": OutputFile(b"x"), "b": OutputFile(b"y", 0o600)})
    assert (output.root / "a").stat().st_ino == inode
    assert (output.root / "b").stat().st_mode & 0o777 == 0o600


def test_foreign_files_are_refused_and_left_alone(output):
    output.root.mkdir()
    (output.root / "a.yaml").write_text("hand written")
    with pytest.raises(DriverError) as error:
        output.sync({"a.yaml": OutputFile(b"generated"), "b.yaml": OutputFile(b"b")})
    assert str(error.value) == (
        "refusing to overwrite out/a.yaml: not written by orchc (not listed in "
        "out/.index.json); move or delete it first"
    )
    assert tree(output.root) == ["a.yaml"]


def test_remove_all_removes_only_what_orchc_wrote(output):
    output.sync({"a.yaml": OutputFile(b"a"), "sub/b.yaml": OutputFile(b"b")})
    (output.root / "notes.txt").write_text("mine")
    output.remove_all()
    assert tree(output.root) == ["notes.txt"]


def test_remove_all_without_an_index_does_nothing(output):
    output.remove_all()
    assert not output.root.exists()


@pytest.mark.parametrize(
    ("index", "message"),
    [
        (
            {"files": ["../../etc/passwd"]},
            "index entry '../../etc/passwd' is outside the output directory",
        ),
        ({"files": ["/etc/passwd"]}, "index entry '/etc/passwd' is outside the output directory"),
        ({"files": "a.yaml"}, "the output index out/.index.json is not a list of files"),
    ],
)
def test_a_tampered_index_never_deletes_elsewhere(output, tmp_path, index, message):
    output.root.mkdir()
    (output.root / ".index.json").write_text(json.dumps(index))
    (tmp_path / "victim").write_text("keep")
    with pytest.raises(DriverError) as error:
        output.remove_all()
    assert str(error.value) == message
    assert (tmp_path / "victim").exists()


def test_an_unreadable_index_is_an_error(output):
    output.root.mkdir()
    (output.root / ".index.json").write_text("{not json")
    with pytest.raises(DriverError) as error:
        output.sync({})
    assert str(error.value) == (
        "cannot read the output index out/.index.json: Expecting property name enclosed in "
        "double quotes: line 1 column 2 (char 1)"
    )


@pytest.mark.parametrize("path", ["../x", "/abs", "a/../../b", ""])
def test_output_paths_must_stay_inside(output, path):
    with pytest.raises(DriverError) as error:
        output.sync({path: OutputFile(b"x")})
    assert str(error.value) == f"output path {path!r} is outside the output directory"
