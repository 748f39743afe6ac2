"""The `sqlite` state backend, the default: `sqlite:///relative/path.db` or
`sqlite:////absolute/path.db`. The store itself (runtime/state/sqlite_store.py) is
imported when one is opened: a plan with no state yet only asks whether the file
exists, and the store's modules (sqlite3, the SQL, the schema) cost its start-up
(issue 16).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .errors import StateUrlError
from .url import SqliteLocation, parse_state_url

if TYPE_CHECKING:
    from .sqlite_store import SqliteStateStore


class SqliteBackend:
    """The `sqlite` scheme: `sqlite:///relative/path.db` or `sqlite:////absolute/path.db`."""

    def open(self, url: str, project_root: Path) -> SqliteStateStore:
        from .sqlite_store import SqliteStateStore

        return SqliteStateStore(_path(url, project_root))

    def exists(self, url: str, project_root: Path) -> bool:
        return _path(url, project_root).exists()

    def location(self, url: str, project_root: Path) -> str:
        return str(_path(url, project_root))


def _path(url: str, project_root: Path) -> Path:
    location = parse_state_url(url, project_root)
    if not isinstance(location, SqliteLocation):
        raise StateUrlError(f"state URL '{url}' is not a sqlite:/// URL")
    return location.path
