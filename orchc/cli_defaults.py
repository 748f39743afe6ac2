"""`orchc defaults`: the definitions that ship with orchc, listed or printed.

`orchc defaults` (or `--list`) prints one line per default definition: the resource
type, the definition id, its driver and description. `orchc defaults TYPE` prints the
source of the file(s) holding the defaults for TYPE, exactly as orchc reads them, so
`orchc defaults postgres > platform/postgres.orch` is the start of an override (a user
definition that matches always wins over a default, SPEC §3.5). The defaults are
parsed like any definitions, so a broken default fails here too, as diagnostics.
"""

from __future__ import annotations

import click

from orchc.compiler import ir
from orchc.compiler.pipeline import read_defaults
from orchc.grammar.diagnostics import DiagnosticError, Diagnostics
from orchc.grammar.source import SourceMap

from .options import fail, user_errors
from .project import UsageProblem

_HEADINGS = ("TYPE", "DEFINITION", "DRIVER", "DESCRIPTION")


@click.command()
@click.option("--list", "list_only", is_flag=True, help="one line per default (the default)")
@click.argument("resource_type", required=False, metavar="[TYPE]")
@user_errors
def defaults(list_only: bool, resource_type: str | None) -> None:
    """List the default definitions, or print the ones for TYPE."""
    if list_only and resource_type is not None:
        raise UsageProblem("give either --list or a TYPE, not both")
    program, sources = load_defaults()
    if resource_type is None:
        click.echo(render_list(program.definitions), nl=False)
        return
    chosen = program.definitions_of(resource_type)
    if not chosen:
        known = ", ".join(sorted({d.type for d in program.definitions}))
        fail(f"no default definition for type '{resource_type}' (defaults exist for: {known})")
    click.echo(render_sources(chosen, sources), nl=False)


def load_defaults() -> tuple[ir.Program, SourceMap]:
    """The default definitions and the files they were read from."""
    sources = SourceMap()
    diagnostics = Diagnostics()
    program = read_defaults(sources, diagnostics)
    if diagnostics.has_errors:
        raise DiagnosticError(diagnostics.sorted(), sources)
    return program, sources


def render_list(definitions: tuple[ir.Definition, ...]) -> str:
    """A table of `definitions`, sorted by type then id, columns padded to fit."""
    rows = [_HEADINGS] + [
        (d.type, d.id, d.driver, d.description or "")
        for d in sorted(definitions, key=lambda d: (d.type, d.id))
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_HEADINGS) - 1)]
    lines = [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def render_sources(definitions: tuple[ir.Definition, ...], sources: SourceMap) -> str:
    """The text of every file that holds one of `definitions`, each file once, in
    path order, separated by a blank line."""
    texts = []
    for path in sorted({d.span.path for d in definitions}):
        source = sources.get(path)
        if source is not None:
            texts.append(source.text if source.text.endswith("\n") else source.text + "\n")
    return "\n".join(texts)
