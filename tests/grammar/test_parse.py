"""The orch parser: what valid text becomes, and the exact diagnostics for bad text."""

from __future__ import annotations

from pathlib import Path

import pytest
from orch_syntax_support import NOWHERE, parse, rendered, strip_spans

from orchc.grammar.diagnostics import render
from orchc.grammar.parse import MAX_SYNTAX_ERRORS, parse_document, parse_file
from orchc.grammar.source import Span
from orchc.grammar.syntax import (
    Attribute,
    Block,
    Bool,
    Call,
    Comment,
    ListValue,
    MapEntry,
    MapValue,
    Null,
    Number,
    String,
)

N = NOWHERE


def s(value: str, multiline: bool = False) -> String:
    return String(N, value, multiline)


def n(text: str) -> Number:
    return Number(N, float(text) if any(c in text for c in ".eE") else int(text), text)


def attr(name: str, value: object) -> Attribute:
    return Attribute(N, name, value)  # type: ignore[arg-type]


def block(kind: str, labels: tuple[str, ...], *body: Attribute | Block) -> Block:
    return Block(N, kind, tuple(s(label) for label in labels), body)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ()),
        ("\n\n# only a comment\n", ()),
        ('a = "x"', (attr("a", s("x")),)),
        (
            "a = 1\nb = -2.5\nc = 1e3\nd = -7E-2",
            (
                attr("a", n("1")),
                attr("b", n("-2.5")),
                attr("c", n("1e3")),
                attr("d", n("-7E-2")),
            ),
        ),
        (
            "a = true, b = false, c = null",
            (
                attr("a", Bool(N, True)),
                attr("b", Bool(N, False)),
                attr("c", Null(N)),
            ),
        ),
        (
            'a = []\nb = [1, [2], "x",]',
            (
                attr("a", ListValue(N, ())),
                attr("b", ListValue(N, (n("1"), ListValue(N, (n("2"),)), s("x")))),
            ),
        ),
        ("a = [\n  1\n  2\n]", (attr("a", ListValue(N, (n("1"), n("2")))),)),
        ("a = [\n  1,\n\n  2,\n]", (attr("a", ListValue(N, (n("1"), n("2")))),)),
        (
            'a = { k = 1, "cost-center" = "42", true = null }',
            (
                attr(
                    "a",
                    MapValue(
                        N,
                        (
                            MapEntry(N, "k", n("1")),
                            MapEntry(N, "cost-center", s("42"), quoted=True),
                            MapEntry(N, "true", Null(N)),
                        ),
                    ),
                ),
            ),
        ),
        (
            "a = {}\nb = {\n  x = 1\n  y = 2\n}",
            (
                attr("a", MapValue(N, ())),
                attr("b", MapValue(N, (MapEntry(N, "x", n("1")), MapEntry(N, "y", n("2"))))),
            ),
        ),
        (
            'a = env("X")\nb = file("t.j2")\nc = f()',
            (
                attr("a", Call(N, "env", (s("X"),))),
                attr("b", Call(N, "file", (s("t.j2"),))),
                attr("c", Call(N, "f", ())),
            ),
        ),
        ("match {}", (block("match", ()),)),
        (
            'environment "dev" { type = "development" }',
            (block("environment", ("dev",), attr("type", s("development"))),),
        ),
        (
            'policy { timeout = "2m", retries = 2 }',
            (block("policy", (), attr("timeout", s("2m")), attr("retries", n("2"))),),
        ),
        (
            'provision "dns" { is_dependent = false }',
            (block("provision", ("dns",), attr("is_dependent", Bool(N, False))),),
        ),
        (
            'definition "a" {\n  type = "x"\n\n  match { env = "dev" }\n}\nx "a" "b" {}\n',
            (
                block(
                    "definition",
                    ("a",),
                    attr("type", s("x")),
                    block("match", (), attr("env", s("dev"))),
                ),
                block("x", ("a", "b")),
            ),
        ),
        ("a = 1 # one\nb = 2 // two", (attr("a", n("1")), attr("b", n("2")))),
        (
            "a = 1\r\nb = [\r\n  2,\r\n]\r\n",
            (attr("a", n("1")), attr("b", ListValue(N, (n("2"),)))),
        ),
        ('a = "# not a comment // nor this"', (attr("a", s("# not a comment // nor this")),)),
        ('a = "${context.app.id}-$${x}"', (attr("a", s("${context.app.id}-$${x}")),)),
        # Names may contain '-' after the first character; names may be quoted; a '-'
        # before a digit is still a negative number.
        (
            'api-key = -1\n"cost center" = -2.5\nx = { a-b = [-3], "c" = 1 }',
            (
                attr("api-key", n("-1")),
                Attribute(N, "cost center", n("-2.5"), quoted=True),
                attr(
                    "x",
                    MapValue(
                        N,
                        (
                            MapEntry(N, "a-b", ListValue(N, (n("-3"),))),
                            MapEntry(N, "c", n("1"), quoted=True),
                        ),
                    ),
                ),
            ),
        ),
        ("true = 1\nnull-x = 2", (attr("true", n("1")), attr("null-x", n("2")))),
        (
            'block-kind "l" { "type" = "t" }',
            (block("block-kind", ("l",), Attribute(N, "type", s("t"), quoted=True)),),
        ),
    ],
)
def test_valid_documents_parse_to_their_tree(text: str, expected: tuple[object, ...]) -> None:
    document, problems = parse(text)
    assert problems == []
    assert strip_spans(document.body) == expected


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (r'"tab\there"', "tab\there"),
        (r'"q\"q \\ n\n"', 'q"q \\ n\n'),
        (r'"\u{e9}\u{1F600}\u{0}"', "é😀\x00"),
        ('""', ""),
        ('"ünïcødé ✓"', "ünïcødé ✓"),
        # Multi-line strings: the first line break is dropped, the closing quotes' line
        # does not count, the common indentation goes, blank lines become empty.
        ('"""\n    a\n      b\n    """', "a\n  b\n"),
        ('"""\n    a\n      b"""', "a\n  b"),
        ('"""one line"""', "one line"),
        ('"""first\n  second"""', "first\n  second"),
        ('"""\n  a\n      \n  b\n"""', "a\n\nb\n"),
        ('"""\n\ta\n\t\tb\n"""', "a\n\tb\n"),
        ('"""\n  \\u{20} x\n  y\n"""', "  x\ny\n"),
        ('"""\n  say "hi" \\"""\n"""', 'say "hi" """\n'),
        ('"""\n  \\\\n is not\\na line break\n"""', "\\n is not\na line break\n"),
        ('""""""', ""),
    ],
)
def test_string_literals_decode_to_their_value(raw: str, value: str) -> None:
    document, problems = parse(f"a = {raw}")
    assert problems == []
    string = document.body[0].value  # type: ignore[union-attr]
    assert isinstance(string, String)
    assert string.value == value
    assert string.multiline == raw.startswith('"""')


