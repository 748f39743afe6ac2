"""Whatever the text, the front end answers with diagnostics, never with an exception:
random text, mutations of valid files, deep nesting, huge numbers."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from orchc.compiler.passes.build_ir import build_ir
from orchc.grammar.diagnostics import Diagnostics, render
from orchc.grammar.format import format_source
from orchc.grammar.parse import parse_document
from orchc.grammar.source import SourceFile, SourceMap

CASES = Path(__file__).parent / "fmt_cases"
VALID = [p.read_text(encoding="utf-8") for p in sorted(CASES.glob("*.orch"))]
# Characters that matter to the lexer and parser, so mutations hit interesting states.
INTERESTING = "{}[]()=,\"#/\\\n \t-.:'a1_$\x00é"


def _front_end_never_raises(text: str) -> None:
    document, problems = parse_document("f.orch", text)
    assert all(p.span is None or p.span.path == "f.orch" for p in problems)
    assert problems == sorted(problems, key=lambda p: p.sort_key())
    sources = SourceMap()
    sources.add(SourceFile("f.orch", text))
    render(problems, sources)
    build_ir([document], Path("."), Diagnostics())
    formatted, _ = format_source("f.orch", text)
    if formatted is not None:
        assert format_source("f.orch", formatted) == (formatted, [])


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200))
def test_random_text_gives_only_diagnostics(text: str) -> None:
    _front_end_never_raises(text)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=INTERESTING, max_size=120))
def test_random_syntax_soup_gives_only_diagnostics(text: str) -> None:
    _front_end_never_raises(text)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if action == "insert":
            text = text[:position] + draw(st.sampled_from(INTERESTING)) + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 8)) :]
        else:
            text = text[:position] + text[position : position + 20] + text[position:]
    return text


@settings(max_examples=400, deadline=None)
@given(mutated())
def test_mutations_of_valid_files_give_only_diagnostics(text: str) -> None:
    _front_end_never_raises(text)


def test_deep_nesting_is_one_error() -> None:
    for opener, closer in (("[", "]"), ("{ a = ", "}"), ("f(", ")")):
        text = "a = " + opener * 5000 + closer * 5000 + "\n"
        _, problems = parse_document("deep.orch", text)
        assert [p.message for p in problems] == [
            "nested too deeply: more than 64 levels of '{', '[' and '('"
        ]


def test_a_number_of_ten_thousand_digits_is_one_error() -> None:
    _, problems = parse_document("n.orch", "a = " + "9" * 10_000)
    assert [p.message for p in problems] == ["number 99999999999999999... is out of range"]


def test_invalid_utf8_decoded_with_replacement_characters_parses() -> None:
    text = b'a = "\xff\xfe"\nb \xc0 = 1\n'.decode("utf-8", errors="replace")
    _, problems = parse_document("r.orch", text)
    assert [str(p.span) for p in problems] == ["r.orch:2:3"]
