"""Encryption at rest (SPEC §14) on both backends: with a key, no secret is in the
database in clear; a missing or wrong key is refused before anything is read or
written; `rekey` re-encrypts and retires the old key."""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orchc.runtime.state import open_state
from orchc.runtime.state.contract import ResourceRecord
from orchc.runtime.state.crypto import StateKey
from orchc.runtime.state.errors import StateKeyError
from orchc.runtime.state.sql import SqlStateStore

CANARY = "canary-7f3a9c-never-in-clear"
KEY_A = "correct horse battery staple"
KEY_B = "tr0ub4dor&3 is not a good passphrase"


def canary_record(make_record: Callable[..., ResourceRecord]) -> ResourceRecord:
    return make_record(
        secrets={"password": CANARY},
        driver_state={"generated": CANARY},
        resolved_secrets={"admin_password": CANARY},
        resolved_inputs={"url": f"postgresql://u:{CANARY}@db/x"},
    )


def raw_state(state_url: str, tmp_path: Path) -> bytes:
    """Every byte the store keeps: the SQLite files, or a `pg_dump` of the database."""
    if state_url.startswith("sqlite"):
        files = sorted((tmp_path / "state").glob("orchc.db*"))
        return b"".join(path.read_bytes() for path in files)
    dump = subprocess.run(["pg_dump", state_url], check=True, capture_output=True)
    # `\restrict KEY` lines carry a random key per dump: not state.
    lines = dump.stdout.splitlines(keepends=True)
    return b"".join(line for line in lines if not line.startswith((b"\\restrict", b"\\unrestrict")))


def opened(state_url: str, tmp_path: Path, key: str | None) -> SqlStateStore:
    store = open_state(state_url, tmp_path) if key is None else _open_with(state_url, tmp_path, key)
    assert isinstance(store, SqlStateStore)
    return store


def _open_with(state_url: str, tmp_path: Path, key: str) -> SqlStateStore:
    os.environ["ORCHC_STATE_KEY"] = key
    try:
        store = open_state(state_url, tmp_path)
    finally:
        del os.environ["ORCHC_STATE_KEY"]
    assert isinstance(store, SqlStateStore)
    return store


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("ORCHC_STATE_KEY", raising=False)
    yield


def write_canary(
    state_url: str, tmp_path: Path, key: str | None, make_record: Callable[..., ResourceRecord]
) -> ResourceRecord:
    store = opened(state_url, tmp_path, key)
    record = canary_record(make_record)
    store.put("shop", "dev", record)
    store.save_driver_state("shop", "dev", record.resource.uid, {"step": CANARY})
    store.close()
    return record


def test_without_a_key_the_canary_is_in_clear(
    state_url: str, tmp_path: Path, make_record: Callable[..., ResourceRecord]
) -> None:
    """The control for the next test: the raw bytes do show an unencrypted secret."""
    write_canary(state_url, tmp_path, None, make_record)
    assert CANARY.encode() in raw_state(state_url, tmp_path)


@pytest.mark.parametrize(
    "key", [KEY_A, base64.b64encode(bytes(range(32))).decode()], ids=["passphrase", "raw"]
)
def test_with_a_key_no_secret_is_stored_in_clear(
    state_url: str, tmp_path: Path, make_record: Callable[..., ResourceRecord], key: str
) -> None:
    record = write_canary(state_url, tmp_path, key, make_record)
    assert CANARY.encode() not in raw_state(state_url, tmp_path)
    assert key.encode() not in raw_state(state_url, tmp_path)
    store = opened(state_url, tmp_path, key)
    got = store.record("shop", "dev", record.resource.uid)
    assert got is not None
    assert got.secrets == {"password": CANARY}
    assert got.driver_state == {"step": CANARY}
    assert got.resolved_secrets == record.resolved_secrets
    assert got.resolved_inputs == record.resolved_inputs
    assert got.outputs == record.outputs
    store.close()


