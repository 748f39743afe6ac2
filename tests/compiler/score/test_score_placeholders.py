"""Score placeholders: parsing, substitution, where they are checked, and the edges
they add between resources. Escaping rows follow score-go's substitution tests."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
from pydantic import JsonValue

from orchc.compiler.score import (
    ParamsReference,
    PlaceholderError,
    Reference,
    Resolved,
    ScoreWorkload,
    check_placeholders,
    parse_template,
    read_score,
    references,
    sites,
    substitute,
    substitute_value,
)
from orchc.grammar.diagnostics import render
from orchc.grammar.source import SourceMap, Span


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ()),
        ("plain text", ("plain text",)),
        ("$abc", ("$abc",)),
        ("cost: 5$", ("cost: 5$",)),
        ("abc $$ abc", ("abc $ abc",)),
        ("$${abc}", ("${abc}",)),
        ("$${abc", ("${abc",)),
        ("$$$${abc}", ("$${abc}",)),
        ("$$_$${fizzbuzz}", ("$_${fizzbuzz}",)),
        (
            "$$${metadata.name}",
            ("$", Reference(("metadata", "name"), 2, "${metadata.name}")),
        ),
        (
            "my name is ${metadata.name}",
            ("my name is ", Reference(("metadata", "name"), 11, "${metadata.name}")),
        ),
        (
            "${metadata.annotations.key\\.com/foo-bar}",
            (
                Reference(
                    ("metadata", "annotations", "key.com/foo-bar"),
                    0,
                    "${metadata.annotations.key\\.com/foo-bar}",
                ),
            ),
        ),
        (
            "${resources.db.host}:${resources.db.port}",
            (
                Reference(("resources", "db", "host"), 0, "${resources.db.host}"),
                ":",
                Reference(("resources", "db", "port"), 21, "${resources.db.port}"),
            ),
        ),
        ("${a${b}c", (Reference(("a${b",), 0, "${a${b}"), "c")),
        ("${ metadata.name }", (Reference((" metadata", "name "), 0, "${ metadata.name }"),)),
    ],
)
def test_parse_template(text: str, expected: tuple[object, ...]) -> None:
    # Twice: the second answer comes from the cache (the same strings recur in every
    # workload) and must be the same.
    assert parse_template(text) == expected
    assert parse_template(text) == expected


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        (
            "${",
            "unterminated placeholder: '${' has no closing '}' (write '$${' for a literal '${')",
            0,
        ),
        (
            "x ${metadata.name",
            "unterminated placeholder: '${' has no closing '}' (write '$${' for a literal '${')",
            2,
        ),
        (
            "$$${",
            "unterminated placeholder: '${' has no closing '}' (write '$${' for a literal '${')",
            2,
        ),
        ("ok ${}", "empty placeholder '${}'", 3),
        ("${metadata.}", "placeholder '${metadata.}' has an empty key segment", 0),
        ("${.name}", "placeholder '${.name}' has an empty key segment", 0),
        ("a${resources..host}", "placeholder '${resources..host}' has an empty key segment", 1),
    ],
)
def test_parse_template_errors(text: str, message: str, offset: int) -> None:
    # Twice: an error is not cached, it is raised again with the same place.
    for _ in range(2):
        with pytest.raises(PlaceholderError) as caught:
            parse_template(text)

        assert (caught.value.message, caught.value.offset) == (message, offset)


VALUES: dict[tuple[str, ...], Resolved] = {
    ("metadata", "name"): Resolved("test-name"),
    ("metadata", "other"): Resolved({"key": "value", "a": [1, 2]}),
    ("resources", "db", "port"): Resolved(5432),
    ("resources", "db", "password"): Resolved("s3cret", sensitive=True),
    ("resources", "flag"): Resolved(True),
    ("resources", "nothing"): Resolved(None),
}


@pytest.mark.parametrize(
    ("text", "value", "sensitive"),
    [
        ("", "", False),
        ("abc", "abc", False),
        ("abc $$ abc", "abc $ abc", False),
        ("$${abc}", "${abc}", False),
        ("my name is ${metadata.name}", "my name is test-name", False),
        ("${metadata.other}", '{"a":[1,2],"key":"value"}', False),
        ("${resources.db.port}", "5432", False),
        ("${resources.flag}", "true", False),
        ("${resources.nothing}", "null", False),
        ("pw=${resources.db.password}", "pw=s3cret", True),
        ("${resources.db.password}", "s3cret", True),
    ],
)
def test_substitute_always_gives_a_string(text: str, value: str, sensitive: bool) -> None:
    assert substitute(text, VALUES.__getitem__) == Resolved(value, sensitive)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${resources.db.port}", Resolved(5432)),
        ("port ${resources.db.port}", Resolved("port 5432")),
        ("$${resources.db.port}", Resolved("${resources.db.port}")),
        (8080, Resolved(8080)),
        (None, Resolved(None)),
        (
            {"url": ["${resources.db.password}", {"n": "${metadata.name}"}], "on": True},
            Resolved({"url": ["s3cret", {"n": "test-name"}], "on": True}, sensitive=True),
        ),
    ],
)
def test_substitute_value_keeps_the_type_of_a_lone_placeholder(
    value: JsonValue, expected: Resolved
) -> None:
    assert substitute_value(value, VALUES.__getitem__) == expected


def test_substitute_lets_the_resolver_refuse() -> None:
    with pytest.raises(KeyError):
        substitute("${resources.unknown.host}", VALUES.__getitem__)


def _workload(tmp_path: Path, text: str) -> tuple[ScoreWorkload | None, str]:
    path = tmp_path / "score.yaml"
    path.write_text(text)
    sources = SourceMap()
    workload, diagnostics = read_score(path, tmp_path, sources)
    return workload, render(diagnostics, sources)


PLACES = """\
apiVersion: score.dev/v1b1
metadata:
  name: web
  labels: {team: payments}
