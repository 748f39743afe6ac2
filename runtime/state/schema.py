"""The state tables, shared by every SQL backend, and how records map onto rows.

One set of tables holds every (app, env): `lineages` (lineage and serial), `resources`,
`workloads`, `deployments` and `locks`; `meta` holds `schema_version` so a later orchc
can migrate. Both backends run the same statements; a `Dialect` supplies the few words
that differ (the auto-numbered key, the boolean type, the parameter marker).

JSON columns are TEXT holding canonical JSON (sorted keys, no whitespace), so equal
states are byte-equal in the database whichever order a driver built its dicts in. It
is written and read with orjson (stdlib `json` was a third of the bookkeeping of a run;
bench/apply_scale.py), falling back to `json` for what orjson refuses (integers beyond
64 bits, a `NaN` written by an older orchc). As in the plan file, a float that is not
finite is written as null.

>>> canonical_json({"b": 1, "a": [True, None]})
'{"a":[true,null],"b":1}'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from orchc.compiler.plan import compact_json
from orchc.compiler.state import JsonObject, ResourceStatus, StateResource, StateWorkload
from orchc.compiler.uid import ResourceUid

from .contract import ResourceRecord

SCHEMA_VERSION = 3

Row = Sequence[Any]  # a row as the DB-API returns it; converted field by field below


@dataclass(frozen=True)
class Dialect:
    """What differs between the SQL databases in the shared statements."""

    name: str
    id_column: str  # an auto-numbered integer primary key
    boolean: str
    param: str  # the DB-API parameter marker; the shared SQL is written with `?`
    add_column: str  # adds a column, and on a backend that can, only if it is missing
    keep_ids: str  # what lets an INSERT give the auto-numbered key (when copying)
    tables: str  # lists the names of the tables in the store


SQLITE = Dialect(
    "sqlite",
    "INTEGER PRIMARY KEY AUTOINCREMENT",
    "INTEGER",
    "?",
    "ADD COLUMN",
    "",
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'",
)
POSTGRES = Dialect(
    "postgresql",
    "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    "BOOLEAN",
    "%s",
    "ADD COLUMN IF NOT EXISTS",
    "OVERRIDING SYSTEM VALUE",
    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
)
# The tables every schema version has: a store that lacks one is damaged.
ORCHC_TABLES = ("meta", "lineages", "resources", "workloads", "deployments", "locks")

_TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS lineages (
        app TEXT NOT NULL, env TEXT NOT NULL, lineage TEXT NOT NULL, serial BIGINT NOT NULL,
        PRIMARY KEY (app, env))""",
    """CREATE TABLE IF NOT EXISTS resources (
        app TEXT NOT NULL, env TEXT NOT NULL, uid TEXT NOT NULL,
        definition TEXT NOT NULL, driver TEXT NOT NULL, source TEXT NOT NULL,
        inputs TEXT NOT NULL, inputs_digest TEXT NOT NULL, depends_on TEXT NOT NULL,
        prevent_destroy {boolean} NOT NULL, status TEXT NOT NULL,
        outputs TEXT NOT NULL, secrets TEXT NOT NULL, driver_state TEXT NOT NULL,
        manifests TEXT NOT NULL, resolved_digest TEXT, resolved_inputs TEXT NOT NULL,
        resolved_secrets TEXT NOT NULL, resolved_params TEXT NOT NULL,
        resolved_context TEXT NOT NULL, updated_at TEXT NOT NULL,
        params TEXT, secret_sources TEXT,
        PRIMARY KEY (app, env, uid))""",
    """CREATE TABLE IF NOT EXISTS workloads (
        app TEXT NOT NULL, env TEXT NOT NULL, name TEXT NOT NULL,
        source TEXT NOT NULL, digest TEXT NOT NULL, spec TEXT, bindings TEXT,
        PRIMARY KEY (app, env, name))""",
    """CREATE TABLE IF NOT EXISTS deployments (
        id {id_column}, app TEXT NOT NULL, env TEXT NOT NULL, plan_digest TEXT NOT NULL,
        started TEXT NOT NULL, ended TEXT, result TEXT NOT NULL, timings TEXT NOT NULL,
        serial BIGINT, operation TEXT, actor TEXT, counts TEXT, duration DOUBLE PRECISION,
        applied TEXT)""",
    "CREATE INDEX IF NOT EXISTS deployments_by_env ON deployments (app, env, id)",
    """CREATE TABLE IF NOT EXISTS locks (
        app TEXT NOT NULL, env TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
        process TEXT NOT NULL, since TEXT NOT NULL, operation TEXT NOT NULL,
        PRIMARY KEY (app, env))""",
)

