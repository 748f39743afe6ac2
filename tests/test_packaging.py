"""The built wheel holds the whole package: every file of `orchc/` and of each stage
folder (a top-level package: grammar/, compiler/, ...) under `orchc/<folder>/`, through
the links `orchc/<folder> -> ../<folder>`. A data file that no `package-data` pattern
names reads fine from a checkout and would be missing from the wheel users get; a stage
folder left unlinked is no part of `orchc`. These tests name what the wheel misses.

The wheel is built the way a release is (`python -m build --wheel`), from a copy of the
sources so nothing is left in the checkout. `--no-isolation` uses this environment's
setuptools (the test extras require one the build system accepts), so no index is needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "orchc"
NOT_PACKAGED = ("__pycache__",)


def stage_links(package: Path) -> dict[str, Path]:
    """The links in `package` to the stage folders, by name, with their real folder."""
    return {p.name: p.resolve() for p in sorted(package.iterdir()) if p.is_symlink()}


def stage_folders(root: Path) -> list[Path]:
    """The top-level packages besides `orchc`: they ship as `orchc.<folder>`."""
    return [
        p for p in sorted(root.iterdir()) if (p / "__init__.py").is_file() and p.name != "orchc"
    ]


def files_below(folder: Path, prefix: str) -> set[str]:
    found: set[str] = set()
    for parent, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in NOT_PACKAGED]
        relative = Path(prefix) / Path(parent).relative_to(folder)
        found.update((relative / name).as_posix() for name in files)
    return found


def expected_in_wheel(root: Path) -> set[str]:
    """Every file of `orchc/` and of each stage folder, as the wheel names it."""
    expected = files_below(root / "orchc", "orchc")
    for folder in stage_folders(root):
        expected |= files_below(folder, f"orchc/{folder.name}")
    return expected


def copy_sources(root: Path, target: Path) -> Path:
    """What the build reads: pyproject, README, `orchc/` with its links kept, and the
    stage folders."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(root / name, target / name)
    ignored = shutil.ignore_patterns(*NOT_PACKAGED)
    shutil.copytree(root / "orchc", target / "orchc", symlinks=True, ignore=ignored)
    for folder in stage_folders(root):
        shutil.copytree(folder, target / folder.name, ignore=ignored)
    return target


def build_wheel(source: Path, out: Path) -> set[str]:
    """Build a wheel of `source` into `out`; the names of the files in it."""
    command = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)]
    result = subprocess.run(command, cwd=source, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def missing_from_wheel(source: Path, out: Path) -> list[str]:
    return sorted(expected_in_wheel(source) - build_wheel(source, out))


def test_every_stage_folder_is_linked_into_orchc() -> None:
    links = stage_links(PACKAGE)
    expected = {folder.name: folder for folder in stage_folders(ROOT)}
    assert links == expected, "link each stage folder: ln -s ../<folder> orchc/<folder>"


def test_the_stage_folders_are_linked_relatively() -> None:
    """A clone anywhere resolves the links (an absolute link would point into the
    checkout it was made in)."""
    targets = {name: os.readlink(PACKAGE / name) for name in stage_links(PACKAGE)}
    assert targets == {name: f"../{name}" for name in targets}


def test_the_wheel_holds_every_module_and_data_file(tmp_path: Path) -> None:
    source = copy_sources(ROOT, tmp_path / "src")
    expected = expected_in_wheel(source)
    assert {"orchc/cli.py", "orchc/compiler/plan.py", "orchc/grammar/orch.lark"} <= expected
    assert {"orchc/py.typed", "orchc/defaults/scaffold/orchc.toml.tmpl"} <= expected
    assert missing_from_wheel(source, tmp_path / "dist") == []


def _unlink_runtime(source: Path) -> str:
    (source / "orchc" / "runtime").unlink()
    return "orchc/runtime/"


def _add_unnamed_data_file(source: Path) -> str:
    (source / "defaults" / "extra.json").write_text("{}\n")
    return "orchc/defaults/extra.json"


@pytest.mark.parametrize("break_it", [_unlink_runtime, _add_unnamed_data_file])
def test_what_the_wheel_would_miss_is_reported(
    tmp_path: Path, break_it: Callable[[Path], str]
) -> None:
    """The check can fail: a stage folder left unlinked, or a data file that no
    `package-data` pattern names, is named as missing."""
    source = copy_sources(ROOT, tmp_path / "src")
    missing_prefix = break_it(source)
    missing = missing_from_wheel(source, tmp_path / "dist")
    assert missing
    assert all(name.startswith(missing_prefix) for name in missing)
