"""The Score loader's own `resolve` and `flatten_mapping` are shortcuts: they must give
exactly what PyYAML's generic `BaseResolver.resolve` and `SafeConstructor.flatten_mapping`
give with the same rules, for every scalar and every document."""

from __future__ import annotations

import itertools
import random

import pytest
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from orchc.compiler.score import yaml_positions
from orchc.compiler.score.yaml_positions import YamlSyntaxError, _ScoreLoader, load_yaml


class _GenericLoader(_ScoreLoader):
    """The loader as it was before the shortcuts: PyYAML's resolver, and the generic
    flattening of every mapping each time it is built."""

    resolve = BaseResolver.resolve  # type: ignore[assignment]
    descend_resolver = BaseResolver.descend_resolver  # type: ignore[assignment]
    ascend_resolver = BaseResolver.ascend_resolver  # type: ignore[assignment]

    def flatten_mapping(self, node: MappingNode) -> None:
        if node not in self._checked:
            self._checked.add(node)
            self._check_keys(node)
        SafeConstructor.flatten_mapping(self, node)


# YAML 1.1 and 1.2 forms of every implicit type, and near misses of each.
SCALARS = [
    *("", " ", "~", "~~", "null", "Null", "NULL", "nULL", "nul", "None", "none", "n", "N"),
    *("true", "True", "TRUE", "tRUE", "false", "False", "FALSE", "t", "f", "y", "Y", "yes"),
    *("Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "true "),
    *("0", "-0", "+0", "00", "007", "017", "08", "0o17", "0o", "0o8", "0O17", "-0o17"),
    *("0x1F", "0x1f", "0X1F", "0x", "0xg", "-0x1F", "+0x1F", "0b101", "-0b1", "1_000"),
    *("685_230", "0x_1", "190:20:30", "10:30", "-10:30", "1", "-1", "+1", "42", "-", "+"),
    *("+-1", "1-", "١٢٣", "１２", " 1", "1 ", "1\n", "1\n\n", "12345678901234567890123"),
    *("1.5", "-.5", "+.5", ".5", "5.", "1.5e3", "1e3", "1E3", "1e+3", "1e-3", "1e", "e3"),
    *(".", "..", "1.2.3", "1,5", "6.8523015e+5", "685.230_15e+03", "190:20:30.15"),
    *(".inf", "-.inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", "inf", "nan", "NaN"),
    *("<<", "<", "<<<", "< <", "=", "2001-12-14", "2001-12-14t21:59:43.10-05:00"),
    *("2001-12-14 21:59:43.10 -5", "2002-12-14", "!!str", "${x}", "a: b", "#", "0.0.0.0"),
]


def _random_scalars(count: int) -> list[str]:
    alphabet = "0123456789+-._eExXoObBaflnNtTuUrsLS<~: \n"
    chooser = random.Random(16)
    return [
        "".join(chooser.choice(alphabet) for _ in range(chooser.randrange(7))) for _ in range(count)
    ]


def _short_scalars() -> list[str]:
    """Every string of up to three characters from the characters the rules use."""
    alphabet = "0o1x7f.e+-<~nN_:"
    return ["".join(p) for n in range(4) for p in itertools.product(alphabet, repeat=n)]


@pytest.mark.parametrize("scalar", SCALARS)
@pytest.mark.parametrize("implicit", [(True, False), (False, True), (False, False)])
def test_resolve_matches_pyyaml(scalar: str, implicit: tuple[bool, bool]) -> None:
    loader = _ScoreLoader("")

    got = loader.resolve(ScalarNode, scalar, implicit)

    assert got == BaseResolver.resolve(loader, ScalarNode, scalar, implicit)


def test_resolve_matches_pyyaml_on_many_generated_scalars() -> None:
    loader = _ScoreLoader("")
    scalars = SCALARS + _random_scalars(20_000) + _short_scalars()

    mine = [loader.resolve(ScalarNode, s, (True, False)) for s in scalars]
    generic = [BaseResolver.resolve(loader, ScalarNode, s, (True, False)) for s in scalars]

    assert mine == generic
    assert len(set(mine)) == len(yaml_positions._RULES) + 1  # every tag, and str


@pytest.mark.parametrize("kind", [SequenceNode, MappingNode])
def test_resolve_collections_like_pyyaml(kind: type[Node]) -> None:
    loader = _ScoreLoader("")

    assert loader.resolve(kind, None, (True, False)) == BaseResolver.resolve(
        loader, kind, None, (True, False)
    )


DOCUMENTS = [
    "key: " + "\nkey2: ".join(SCALARS[1:30]) + "\n",
    "a: [" + ", ".join(s for s in SCALARS if s.strip() and "\n" not in s and "," not in s) + "]\n",
    "base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  x: 3\n",
    "a: &a {x: 1}\nb: &b {y: 2, <<: *a}\nc: {<<: [*b, *a], z: 3}\nd: {<<: *b}\n",
    "base: &b {x: 1}\nuse:\n  <<: *b\n  y: 1\n  y: 2\n",
    "a: {<<: 1}\n",
    "a: {<<: [1]}\n",
    "a: &a {x: 1}\nb: {<<: *a, <<: *a}\n",
    "!!value k: v\n",
    "a: {!!value k: v, x: 1}\n",
    "? !!value\n: v\n",
    "a: !!str 1\nb: !!int '7'\nc: !!float '1'\nd: !!bool 'true'\ne: !!null ''\n",
    "a: !!int 'x'\n",
    "a: !!timestamp 2001-12-14\n",
    "a: !custom x\n",
    "%TAG !y! tag:yaml.org,2002:\n---\na: !y!int '3'\nb: !y!merge x\n",
    "a: [1, {b: [2, {c: 3}]}]\n1: x\ntrue: y\n",
    "- 0x\n- 0o\n- 1e\n- 99999999999999999999999999\n- 1e999\n",
    "a: !!merge x\n",
]


def _outcome(text: str) -> object:
    """The data (as its repr, so 1, 1.0 and True differ) and problems, or the error."""
    try:
        loaded = load_yaml(text)
        return repr(loaded.data), loaded.problems
    except YamlSyntaxError as error:
        return error.problem


@pytest.mark.parametrize("text", DOCUMENTS)
def test_documents_load_as_with_the_generic_loader(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = _outcome(text)
    monkeypatch.setattr(yaml_positions, "_ScoreLoader", _GenericLoader)

    assert _outcome(text) == mine
