"""`orchc state list|show|unlock|rm|rekey|migrate` and `orchc outputs`: read, forget, repair,
re-encrypt or move what exists. Secret outputs are shown as `(sensitive)` unless
`outputs --show-secrets` asks for them; driver state is never shown; keys never are."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from orchc.compiler.plan import canonical_json
from orchc.compiler.uid import ResourceUid
from orchc.runtime.state.contract import LockedError, ResourceRecord, StateStore
from orchc.runtime.state.crypto import NEW_KEY_VARIABLE, key_from_environment
from orchc.runtime.state.errors import StateStoreError
from orchc.runtime.state.sql import SqlStateStore
from orchc.sensitive import SENSITIVE

from .options import fail, lock_timeout_option, state_option, user_errors
from .project import Project, UsageProblem


@contextmanager
def opened_store(state_url: str | None) -> Iterator[tuple[Project, StateStore]]:
    """The project and its existing state store (closed afterwards)."""
    project = Project.load()
    store = project.existing_state_store(state_url)
    try:
        yield project, store
    finally:
        store.close()


def _record(store: StateStore, app: str, env: str, uid: str) -> ResourceRecord:
    record = store.record(app, env, ResourceUid.parse(uid))
    if record is None:
        fail(f"no resource '{uid}' in the state of {app}/{env}")
    assert record is not None
    return record


def _env_options(command: Any) -> Any:
    command = click.option("--app", help="application id (default: app in orchc.toml)")(command)
    return click.option("--env", required=True, help="environment id")(command)


@click.group()
def state() -> None:
    """Inspect, unlock, edit, re-encrypt or move the state."""


@state.command(name="list")
@_env_options
@state_option
@user_errors
def list_resources(env: str, app: str | None, state_url: str | None) -> None:
    """One line per resource: uid, status, definition, driver."""
    with opened_store(state_url) as (project, store):
        app_id = project.app(app)
        snapshot = store.snapshot(app_id, env)
        for uid, resource in sorted(snapshot.resources.items()):
            click.echo(f"{uid}\t{resource.status.value}\t{resource.definition}\t{resource.driver}")
        if not snapshot.resources:
            click.echo(f"orchc: no resources in the state of {app_id}/{env}", err=True)


@state.command()
@click.argument("uid")
@_env_options
@state_option
@user_errors
def show(uid: str, env: str, app: str | None, state_url: str | None) -> None:
    """A resource's definition, inputs and outputs (secrets masked) as JSON."""
    with opened_store(state_url) as (project, store):
        record = _record(store, project.app(app), env, uid)
        resource = record.resource
        document = {
            "uid": str(resource.uid),
            "status": resource.status.value,
            "definition": resource.definition,
            "source": resource.source,
            "driver": resource.driver,
            "inputs": resource.inputs,
            "depends_on": [str(d) for d in resource.depends_on],
            "outputs": _outputs(record, show_secrets=False),
        }
        click.echo(canonical_json(document), nl=False)


@state.command()
@_env_options
@state_option
@click.option(
    "--force",
    is_flag=True,
    help="remove the lock even if its holder (or a program it started) may still run",
)
@user_errors
def unlock(env: str, app: str | None, state_url: str | None, force: bool) -> None:
    """Remove the lock of an environment whose holder is gone (after a crash)."""
    with opened_store(state_url) as (project, store):
        app_id = project.app(app)
        try:
            holder = (
                store.force_unlock(app_id, env) if force else store.unlock_abandoned(app_id, env)
            )
        except LockedError as error:
            fail(_still_held(app_id, env, error))
            return
        if holder is None:
            click.echo(f"orchc: {app_id}/{env} was not locked", err=True)
        else:
            click.echo(f"orchc: removed the lock held by {holder.describe()}", err=True)


