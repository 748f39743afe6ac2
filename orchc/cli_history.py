"""`orchc history`, `orchc history show SERIAL`, `orchc history prune --keep N` and
`orchc rollback` (SPEC §13): the deployments the state records, one of them in detail,
deleting all but the newest, and a plan that goes back to one.

Imports of the runtime and the compiler are inside the commands: `orchc --help` and the
other commands must not pay for them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .options import context_options, fail, lock_timeout_option, state_option, user_errors

if TYPE_CHECKING:  # imported where used: see the module docstring
    from orchc.runtime.state.contract import StateStore

    from .project import Project

# What `history` prints per action, in the order of a plan's summary.
_ACTION_SYMBOLS = (("create", "+"), ("update", "~"), ("replace", "-/+"), ("delete", "-"))

_format_option = click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text"
)


@click.group(invoke_without_command=True)
@click.option("--env", help="environment id")
@click.option("--app", help="application id (default: app in orchc.toml)")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@_format_option
@state_option
@click.pass_context
@user_errors
def history(
    ctx: click.Context,
    env: str | None,
    app: str | None,
    limit: int,
    output_format: str,
    state_url: str | None,
) -> None:
    """The deployments (applies, destroys) of an environment, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    if env is None:
        fail("missing option '--env'", 2)
    assert env is not None
    with _opened(app, state_url) as (_, app_id, store):
        rows = store.deployments(app_id, env, limit)
    if output_format == "json":
        listed = [{k: v for k, v in row.items() if k != "timings"} for row in rows]
        document = {"app": app_id, "env": env, "deployments": listed}
        click.echo(json.dumps(document, sort_keys=True, indent=2))
    else:
        click.echo(_history_text(rows), nl=False)


@history.command(name="show")
@click.argument("serial", type=click.IntRange(min=1))
@context_options
@_format_option
@state_option
@user_errors
def show(serial: int, env: str, app: str | None, output_format: str, state_url: str | None) -> None:
    """One deployment: who, when, how it ended, and what it changed."""
    with _opened(app, state_url) as (_, app_id, store):
        row = store.deployment(app_id, env, serial)
    if row is None:
        fail(f"no deployment with serial {serial} in the history of {app_id}/{env}")
    assert row is not None
    changed = _changed(row)
    if output_format == "json":
        document = {k: v for k, v in row.items() if k != "applied"}
        document.update(app=app_id, env=env, changed=changed)
        click.echo(json.dumps(document, sort_keys=True, indent=2))
    else:
        click.echo(_show_text(app_id, env, row, changed), nl=False)


@history.command(name="prune")
@click.option(
    "--keep",
    required=True,
    type=click.IntRange(min=1),
    help="how many of the newest deployments to keep (at least 1)",
)
@context_options
@state_option
@lock_timeout_option
@user_errors
def prune(keep: int, env: str, app: str | None, state_url: str | None, lock_timeout: float) -> None:
    """Delete all but the newest KEEP deployments (rollback can go back to those)."""
    from orchc.runtime.history import prune_history

    from .cli_apply import waiting

    with _opened(app, state_url) as (project, app_id, store):
        _can_prune(store, project.config.state_url(state_url))
        deleted = prune_history(waiting(store, lock_timeout), app_id, env, keep)
        kept = [_text(row.get("serial")) for row in store.deployments(app_id, env, keep)]
    click.echo(f"deleted {deleted} deployment(s) from the history of {app_id}/{env}; {_kept(kept)}")


def _can_prune(store: StateStore, url: str) -> None:
    """A third-party backend written before `prune_deployments` joined the state
    contract is refused by name, before the lock is taken."""
    if callable(getattr(store, "prune_deployments", None)):
        return
    from orchc.runtime.state.errors import StateStoreError

    scheme, kind = url.partition(":")[0], type(store)
    raise StateStoreError(
        f"state backend '{scheme}' ({kind.__module__}:{kind.__qualname__}) cannot prune "
        "the history: its store has no `prune_deployments` method, which the state "
        "contract gained with `history prune`; nothing was deleted"
    )


@click.command()
@context_options
@click.option("--to", "serial", required=True, type=click.IntRange(min=1), help="serial")
@click.option(
    "-o", "--out", required=True, type=click.Path(path_type=Path, dir_okay=False), help="plan file"
)
@state_option
@user_errors
def rollback(env: str, app: str | None, serial: int, out: Path, state_url: str | None) -> None:
    """Write a plan that puts back the workloads and resource inputs of a deployment.

    The plan restores what deployment SERIAL applied, against the state as it is now;
    review it (`orchc diff`, `orchc graph`) and apply it like any plan."""
    import os

    from orchc.compiler.plan_integrity import PLAN_KEY_VARIABLE, sealed
    from orchc.compiler.render.text import render_text
    from orchc.compiler.rollback import RollbackError, rollback_plan

    from .files import write_atomically

    with _opened(app, state_url) as (project, app_id, store):
        row = store.deployment(app_id, env, serial)
        snapshot = store.snapshot(app_id, env)
    applied = _restorable(row, app_id, env, serial)
    try:
        plan = rollback_plan(applied, serial, snapshot, project.drivers.replace_inputs)
    except RollbackError as error:
        fail(str(error))
        raise AssertionError("unreachable") from None  # `fail` exits
    # The digest and the file from one dump of the plan, as `orchc plan` writes it.
    sealed_plan = sealed(plan, os.environ.get(PLAN_KEY_VARIABLE))
    write_atomically(out, sealed_plan.text)
    click.echo(render_text(sealed_plan.plan), err=True, nl=False)
    click.echo(f"orchc: rollback plan to serial {serial} written to {out}", err=True)


