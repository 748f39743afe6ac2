"""`orchc fmt`: golden pairs (`fmt_cases/NAME.in.orch` -> `NAME.out.orch`), and the
properties every output has: idempotent, same tree as the input, comments kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from orch_syntax_support import parse, strip_spans

from orchc.grammar.format import format_document, format_source
from orchc.grammar.source import Span
from orchc.grammar.syntax import (
    Attribute,
    Block,
    Bool,
    Call,
    Document,
    ListValue,
    MapEntry,
    MapValue,
    Null,
    Number,
    String,
    Value,
)

CASES = Path(__file__).parent / "fmt_cases"
INPUTS = sorted(CASES.glob("*.in.orch"))


def _expected_path(source: Path) -> Path:
    return source.with_name(source.name.replace(".in.orch", ".out.orch"))


@pytest.mark.parametrize("source", INPUTS, ids=lambda p: p.name.removesuffix(".in.orch"))
def test_golden_formatting(source: Path, update_golden: bool) -> None:
    formatted, problems = format_source(source.name, source.read_text(encoding="utf-8"))
    assert problems == []
    assert formatted is not None
    expected = _expected_path(source)
    if update_golden:
        expected.write_text(formatted, encoding="utf-8")
    assert formatted == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("source", INPUTS, ids=lambda p: p.name.removesuffix(".in.orch"))
def test_golden_output_is_stable_and_means_the_same(source: Path) -> None:
    original = source.read_text(encoding="utf-8")
    expected = _expected_path(source).read_text(encoding="utf-8")
    assert format_source("x.orch", expected) == (expected, [])
    before, after = parse(original)[0], parse(expected)[0]
    assert strip_spans(after) == strip_spans(before)
    assert [c.text for c in after.comments] == [c.text for c in before.comments]


def test_every_case_has_its_expected_output() -> None:
    assert INPUTS
    assert all(_expected_path(source).exists() for source in INPUTS)


def test_the_language_reference_example_is_in_canonical_form() -> None:
    reference = Path(__file__).resolve().parents[2] / "docs" / "language.md"
    example = reference.read_text(encoding="utf-8").split("```\n")[1]
    assert format_source("example.orch", example) == (example, [])


def test_text_with_syntax_errors_is_not_formatted() -> None:
    formatted, problems = format_source("bad.orch", 'definition "x" {\n  type\n}\n')
    assert formatted is None
    assert [str(p.span) for p in problems] == ["bad.orch:2:7"]


def test_a_tree_built_by_hand_is_formatted_without_positions() -> None:
    here = Span("made.orch")
    document = Document(
        "made.orch",
        (
            Block(
                here,
                "environment",
                (String(here, "dev"),),
                (Attribute(here, "type", String(here, "d")),),
            ),
            Block(here, "definition", (String(here, "x"),), (Block(here, "match", (), ()),)),
        ),
    )
    assert format_document(document) == (
        'environment "dev" { type = "d" }\n\ndefinition "x" {\n  match {}\n}\n'
    )


# -- properties over generated trees --------------------------------------------------------

HERE = Span("gen.orch")
KEYWORDS = {"true", "false", "null"}
names = st.from_regex(r"[a-z_][a-z0-9_-]{0,6}", fullmatch=True).filter(lambda n: n not in KEYWORDS)
texts = st.text(max_size=12)


def _number(value: int | float) -> Number:
    return Number(HERE, value, repr(value))


scalars = st.one_of(
    st.builds(lambda v: String(HERE, v), texts),
    st.builds(
        lambda v: String(HERE, v, multiline=True), st.text(alphabet=' \t\n"\\ab$', max_size=20)
    ),
    st.builds(_number, st.integers(-(10**12), 10**12)),
    st.builds(_number, st.floats(allow_nan=False, allow_infinity=False)),
    st.builds(lambda v: Bool(HERE, v), st.booleans()),
    st.just(Null(HERE)),
)


def _entries(children: st.SearchStrategy[Value]) -> st.SearchStrategy[tuple[MapEntry, ...]]:
    bare = st.builds(lambda k, v: MapEntry(HERE, k, v), names, children)
    quoted = st.builds(lambda k, v: MapEntry(HERE, k, v, quoted=True), texts, children)
    return st.lists(bare | quoted, max_size=4).map(tuple)


values: st.SearchStrategy[Value] = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.builds(lambda items: ListValue(HERE, tuple(items)), st.lists(children, max_size=4)),
        st.builds(lambda entries: MapValue(HERE, entries), _entries(children)),
        st.builds(
            lambda name, args: Call(HERE, name, tuple(args)), names, st.lists(children, max_size=2)
        ),
    ),
    max_leaves=12,
)
attributes = st.builds(lambda name, value: Attribute(HERE, name, value), names, values) | st.builds(
    lambda name, value: Attribute(HERE, name, value, quoted=True), texts, values
)
labels = st.lists(st.builds(lambda v: String(HERE, v), texts), max_size=2).map(tuple)
members = st.recursive(
    attributes,
    lambda children: st.builds(
        lambda kind, found, body: Block(HERE, kind, found, tuple(body)),
        names,
        labels,
        st.lists(children, max_size=4),
    ),
    max_leaves=10,
)
documents = st.builds(lambda body: Document("gen.orch", tuple(body)), st.lists(members, max_size=4))


@settings(max_examples=300, deadline=None)
@given(documents)
def test_formatting_any_tree_gives_text_that_parses_back_to_it(document: Document) -> None:
    text = format_document(document)
    reparsed, problems = parse(text, "gen.orch")
    assert problems == []
    assert strip_spans(reparsed) == strip_spans(document)
    assert format_document(reparsed) == text


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([p for p in INPUTS if "multiline" not in p.name]),
    st.lists(st.tuples(st.integers(0, 200), st.booleans()), max_size=8),
)
def test_comments_anywhere_are_kept_and_formatting_stays_idempotent(
    source: Path, insertions: list[tuple[int, bool]]
) -> None:
    lines = source.read_text(encoding="utf-8").split("\n")
    for number, (line, own_line) in enumerate(insertions):
        index = line % len(lines)
        if own_line:
            lines.insert(index, f"# c{number}")
        else:
            lines[index] += f"  # c{number}"
    commented = "\n".join(lines)
    original, problems = parse(commented)
    assert problems == []
    formatted, _ = format_source("x.orch", commented)
    assert formatted is not None
    assert format_source("x.orch", formatted) == (formatted, [])
    reparsed = parse(formatted)[0]
    assert strip_spans(reparsed) == strip_spans(original)
    assert [c.text for c in reparsed.comments] == [c.text for c in original.comments]
