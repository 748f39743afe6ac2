"""A layered drawing of a dependency graph (Sugiyama-style, kept small): each node's
layer is its depth — the longest chain of dependencies below it — so dependencies are
left of what uses them; nodes within a layer are ordered by the mean position of their
neighbours, sweeping left-to-right and back a few times to uncross edges. Pure and
deterministic: the same graph gives the same coordinates.

>>> layout = layered_layout(["a", "b", "c"], [("a", "b"), ("b", "c"), ("a", "c")])
>>> [(n.key, n.layer) for n in layout.nodes]
[('a', 0), ('b', 1), ('c', 2)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

NODE_WIDTH = 250
NODE_HEIGHT = 34
LAYER_GAP = 90
ROW_GAP = 14
MARGIN = 20
_SWEEPS = 4


@dataclass(frozen=True, slots=True)
class PlacedNode:
    key: str
    layer: int
    x: int
    y: int


@dataclass(frozen=True, slots=True)
class Layout:
    nodes: tuple[PlacedNode, ...]
    edges: tuple[tuple[str, str], ...]  # (dependency, dependent), both placed
    width: int
    height: int


def _depths(keys: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """The longest path from a node without dependencies; cycles (which a plan never
    has) are cut where they are met."""
    dependencies: dict[str, list[str]] = {key: [] for key in keys}
    for source, target in edges:
        dependencies[target].append(source)
    depth: dict[str, int] = {}
    for key in keys:
        _depth_of(key, dependencies, depth, set())
    return depth


def _depth_of(
    key: str, dependencies: dict[str, list[str]], depth: dict[str, int], path: set[str]
) -> int:
    stack = [(key, iter(sorted(dependencies[key])))]
    path.add(key)
    while stack:
        node, pending = stack[-1]
        child = next(pending, None)
        if child is None:
            stack.pop()
            path.discard(node)
            depth[node] = 1 + max(
                (depth.get(d, -1) for d in dependencies[node] if d not in path), default=-1
            )
        elif child not in depth and child not in path:
            path.add(child)
            stack.append((child, iter(sorted(dependencies[child]))))
    return depth[key]


def _order_layers(layers: list[list[str]], edges: Sequence[tuple[str, str]]) -> list[list[str]]:
    """Barycenter ordering: a node moves to the mean position of its neighbours in the
    previous layer (then the next one, sweeping back), ties broken by name."""
    neighbours: dict[str, list[str]] = {}
    for source, target in edges:
        neighbours.setdefault(source, []).append(target)
        neighbours.setdefault(target, []).append(source)
    for sweep in range(_SWEEPS):
        forward = sweep % 2 == 0
        indexes = range(1, len(layers)) if forward else range(len(layers) - 2, -1, -1)
        for index in indexes:
            fixed = layers[index - 1] if forward else layers[index + 1]
            position = {key: i for i, key in enumerate(fixed)}
            layers[index] = sorted(
                layers[index], key=lambda k: (_barycenter(k, neighbours, position), k)
            )
    return layers


def _barycenter(key: str, neighbours: dict[str, list[str]], position: dict[str, int]) -> float:
    placed = [position[n] for n in neighbours.get(key, []) if n in position]
    return sum(placed) / len(placed) if placed else float("inf")


def layered_layout(keys: Sequence[str], edges: Sequence[tuple[str, str]]) -> Layout:
    known = set(keys)
    edges = sorted({(s, t) for s, t in edges if s in known and t in known and s != t})
    depth = _depths(keys, edges)
    layers: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for key in sorted(keys):
        layers[depth[key]].append(key)
    layers = _order_layers(layers, edges)
    placed = [
        PlacedNode(
            key,
            layer,
            MARGIN + layer * (NODE_WIDTH + LAYER_GAP),
            MARGIN + row * (NODE_HEIGHT + ROW_GAP),
        )
        for layer, members in enumerate(layers)
        for row, key in enumerate(members)
    ]
    tallest = max((len(members) for members in layers), default=0)
    width = 2 * MARGIN + len(layers) * NODE_WIDTH + max(0, len(layers) - 1) * LAYER_GAP
    height = 2 * MARGIN + tallest * NODE_HEIGHT + max(0, tallest - 1) * ROW_GAP
    return Layout(tuple(placed), tuple(edges), width, height)
