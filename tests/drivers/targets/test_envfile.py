"""Env files: every value must reach the container exactly as given, which the real
`docker-compose` decides, so values are round-tripped through it."""

from __future__ import annotations

import pytest

from orchc.drivers.targets.env_file import env_file_text, valid_key

TRICKY = {
    "BACKSLASH_N": "a\\nb",
    "DOUBLE_BACKSLASH": "a\\\\nb",
    "TRAILING_BACKSLASH": "x\\",
    "DOLLAR": "$HOME ${X:-y} $$ $(cmd)",
    "QUOTES": "it's \"quoted\" '' \\\"",
    "NEWLINES": "line 1\nline 2\n",
    "CRLF": "a\r\nb",
    "TAB": "\ttab",
    "BLANKS": "  lead and trail  ",
    "HASH": "#not a comment",
    "INLINE_HASH": "a # b",
    "EQUALS": "=a=b=",
    "UNICODE": "ünïcødé ✓",
    "BACKTICK": "`whoami`",
    "EMPTY": "",
    "dotted.name-1": "ok",
}


def test_values_round_trip_through_docker_compose(tmp_path, compose_config):
    (tmp_path / "app.env").write_text(env_file_text(TRICKY), encoding="utf-8")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  app:\n    image: busybox\n    env_file: [app.env]\n", encoding="utf-8"
    )
    model = compose_config(tmp_path / "compose.yaml")
    assert model["services"]["app"]["environment"] == TRICKY


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        ("DB_URL", True),
        ("_x", True),
        ("a.b-c", True),
        ("MY VAR", False),
        ("1X", False),
        ("", False),
    ],
)
def test_valid_keys(key, valid):
    assert valid_key(key) is valid
