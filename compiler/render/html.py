"""Plans as one self-contained HTML page (SPEC §10): for each environment the resource
graph drawn as inline SVG (layout from `layout.py`, nodes coloured by action, edges from
dependencies), a table of the changes, and the details of a resource or workload —
definition, source line, inputs, changes, overrides — when it is selected; and the
overrides and CI images applied to the workloads' Score files.

The page loads nothing: no network, no external URL; styles and a little script are
inline, the data is a JSON island read with `textContent`, and the script writes only
text nodes (never HTML built from data), so a value in a plan cannot inject markup.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..plan import Action, Plan
from .layout import NODE_HEIGHT, NODE_WIDTH, Layout, layered_layout
from .text import changed_rows, combined_summary, summary_line
from .values import (
    KnownOutputs,
    change_lines,
    inline,
    is_multiline,
    known_outputs_for,
    one_line,
    resource_details,
    show,
    workload_details,
)

COLOURS = {
    Action.CREATE: "#2da44e",
    Action.UPDATE: "#d4a72c",
    Action.REPLACE: "#e16f24",
    Action.DELETE: "#cf222e",
    Action.NOOP: "#afb8c1",
}
_LABEL_CHARS = 34
_FIT_LAYERS = 6


def _node_key(name: str, workload: bool) -> str:
    return f"workload:{name}" if workload else name


def graph_of(plan: Plan) -> tuple[list[str], list[tuple[str, str]]]:
    keys = sorted(plan.resources) + [_node_key(n, True) for n in sorted(plan.workloads)]
    edges = [(d, uid) for uid, r in plan.resources.items() for d in r.depends_on]
    edges += [(d, _node_key(n, True)) for n, w in plan.workloads.items() for d in w.depends_on]
    return keys, edges


def _resource_data(uid: str, plan: Plan, known: KnownOutputs) -> dict[str, Any]:
    r = plan.resources[uid]
    changes = resource_details(r) if r.action is not Action.CREATE else []
    return {
        "kind": "resource",
        "name": uid,
        "action": r.action.value,
        "reason": r.reason or "",
        "definition": r.definition,
        "source": r.source,
        "driver": r.driver,
        "inputs": listing(r.inputs, known),
        "params": listing(r.params, known),
        "secrets": sorted(r.secrets),
        "depends_on": r.depends_on,
        "changes": [line for c in changes for line in change_lines(c, known, as_diff=True)],
    }


def _workload_data(name: str, plan: Plan, known: KnownOutputs) -> dict[str, Any]:
    w = plan.workloads[name]
    changes = workload_details(w)
    return {
        "kind": "workload",
        "name": f"workload {name}",
        "action": w.action.value,
        "reason": w.reason or "",
        "definition": "",
        "source": w.source,
        "driver": "",
        "inputs": [],
        "params": [],
        "secrets": [],
        "depends_on": w.depends_on,
        "resources": listing(w.resources, known),
        "overrides": [one_line(o) for o in w.overrides],
        "changes": [line for c in changes for line in change_lines(c, known, as_diff=True)],
    }


def listing(values: Mapping[str, Any], known: KnownOutputs) -> list[str]:
    """`key: value` lines, known outputs filled in; a multi-line string as its lines,
    indented below its key (never one line with escaped newlines)."""
    lines = []
    for key, value in sorted(values.items()):
        shown = show(value, known)
        if is_multiline(shown):
            lines += [f"{key}:", *("    " + line for line in str(shown).splitlines())]
        else:
            lines.append(f"{key}: {inline(shown)}")
    return lines


def plan_data(plan: Plan, outputs: KnownOutputs) -> dict[str, Any]:
    known = known_outputs_for(plan, outputs)
    nodes = {uid: _resource_data(uid, plan, known) for uid in plan.resources}
    nodes |= {_node_key(n, True): _workload_data(n, plan, known) for n in plan.workloads}
    return {"env": plan.context.env, "nodes": nodes}


def _label(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def _svg(plan: Plan, layout: Layout, env_index: int) -> str:
    actions = {uid: r.action for uid, r in plan.resources.items()}
    actions |= {_node_key(n, True): w.action for n, w in plan.workloads.items()}
    where = {node.key: node for node in layout.nodes}
    # A graph of a few layers is scaled to the width of the page; a deeper one keeps
    # its size (readable labels) and scrolls.
    fit = " fit" if len({node.layer for node in layout.nodes}) <= _FIT_LAYERS else ""
    parts = [
        f'<svg class="graph{fit}" xmlns="http://www.w3.org/2000/svg" width="{layout.width}" '
        f'height="{layout.height}" viewBox="0 0 {layout.width} {layout.height}" role="img">',
        f'<defs><marker id="arrow{env_index}" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#8c959f"/></marker></defs>',
    ]
    for source, target in layout.edges:
        a, b = where[source], where[target]
        x1, y1 = a.x + NODE_WIDTH, a.y + NODE_HEIGHT // 2
        x2, y2 = b.x, b.y + NODE_HEIGHT // 2
        middle = (x1 + x2) // 2
        parts.append(
            f'<path class="edge" data-from="{html.escape(source)}" '
            f'data-to="{html.escape(target)}" d="M {x1} {y1} C {middle} {y1}, {middle} {y2}, '
            f'{x2} {y2}" marker-end="url(#arrow{env_index})"/>'
        )
    for node in layout.nodes:
        parts.append(_svg_node(node.key, node.x, node.y, actions[node.key]))
    parts.append("</svg>")
    return "\n".join(parts)


def _svg_node(key: str, x: int, y: int, action: Action) -> str:
    workload = key.startswith("workload:")
    text = f"workload {key[len('workload:') :]}" if workload else key
    radius = NODE_HEIGHT // 2 if workload else 4
    return (
        f'<g class="node {action.value}" data-key="{html.escape(key)}" tabindex="0" '
        f'transform="translate({x},{y})"><title>{html.escape(text)} ({action.value})</title>'
        f'<rect width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="{radius}" '
        f'fill="{COLOURS[action]}"/>'
        f'<text x="10" y="{NODE_HEIGHT // 2 + 5}">{action.symbol.strip()} '
        f"{html.escape(_label(text))}</text></g>"
    )


def _changes_table(plan: Plan) -> str:
    rows = [
        _row(_row_key(name), name, action, definition, source, why)
        for action, name, definition, source, why in changed_rows(plan)
    ]
    if not rows:
        return '<p class="quiet">Nothing changes.</p>'
    head = "<tr><th>action</th><th>name</th><th>definition</th><th>source</th><th>why</th></tr>"
    return f'<table class="changes"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _overrides_table(plan: Plan) -> str:
    """Every workload whose Score file was overridden (CI images included), changed or
    not: which image a plan deploys is what a reviewer checks."""
    rows = [
        f'<tr data-key="{html.escape(_node_key(name, True))}" tabindex="0">'
        f"<td>{html.escape(name)}</td><td>"
        + "".join(f"<div>{html.escape(one_line(o))}</div>" for o in w.overrides)
        + "</td></tr>"
        for name, w in sorted(plan.workloads.items())
        if w.overrides
    ]
    if not rows:
        return ""
    head = "<tr><th>workload</th><th>overridden by</th></tr>"
    table = f'<table class="changes overrides"><thead>{head}</thead><tbody>{"".join(rows)}</tbody>'
    return f"<h3>Overrides and images</h3>\n{table}</table>"


def _row_key(name: str) -> str:
    """The graph key of a row name (`workload NAME` is `workload:NAME`)."""
    return "workload:" + name[len("workload ") :] if name.startswith("workload ") else name


def _row(key: str, name: str, action: Action, definition: str, source: str, why: str | None) -> str:
    cells = [name, definition, source, why or ""]
    body = "".join(f"<td>{html.escape(cell)}</td>" for cell in cells)
    badge = f'<td><span class="badge {action.value}">{action.value}</span></td>'
    return f'<tr data-key="{html.escape(key)}" tabindex="0">{badge}{body}</tr>'


def _section(plan: Plan, index: int) -> str:
    keys, edges = graph_of(plan)
    layout = layered_layout(keys, edges)
    context = plan.context
    legend = "".join(
        f'<span class="badge {a.value}">{a.value}</span>' for a in Action if a is not Action.NOOP
    )
    return f"""<section class="env" data-env="{html.escape(context.env)}">
