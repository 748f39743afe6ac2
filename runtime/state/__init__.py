"""State backends implementing `orchc.compiler.state.StateStore`: SQLite (embedded,
the default) and PostgreSQL (shared, for teams), chosen by URL in `open_state`.

Both backends run the same SQL (`sql.py` over the tables of `schema.py`) and differ only
in connection, parameter markers and locking details. Every method is one transaction;
JSON is stored canonically, so equal states are byte-equal. Secrets live in the store
(and nowhere else on disk); no error message of this package contains one.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as root:
...     store = open_state(DEFAULT_STATE_URL, Path(root))
...     print(store.snapshot("shop", "dev").serial)
...     store.close()
0
"""

from __future__ import annotations

from pathlib import Path

from orchc.compiler.state import StateStore

from .errors import StateSchemaError, StateStoreError, StateUnavailableError, StateUrlError
from .url import DEFAULT_STATE_URL, PostgresLocation, SqliteLocation, parse_state_url

__all__ = [
    "DEFAULT_STATE_URL",
    "StateSchemaError",
    "StateStoreError",
    "StateUnavailableError",
    "StateUrlError",
    "open_state",
]


def open_state(url: str, project_root: Path) -> StateStore:
    """Open (creating if needed) the store named by `url`; a relative SQLite path is
    relative to `project_root`. Raises `StateUrlError` for a URL naming no store and
    `StateUnavailableError` when the store cannot be opened or reached."""
    location = parse_state_url(url, project_root)
    if isinstance(location, SqliteLocation):
        from .sqlite import SqliteStateStore

        return SqliteStateStore(location.path)
    assert isinstance(location, PostgresLocation)
    # Imported here so a SQLite-only run never loads psycopg.
    from .postgres import PostgresStateStore

    return PostgresStateStore(location)