# Version 2 keeps what a reviewer's before/after needs (SPEC §10): per resource the
# plan-form params and secret sources, per workload the Score spec and resource
# bindings. Rows of version 1 have NULL there ("not recorded").
# Version 3 keeps the deployment history of SPEC §13 (`orchc history`, `orchc rollback`):
# per deployment the serial it moved to, the operation, `user@host`, the counts per
# action, the duration and what was applied (plan form). Older rows have NULL there.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: (
        "ALTER TABLE resources {add_column} params TEXT",
        "ALTER TABLE resources {add_column} secret_sources TEXT",
        "ALTER TABLE workloads {add_column} spec TEXT",
        "ALTER TABLE workloads {add_column} bindings TEXT",
    ),
    3: (
        "ALTER TABLE deployments {add_column} serial BIGINT",
        "ALTER TABLE deployments {add_column} operation TEXT",
        "ALTER TABLE deployments {add_column} actor TEXT",
        "ALTER TABLE deployments {add_column} counts TEXT",
        "ALTER TABLE deployments {add_column} duration DOUBLE PRECISION",
        "ALTER TABLE deployments {add_column} applied TEXT",
    ),
}


def migration_statements(dialect: Dialect, from_version: int) -> tuple[str, ...]:
    """The DDL that brings a store of `from_version` to `SCHEMA_VERSION`."""
    return tuple(
        statement.format(add_column=dialect.add_column)
        for version in range(from_version + 1, SCHEMA_VERSION + 1)
        for statement in _MIGRATIONS.get(version, ())
    )


# The planner's view of a resource, then what only the runtime reads.
RESOURCE_COLUMNS = (
    "uid",
    "definition",
    "driver",
    "source",
    "inputs",
    "inputs_digest",
    "depends_on",
    "prevent_destroy",
    "status",
    "params",
    "secret_sources",
)
RECORD_COLUMNS = (
    *RESOURCE_COLUMNS,
    "outputs",
    "secrets",
    "driver_state",
    "manifests",
    "resolved_digest",
    "resolved_inputs",
    "resolved_secrets",
    "resolved_params",
    "resolved_context",
)
# What encryption at rest seals (see `crypto.py`): every runtime-only column that may
# hold a secret. Outputs are not secret by contract; a new column that may hold a secret
# belongs here.
ENCRYPTED_COLUMNS = (
    "secrets",
    "driver_state",
    "manifests",
    "resolved_inputs",
    "resolved_secrets",
    "resolved_params",
)
BOOLEAN_COLUMNS = ("prevent_destroy",)  # stored as 0/1 by SQLite: converted when copied
# The tables `orchc state migrate` copies, parents first; `locks` and `meta` stay.
COPIED_TABLES = ("lineages", "resources", "workloads", "deployments")


def create_statements(dialect: Dialect) -> tuple[str, ...]:
    """The DDL for `dialect`; every statement is idempotent (IF NOT EXISTS)."""
    return tuple(
        table.format(id_column=dialect.id_column, boolean=dialect.boolean) for table in _TABLES
    )


def new_store_statements(dialect: Dialect) -> tuple[str, ...]:
    """What makes an empty database a new store of `SCHEMA_VERSION`."""
    version = f"INSERT INTO meta (key, value) VALUES ('schema_version', '{SCHEMA_VERSION}')"
    return (*create_statements(dialect), version)


def upsert_resource_sql(update_columns: Sequence[str]) -> str:
    """Insert a full resource row; on an existing (app, env, uid) overwrite only
    `update_columns` and `updated_at`, keeping every other column."""
    columns = ("app", "env", *RECORD_COLUMNS, "updated_at")
    updates = ", ".join(f"{c} = excluded.{c}" for c in (*update_columns, "updated_at"))
    return (
        f"INSERT INTO resources ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT (app, env, uid) DO UPDATE SET {updates}"
    )


def canonical_json(value: object) -> str:
    return compact_json(value).decode()


def record_values(record: ResourceRecord) -> tuple[object, ...]:
    """The values of `RECORD_COLUMNS` for `record`, in that order."""
    return (*_resource_values(record.resource), *_runtime_values(record))


def intent_values(resource: StateResource) -> tuple[object, ...]:
    """`record_values(ResourceRecord(resource))`, the row of an intent: its runtime
    columns are those of a record with nothing returned yet, encoded once, not for
    every resource of a run."""
    return (*_resource_values(resource), *_NOTHING_RETURNED)


def _resource_values(resource: StateResource) -> tuple[object, ...]:
    return (
        str(resource.uid),
        resource.definition,
        resource.driver,
        resource.source,
        canonical_json(resource.inputs),
        resource.inputs_digest,
        canonical_json([str(uid) for uid in resource.depends_on]),
        resource.prevent_destroy,
        resource.status.value,
        _optional_json(resource.params),
        _optional_json(resource.secret_sources),
    )


def _runtime_values(record: ResourceRecord) -> tuple[object, ...]:
    return (
        canonical_json(record.outputs),
        canonical_json(record.secrets),
        canonical_json(record.driver_state),
        canonical_json(list(record.manifests)),
        record.resolved_digest,
        canonical_json(record.resolved_inputs),
        canonical_json(record.resolved_secrets),
        canonical_json(record.resolved_params),
        canonical_json(record.resolved_context),
    )