<h2>{html.escape(context.env)} <span class="quiet">({html.escape(context.env_type)})</span></h2>
<p class="summary">{html.escape(summary_line(plan.summary))} {legend}
<span class="badge noop">unchanged</span></p>
<div class="main"><div class="canvas">{_svg(plan, layout, index)}</div>
<aside class="details"><p class="quiet">Select a resource or workload in the graph or
the table to see its definition, source, inputs and changes.</p></aside></div>
<h3>Changes</h3>
{_changes_table(plan)}
{_overrides_table(plan)}
</section>"""


def _json_island(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html_report(
    plans: Sequence[Plan], outputs: Mapping[str, KnownOutputs] | None = None
) -> str:
    outputs = outputs or {}
    app = plans[0].context.app if plans else ""
    data = {p.context.env: plan_data(p, outputs.get(p.context.env, {})) for p in plans}
    title = f"orchc plan: {app} / " + ", ".join(p.context.env for p in plans)
    total = summary_line(combined_summary(plans)) if len(plans) > 1 else ""
    sections = "\n".join(_section(plan, index) for index, plan in enumerate(plans))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{html.escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<header><h1>{html.escape(title)}</h1>
<p class="summary">{html.escape(total)}</p></header>
{sections}
<script type="application/json" id="orchc-data">{_json_island(data)}</script>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def render_html(plan: Plan, outputs: KnownOutputs | None = None) -> str:
    return render_html_report([plan], {plan.context.env: outputs or {}})


_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
  color: #1f2328; background: #fff; }
header { padding: 12px 20px; border-bottom: 1px solid #d0d7de; background: #f6f8fa; }
h1 { font-size: 18px; margin: 0; } h2 { font-size: 16px; margin: 0 0 4px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
section.env { padding: 14px 20px; border-bottom: 1px solid #d0d7de; }
.quiet { color: #656d76; font-weight: normal; }
.summary { margin: 4px 0 10px; }
.main { display: flex; gap: 16px; align-items: flex-start; }
.canvas { flex: 1 1 auto; overflow: auto; max-height: 70vh; border: 1px solid #d0d7de;
  border-radius: 6px; background: #fbfcfd; }
aside.details { flex: 0 0 360px; max-height: 70vh; overflow: auto; border: 1px solid #d0d7de;
  border-radius: 6px; padding: 10px 12px; }
aside.details h4 { margin: 0 0 6px; font-size: 14px; word-break: break-all; }
aside.details dt { font-weight: 600; margin-top: 6px; }
aside.details dd { margin: 0; word-break: break-all; }
pre { background: #f6f8fa; padding: 6px 8px; border-radius: 4px; overflow: auto;
  font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; margin: 4px 0; }
pre .add { color: #116329; background: #dafbe1; display: block; }
pre .del { color: #82071e; background: #ffebe9; display: block; }
pre .hunk { color: #0550ae; display: block; }
svg.graph text { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; fill: #fff;
  pointer-events: none; }
svg.graph .node.noop text { fill: #1f2328; }
svg.graph .node { cursor: pointer; }
svg.graph.fit { max-width: 100%; height: auto; display: block; }
svg.graph .node rect { stroke: #fff; stroke-width: 1.5; }
svg.graph .node.selected rect { stroke: #0969da; stroke-width: 4; }
svg.graph .edge { fill: none; stroke: #8c959f; stroke-width: 1.2; opacity: 0.75; }
svg.graph .edge.related { stroke: #0969da; stroke-width: 2.5; opacity: 1; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff;
  font-size: 12px; margin-right: 4px; }
.badge.create { background: #2da44e; } .badge.update { background: #d4a72c; }
.badge.replace { background: #e16f24; } .badge.delete { background: #cf222e; }
.badge.noop { background: #afb8c1; color: #1f2328; }
table.changes { border-collapse: collapse; width: 100%; }
table.changes th, table.changes td { border-bottom: 1px solid #d8dee4; padding: 4px 8px;
  text-align: left; vertical-align: top; }
table.changes td:nth-child(2), table.changes td:nth-child(4) {
  font-family: ui-monospace, monospace; font-size: 12px; }
table.changes tr[data-key] { cursor: pointer; }
table.changes tr.selected { background: #ddf4ff; }
"""

