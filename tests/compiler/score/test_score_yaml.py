"""The Score YAML loader: how scalars resolve, which YAML it refuses, and how JSON paths
map back to lines and columns."""

from __future__ import annotations

import pytest

from orchc.compiler.score.yaml_positions import (
    JsonPath,
    Point,
    YamlProblem,
    YamlSyntaxError,
    load_yaml,
)


@pytest.mark.parametrize(
    ("scalar", "value"),
    [
        ("true", True),
        ("False", False),
        ("on", "on"),
        ("yes", "yes"),
        ("No", "No"),
        ("~", None),
        ("null", None),
        ("", None),
        ("42", 42),
        ("-7", -7),
        ("+1", 1),
        ("017", 17),
        ("0o17", 15),
        ("0x1F", 31),
        ("1_000", "1_000"),
        ("10:30", "10:30"),
        ("1.5", 1.5),
        ("-.5", -0.5),
        ("1e3", 1000.0),
        (".inf", ".inf"),
        (".nan", ".nan"),
        ("2024-01-31", "2024-01-31"),
        ("'42'", "42"),
        ('"true"', "true"),
    ],
)
def test_scalars_resolve_like_yaml_1_2(scalar: str, value: object) -> None:
    loaded = load_yaml(f"key: {scalar}\n")

    assert loaded.data == {"key": value}
    assert isinstance(loaded.data, dict)
    assert type(loaded.data["key"]) is type(value)


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("a: 1\nb: 2\na: 3\n", [YamlProblem("duplicate key 'a' (first at line 1)", 3, 1)]),
        ("1: one\n", [YamlProblem("mapping keys must be strings (quote the key)", 1, 1)]),
        ("x:\n  true: 1\n", [YamlProblem("mapping keys must be strings (quote the key)", 2, 3)]),
        ("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  x: 3\n", []),
        (
            "base: &b {x: 1}\nuse:\n  <<: *b\n  y: 1\n  y: 2\n",
            [YamlProblem("duplicate key 'y' (first at line 4)", 5, 3)],
        ),
    ],
)
def test_key_problems_are_collected(text: str, problems: list[YamlProblem]) -> None:
    assert list(load_yaml(text).problems) == problems


def test_merge_keys_merge_and_explicit_keys_win() -> None:
    loaded = load_yaml("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  x: 3\n")

    assert loaded.data == {"base": {"x": 1, "y": 2}, "use": {"x": 3, "y": 2}}
    assert loaded.positions.value(("use", "x")) == (4, 6)
    assert loaded.positions.value(("use", "y")) == (1, 20)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "a: [1, 2\n",
            YamlProblem(
                "invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence)",
                1,
                4,
            ),
        ),
        (
            "a: b: c\n",
            YamlProblem("invalid YAML: mapping values are not allowed in this context", 1, 5),
        ),
        ("a:\n\t- x\n", YamlProblem("invalid YAML: tab characters cannot indent YAML", 2, 1)),
        (
            "a: 1\n---\nb: 2\n",
            YamlProblem(
                "invalid YAML: expected a single document in the stream, but found another document",
                2,
                1,
            ),
        ),
        (
            "data: !!binary aGk=\n",
            YamlProblem(
                "invalid YAML: could not determine a constructor for the tag"
                " 'tag:yaml.org,2002:binary'",
                1,
                7,
            ),
        ),
        ("a: \x07\n", YamlProblem("invalid YAML: control characters are not allowed", 1, 4)),
        (
            "? [a]\n: b\n",
            YamlProblem("invalid YAML: found unhashable key (while constructing a mapping)", 1, 3),
        ),
        (
            "a:\n  b: [x, " + "7" * 4400 + "]\n",
            YamlProblem("invalid number: 4400 digits, at most 4300", 2, 10),
        ),
        (
            "a:\n  - -" + "7" * 4301 + "\n",
            YamlProblem("invalid number: 4301 digits, at most 4300", 2, 5),
        ),
        (
            "a:\n  b: !!int abc\n",
            YamlProblem("invalid number: invalid literal for int() with base 10: 'abc'", 2, 6),
        ),
        (
            "a:\n  b: !!int 0x1g\n",
            YamlProblem("invalid number: invalid literal for int() with base 16: '1g'", 2, 6),
        ),
        (
            "a:\n  b: !!bool maybe\n",
            YamlProblem("invalid YAML: a !!bool value is true or false", 2, 6),
        ),
        (
            "a:\n  b: [!!float x1]\n",
            YamlProblem("invalid number: could not convert string to float: 'x1'", 2, 7),
        ),
    ],
)
def test_yaml_that_cannot_be_loaded(text: str, problem: YamlProblem) -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml(text)

    assert caught.value.problem == problem


