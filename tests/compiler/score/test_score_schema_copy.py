"""The Score schemas vendored in `tests/score_schema/` are the official ones: byte for
byte the files of `../shared/score/schema/` (checked where that folder is)."""

from __future__ import annotations

from pathlib import Path

import pytest

NAMES = ("score-v1b1.json", "score-v1b1.for-validation.json")


@pytest.mark.parametrize("name", NAMES)
def test_the_vendored_schema_is_the_shared_one(
    name: str, shared_dir: Path, score_schema_dir: Path
) -> None:
    vendored = (score_schema_dir / name).read_bytes()
    assert vendored == (shared_dir / "score" / "schema" / name).read_bytes()


def test_only_the_schemas_and_their_note_are_vendored(score_schema_dir: Path) -> None:
    assert sorted(p.name for p in score_schema_dir.iterdir()) == sorted([*NAMES, "README.md"])
