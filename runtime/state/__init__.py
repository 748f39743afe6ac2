"""The runtime's state: its contract (`contract.py`, split by role) and the backends
that implement it, chosen by the URL's scheme (`backends.py`): SQLite (embedded, the
default), PostgreSQL (shared, for teams), and any backend a plugin registers in the
`orchc.state` entry-point group.

The built-in backends run the same SQL (`sql.py` over the tables of `schema.py`) and
differ only in connection, parameter markers and locking details. Every method is one
transaction; JSON is stored canonically, so equal states are byte-equal. Secrets live in
the store (and nowhere else on disk); no error message of this package contains one.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as root:
...     store = open_state(DEFAULT_STATE_URL, Path(root))
...     print(store.snapshot("shop", "dev").serial)
...     store.close()
0
"""

from __future__ import annotations

from pathlib import Path

from .backends import StateBackend, StateBackends, default_backends
from .contract import StateStore
from .errors import StateSchemaError, StateStoreError, StateUnavailableError, StateUrlError
from .url import DEFAULT_STATE_URL

__all__ = [
    "DEFAULT_STATE_URL",
    "StateBackend",
    "StateBackends",
    "StateSchemaError",
    "StateStore",
    "StateStoreError",
    "StateUnavailableError",
    "StateUrlError",
    "default_backends",
    "open_state",
]


def open_state(url: str, project_root: Path) -> StateStore:
    """Open (creating if needed) the store named by `url`; a relative SQLite path is
    relative to `project_root`. Raises `StateUrlError` for a URL naming no store and
    `StateUnavailableError` when the store cannot be opened or reached."""
    return default_backends().open(url, project_root)