def test_a_long_word_tagged_int_is_not_reported_as_too_many_digits() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml("a: !!int " + "x" * 5000 + "\n")

    problem = caught.value.problem
    assert problem.message.startswith("invalid number: invalid literal for int() with base 10")
    assert (problem.line, problem.col) == (1, 4)


def test_a_tagged_bool_loads_as_pyyaml_loads_it() -> None:
    text = "a: [!!bool true, !!bool FALSE, !!bool yes, !!bool Off, true, False]\n"
    assert load_yaml(text).data == {"a": [True, False, True, False, True, False]}


def test_an_integer_of_the_most_digits_python_converts_loads() -> None:
    assert load_yaml("a: " + "7" * 4300 + "\n").data == {"a": int("7" * 4300)}


DOCUMENT = """\
apiVersion: score.dev/v1b1
containers:
  main:
    image: nginx
    args: ["-c", 'say ${x}']
    files:
      - target: /etc/a
        content: |
          first line
            indented ${metadata.name} here
      - target: /etc/b
        content: >
          folded ${metadata.name}
    variables:
      QUOTED: "tab\\tthen ${metadata.name}"
      PLAIN: a ${b} c
      LONG: a
        ${b}
"""


@pytest.mark.parametrize(
    ("path", "value", "entry", "best"),
    [
        ((), (1, 1), (1, 1), (1, 1)),
        (("apiVersion",), (1, 13), (1, 1), (1, 13)),
        (("containers", "main"), (4, 5), (3, 3), (3, 3)),
        (("containers", "main", "args", 1), (5, 18), (5, 18), (5, 18)),
        (("containers", "main", "files", "/etc/b"), (11, 9), (11, 9), (11, 9)),
        (("containers", "main", "files", "/etc/b", "content"), (12, 18), (12, 9), (12, 18)),
        (("containers", "main", "files", 0), (7, 9), (7, 9), (7, 9)),
        (("containers", "main", "nothing", "here"), (4, 5), (3, 3), (3, 3)),
        (("containers", "main", "args", 7), (5, 11), (5, 5), (5, 5)),
    ],
)
def test_positions(path: JsonPath, value: Point, entry: Point, best: Point) -> None:
    positions = load_yaml(DOCUMENT).positions

    assert (positions.value(path), positions.entry(path), positions.best(path)) == (
        value,
        entry,
        best,
    )


@pytest.mark.parametrize(
    ("path", "offset", "point"),
    [
        (("containers", "main", "args", 1), 4, (5, 23)),  # single-quoted
        (("containers", "main", "files", "/etc/a", "content"), 22, (10, 22)),  # literal block
        (("containers", "main", "files", "/etc/b", "content"), 7, (12, 18)),  # folded: the start
        (("containers", "main", "variables", "QUOTED"), 9, (15, 15)),  # escape before: the start
        (("containers", "main", "variables", "PLAIN"), 2, (16, 16)),  # plain
        (("containers", "main", "variables", "LONG"), 2, (17, 13)),  # plain on two lines
    ],
)
def test_offsets_inside_strings(path: JsonPath, offset: int, point: Point) -> None:
    lines = DOCUMENT.splitlines()
    loaded = load_yaml(DOCUMENT)

    found = loaded.positions.in_text(
        path, offset, lambda n: lines[n - 1] if n <= len(lines) else None
    )

    assert found == point