def test_nodes_carry_their_first_and_last_positions() -> None:
    text = 'definition "x" {\n  inputs { a = [1, 2] }\n  t = """\n  x\n  """\n}\n'
    document, _ = parse(text)
    definition = document.body[0]
    assert isinstance(definition, Block)
    assert (definition.span, definition.end) == (Span("t.orch", 1, 1), Span("t.orch", 6, 1))
    inputs, template = definition.body
    assert isinstance(inputs, Block) and isinstance(template, Attribute)
    assert inputs.labels == () and inputs.span == Span("t.orch", 2, 3)
    listed = inputs.body[0].value  # type: ignore[union-attr]
    assert (listed.span, listed.end) == (Span("t.orch", 2, 16), Span("t.orch", 2, 21))
    assert (template.value.span, template.value.end) == (  # type: ignore[union-attr]
        Span("t.orch", 3, 7),
        Span("t.orch", 5, 5),
    )


def test_comments_are_kept_with_their_position() -> None:
    document, _ = parse('# head\na = 1 # tail\n  // indented\nb = "#x"\n')
    assert document.comments == (
        Comment(Span("t.orch", 1, 1), "# head"),
        Comment(Span("t.orch", 2, 7), "# tail"),
        Comment(Span("t.orch", 3, 3), "// indented"),
    )


