"""`orchc init` (SPEC §6): scaffold a project in the working directory.

Prints one line per file (`created` or `exists, kept`) on stdout, then the next steps
on stderr. An invalid `--app` is a usage error (exit 2); nothing is written then.
"""

from __future__ import annotations

from pathlib import Path

import click

from .init import SAMPLE_SCORE, InvalidAppName, Outcome, init_project
from .options import user_errors
from .project import UsageProblem

_NEXT_STEPS = """\
Next:
  orchc plan --env dev                    show what would be provisioned and deployed
  orchc apply --env dev                   do it (writes build/dev/compose.yaml)
  orchc apply --env staging               Kubernetes manifests under build/staging"""


@click.command()
@click.option("--no-sample", is_flag=True, help=f"do not write a sample {SAMPLE_SCORE}")
@click.option("--app", help="application id (default: the folder's name, made a valid id)")
@user_errors
def init(no_sample: bool, app: str | None) -> None:
    """Scaffold orchc.toml, definitions for dev, staging and prod, and a sample score.yaml."""
    try:
        written = init_project(Path.cwd(), app, sample=not no_sample)
    except InvalidAppName as error:
        raise UsageProblem(str(error)) from None
    for item in written:
        click.echo(item.describe())
    if not any(item.outcome is Outcome.CREATED for item in written):
        click.echo("orchc: nothing to do, every file exists", err=True)
    else:
        click.echo(_NEXT_STEPS, err=True)
