"""The nginx check the gateway tests use (`nginx_check.run_nginx_test`) can fail: a
configuration nginx rejects exits non-zero and says why; a valid one passes."""

from __future__ import annotations

from pathlib import Path

import pytest
from nginx_check import run_nginx_test

VALID = "events {}\nhttp {\n  server {\n    listen 80;\n    location / { return 204; }\n  }\n}\n"
INVALID = {
    "a directive injected after a host": (
        VALID.replace("listen 80;", "listen 80; server_name a; include /nowhere/x;"),
        "/nowhere/x",
    ),
    "an unbalanced brace": (VALID + "}\n", 'unexpected "}"'),
    "a location twice": (
        VALID.replace("location / { return 204; }", "location / {}\n    location / {}"),
        'duplicate location "/"',
    ),
}


def test_a_valid_configuration_passes(tmp_path: Path) -> None:
    (tmp_path / "nginx.conf").write_text(VALID)
    checked = run_nginx_test(tmp_path / "nginx.conf")
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(("text", "reason"), INVALID.values(), ids=INVALID.keys())
def test_a_configuration_nginx_rejects_fails(tmp_path: Path, text: str, reason: str) -> None:
    (tmp_path / "nginx.conf").write_text(text)
    checked = run_nginx_test(tmp_path / "nginx.conf")
    assert checked.returncode != 0
    assert reason in checked.stderr
