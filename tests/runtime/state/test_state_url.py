"""State URLs: which store each names, and the message for each one that names none."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchc.runtime.state import StateUrlError
from orchc.runtime.state.url import PostgresLocation, SqliteLocation, parse_state_url

ROOT = Path("/srv/shop")


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("sqlite:///.orchc/state.db", SqliteLocation(ROOT / ".orchc/state.db")),
        ("sqlite:///state.db", SqliteLocation(ROOT / "state.db")),
        ("sqlite:////var/lib/orchc/state.db", SqliteLocation(Path("/var/lib/orchc/state.db"))),
        (
            "postgresql://orchc@db.internal:5432/platform",
            PostgresLocation(
                "postgresql://orchc@db.internal:5432/platform",
                "postgresql://orchc@db.internal:5432/platform",
            ),
        ),
        (
            "postgres://orchc:pw@db/platform?sslmode=require",
            PostgresLocation(
                "postgres://orchc:pw@db/platform?sslmode=require",
                "postgres://orchc:***@db/platform?sslmode=require",
            ),
        ),
    ],
)
def test_a_url_names_a_store(url: str, location: SqliteLocation | PostgresLocation) -> None:
    assert parse_state_url(url, ROOT) == location


EXPECTED = (
    "expected sqlite:///relative/path.db, sqlite:////absolute/path.db "
    "or postgresql://user@host:port/dbname"
)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("state.db", f"unsupported state URL 'state.db': {EXPECTED}"),
        ("mysql://root@db/orchc", f"unsupported state URL 'mysql://root@db/orchc': {EXPECTED}"),
        (
            "redis://:hunter2@cache/0",
            f"unsupported state URL 'redis://:***@cache/0': {EXPECTED}",
        ),
        (
            "sqlite://state.db",
            f"state URL 'sqlite://state.db' has a host or too few slashes: {EXPECTED}",
        ),
        ("sqlite:///", f"state URL 'sqlite:///' names no database file: {EXPECTED}"),
        ("sqlite:////", f"state URL 'sqlite:////' names no database file: {EXPECTED}"),
        ("sqlite:///state/", f"state URL 'sqlite:///state/' names no database file: {EXPECTED}"),
        (
            "postgresql://orchc@db:port/platform",
            "state URL 'postgresql://orchc@db:port/platform' has an invalid host or port",
        ),
        (
            "postgresql://orchc:hunter2@db:5432",
            f"state URL 'postgresql://orchc:***@db:5432' names no database: {EXPECTED}",
        ),
    ],
)
def test_a_bad_url_says_what_is_wrong_without_its_password(url: str, message: str) -> None:
    with pytest.raises(StateUrlError) as raised:
        parse_state_url(url, ROOT)
    assert str(raised.value) == message
