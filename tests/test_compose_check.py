"""The Compose validator every test uses (`compose_check.run_compose_config`) can fail:
a file Compose rejects exits non-zero and says why; a valid one passes."""

from __future__ import annotations

from pathlib import Path

import pytest
from compose_check import run_compose_config

VALID = "services:\n  web:\n    image: nginx:1.27\n"
INVALID = {
    "an image that is no string": ("services:\n  web:\n    image: 3\n", "image must be a string"),
    "an unknown top-level key": (VALID + "servces: {}\n", "servces"),
}


def test_a_valid_file_passes(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(VALID)
    checked = run_compose_config(tmp_path / "compose.yaml", "--quiet")
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(("text", "reason"), INVALID.values(), ids=INVALID.keys())
def test_a_file_compose_rejects_fails(tmp_path: Path, text: str, reason: str) -> None:
    (tmp_path / "compose.yaml").write_text(text)
    checked = run_compose_config(tmp_path / "compose.yaml", "--quiet")
    assert checked.returncode != 0
    assert reason in checked.stderr
