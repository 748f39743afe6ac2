"""Property tests: whatever the text, the reader answers with diagnostics, never with
another exception; and it accepts exactly what the official schema accepts, except for
the few things orchc rejects on purpose (`_reader_only`).

Inputs are random YAML-ish text, corpus documents with random edits to their text, and
corpus documents whose data had values replaced, keys removed or keys added.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import JsonValue

from orchc.compiler.score import read_score
from orchc.compiler.score.yaml_positions import JsonPath, load_yaml
from orchc.grammar.diagnostics import render
from orchc.grammar.source import SourceMap

FUZZ = settings(max_examples=150, deadline=None, database=None)

FRAGMENTS = st.sampled_from(
    [
        "apiVersion: score.dev/v1b1\n",
        "metadata:\n  name: web\n",
        "containers:\n",
        "  main:\n",
        "    image: nginx\n",
        "    variables:\n      A: ${metadata.name}\n",
        "    files:\n      - target: /x\n        content: hi\n",
        "resources: {db: {type: postgres}}\n",
        "- ",
        ": ",
        "  ",
        "\t",
        "\n",
        "&a ",
        "*a",
        "<<: *a\n",
        "!!binary ",
        "? ",
        "|\n",
        '"',
        "'",
        "{",
        "}",
        "[",
        "]",
        ",",
        "#",
        "---\n",
        "${",
        "$$",
        "\\",
        "\x00",
        "é",
    ]
)
YAMLISH = st.lists(FRAGMENTS | st.text(max_size=6), max_size=30).map("".join)

NAMES = ["web", "Main", "", "x", "-x-", "a" * 70, "score.dev/v1b1", "db", "/etc/x", "a=b"]
STRINGS = st.sampled_from(
    [
        *NAMES,
        "${metadata.name}",
        "${resources.db.host}",
        "${",
        "$${x}",
        "${}",
        "128M",
        "1.5Gi",
        "0644",
        "TCP",
        "HTTP",
        "aGk=",
        "not base64!",
    ]
)
KEYS = st.sampled_from(
    [
        "metadata",
        "name",
        "annotations",
        "containers",
        "image",
        "command",
        "args",
        "variables",
        "files",
        "volumes",
        "target",
        "content",
        "source",
        "binaryContent",
        "mode",
        "noExpand",
        "before",
        "ready",
        "livenessProbe",
        "httpGet",
        "exec",
        "port",
        "path",
        "resources",
        "limits",
        "memory",
        "cpu",
        "service",
        "ports",
        "type",
        "class",
        "id",
        "params",
        *NAMES,
        "apiVersion",  # last: hypothesis favours early choices, and this one ends the story
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-5, 70000)
    | st.floats(allow_nan=False, allow_infinity=False)
    | STRINGS
    | st.text(max_size=8)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def corpus(shared_dir: Path) -> list[tuple[str, str]]:
    root = shared_dir / "score" / "corpus"
    return [(p.name, p.read_text()) for p in sorted(root.rglob("*.yaml"))]


@pytest.fixture(scope="module")
def schemas(score_schema_dir: Path) -> tuple[jsonschema.Draft202012Validator, ...]:
    return tuple(
        jsonschema.Draft202012Validator(json.loads((score_schema_dir / name).read_text()))
        for name in ("score-v1b1.json", "score-v1b1.for-validation.json")
    )


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _read(scratch: Path, text: str) -> tuple[object, list[str]]:
    path = scratch / "score.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    sources = SourceMap()
    workload, diagnostics = read_score(path, scratch, sources)
    assert render(diagnostics, sources) is not None
    assert all(d.is_error for d in diagnostics)
    assert (workload is None) == bool(diagnostics)
    for diagnostic in diagnostics:
        assert diagnostic.span is None or (diagnostic.span.line >= 1 and diagnostic.span.col >= 1)
    return workload, [d.message for d in diagnostics]


@FUZZ
@given(text=YAMLISH)
def test_yamlish_text_only_ever_gives_diagnostics(scratch: Path, text: str) -> None:
    _read(scratch, text)


@FUZZ
@given(data=st.data())
def test_edited_corpus_text_only_ever_gives_diagnostics(
    scratch: Path, corpus: list[tuple[str, str]], data: st.DataObject
) -> None:
    _, text = data.draw(st.sampled_from(corpus))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 4))
        insert = data.draw(FRAGMENTS | st.text(max_size=3))
        text = text[:at] + insert + text[at + cut :]

    _read(scratch, text)


@FUZZ
@given(data=st.data())
def test_the_reader_and_the_official_schema_agree_on_mutants(
    scratch: Path,
    corpus: list[tuple[str, str]],
    schemas: tuple[jsonschema.Draft202012Validator, ...],
    data: st.DataObject,
) -> None:
    _, text = data.draw(st.sampled_from(corpus))
    document: JsonValue = load_yaml(text).data
    for _ in range(data.draw(st.integers(1, 3))):
        document = _mutate(document, data)
    mutated = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)

    workload, messages = _read(scratch, mutated)

    official, for_validation = schemas
    if workload is not None:
        assert list(official.iter_errors(load_yaml(mutated).data)) == []
        assert list(for_validation.iter_errors(workload.spec)) == []  # type: ignore[attr-defined]
    elif official.is_valid(load_yaml(mutated).data):
        assert [m for m in messages if not _reader_only(m)] == []


def _reader_only(message: str) -> bool:
    """What orchc rejects on purpose although the schema allows it."""
    return any(
        reason in message
        for reason in (
            "placeholder",  # the schema does not look inside strings
            "cannot read",  # a file `source` that is not there
            "not valid standard base64",
            "missing required key 'target'",  # list-form items need one
            "is listed twice",
            # The schema lets a list-form volume's `target` be "": a mount at no path.
            ".target: must be at least 1 characters long",
        )
    )


def _mutate(document: JsonValue, data: st.DataObject) -> JsonValue:
    """Replace, drop or add one thing somewhere in `document`. Deep places are offered
    first (hypothesis favours early choices), so many mutants stay valid and the schema
    comparison has something to compare."""
    places = sorted(_paths(document, ()), key=len, reverse=True)
    path = data.draw(st.sampled_from(places))
    action = data.draw(st.sampled_from(["replace", "replace", "drop", "add"]))
    return _edit(document, path, action, data)


def _paths(value: JsonValue, path: JsonPath) -> Iterator[JsonPath]:
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def _edit(value: JsonValue, path: JsonPath, action: str, data: st.DataObject) -> JsonValue:
    if not path:
        return data.draw(_similar(value) | VALUES)
    key, rest = path[0], path[1:]
    if isinstance(value, dict) and isinstance(key, str):
        if not rest and action == "drop":
            return {k: v for k, v in value.items() if k != key}
        if not rest and action == "add":
            return {**value, data.draw(KEYS): data.draw(VALUES)}
        return {**value, key: _edit(value[key], rest, action, data)}
    if isinstance(value, list) and isinstance(key, int):
        if not rest and action == "drop":
            return value[:key] + value[key + 1 :]
        return [*value[:key], _edit(value[key], rest, action, data), *value[key + 1 :]]
    return value


def _similar(value: JsonValue) -> st.SearchStrategy[JsonValue]:
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(-5, 70000)
    if isinstance(value, str):
        return STRINGS | st.text(max_size=8)
    return VALUES
