"""The dependency graph: deterministic order and stable cycles."""

from __future__ import annotations

from orchc.compiler.graph import DependencyGraph


def test_topological_order_is_dependencies_first_and_stable() -> None:
    graph = DependencyGraph[str]()
    for node, dependency in [("c", "a"), ("b", "a"), ("d", "b"), ("d", "c")]:
        graph.add_dependency(node, dependency)
    graph.add_node("e")
    assert graph.topological_order() == ["a", "b", "c", "d", "e"]


def test_cycle_is_rotated_to_the_smallest_node_whatever_the_insertion_order() -> None:
    edges = [("m", "z", "m.orch:1"), ("z", "b", "z.orch:2"), ("b", "m", "b.orch:3")]
    for rotation in range(3):
        graph = DependencyGraph[str]()
        for node, dependency, origin in edges[rotation:] + edges[:rotation]:
            graph.add_dependency(node, dependency, origin)
        assert graph.cycles() == [[("b", "b.orch:3"), ("m", "m.orch:1"), ("z", "z.orch:2")]]


def test_self_loop_and_two_separate_cycles() -> None:
    graph = DependencyGraph[str]()
    graph.add_dependency("x", "x", "x.orch:1")
    graph.add_dependency("a", "b", "a.orch:1")
    graph.add_dependency("b", "a", "b.orch:1")
    assert graph.cycles() == [[("a", "a.orch:1"), ("b", "b.orch:1")], [("x", "x.orch:1")]]


def test_acyclic_graph_has_no_cycles() -> None:
    graph = DependencyGraph[str]()
    graph.add_dependency("a", "b")
    assert graph.cycles() == []