containers:
  main:
    image: nginx
    command: ["/bin/sh", "-c", "echo ${HOME}"]
    args: ["${not.checked}"]
    variables:
      TEAM: ${metadata.labels.team}
      DB: postgres://${resources.db.host}:${resources.db.port}
    files:
      /etc/raw.sh:
        content: echo ${HOME}
        noExpand: true
      /etc/bin:
        binaryContent: JHtub3R9
      /etc/motd:
        content: "hello ${metadata.name}"
    volumes:
      /data:
        source: ${resources.data}
    livenessProbe:
      exec:
        command: ["test", "${not.checked}"]
resources:
  data:
    type: volume
  db:
    type: postgres
    params:
      size: 10
      labels: ["${metadata.labels.team}", "${resources.data.name}"]
  dns:
    type: dns
    params:
      target: {host: "${resources.db.host}"}
"""


def test_placeholders_are_checked_only_where_score_expands_them(tmp_path: Path) -> None:
    workload, rendered = _workload(tmp_path, PLACES)

    assert rendered == ""
    assert workload is not None
    assert check_placeholders(workload) == []


def test_sites_lists_every_expanded_string_in_document_order(tmp_path: Path) -> None:
    workload, _ = _workload(tmp_path, PLACES)

    assert workload is not None
    assert [(site.path, site.holder) for site in sites(workload.spec)] == [
        (("containers", "main", "variables", "TEAM"), None),
        (("containers", "main", "variables", "DB"), None),
        (("containers", "main", "files", "/etc/motd", "content"), None),
        (("containers", "main", "volumes", "/data", "source"), None),
        (("resources", "db", "params", "labels", 0), "db"),
        (("resources", "db", "params", "labels", 1), "db"),
        (("resources", "dns", "params", "target", "host"), "dns"),
    ]


def test_references_are_the_edges_between_resources(tmp_path: Path) -> None:
    workload, _ = _workload(tmp_path, PLACES)

    assert workload is not None
    assert references(workload) == [
        ParamsReference("data", "db", Span("score.yaml", 34, 44)),
        ParamsReference("db", "dns", Span("score.yaml", 38, 23)),
    ]


def test_strings_in_params_are_located_at_their_start(tmp_path: Path) -> None:
    workload, _ = _workload(tmp_path, PLACES)

    assert workload is not None
    labels = ("resources", "db", "params", "labels")
    assert workload.locate((*labels, 0)) == Span("score.yaml", 34, 16)
    assert workload.locate((*labels, 1)) == Span("score.yaml", 34, 43)


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        (
            "${metadata}",
            """\
            score.yaml:7:10: error: placeholder '${metadata}': needs a key, as in '${metadata.name}'
                    X: ${metadata}
                       ^""",
        ),
        (
            "${metadata.name.first}",
            """\
            score.yaml:7:10: error: placeholder '${metadata.name.first}': metadata.name is not a mapping
                    X: ${metadata.name.first}
                       ^""",
        ),
        (
            "${metadata.labels.tier}",
            """\
            score.yaml:7:10: error: placeholder '${metadata.labels.tier}': metadata.labels has no key 'tier'
                    X: ${metadata.labels.tier}
                       ^""",
        ),
        (
            "${resources}",
            """\
            score.yaml:7:10: error: placeholder '${resources}': needs a resource name, as in '${resources.db.host}'
                    X: ${resources}
                       ^""",
        ),
        (
            "a ${metadata.name} b ${resources.cache.host} c ${metadata.nope}",
            """\
            score.yaml:7:31: error: placeholder '${resources.cache.host}': no resource 'cache' is declared in this workload
                    X: a ${metadata.name} b ${resources.cache.host} c ${metadata.nope}
                                            ^
              declared: none
            score.yaml:7:57: error: placeholder '${metadata.nope}': metadata has no key 'nope'
                    X: a ${metadata.name} b ${resources.cache.host} c ${metadata.nope}
                                                                      ^""",
        ),
    ],
)
def test_check_placeholders_errors(tmp_path: Path, variable: str, expected: str) -> None:
    text = (
        "apiVersion: score.dev/v1b1\nmetadata: {name: web, labels: {team: a}}\n"
        f"containers:\n  main:\n    image: nginx\n    variables:\n      X: {variable}\n"
    )

    workload, rendered = _workload(tmp_path, text)

    assert workload is None
    assert rendered == dedent(expected)
