"""`orchc types [TYPE]`: the resource types, their contracts and who serves them.

A type is listed when a contract (`resource_type` block, shipped or yours) or a
definition names it. For each: the outputs and secret outputs its contract promises
(or "no contract"), and the definitions of that type, yours first, then the shipped
defaults. `--format json` gives the same as one object, keys sorted, for tools.

The text form lists one type per line; with TYPE it details that type: where its
contract is written and each definition's driver, location, match blocks and the
outputs it returns when its driver can tell (naming what it misses from the contract).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import click

from orchc.compiler import ir, pipeline
from orchc.compiler.passes.check_definitions import DriverCatalog
from orchc.grammar.strings import quote

from .options import definitions_option, fail, user_errors
from .project import Project

_HEADINGS = ("TYPE", "OUTPUTS", "SECRETS", "DEFINITIONS")


@click.command()
@click.argument("resource_type", required=False, metavar="[TYPE]")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@definitions_option
@user_errors
def types(resource_type: str | None, output_format: str, definitions: Path | None) -> None:
    """List resource types, their outputs and the definitions that serve them."""
    project = Project.load()
    sources = dataclasses.replace(project.sources(definitions, ()), score_files=())
    program = pipeline.read(sources, project.drivers).program
    described = describe_types(program, project.drivers)
    if resource_type is not None:
        described = [t for t in described if t["type"] == resource_type]
        if not described:
            known = ", ".join(t["type"] for t in described_names(program))
            fail(f"no contract or definition for type '{resource_type}' (types: {known})")
    if output_format == "json":
        text = json.dumps({"types": described}, sort_keys=True, indent=2, ensure_ascii=False)
        click.echo(text)
    elif resource_type is not None:
        click.echo(render_detail(described[0]), nl=False)
    else:
        click.echo(render_table(described), nl=False)


def described_names(program: ir.Program) -> list[dict[str, str]]:
    names = {c.name for c in program.resource_types} | {d.type for d in program.definitions}
    return [{"type": name} for name in sorted(names)]


def describe_types(program: ir.Program, drivers: DriverCatalog) -> list[dict[str, Any]]:
    """One entry per type, sorted by name: its contract and its definitions, each with
    the outputs it returns when its driver can tell (`returns`, else null)."""
    return [_describe(program, entry["type"], drivers) for entry in described_names(program)]


def _describe(program: ir.Program, name: str, drivers: DriverCatalog) -> dict[str, Any]:
    contract = program.contract(name)
    served = sorted(program.definitions_of(name), key=lambda d: (-d.tier, d.id))
    return {
        "type": name,
        "description": contract.description if contract else None,
        "contract": _contract(contract),
        "definitions": [
            {
                "id": d.id,
                "driver": d.driver,
                "default": d.tier is ir.Tier.DEFAULT,
                "source": str(d.span),
                "match": [m.as_dict() for m in d.matches],
                "returns": _returns(d, drivers),
            }
            for d in served
        ],
    }


def _returns(definition: ir.Definition, drivers: DriverCatalog) -> list[str] | None:
    """The outputs the definition's driver says it returns, from the values as written
    (a `${...}` stays text); None when only apply can tell."""
    declaration = drivers.declaration(definition.driver) if definition.driver else None
    if declaration is None:
        return None
    names = declaration.output_names(_written(definition.inputs), _written(definition.secrets))
    return None if names is None else sorted(names)


def _written(values: ir.MapValue | None) -> dict[str, object]:
    def text(value: ir.Value) -> object:
        if isinstance(value, ir.Scalar):
            return value.value
        return value.content if isinstance(value, ir.FileContent) else None

    return {e.key: text(e.value) for e in values.entries} if values else {}


def _contract(contract: ir.ResourceType | None) -> dict[str, Any] | None:
    if contract is None:
        return None
    return {
        "source": str(contract.span),
        "default": contract.tier is ir.Tier.DEFAULT,
        "outputs": [o.name for o in contract.outputs],
        "secrets": [o.name for o in contract.secrets],
    }


def _definition_names(entry: dict[str, Any]) -> str:
    return ", ".join(d["id"] + (" (default)" if d["default"] else "") for d in entry["definitions"])


def render_table(described: list[dict[str, Any]]) -> str:
    rows = [_HEADINGS]
    for entry in described:
        contract = entry["contract"]
        outputs = ", ".join(contract["outputs"]) if contract else "(no contract)"
        secrets = ", ".join(contract["secrets"]) if contract else ""
        rows.append((entry["type"], outputs or "-", secrets or "-", _definition_names(entry)))
    widths = [max(len(row[column]) for row in rows) for column in range(len(_HEADINGS) - 1)]
    lines = [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _match_block(criteria: dict[str, str]) -> str:
    if not criteria:
        return "match {}"
    return "match { " + ", ".join(f"{k} = {quote(v)}" for k, v in criteria.items()) + " }"


def _returned(returns: list[str] | None, contract: dict[str, Any] | None) -> str:
    if returns is None:
        return "known at apply"
    shown = ", ".join(returns) or "nothing"
    promised = [*contract["outputs"], *contract["secrets"]] if contract else []
    missing = [name for name in promised if name not in returns]
    return shown + (f" (missing from the contract: {', '.join(missing)})" if missing else "")


def render_detail(entry: dict[str, Any]) -> str:
    contract = entry["contract"]
    lines = [f"type: {entry['type']}"]
    if entry["description"]:
        lines.append(f"description: {entry['description']}")
    if contract is None:
        lines.append("contract: none (references are checked where the driver tells its outputs)")
    else:
        shipped = " (shipped with orchc)" if contract["default"] else ""
        lines.append(f"contract: {contract['source']}{shipped}")
        lines.append(f"outputs: {', '.join(contract['outputs']) or '-'}")
        lines.append(f"secrets: {', '.join(contract['secrets']) or '-'}")
    lines.append("definitions:" if entry["definitions"] else "definitions: none")
    for definition in entry["definitions"]:
        default = " (default)" if definition["default"] else ""
        matches = "; ".join(_match_block(m) for m in definition["match"])
        lines.append(
            f"  {definition['id']}{default}: driver {definition['driver']}, "
            f"{definition['source']}" + (f", {matches}" if matches else ", never selected")
        )
        lines.append(f"    returns: {_returned(definition['returns'], contract)}")
    return "\n".join(lines) + "\n"
