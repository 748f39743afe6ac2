"""State URLs (SPEC §6): which store a URL names, resolved against the project root.

`sqlite:///relative/path.db` is relative to the project root, `sqlite:////abs/path.db`
is absolute; `postgresql://user@host:port/dbname` (or `postgres://`) names a PostgreSQL
database and is handed to libpq as is. Passwords in a URL never reach a message.

>>> parse_state_url("sqlite:///.orchc/state.db", Path("/srv/shop"))
SqliteLocation(path=PosixPath('/srv/shop/.orchc/state.db'))
>>> parse_state_url("sqlite:////var/lib/orchc.db", Path("/srv/shop"))
SqliteLocation(path=PosixPath('/var/lib/orchc.db'))
>>> parse_state_url("postgresql://ci:s3cret@db:5432/orchc", Path(".")).display
'postgresql://ci:***@db:5432/orchc'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from .errors import StateUrlError

DEFAULT_STATE_URL = "sqlite:///.orchc/state.db"

_SQLITE_PREFIX = "sqlite:///"
_POSTGRES_SCHEMES = ("postgresql", "postgres")
EXPECTED_URLS = (
    "expected sqlite:///relative/path.db, sqlite:////absolute/path.db "
    "or postgresql://user@host:port/dbname"
)


@dataclass(frozen=True)
class SqliteLocation:
    path: Path


@dataclass(frozen=True)
class PostgresLocation:
    conninfo: str  # the URL as given, credentials included: only for libpq
    display: str  # the URL with its password masked: for messages


def parse_state_url(url: str, project_root: Path) -> SqliteLocation | PostgresLocation:
    """Resolve a state URL, or raise `StateUrlError` saying what is wrong with it."""
    scheme = url.partition(":")[0].lower()
    if scheme == "sqlite":
        return _parse_sqlite(url, project_root)
    if scheme in _POSTGRES_SCHEMES:
        return _parse_postgres(url)
    raise StateUrlError(f"unsupported state URL '{redact_url(url)}': {EXPECTED_URLS}")


def redact_url(url: str) -> str:
    """The URL with any password replaced by `***`.

    >>> redact_url("postgresql://u:pw@h/db"), redact_url("postgresql://u@h/db")
    ('postgresql://u:***@h/db', 'postgresql://u@h/db')
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unparsable URL)"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def _parse_sqlite(url: str, project_root: Path) -> SqliteLocation:
    if not url.startswith(_SQLITE_PREFIX):
        raise StateUrlError(f"state URL '{url}' has a host or too few slashes: {EXPECTED_URLS}")
    path = url.removeprefix(_SQLITE_PREFIX)
    if path in ("", "/") or path.endswith("/"):
        raise StateUrlError(f"state URL '{url}' names no database file: {EXPECTED_URLS}")
    return SqliteLocation(project_root / path)  # an absolute path replaces the root


def _parse_postgres(url: str) -> PostgresLocation:
    display = redact_url(url)
    try:
        parts = urlsplit(url)
        _ = parts.port  # validates it
    except ValueError:
        raise StateUrlError(f"state URL '{display}' has an invalid host or port") from None
    if not _database_name(parts):
        raise StateUrlError(f"state URL '{display}' names no database: {EXPECTED_URLS}")
    return PostgresLocation(conninfo=url, display=display)


def _database_name(parts: SplitResult) -> str:
    return parts.path.removeprefix("/")