ERRORS = [
    (
        'definition "x" {\n  type\n}\n',
        """\
t.orch:2:7: error: expected '=' or '{' after 'type', found the end of the line
    type
        ^""",
    ),
    (
        "definition x {\n}\n",
        """\
t.orch:1:12: error: expected '=' or '{' after 'definition', found 'x' \
(block labels are quoted, as in "x")
  definition x {
             ^""",
    ),
    (
        'definition "x"\n{\n}\n',
        """\
t.orch:1:15: error: expected '{' after "x", found the end of the line \
(the '{' must be on the same line as the block's name)
  definition "x"
                ^""",
    ),
    (
        "a =\n  1\n",
        """\
t.orch:1:4: error: expected a value after '=', found the end of the line \
(the value must start on the same line as '=')
  a =
     ^""",
    ),
    (
        "a = ",
        "t.orch:1:4: error: expected a value after '=', found the end of the file\n  a = \n     ^",
    ),
    (
        'definition "x" {\n  type = "x" driver = "y"\n}\n',
        """\
t.orch:2:14: error: expected a line break, ',' or '}' after "x", found 'driver'
    type = "x" driver = "y"
               ^""",
    ),
    (
        "a = [1,,2]\n",
        """\
t.orch:1:8: error: expected a value or ']' after ',', found ','
  a = [1,,2]
         ^""",
    ),
    (
        'definition "x" {\n  inputs {\n    a = 1\n',
        """\
t.orch:2:10: error: '{' is never closed: expected '}' before the end of the file
    inputs {
           ^""",
    ),
    (
        'definition "x" {\n  a = [1, 2\n}\n',
        """\
t.orch:3:1: error: expected a line break, ',' or ']', found '}' \
(the '[' at line 2, column 7 is not closed)
  }
  ^""",
    ),
    (
        'a = env("X"\n',
        """\
t.orch:1:8: error: '(' is never closed: expected ')' before the end of the file
  a = env("X"
         ^""",
    ),
    (
        "}\n",
        """\
t.orch:1:1: error: expected a name, found '}'
  }
  ^""",
    ),
    (
        'x "a" { "b" "c" = 1 }\n',
        """\
t.orch:1:13: error: expected '=' after "b", found "c"
  x "a" { "b" "c" = 1 }
              ^""",
    ),
    (
        "a = b-\n",
        """\
t.orch:1:5: error: unquoted word 'b-': strings are written in double quotes, as in "b-"
  a = b-
      ^""",
    ),
    (
        "a = {1 = 2}\n",
        """\
t.orch:1:6: error: expected a name or '}' after '{', found '1'
  a = {1 = 2}
       ^""",
    ),
    (
        "a = {\n  b { }\n}\n",
        """\
t.orch:2:5: error: expected '=' after 'b', found '{'
    b { }
      ^""",
    ),
    (
        "a = 5m\n",
        """\
t.orch:1:6: error: expected a line break or ',' after '5', found 'm' \
(text such as durations is quoted, as in "5m")
  a = 5m
       ^""",
    ),
    (
        'a = "abc\n',
        """\
t.orch:1:5: error: unterminated string: the closing '"' is missing on this line \
(use \"\"\"...\"\"\" for text over several lines)
  a = "abc
      ^""",
    ),
    (
        'x = 1\na = """abc\n\n',
        """\
t.orch:2:5: error: unterminated multi-line string: the closing '\"\"\"' is missing
  a = \"\"\"abc
      ^""",
    ),
    (
        "a = 'x'\n",
        """\
t.orch:1:5: error: unexpected character "'": strings are written in double quotes
  a = 'x'
      ^""",
    ),
    (
        "a: 1\n",
        """\
t.orch:1:2: error: unexpected character ':': attributes are set with '='
  a: 1
   ^""",
    ),
    (
        "a = 1 .5\n",
        """\
t.orch:1:7: error: unexpected character '.'
  a = 1 .5
        ^""",
    ),
    (
        "a = \x07\n",
        """\
t.orch:1:5: error: unexpected character U+0007
  a = \x07
      ^""",
    ),
    (
        'a = "\\q"\n',
        """\
t.orch:1:6: error: unknown escape '\\q'; the escapes are \\" \\\\ \\n \\t and \\u{...}
  a = "\\q"
       ^""",
    ),
    (
        'a = "x \\u{110000}"\n',
        """\
t.orch:1:8: error: invalid escape '\\u{110000}': not a Unicode character
  a = "x \\u{110000}"
         ^""",
    ),
    (
        'a = "\\u{d800}\\u123"\n',
        """\
t.orch:1:6: error: invalid escape '\\u{d800}': not a Unicode character
  a = "\\u{d800}\\u123"
       ^
t.orch:1:14: error: invalid escape '\\u': write \\u{...} with 1 to 6 hex digits
  a = "\\u{d800}\\u123"
               ^""",
    ),
    (
        'a = """\n  ok\n  bad \\e\n"""\n',
        """\
t.orch:3:7: error: unknown escape '\\e'; the escapes are \\" \\\\ \\n \\t and \\u{...}
    bad \\e
        ^""",
    ),
    (
        'a = "x\x01"\n',
        """\
t.orch:1:7: error: control character U+0001 in a string: write it as \\u{1}
  a = "x\x01"
        ^""",
    ),
    (
        "a = postgres\n",
        """\
t.orch:1:5: error: unquoted word 'postgres': strings are written in double quotes, \
as in "postgres"
  a = postgres
      ^""",
    ),
    (
        "a = [True, None]\n",
        """\
t.orch:1:6: error: unknown value 'True': write true
  a = [True, None]
       ^
t.orch:1:12: error: unknown value 'None': write null
  a = [True, None]
             ^""",
    ),
    (
        "a = 1e999\n",
        """\
t.orch:1:5: error: number 1e999 is out of range
  a = 1e999
      ^""",
    ),
    (
        "a = " + "[" * 65 + "]" * 65 + "\n",
        "t.orch:1:69: error: nested too deeply: more than 64 levels of '{', '[' and '('\n"
        "  a = " + "[" * 65 + "]" * 65 + "\n"
        "  " + " " * 68 + "^",
    ),
]


