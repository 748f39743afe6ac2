"""`ProjectConfig.score_files` walks the tree once (orchc/glob_walk.py) and finds exactly
what one `Path.glob` per pattern found before, less what lay in a skipped directory:
same paths, same order, same unresolved form, symlinks included."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchc.config import _SKIPPED_DIRS, DEFAULT_WORKLOADS, ProjectConfig
from orchc.glob_walk import glob_walk

FILES = (
    "score.yaml",
    ".score.yaml",
    "services/api/score.yaml",
    "services/api/score.yml",
    "services/web/score.yaml",
    "services/deep/a/b/c/score.yaml",
    "services/Upper/SCORE.YAML",
    "x[1]/score.yaml",
    "dirs/score.yaml/inner.yaml",  # a directory named like a Score file
    "real/score.yaml",
    "real/b/score.yml",
    ".hidden/score.yaml",
    "a/.git/score.yaml",
    "a/__pycache__/score.yml",
    "node_modules/pkg/score.yaml",
    ".venv/lib/score.yaml",
    "build/score.yaml",
    "b/build/c/score.yaml",
)
SYMLINKS = {
    "services/linked": "../real",  # a symlinked directory
    "vendor": "node_modules",  # a symlink that makes a skipped directory reachable
    ".dotlink": "real",
    "links/loop": "..",  # a cycle
    "services/web/alias.yaml": "score.yaml",  # a symlinked file
    "services/web/gone.yaml": "missing.yaml",  # a broken one
    "services/api/broken/score.yaml": "nowhere",
}
PATTERN_SETS = (
    DEFAULT_WORKLOADS,
    ("score.yaml",),
    ("services/*/score.yaml",),
    ("*/*/score.yaml", "**/*.yml"),
    ("**/*",),
    ("**",),
    ("**/",),
    ("services/*/",),
    ("*/**/score.yaml",),
    ("**/linked/score.yaml", "services/linked/**/score.yaml"),
    ("**/[ab]/*.yaml", "x[[]1]/score.yaml"),
    ("?core.yaml", ".score.yaml", ".*", "*"),
    ("**/**/score.yaml", "./**/score.yaml", "services//api/score.yaml"),
    ("**/score.yaml/",),
    ("links/*/*/*/score.yaml", "links/loop/loop/real/score.yaml"),
    ("**/SCORE.YAML", "**/Score.yaml"),
    ("node_modules/**", "vendor/*/score.yaml", "**/gone.yaml", "**/*.yaml"),
    ("services/api/broken/*", "services/api/broken/score.yaml"),
    ("nothing/here/*.yaml",),
)


def globbed(root: Path, patterns: tuple[str, ...]) -> tuple[Path, ...]:
    """The computation `score_files` made before it walked once: the reference."""

    def in_skipped_dir(path: Path) -> bool:
        parts = path.relative_to(root).parts[:-1]
        return any(part in _SKIPPED_DIRS or part.startswith(".") for part in parts)

    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in root.glob(pattern) if not in_skipped_dir(p))
    return tuple(sorted(found))


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tree, reached through a symlink so that a resolved path would show."""
    base = tmp_path_factory.mktemp("tree")
    real_root = base / "real-root"
    for name in FILES:
        (real_root / name).parent.mkdir(parents=True, exist_ok=True)
        (real_root / name).write_text("")
    for name, target in SYMLINKS.items():
        (real_root / name).parent.mkdir(parents=True, exist_ok=True)
        (real_root / name).symlink_to(target)
    (base / "root").symlink_to(real_root, target_is_directory=True)
    return base / "root"


@pytest.mark.parametrize("patterns", PATTERN_SETS, ids="|".join)
def test_one_walk_finds_what_one_glob_per_pattern_found(
    tree: Path, patterns: tuple[str, ...]
) -> None:
    found = ProjectConfig(root=tree, workloads=patterns).score_files(())
    assert [str(path) for path in found] == [str(path) for path in globbed(tree, patterns)]


def test_the_default_patterns_find_the_score_files_outside_skipped_directories(tree: Path) -> None:
    found = ProjectConfig(root=tree).score_files(())
    assert [path.relative_to(tree).as_posix() for path in found] == [
        "dirs/score.yaml",  # a directory matches, as it did
        "real/b/score.yml",
        "real/score.yaml",
        "score.yaml",
        "services/api/score.yaml",
        "services/api/score.yml",
        "services/deep/a/b/c/score.yaml",
        "services/web/score.yaml",
        "x[1]/score.yaml",
    ]


PART = st.sampled_from(
    (
        "**",
        "*",
        "?",
        "score.yaml",
        "*.yaml",
        "*.yml",
        ".*",
        "[a-s]*",
        "services",
        "linked",
        "links",
        "loop",
        "vendor",
        "build",
    )
)


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(st.lists(PART, min_size=1, max_size=5), min_size=1, max_size=3), st.booleans())
def test_any_pattern_of_these_parts_finds_what_glob_found(
    tree: Path, parts: list[list[str]], trailing_slash: bool
) -> None:
    patterns = tuple("/".join(p) + ("/" if trailing_slash else "") for p in parts)
    assert ProjectConfig(root=tree, workloads=patterns).score_files(()) == globbed(tree, patterns)


LISTINGS: list[list[str]] = []  # while one is open, the directories os.scandir lists


def _record_listing(event: str, args: tuple[object, ...]) -> None:
    if event == "os.scandir" and LISTINGS:
        LISTINGS[-1].append(str(args[0]))


sys.addaudithook(_record_listing)  # a hook stays for the process: hence LISTINGS


def test_the_walk_lists_each_directory_once_and_never_a_skipped_one(tree: Path) -> None:
    LISTINGS.append([])
    try:
        ProjectConfig(root=tree).score_files(())
    finally:
        listed = [Path(folder).relative_to(tree).parts for folder in LISTINGS.pop()]
    assert len(listed) == len(set(listed))
    assert {(), ("services",), ("services", "deep", "a", "b", "c"), ("b",)} <= set(listed)
    assert [f for f in listed if any(p in _SKIPPED_DIRS or p[0] == "." for p in f)] == []
    assert [f for f in listed if f[:2] in {("services", "linked"), ("links", "loop")}] == []
    assert [f for f in listed if f[:1] == ("vendor",)] == []


def test_a_missing_root_or_a_file_as_root_holds_nothing(tree: Path) -> None:
    assert glob_walk(tree / "absent", DEFAULT_WORKLOADS, str.isidentifier) == set()
    assert glob_walk(tree / "score.yaml", ("**",), str.isidentifier) == set()


def test_a_double_star_inside_a_name_is_refused_as_pathlib_refuses_it(tree: Path) -> None:
    with pytest.raises(ValueError, match=r"'\*\*' can only be an entire path component"):
        ProjectConfig(root=tree, workloads=("services/a**/score.yaml",)).score_files(())


@pytest.mark.parametrize("root", [".", "root", "root/services"])
def test_a_relative_root_gives_relative_paths_as_glob_did(
    tree: Path, root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree.parent if root != "." else tree)
    for patterns in (DEFAULT_WORKLOADS, ("**",), ("*/score.yaml",)):
        found = ProjectConfig(root=Path(root), workloads=patterns).score_files(())
        assert [str(path) for path in found] == [str(p) for p in globbed(Path(root), patterns)]
