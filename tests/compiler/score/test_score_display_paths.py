"""The Score reader names files as `display_path` does, though it resolves each folder
once for all the files below it (symbolic links anywhere on the way)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchc.compiler.score.reader import _display_path
from orchc.grammar.source import display_path


def _tree(base: Path) -> Path:
    """A project with real and linked folders and files, and a folder outside it."""
    root = base / "project"
    (root / "workloads" / "web").mkdir(parents=True)
    (root / "workloads" / "web" / "score.yaml").write_text("{}\n")
    (base / "elsewhere" / "api").mkdir(parents=True)
    (base / "elsewhere" / "api" / "score.yaml").write_text("{}\n")
    (root / "workloads" / "linked-folder").symlink_to(root / "workloads" / "web")
    (root / "workloads" / "outside").symlink_to(base / "elsewhere")
    (root / "workloads" / "web" / "linked.yaml").symlink_to("score.yaml")
    (root / "workloads" / "relative").symlink_to(Path("..") / ".." / "elsewhere" / "api")
    (base / "project-link").symlink_to(root)
    return root


NAMES = [
    "workloads/web/score.yaml",
    "workloads/web/linked.yaml",
    "workloads/linked-folder/score.yaml",
    "workloads/linked-folder/linked.yaml",
    "workloads/outside/api/score.yaml",
    "workloads/relative/score.yaml",
    "workloads/web/../web/score.yaml",
    "workloads/missing/score.yaml",
    "workloads",
    ".",
    "../elsewhere/api/score.yaml",
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("through_link", [False, True])
def test_display_paths_as_display_path_names_them(
    tmp_path: Path, name: str, through_link: bool
) -> None:
    root = _tree(tmp_path)
    start = tmp_path / "project-link" if through_link else root

    assert _display_path(start / name, root) == display_path(start / name, root)
    assert _display_path(start / name, start) == display_path(start / name, start)


def test_relative_paths_resolve_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path)
    monkeypatch.chdir(root / "workloads")

    for name in ("web/score.yaml", "outside/api/score.yaml", "../workloads/web/linked.yaml"):
        assert _display_path(Path(name), root) == display_path(Path(name), root)
    assert os.path.islink(root / "workloads" / "outside")
