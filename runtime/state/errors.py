"""Errors of the state backends. Each message is safe to print: it never contains a
secret, a password or a full connection string with credentials, so the CLI shows it
as is, without a traceback."""

from __future__ import annotations


class StateStoreError(Exception):
    """A state store could not be opened or used."""


class StateUrlError(StateStoreError):
    """A state URL that names no store orchc can open."""


class StateUnavailableError(StateStoreError):
    """The store exists in principle but cannot be reached or created right now."""


class StateSchemaError(StateStoreError):
    """The store was written by a newer orchc (its schema version is unknown here)."""


class StateCorruptError(StateStoreError):
    """The store is not one orchc wrote, or no longer as orchc wrote it: an empty file,
    another application's database, a dropped table, a value that does not decode.
    Nothing is read from it as if it were empty, so nothing is planned against it."""


class StateKeyError(StateStoreError):
    """The state key is missing, wrong, or does not fit the store (encryption at rest);
    raised before anything is read or written. The message never contains a key."""