# The runtime columns of a record with nothing returned yet (its resource is not read).
_NOTHING_RETURNED = _runtime_values(
    ResourceRecord(StateResource(ResourceUid("", "", ""), "", "", "", {}, ""))
)


def resource_from_row(row: Row) -> StateResource:
    """A `StateResource` from the `RESOURCE_COLUMNS` at the start of `row`; a value
    orchc did not write that way raises `DamagedValueError`."""
    uid, definition, driver, source, inputs, digest, depends_on, prevent, status = row[:9]
    params, secret_sources = row[9:11]
    return StateResource(
        uid=_uid(uid, "uid"),
        definition=str(definition),
        driver=str(driver),
        source=str(source),
        inputs=_object(inputs, "inputs"),
        inputs_digest=str(digest),
        depends_on=tuple(_uid(text, "depends_on") for text in _list(depends_on, "depends_on")),
        prevent_destroy=bool(prevent),
        status=_status(status),
        params=_optional_object(params, "params"),
        secret_sources=_optional_object(secret_sources, "secret_sources"),
    )


def record_from_row(row: Row) -> ResourceRecord:
    """A `ResourceRecord` from a row of `RECORD_COLUMNS`."""
    start = len(RESOURCE_COLUMNS)
    outputs, secrets, driver_state, manifests, resolved_digest = row[start : start + 5]
    resolved_inputs, resolved_secrets, resolved_params, resolved_context = row[start + 5 :]
    return ResourceRecord(
        resource=resource_from_row(row),
        outputs=_object(outputs, "outputs"),
        secrets=_object(secrets, "secrets"),
        driver_state=_object(driver_state, "driver_state"),
        manifests=tuple(_list(manifests, "manifests")),
        resolved_digest=None if resolved_digest is None else str(resolved_digest),
        resolved_inputs=_object(resolved_inputs, "resolved_inputs"),
        resolved_secrets=_object(resolved_secrets, "resolved_secrets"),
        resolved_params=_object(resolved_params, "resolved_params"),
        resolved_context=_object(resolved_context, "resolved_context"),
    )


WORKLOAD_COLUMNS = ("name", "source", "digest", "spec", "bindings")
# A deployment as `History.deployments` lists it (`applied` is read only for one).
DEPLOYMENT_COLUMNS = (
    "id",
    "serial",
    "operation",
    "actor",
    "plan_digest",
    "started",
    "ended",
    "duration",
    "result",
    "counts",
    "timings",
)


def workload_values(workload: StateWorkload) -> tuple[object, ...]:
    """The values of `WORKLOAD_COLUMNS` for `workload`, in that order."""
    bindings = None if workload.resources is None else dict(workload.resources)
    return (
        workload.name,
        workload.source,
        workload.digest,
        _optional_json(workload.spec),
        _optional_json(bindings),
    )


def workload_from_row(row: Row) -> StateWorkload:
    name, source, digest, spec, bindings = row
    return StateWorkload(
        name=str(name),
        source=str(source),
        digest=str(digest),
        spec=_optional_object(spec, "spec"),
        resources=_optional_object(bindings, "bindings"),
    )


class DamagedValueError(ValueError):
    """A value in the state that orchc cannot have written: the store is damaged. The
    message names the column, never the value (it may be a secret).

    >>> json_value("{", "outputs")
    Traceback (most recent call last):
    ...
    orchc.runtime.state.schema.DamagedValueError: column 'outputs' is not valid JSON
    """

    def __init__(self, column: str, problem: str) -> None:
        super().__init__(f"column '{column}' {problem}")


def json_value(text: object, column: str) -> Any:
    """The JSON value stored as text in `column`."""
    if not isinstance(text, str):
        raise DamagedValueError(column, f"holds {type(text).__name__}, not JSON text")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass  # perhaps what only the standard library reads (a NaN an older orchc wrote)
    try:
        return json.loads(text)
    except ValueError:
        raise DamagedValueError(column, "is not valid JSON") from None


def _object(text: object, column: str) -> JsonObject:
    value = json_value(text, column)
    if not isinstance(value, dict):
        raise DamagedValueError(column, "is not a JSON object")
    return value


def _list(text: object, column: str) -> list[Any]:
    value = json_value(text, column)
    if not isinstance(value, list):
        raise DamagedValueError(column, "is not a JSON array")
    return value


def _uid(text: object, column: str) -> ResourceUid:
    try:
        return ResourceUid.parse(str(text))
    except ValueError:
        raise DamagedValueError(column, "holds something that is not a resource uid") from None


def _status(text: object) -> ResourceStatus:
    try:
        return ResourceStatus(text)
    except ValueError:
        raise DamagedValueError("status", "holds an unknown status") from None


def _optional_json(value: JsonObject | None) -> str | None:
    return None if value is None else canonical_json(value)


def _optional_object(text: object, column: str) -> JsonObject | None:
    return None if text is None else _object(text, column)
