"""The plan's graph as Graphviz dot or a Mermaid flowchart. Edges point from a
dependency to what depends on it, the order in which apply runs them."""

from __future__ import annotations

import json

from ..plan import Plan


def _nodes(plan: Plan) -> list[tuple[str, str, str]]:
    """(key, label, action) for resources then workloads, sorted."""
    nodes = [(uid, uid, r.action.value) for uid, r in sorted(plan.resources.items())]
    nodes += [
        (f"workload:{n}", f"workload {n}", w.action.value)
        for n, w in sorted(plan.workloads.items())
    ]
    return nodes


def _edges(plan: Plan) -> list[tuple[str, str]]:
    edges = [(dep, uid) for uid, r in plan.resources.items() for dep in r.depends_on]
    edges += [(dep, f"workload:{n}") for n, w in plan.workloads.items() for dep in w.depends_on]
    return sorted(edges)


def render_dot(plan: Plan) -> str:
    lines = ["digraph orchc {", "  rankdir=LR;", '  node [shape=box, fontname="monospace"];']
    for key, label, action in _nodes(plan):
        lines.append(f"  {json.dumps(key)} [label={json.dumps(f'{label} ({action})')}];")
    for source, target in _edges(plan):
        lines.append(f"  {json.dumps(source)} -> {json.dumps(target)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_label(text: str) -> str:
    return text.replace("#", "#35;").replace('"', "#quot;")


def render_mermaid(plan: Plan) -> str:
    nodes = _nodes(plan)
    ids = {key: f"n{index}" for index, (key, _, _) in enumerate(nodes)}
    lines = ["flowchart LR"]
    for key, label, action in nodes:
        lines.append(f'  {ids[key]}["{_mermaid_label(label)} ({action})"]')
    for source, target in _edges(plan):
        if source in ids and target in ids:
            lines.append(f"  {ids[source]} --> {ids[target]}")
    return "\n".join(lines) + "\n"
