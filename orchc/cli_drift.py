"""`orchc drift --env ENV`: report what drifted (SPEC §9), change nothing.

Observing holds the (app, env) lock; `--lock-timeout` waits for a run holding it, as
`apply` does. Exit 0 when nothing drifted, 2 when something did, 1 when a driver could
not look (or on any other error). `--format json` prints one object: every resource observed,
with what was seen.
"""

from __future__ import annotations

import sys

import click

from orchc.compiler.plan import canonical_json
from orchc.runtime.drift import Observed, Seen, observe_all

from .cli_apply import waiting
from .options import lock_timeout_option, state_option, user_errors
from .project import Project

MARKS = {Seen.SAME: " ", Seen.DRIFTED: "~", Seen.NOT_OBSERVED: "?", Seen.ERROR: "!"}


@click.command()
@click.option("--env", required=True, help="environment id")
@click.option("--app", help="application id (default: app in orchc.toml)")
@state_option
@lock_timeout_option
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@user_errors
def drift(
    env: str, app: str | None, state_url: str | None, lock_timeout: float, output_format: str
) -> None:
    """Ask every driver that can observe whether what it made drifted."""
    project = Project.load()
    app_id = project.app(app)
    store = project.existing_state_store(state_url)
    try:
        observed = observe_all(
            waiting(store, lock_timeout), project.drivers, project.root, app_id, env
        )
    finally:
        store.close()
    click.echo(
        render_json(observed) if output_format == "json" else render_text(observed), nl=False
    )
    sys.exit(exit_code(observed))


def exit_code(observed: list[Observed]) -> int:
    seen = {o.seen for o in observed}
    return 1 if Seen.ERROR in seen else 2 if Seen.DRIFTED in seen else 0


def render_text(observed: list[Observed]) -> str:
    lines = [
        f"{MARKS[o.seen]} {o.uid}  {o.seen.value}" + (f": {o.detail}" if o.detail else "")
        for o in observed
    ]
    counts = {seen: sum(1 for o in observed if o.seen is seen) for seen in Seen}
    summary = ", ".join(f"{count} {seen.value}" for seen, count in counts.items() if count)
    lines.append(f"Drift: {summary or 'nothing to observe'}.")
    return "\n".join(lines) + "\n"


def render_json(observed: list[Observed]) -> str:
    resources = {
        o.uid: {"driver": o.driver, "status": o.seen.value, "detail": o.detail} for o in observed
    }
    drifted = sorted(o.uid for o in observed if o.seen is Seen.DRIFTED)
    return canonical_json({"drifted": drifted, "resources": resources})
