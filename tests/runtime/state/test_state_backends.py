"""State backends by URL scheme: the built-ins, a plugin's, and the unknown ones."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest

from orchc.compiler.state import StateWorkload
from orchc.runtime.state import StateBackends, StateStoreError, StateUrlError
from orchc.runtime.state.backends import BUILTIN_BACKENDS, ENTRY_POINT_GROUP

# A third-party backend as a plugin would ship it: `folder://NAME` keeps the state of
# NAME in a SQLite file under the project root.
PLUGIN = textwrap.dedent(
    """
    from pathlib import Path

    from orchc.runtime.state.sqlite_store import SqliteStateStore


    class FolderBackend:
        def open(self, url, project_root):
            return SqliteStateStore(self._path(url, project_root))

        def exists(self, url, project_root):
            return self._path(url, project_root).exists()

        def location(self, url, project_root):
            return str(self._path(url, project_root))

        def _path(self, url, project_root):
            return Path(project_root) / url.removeprefix("folder://") / "state.db"
    """
)


@pytest.fixture
def plugin_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    package = tmp_path / "plugins"
    package.mkdir()
    (package / "orchc_folder_state.py").write_text(PLUGIN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(package))
    return "orchc_folder_state:FolderBackend"


def _round_trip(backends: StateBackends, url: str, root: Path) -> tuple[StateWorkload, ...]:
    store = backends.open(url, root)
    try:
        store.put_workloads("shop", "dev", (StateWorkload("web", "score.yaml", "d1"),))
    finally:
        store.close()
    reopened = backends.open(url, root)
    try:
        return tuple(reopened.snapshot("shop", "dev").workloads.values())
    finally:
        reopened.close()


def test_a_plugin_entry_point_adds_a_scheme_beside_the_builtins(
    plugin_module: str, tmp_path: Path
) -> None:
    found = [EntryPoint("folder", plugin_module, ENTRY_POINT_GROUP)]
    backends = StateBackends.from_entry_points(found)
    assert backends.schemes() == ("folder", "postgres", "postgresql", "sqlite")
    backend = backends.backend("folder://team")
    assert not backend.exists("folder://team", tmp_path)
    workloads = _round_trip(backends, "folder://team", tmp_path)
    assert workloads == (StateWorkload("web", "score.yaml", "d1"),)
    assert (tmp_path / "team" / "state.db").is_file()
    assert backend.exists("folder://team", tmp_path)


def test_a_backend_registered_from_a_mapping_opens_its_urls(
    plugin_module: str, tmp_path: Path
) -> None:
    backends = StateBackends.from_mapping({"folder": plugin_module})
    assert backends.schemes() == ("folder",)
    assert _round_trip(backends, "folder://ops", tmp_path)[0].name == "web"


def test_an_unknown_scheme_lists_the_known_ones_without_the_password() -> None:
    backends = StateBackends.from_entry_points([])
    with pytest.raises(StateUrlError) as raised:
        backends.open("mysql://root:hunter2@db/orchc", Path("."))
    assert str(raised.value) == (
        "unsupported state URL 'mysql://root:***@db/orchc' "
        "(known schemes: postgres, postgresql, sqlite): expected sqlite:///relative/path.db, "
        "sqlite:////absolute/path.db or postgresql://user@host:port/dbname"
    )


def test_a_scheme_registered_twice_fails_when_used_naming_both() -> None:
    found = [EntryPoint("sqlite", "elsewhere.state:Sqlite", ENTRY_POINT_GROUP)]
    backends = StateBackends.from_entry_points(found)
    with pytest.raises(StateStoreError) as raised:
        backends.backend("sqlite:///state.db")
    assert str(raised.value) == (
        "state URL scheme 'sqlite' is registered twice: by elsewhere.state:Sqlite "
        "and orchc.runtime.state.sqlite:SqliteBackend"
    )


def test_an_object_that_is_not_a_backend_is_refused() -> None:
    backends = StateBackends.from_mapping({"odd": object()})
    with pytest.raises(StateStoreError, match="is not a backend: it needs `open`"):
        backends.backend("odd://x")


def test_the_builtins_are_declared_as_entry_points_too() -> None:
    declared = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert {scheme: declared.get(scheme) for scheme in BUILTIN_BACKENDS} == BUILTIN_BACKENDS


def test_a_sqlite_store_opens_without_loading_the_postgres_client(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from orchc.runtime.state import open_state; "
        f"open_state('sqlite:///state.db', Path({str(tmp_path)!r})).close(); "
        "print('psycopg' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout == "False\n"
