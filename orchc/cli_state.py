"""`orchc state list|show|unlock` and `orchc outputs`: read what exists. Secret outputs
are shown as `(sensitive)` unless `outputs --show-secrets` asks for them; driver state
is never shown."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from orchc.compiler.plan import canonical_json
from orchc.compiler.uid import ResourceUid
from orchc.runtime.state.contract import ResourceRecord, StateStore
from orchc.sensitive import SENSITIVE

from .options import fail, state_option, user_errors
from .project import Project


@contextmanager
def _store(state_url: str | None) -> Iterator[tuple[Project, StateStore]]:
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
    """Inspect or unlock the state."""


@state.command(name="list")
@_env_options
@state_option
@user_errors
def list_resources(env: str, app: str | None, state_url: str | None) -> None:
    """One line per resource: uid, status, definition, driver."""
    with _store(state_url) as (project, store):
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
    with _store(state_url) as (project, store):
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
@user_errors
def unlock(env: str, app: str | None, state_url: str | None) -> None:
    """Remove the lock of an environment (the last resort after a crash)."""
    with _store(state_url) as (project, store):
        app_id = project.app(app)
        holder = store.force_unlock(app_id, env)
        if holder is None:
            click.echo(f"orchc: {app_id}/{env} was not locked", err=True)
        else:
            click.echo(f"orchc: removed the lock held by {holder.describe()}", err=True)


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
    with _store(state_url) as (project, store):
        values = _outputs(_record(store, project.app(app), env, uid), show_secrets)
    if output_format == "json":
        click.echo(canonical_json(values), nl=False)
        return
    for key, value in sorted(values.items()):
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        click.echo(f"{key} = {text}")
