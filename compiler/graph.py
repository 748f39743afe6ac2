"""A small dependency graph over orderable nodes; it knows nothing about orchc.

The rest of the code speaks only of dependencies, dependents, a deterministic order
and stable cycles. Adjacency is kept in plain dicts and the order is Kahn's algorithm
over a heap, because planning a few thousand resources must not wait for networkx to
import; networkx is imported only to analyse a graph that turned out to have a cycle.

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

import heapq
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Generic, Protocol, TypeVar


class _Orderable(Hashable, Protocol):
    def __lt__(self, other: Any, /) -> bool: ...


N = TypeVar("N", bound=_Orderable)


class DependencyGraph(Generic[N]):
    """Edges point from a node to what it depends on; `origin` records why the edge
    exists (e.g. the location of the placeholder that created it). `key` gives the
    node order as a plain value (e.g. a tuple of strings), so large graphs sort without
    calling a Python-level `__lt__`; it must order nodes the way `<` does."""

    def __init__(self, key: Callable[[N], Any] | None = None) -> None:
        self._key: Callable[[N], Any] = key or (lambda node: node)
        self._dependencies: dict[N, dict[N, object]] = {}  # node -> {dependency: origin}
        self._dependents: dict[N, set[N]] = {}
        self._order: list[N] | None = None  # the topological order, until the next change

    def add_node(self, node: N) -> None:
        if node not in self._dependencies:
            self._dependencies[node] = {}
            self._dependents[node] = set()
            self._order = None

    def add_dependency(self, node: N, dependency: N, origin: object = None) -> None:
        """`node` depends on `dependency`: `dependency` runs first. The first origin
        recorded for an edge is kept."""
        if dependency not in self._dependencies:
            self.add_node(dependency)
        edges = self._dependencies.get(node)
        if edges is None:
            self.add_node(node)
            edges = self._dependencies[node]
        edges.setdefault(dependency, origin)
        self._dependents[dependency].add(node)
        self._order = None

    def __contains__(self, node: object) -> bool:
        return node in self._dependencies

    def __len__(self) -> int:
        return len(self._dependencies)

    def nodes(self) -> list[N]:
        return sorted(self._dependencies, key=self._key)

    def dependencies(self, node: N) -> list[N]:
        return sorted(self._dependencies[node], key=self._key)

    def dependents(self, node: N) -> list[N]:
        return sorted(self._dependents[node], key=self._key)

    def origin(self, node: N, dependency: N) -> object:
        return self._dependencies[node][dependency]

    def edges(self) -> Iterator[tuple[N, N]]:
        for node in self.nodes():
            for dependency in self.dependencies(node):
                yield node, dependency

    def topological_order(self) -> list[N]:
        """Dependencies before dependents; among the nodes ready at the same time the
        smallest comes first, so the result is the same on every run. Raises ValueError
        when the graph has a cycle. Computed once per shape of the graph: planning asks
        for it twice (cycles, then actions)."""
        if self._order is None:
            self._order = self._kahn()
        return list(self._order)

    def _kahn(self) -> list[N]:
        key = self._key
        waiting = {node: len(deps) for node, deps in self._dependencies.items()}
        ready = [(key(node), node) for node, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order: list[N] = []
        while ready:
            _, node = heapq.heappop(ready)
            order.append(node)
            for dependent in self._dependents[node]:
                left = waiting[dependent] - 1
                waiting[dependent] = left
                if left == 0:
                    heapq.heappush(ready, (key(dependent), dependent))
        if len(order) != len(waiting):
            raise ValueError("the graph has a cycle")
        return order

    def cycles(self) -> list[list[tuple[N, object]]]:
        """One cycle per strongly connected component that has one, each as
        [(node, origin of the edge to the next node), ...] rotated to start at the
        smallest node; the list is sorted. Empty for an acyclic graph (the common case,
        answered without networkx)."""
        try:
            self.topological_order()
            return []
        except ValueError:
            pass
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(self.nodes())
        graph.add_edges_from(self.edges())
        found = []
        for component in nx.strongly_connected_components(graph):
            members = sorted(component)
            if len(members) == 1 and members[0] not in self._dependencies[members[0]]:
                continue
            edges = nx.find_cycle(graph.subgraph(members), source=members[0])
            found.append(self._rotated([edge[0] for edge in edges]))
        return sorted(found, key=lambda cycle: [node for node, _ in cycle])

    def _rotated(self, nodes: list[N]) -> list[tuple[N, object]]:
        pivot = nodes.index(min(nodes))
        nodes = nodes[pivot:] + nodes[:pivot]
        return [
            (node, self.origin(node, nodes[(i + 1) % len(nodes)])) for i, node in enumerate(nodes)
        ]
