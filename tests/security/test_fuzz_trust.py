"""Fuzzing the trust boundaries (bounded in time here; `bench/fuzz_trust.py` runs the
same properties for longer and prints its figures):

- a Score file whose metadata and params are built of random anchors and aliases is
  read into diagnostics or a workload, never another exception, and an accepted
  workload is never larger than `MAX_YAML_NODES` values once expanded;
- a template built of random loops, ranges, operators and filters over random params
  renders to at most `MAX_RENDERED_CHARS` characters or fails with a `DriverError`,
  never another exception, within its time limit.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from orchc.compiler.score import read_score
from orchc.compiler.score.yaml_positions import MAX_YAML_NODES
from orchc.drivers.protocol import DriverError
from orchc.drivers.template import MAX_RENDERED_CHARS, parse_yaml, render_text
from orchc.grammar.source import SourceMap

SUITE = settings(max_examples=60, deadline=None, database=None)

# --- Score files with aliases -------------------------------------------------------


@st.composite
def alias_documents(draw: st.DrawFn) -> str:
    """Anchored sequences/maps referring to earlier anchors (a DAG, sometimes a cycle),
    placed under metadata or a resource's params."""
    count = draw(st.integers(1, 12))
    lines = []
    for index in range(count):
        width = draw(st.integers(1, 12))
        earlier = [f"*a{j}" for j in range(index)] or ["x"]
        if draw(st.booleans()) and index:  # a cycle, or a bigger fan-out
            earlier.append(f"*a{index}" if draw(st.integers(0, 9)) == 0 else earlier[-1])
        items = [draw(st.sampled_from([*earlier, "1", "'s'", "{k: v}"])) for _ in range(width)]
        if draw(st.booleans()):
            body = "[" + ", ".join(items) + "]"
        else:
            body = "{" + ", ".join(f"k{i}: {item}" for i, item in enumerate(items)) + "}"
        lines.append(f"a{index}: &a{index} {body}")
    entries = "{" + ", ".join(lines) + "}"
    if draw(st.booleans()):
        return (
            f"apiVersion: score.dev/v1b1\nmetadata: {{name: web, x: {entries}}}\n"
            "containers: {main: {image: nginx}}\n"
        )
    return (
        "apiVersion: score.dev/v1b1\nmetadata: {name: web}\n"
        "containers: {main: {image: nginx}}\n"
        f"resources: {{db: {{type: postgres, params: {entries}}}}}\n"
    )


def check_score(text: str) -> str:
    """'accepted' or 'refused' (with diagnostics); any other exception propagates."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "score.yaml"
        path.write_text(text)
        workload, diagnostics = read_score(path, Path(folder), SourceMap())
    if workload is None:
        assert diagnostics
        return "refused"
    assert _count(workload.spec) <= MAX_YAML_NODES
    return "accepted"


def _count(value: Any) -> int:
    """Values in `value` once expanded (accepted documents are at most 64 deep)."""
    if isinstance(value, dict):
        return 1 + sum(_count(item) for item in value.values())
    if isinstance(value, list):
        return 1 + sum(_count(item) for item in value)
    return 1


@SUITE
@given(alias_documents())
def test_score_files_with_aliases_are_bounded(text: str) -> None:
    check_score(text)


# --- templates ------------------------------------------------------------------------

PIECES = [
    "{% for i in range(N) %}",
    "{% endfor %}",
    "{{ 'ab' * N }}",
    "{{ [1, 2] * N }}",
    "{{ params.s | center(N) }}",
    "{{ params.s | replace('a', params.s) }}",
    "{{ params.s | indent(N) }}",
    "{{ N ** N }}",
    "{{ params.missing }}",
    "{{ params[params.s] }}",
    "{{ params.s | tojson }}",
    "{{ params.n | int * N }}",
    "{{ '%*s' | format(N, 'x') }}",
    "{{ range(N) | list | length }}",
    "{{ params.s ~ params.s }}",
    "x: ",
    "\n",
    "- ",
    "&a ",
    "*a",
]


@st.composite
def templates(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=10))
    numbers = st.sampled_from(["0", "1", "7", "1000", "100000", "10**9", "params.n"])
    return "".join(piece.replace("N", draw(numbers)) for piece in pieces)


PARAMS = st.fixed_dictionaries(
    {
        "s": st.text(max_size=20),
        "n": st.sampled_from([0, 3, 10**6, 4_000_000_000, -1]),
    }
)


def check_template(source: str, params: dict[str, Any], timeout: float) -> str:
    """'ok', or the kind of refusal."""
    try:
        text = render_text("outputs", source, {"params": params}, timeout)
    except DriverError:
        return "refused"
    assert len(text) <= MAX_RENDERED_CHARS
    try:
        parse_yaml("outputs", text)
    except DriverError:
        return "bad-yaml"
    return "ok"


@SUITE
@given(templates(), PARAMS)
def test_templates_render_bounded_or_fail_cleanly(source: str, params: dict[str, Any]) -> None:
    check_template(source, params, timeout=2.0)
