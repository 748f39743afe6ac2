"""Golden tests: whole compilations through the CLI. Each `tests/golden/<case>/` holds
an orch project (or names another case's in `project`), `case.toml` (the command line
in `args`, commands to run first in `before`) and `expected.txt` (exit code, stdout,
stderr). Run with `--update-golden` to rewrite the expectations, then read the diff."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchc.cli import main

GOLDEN = Path(__file__).parent / "golden"
# A state's lineage is a random uuid: cases that apply first see a new one every run,
# and the plan's digest covers it.
_LINEAGE = re.compile(r'"lineage": "[0-9a-f-]{36}"')
_PLAN_DIGEST = re.compile(r'"plan_digest": "sha256:[0-9a-f]{64}"')
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "case.toml").exists())


def run_case(case: str, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the case's commands (`args`, after any `before`) in a copy of its project
    (or of the case named by `project`); the output of the last command counts."""
    spec = tomllib.loads((GOLDEN / case / "case.toml").read_text())
    project = workdir / case
    source = GOLDEN / spec.get("project", case)
    ignored = shutil.ignore_patterns("expected.txt", "case.toml")
    shutil.copytree(source, project, ignore=ignored)
    monkeypatch.chdir(project)
    monkeypatch.delenv("ORCHC_STATE", raising=False)
    for before in spec.get("before", []):
        CliRunner().invoke(main, before, catch_exceptions=False)
    result = CliRunner().invoke(main, spec["args"], catch_exceptions=False)
    output = f"exit: {result.exit_code}\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
    if not _LINEAGE.search(output):
        return output
    output = _LINEAGE.sub('"lineage": "<lineage>"', output)
    return _PLAN_DIGEST.sub('"plan_digest": "<covers the lineage>"', output)


@pytest.mark.parametrize("case", CASES)
def test_golden(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, update_golden: bool
) -> None:
    actual = run_case(case, tmp_path, monkeypatch)
    expected_file = GOLDEN / case / "expected.txt"
    if update_golden:
        expected_file.write_text(actual)
    assert "Traceback" not in actual
    assert actual == expected_file.read_text()


def test_plans_are_byte_identical_across_runs_and_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run_case("shared", tmp_path / "one", monkeypatch)
    again = run_case("shared", tmp_path / "two" / "deeper", monkeypatch)
    assert first == again
    assert str(tmp_path) not in first
