"""Build the resource graph from an expansion and reject cycles (SPEC §4).

Nodes are resources and workloads; an edge from a node to its dependency carries the
span of the placeholder or `provision` that created it, so a cycle is reported as the
ordered list of uids with the place each edge came from, starting at the smallest uid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchc.grammar.diagnostics import Diagnostics
from orchc.grammar.source import Span

from ..graph import DependencyGraph
from ..uid import ResourceUid
from .expand import Expansion


@dataclass(frozen=True, order=True, slots=True)
class Node:
    """A graph node: a resource (kind 0) or a workload (kind 1). Resources sort first."""

    kind: int
    uid: ResourceUid | None = None
    workload: str | None = None
    # Nodes are the graph's dict keys, looked up a few times per edge: hash once.
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.kind, self.uid, self.workload)))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def of_resource(cls, uid: ResourceUid) -> Node:
        return cls(0, uid=uid)

    @classmethod
    def of_workload(cls, name: str) -> Node:
        return cls(1, workload=name)

    def __str__(self) -> str:
        return str(self.uid) if self.uid is not None else f"workload '{self.workload}'"

    def sort_key(self) -> tuple[int, str, str, str]:
        """The same order as `<`, as a tuple of plain values."""
        if self.uid is not None:
            return (0, self.uid.type, self.uid.class_, self.uid.id)
        return (1, str(self.workload), "", "")


ResourceGraph = DependencyGraph[Node]


def build_graph(expansion: Expansion, diagnostics: Diagnostics) -> ResourceGraph:
    graph = ResourceGraph(key=Node.sort_key)
    # One node per uid, made once: thousands of resources each name a few dependencies.
    nodes = {
        uid: Node.of_resource(uid) for uid in sorted(expansion.resources, key=ResourceUid.sort_key)
    }
    for node in nodes.values():
        graph.add_node(node)
    for uid, node in nodes.items():
        _add_dependencies(graph, node, expansion.resources[uid].dependencies, nodes)
    for name in sorted(expansion.workloads):
        node = Node.of_workload(name)
        graph.add_node(node)
        _add_dependencies(graph, node, expansion.workloads[name].dependencies, nodes)
    report_cycles(graph, diagnostics)
    return graph


def _add_dependencies(
    graph: ResourceGraph,
    node: Node,
    dependencies: dict[ResourceUid, Span | None],
    nodes: dict[ResourceUid, Node],
) -> None:
    """The edges to the dependencies that were expanded (in any order: the graph sorts
    whatever it returns)."""
    for dependency, origin in dependencies.items():
        target = nodes.get(dependency)
        if target is not None:
            graph.add_dependency(node, target, origin)


def report_cycles(graph: ResourceGraph, diagnostics: Diagnostics) -> None:
    for cycle in graph.cycles():
        first_origin = next((o for _, o in cycle if isinstance(o, Span)), None)
        chain = " -> ".join(str(node) for node, _ in cycle) + f" -> {cycle[0][0]}"
        notes = [
            f"{node} depends on {cycle[(i + 1) % len(cycle)][0]}"
            + (f" ({origin.location})" if isinstance(origin, Span) else " (implicit)")
            for i, (node, origin) in enumerate(cycle)
        ]
        diagnostics.error(first_origin, f"dependency cycle: {chain}", *notes)