@pytest.mark.parametrize("key", [None, KEY_B, base64.b64encode(bytes(32)).decode()])
def test_a_missing_or_wrong_key_is_refused_before_anything_changes(
    state_url: str,
    tmp_path: Path,
    make_record: Callable[..., ResourceRecord],
    key: str | None,
) -> None:
    write_canary(state_url, tmp_path, KEY_A, make_record)
    before = raw_state(state_url, tmp_path)
    with pytest.raises(StateKeyError) as refused:
        opened(state_url, tmp_path, key)
    assert "ORCHC_STATE_KEY" in str(refused.value)
    assert KEY_A not in str(refused.value)
    assert raw_state(state_url, tmp_path) == before


def test_a_key_for_a_plaintext_state_is_refused(
    state_url: str, tmp_path: Path, make_record: Callable[..., ResourceRecord]
) -> None:
    write_canary(state_url, tmp_path, None, make_record)
    before = raw_state(state_url, tmp_path)
    with pytest.raises(StateKeyError, match="is not encrypted: to encrypt it"):
        opened(state_url, tmp_path, KEY_A)
    assert raw_state(state_url, tmp_path) == before


def test_rekey_encrypts_a_plaintext_state(
    state_url: str, tmp_path: Path, make_record: Callable[..., ResourceRecord]
) -> None:
    record = write_canary(state_url, tmp_path, None, make_record)
    store = opened(state_url, tmp_path, None)
    assert store.rekey(StateKey(KEY_A)) == 1
    store.close()
    assert CANARY.encode() not in raw_state(state_url, tmp_path)
    with pytest.raises(StateKeyError):
        opened(state_url, tmp_path, None)
    reopened = opened(state_url, tmp_path, KEY_A)
    assert reopened.record("shop", "dev", record.resource.uid) == _with_step(record)
    reopened.close()


def test_after_rekey_the_old_key_is_refused(
    state_url: str, tmp_path: Path, make_record: Callable[..., ResourceRecord]
) -> None:
    record = write_canary(state_url, tmp_path, KEY_A, make_record)
    store = opened(state_url, tmp_path, KEY_A)
    store.rekey(StateKey(KEY_B))
    assert store.record("shop", "dev", record.resource.uid) == _with_step(record)
    store.close()
    with pytest.raises(StateKeyError, match="not the key"):
        opened(state_url, tmp_path, KEY_A)
    reopened = opened(state_url, tmp_path, KEY_B)
    assert reopened.record("shop", "dev", record.resource.uid) == _with_step(record)
    reopened.close()
    assert CANARY.encode() not in raw_state(state_url, tmp_path)


def test_a_store_opened_before_a_rekey_cannot_start_a_run(
    state_url: str, tmp_path: Path, make_record: Callable[..., ResourceRecord]
) -> None:
    write_canary(state_url, tmp_path, KEY_A, make_record)
    stale = opened(state_url, tmp_path, KEY_A)
    rekeying = opened(state_url, tmp_path, KEY_A)
    rekeying.rekey(StateKey(KEY_B))
    rekeying.close()
    with pytest.raises(StateKeyError, match="changed since this command opened it"):
        stale.acquire_lock("shop", "dev", "apply")
    stale.close()


def test_rekey_is_refused_while_a_run_holds_a_lock(
    state_url: str, tmp_path: Path, make_record: Callable[..., ResourceRecord]
) -> None:
    write_canary(state_url, tmp_path, KEY_A, make_record)
    store = opened(state_url, tmp_path, KEY_A)
    store.acquire_lock("shop", "dev", "apply")
    with pytest.raises(StateKeyError, match=r"locked \(shop/dev by apply"):
        store.rekey(StateKey(KEY_B))
    store.release_lock("shop", "dev")
    store.close()
    opened(state_url, tmp_path, KEY_A).close()  # still the old key


def _with_step(record: ResourceRecord) -> ResourceRecord:
    import dataclasses

    from orchc.compiler.state import ResourceStatus

    ready = dataclasses.replace(record.resource, status=ResourceStatus.READY)
    return dataclasses.replace(record, resource=ready, driver_state={"step": CANARY})