@state.command()
@state_option
@user_errors
def rekey(state_url: str | None) -> None:
    """Re-encrypt the state with ORCHC_STATE_NEW_KEY (or encrypt a plaintext state)."""
    new_key = key_from_environment(NEW_KEY_VARIABLE)
    if new_key is None:
        raise UsageProblem(
            f"set {NEW_KEY_VARIABLE} to the new key (and ORCHC_STATE_KEY to the old)"
        )
    with opened_store(state_url) as (_, store):
        count = _sql_store(store).rekey(new_key)
        where = _sql_store(store).where
    click.echo(
        f"orchc: encrypted the state at {where} with the new key ({count} resource(s)); "
        "from now on give it in ORCHC_STATE_KEY",
        err=True,
    )


@state.command()
@click.option("--to", "destination", required=True, help="state URL to copy into (empty)")
@state_option
@user_errors
def migrate(destination: str, state_url: str | None) -> None:
    """Copy every app and environment to another (empty) store; the source stays."""
    with opened_store(state_url) as (project, source):
        tables = _sql_store(source).export_rows()
        target = project.state_store(destination)
        try:
            _sql_store(target).import_rows(tables)
            where = _sql_store(target).where
        finally:
            target.close()
    counts = {table.name: len(table.rows) for table in tables}
    click.echo(
        f"orchc: copied {counts['lineages']} environment(s), {counts['resources']} resource(s) "
        f"and {counts['deployments']} deployment(s) to {where}; the source is unchanged",
        err=True,
    )


@state.command(name="rm")
@click.argument("uid")
@_env_options
@state_option
@lock_timeout_option
@user_errors
def remove(uid: str, env: str, app: str | None, state_url: str | None, lock_timeout: float) -> None:
    """Forget a resource without calling its driver (the next apply creates it again)."""
    from orchc.runtime.forget import NotInStateError, forget

    from .cli_apply import waiting

    with opened_store(state_url) as (project, store):
        app_id = project.app(app)
        waiting(store, lock_timeout)
        try:
            record = forget(store, app_id, env, ResourceUid.parse(uid))
        except NotInStateError as error:
            fail(str(error))
            return
    resource = record.resource
    click.echo(
        f"forgot {resource.uid} ({resource.status.value}; definition '{resource.definition}' "
        f"at {resource.source}, driver {resource.driver}) in {app_id}/{env}"
    )
    click.echo(
        "orchc: its driver was not called: what it made still exists; the next apply "
        "creates it again",
        err=True,
    )


def _still_held(app: str, env: str, error: LockedError) -> str:
    return (
        f"the lock of {app}/{env} is held by {error.holder.describe()}; that run may still "
        "be working (or runs on another host, where this orchc cannot check it): nothing "
        "was unlocked. Wait for it; if you are sure nothing of it runs any more, "
        f"`orchc state unlock --env {env} --force` removes the lock anyway"
    )


def _sql_store(store: StateStore) -> SqlStateStore:
    if not isinstance(store, SqlStateStore):
        raise StateStoreError("this command needs a SQL state store (sqlite or postgresql)")
    return store


def _outputs(record: ResourceRecord, show_secrets: bool) -> dict[str, Any]:
    secrets = record.secrets if show_secrets else dict.fromkeys(record.secrets, SENSITIVE)
    return {**record.outputs, **secrets}


@click.command()
@click.argument("uid")
@_env_options
@state_option
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@click.option("--show-secrets", is_flag=True, help="print secret outputs in clear")
@user_errors
def outputs(
    uid: str,
    env: str,
    app: str | None,
    state_url: str | None,
    output_format: str,
    show_secrets: bool,
) -> None:
    """Every output of a resource; secret ones as (sensitive) unless --show-secrets."""
    with opened_store(state_url) as (project, store):
        values = _outputs(_record(store, project.app(app), env, uid), show_secrets)
    if output_format == "json":
        click.echo(canonical_json(values), nl=False)
        return
    for key, value in sorted(values.items()):
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        click.echo(f"{key} = {text}")
