"""On a clone without the Score corpus, the tests that need it are not run and one line
says so; with `ORCHC_REQUIRE_CORPUS=1` (CI) its absence is an error. Checked by running
pytest on two small modules with `ORCHC_SHARED` pointing at an empty folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# One module that needs the corpus (2 tests) and one that does not.
MODULES = ["tests/compiler/score/test_score_schema_files.py", "tests/test_compose_check.py"]


def run_pytest(shared: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ORCHC_REQUIRE_CORPUS"}
    env.update(ORCHC_SHARED=str(shared), **extra)
    command = [sys.executable, "-m", "pytest", "-q", *MODULES]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def test_the_tests_that_need_the_corpus_are_reported_in_one_line(tmp_path: Path) -> None:
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if "Score corpus" in line]
    assert lines == [
        f"not run: 2 tests that need the public Score corpus, which is not at "
        f"{tmp_path.resolve()}/score/corpus (put the shared folder beside this checkout "
        f"or set ORCHC_SHARED)"
    ]
    assert "3 passed, 2 deselected" in result.stdout
    assert "SKIPPED" not in result.stdout


def test_ci_requires_the_corpus(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, ORCHC_REQUIRE_CORPUS="1")
    assert result.returncode == 4  # pytest's usage error
    assert "ORCHC_REQUIRE_CORPUS=1 but the Score corpus is not at" in result.stderr