@contextmanager
def _opened(app: str | None, state_url: str | None) -> Iterator[tuple[Project, str, StateStore]]:
    """The project, the app id and the existing state store (closed afterwards)."""
    from .cli_state import opened_store

    with opened_store(state_url) as (project, store):
        yield project, project.app(app), store


def _restorable(
    row: Mapping[str, Any] | None, app: str, env: str, serial: int
) -> Mapping[str, Any]:
    """What deployment `serial` applied, or a clear refusal."""
    if row is None:
        fail(f"no deployment with serial {serial} in the history of {app}/{env}")
    assert row is not None
    applied = row.get("applied")
    if row.get("operation") != "apply" or not isinstance(applied, dict):
        what = row.get("operation") or "recorded before orchc kept what was applied"
        fail(f"deployment serial {serial} of {app}/{env} cannot be rolled back to ({what})")
    assert isinstance(applied, dict)
    return applied


# -- rendering ---------------------------------------------------------------------------


def _kept(serials: Sequence[str]) -> str:
    """What `history prune` kept, given the serials newest first.

    >>> _kept(["9", "8", "7"]), _kept(["4"]), _kept([])
    ('kept 3 (serials 7 to 9)', 'kept 1 (serial 4)', 'kept 0')
    """
    if len(serials) > 1:
        return f"kept {len(serials)} (serials {serials[-1]} to {serials[0]})"
    return f"kept 1 (serial {serials[0]})" if serials else "kept 0"


def _history_text(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return "no deployments recorded\n"
    table = [("SERIAL", "OPERATION", "RESULT", "STARTED", "DURATION", "BY", "CHANGES", "PLAN")]
    for row in rows:
        table.append(
            (
                _text(row.get("serial")),
                _text(row.get("operation")),
                str(row["result"]),
                str(row["started"]),
                _duration(row),
                _text(row.get("actor")),
                _counts(row.get("counts")),
                _short_digest(str(row["plan_digest"])),
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        + "\n"
        for line in table
    )


def _show_text(app: str, env: str, row: Mapping[str, Any], changed: Mapping[str, Any]) -> str:
    lines = [
        f"Deployment serial {_text(row.get('serial'))} of {app}/{env}: "
        f"{_text(row.get('operation'))}, {row['result']}",
        f"  by        {_text(row.get('actor'))}",
        f"  started   {row['started']}",
        f"  ended     {_text(row.get('ended'))} ({_duration(row)})",
        f"  plan      {row['plan_digest']}",
        f"  changes   {_counts(row.get('counts'))}",
    ]
    for group in ("resources", "workloads"):
        entries = changed[group]
        if entries:
            lines.append(f"{group.capitalize()}:")
            lines += [_entry_line(name, entry) for name, entry in entries.items()]
    return "\n".join(lines) + "\n"


def _entry_line(name: str, entry: Mapping[str, Any]) -> str:
    symbol = dict(_ACTION_SYMBOLS).get(entry["action"], entry["action"])
    result = f"  ({entry['result']})" if entry.get("result") else ""
    return f"  {symbol:<3} {name}{result}"


def _changed(row: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """What the deployment changed: its resources and workloads whose action was not
    `noop`, with the result of each resource's job (from the timings)."""
    results = {t["uid"]: t["result"] for t in row.get("timings") or ()}
    applied = row.get("applied") or {}
    changed: dict[str, dict[str, Any]] = {"resources": {}, "workloads": {}}
    for group in ("resources", "workloads"):
        for name, entry in sorted((applied.get(group) or {}).items()):
            if entry.get("action", "noop") == "noop":
                continue
            shown = {"action": entry["action"]}
            if group == "resources":
                shown.update(definition=entry.get("definition"), result=results.get(name))
            changed[group][name] = shown
    return changed


def _counts(counts: Mapping[str, int] | None) -> str:
    """`+1 ~2 -1` (what changed), `-` when nothing did.

    >>> _counts({"create": 1, "update": 0, "delete": 2, "noop": 5}), _counts({"noop": 1})
    ('+1 -2', '-')
    """
    if not counts:
        return "-"
    shown = [f"{symbol}{counts[a]}" for a, symbol in _ACTION_SYMBOLS if counts.get(a)]
    return " ".join(shown) or "-"


def _duration(row: Mapping[str, Any]) -> str:
    seconds = row.get("duration")
    if seconds is None and row.get("ended"):
        started = datetime.fromisoformat(str(row["started"]).replace("Z", "+00:00"))
        ended = datetime.fromisoformat(str(row["ended"]).replace("Z", "+00:00"))
        seconds = (ended - started).total_seconds()
    return "-" if seconds is None else f"{seconds:.1f}s"


def _short_digest(digest: str) -> str:
    """A plan digest as `git log --oneline` shows a commit: enough to recognise it."""
    algorithm, _, value = digest.partition(":")
    return f"{algorithm}:{value[:12]}" if value else digest


def _text(value: object) -> str:
    return "-" if value is None else str(value)