_SCRIPT = """
"use strict";
const DATA = JSON.parse(document.getElementById("orchc-data").textContent);
function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}
function pre(lines) {
  const block = el("pre");
  for (const line of lines) {
    const cls = line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add"
      : line.startsWith("-") ? "del" : "";
    block.appendChild(el("span", line + "\\n", cls));
  }
  return block;
}
function field(list, name, value) {
  if (value === "" || value === undefined) return;
  list.appendChild(el("dt", name));
  const dd = el("dd");
  if (value instanceof Node) dd.appendChild(value); else dd.textContent = value;
  list.appendChild(dd);
}
function show(section, key) {
  const item = DATA[section.dataset.env].nodes[key];
  if (!item) return;
  for (const node of section.querySelectorAll(".selected")) node.classList.remove("selected");
  for (const node of section.querySelectorAll("[data-key]")) {
    if (node.dataset.key === key) node.classList.add("selected");
  }
  for (const edge of section.querySelectorAll(".edge")) {
    const related = edge.dataset.from === key || edge.dataset.to === key;
    edge.classList.toggle("related", related);
  }
  const panel = section.querySelector("aside.details");
  panel.replaceChildren();
  panel.appendChild(el("h4", item.name));
  const badge = el("span", item.action, "badge " + item.action);
  panel.appendChild(badge);
  if (item.reason) panel.appendChild(el("span", item.reason, "quiet"));
  const list = el("dl");
  field(list, "definition", item.definition);
  field(list, "source", item.source);
  field(list, "driver", item.driver);
  if (item.changes.length) field(list, "changes", pre(item.changes));
  if (item.inputs.length) field(list, "inputs", pre(item.inputs));
  if (item.params.length) field(list, "params", pre(item.params));
  if (item.secrets.length) field(list, "secrets", item.secrets.join(", ") + " (sensitive)");
  if (item.resources) field(list, "resources", pre(item.resources));
  if (item.overrides && item.overrides.length) {
    field(list, "overridden by", el("pre", item.overrides.join("\\n")));
  }
  if (item.depends_on.length) field(list, "depends on", item.depends_on.join(", "));
  panel.appendChild(list);
}
for (const section of document.querySelectorAll("section.env")) {
  for (const node of section.querySelectorAll("[data-key]")) {
    node.addEventListener("click", () => show(section, node.dataset.key));
    node.addEventListener("keydown", (event) => {
      if (event.key === "Enter") show(section, node.dataset.key);
    });
  }
  const first = section.querySelector("table.changes tr[data-key]");
  if (first) show(section, first.dataset.key);
}
"""