@pytest.mark.parametrize(("text", "expected"), ERRORS)
def test_syntax_errors_are_located_and_explained(text: str, expected: str) -> None:
    assert rendered(text) == expected


def test_one_error_per_broken_top_level_block_and_the_rest_is_kept() -> None:
    text = (
        'definition "a" {\n  type = "x" driver = "y"\n}\n'
        'environment "ok" { type = "t" }\n'
        'definition "b" {\n  x = [1\n}\n'
        'definition "c" {\n  y = 1 2\n}\n'
        'environment "end" { type = "t" }\n'
    )
    document, problems = parse(text)
    assert [(p.span.line, p.span.col) for p in problems if p.span] == [(2, 14), (7, 1), (9, 9)]
    kept = [block.labels[0].value for block in document.body if isinstance(block, Block)]
    assert kept == ["ok", "end"]


def test_syntax_errors_stop_at_the_cap() -> None:
    text = "".join(f"a{i} = = 1\n" for i in range(MAX_SYNTAX_ERRORS + 10))
    _, problems = parse(text)
    assert len(problems) == MAX_SYNTAX_ERRORS
    assert problems == sorted(problems, key=lambda p: p.sort_key())


def test_parse_file_reports_invalid_utf8_at_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "bad.orch"
    path.write_bytes(b'a = 1\nb = "caf\xc3\xa9 \xff"\n')
    document, problems = parse_file(path, "defs/bad.orch")
    assert document is None
    assert render(problems) == (
        "defs/bad.orch:2:11: error: the file is not valid UTF-8: byte 0xff cannot start here"
    )


def test_parse_file_reads_utf8_with_or_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.orch"
    path.write_bytes(b'\xef\xbb\xbfa = "\xc3\xa9"\n')
    document, problems = parse_file(path, "bom.orch")
    assert problems == []
    assert document is not None
    assert strip_spans(document.body) == (attr("a", s("é")),)


def test_parse_file_reports_an_unreadable_file(tmp_path: Path) -> None:
    document, problems = parse_file(tmp_path / "missing.orch", "missing.orch")
    assert document is None
    assert render(problems) == "orchc: error: cannot read 'missing.orch': No such file or directory"


def test_the_path_given_is_the_path_in_every_span() -> None:
    document, problems = parse_document("platform/db.orch", "a = [1]\nb = c\n")
    assert document.path == "platform/db.orch"
    assert document.body[0].span == Span("platform/db.orch", 1, 1)
    assert problems[0].span == Span("platform/db.orch", 2, 5)
