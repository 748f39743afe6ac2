"""A small dependency graph over orderable nodes; it knows nothing about orchc.

networkx stays behind this class so the rest of the code speaks only of dependencies,
dependents, a deterministic order and stable cycles.

>>> g = DependencyGraph[str]()
>>> g.add_dependency("app", "db", origin="app.orch:3")
>>> g.add_dependency("db", "net")
>>> g.topological_order()
['net', 'db', 'app']
>>> g.add_dependency("net", "app", origin="net.orch:9")
>>> [[node for node, _ in cycle] for cycle in g.cycles()]
[['app', 'db', 'net']]
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from typing import Any, Generic, Protocol, TypeVar

import networkx as nx


class _Orderable(Hashable, Protocol):
    def __lt__(self, other: Any, /) -> bool: ...


N = TypeVar("N", bound=_Orderable)


class DependencyGraph(Generic[N]):
    """Edges point from a node to what it depends on; `origin` records why the edge
    exists (e.g. the location of the placeholder that created it)."""

    def __init__(self) -> None:
        self._graph: Any = nx.DiGraph()

    def add_node(self, node: N) -> None:
        self._graph.add_node(node)

    def add_dependency(self, node: N, dependency: N, origin: object = None) -> None:
        """`node` depends on `dependency`: `dependency` runs first. The first origin
        recorded for an edge is kept."""
        if not self._graph.has_edge(node, dependency):
            self._graph.add_edge(node, dependency, origin=origin)

    def __contains__(self, node: object) -> bool:
        return bool(self._graph.has_node(node))

    def __len__(self) -> int:
        return int(self._graph.number_of_nodes())

    def nodes(self) -> list[N]:
        return sorted(self._graph.nodes)

    def dependencies(self, node: N) -> list[N]:
        return sorted(self._graph.successors(node))

    def dependents(self, node: N) -> list[N]:
        return sorted(self._graph.predecessors(node))

    def origin(self, node: N, dependency: N) -> object:
        return self._graph.edges[node, dependency]["origin"]

    def topological_order(self) -> list[N]:
        """Dependencies before dependents; ties broken by node order, so the result is
        the same on every run. Raises ValueError when the graph has a cycle."""
        try:
            order = list(nx.lexicographical_topological_sort(self._graph.reverse(copy=False)))
        except nx.NetworkXUnfeasible as error:
            raise ValueError("the graph has a cycle") from error
        return order

    def cycles(self) -> list[list[tuple[N, object]]]:
        """One cycle per strongly connected component that has one, each as
        [(node, origin of the edge to the next node), ...] rotated to start at the
        smallest node; the list is sorted."""
        found = []
        for component in nx.strongly_connected_components(self._graph):
            members = sorted(component)
            if len(members) == 1 and not self._graph.has_edge(members[0], members[0]):
                continue
            found.append(self._rotated_cycle(members))
        return sorted(found, key=lambda cycle: [node for node, _ in cycle])

    def _rotated_cycle(self, members: list[N]) -> list[tuple[N, object]]:
        start = members[0]
        subgraph = self._graph.subgraph(members)
        edges = nx.find_cycle(subgraph, source=start)
        nodes: list[N] = [edge[0] for edge in edges]
        pivot = nodes.index(min(nodes))
        nodes = nodes[pivot:] + nodes[:pivot]
        return [
            (node, self.origin(node, nodes[(i + 1) % len(nodes)])) for i, node in enumerate(nodes)
        ]

    def transitive_dependencies(self, node: N) -> set[N]:
        return set(nx.descendants(self._graph, node))

    def edges(self) -> Iterator[tuple[N, N]]:
        yield from sorted(self._graph.edges)

    def subgraph_without(self, nodes: Iterable[N]) -> DependencyGraph[N]:
        copy = DependencyGraph[N]()
        copy._graph = self._graph.copy()
        copy._graph.remove_nodes_from(list(nodes))
        return copy
