"""The YAML targets write is byte for byte PyYAML's, whichever emitter writes it:
libyaml's (fast) where `_same_in_libyaml` accepts every string, PyYAML's own elsewhere.
Checked on the golden outputs, on documents hypothesis makes, and on each kind of
string where the two emitters are known to differ."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from orchc.drivers.targets.yaml_text import (
    _dump_all,
    _Dumper,
    _FastDumper,
    _libyaml_writes_alike,
    dump_documents,
)

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_YAML = sorted(GOLDEN.rglob("*.yaml"))


def pyyaml_text(documents: list[Any]) -> str:
    return _dump_all(documents, _Dumper)


def test_libyaml_is_there() -> None:
    """Without libyaml the fast dumper is PyYAML's own: correct, but slow."""
    assert issubclass(_FastDumper, yaml.CSafeDumper)


@pytest.mark.parametrize("path", GOLDEN_YAML, ids=lambda p: str(p.relative_to(GOLDEN)))
def test_golden_outputs_are_written_by_libyaml_byte_for_byte(path: Path) -> None:
    documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    assert _libyaml_writes_alike(documents)
    assert _dump_all(documents, _FastDumper) == pyyaml_text(documents)


# Strings written differently by the two emitters; each is left to PyYAML's.
DIFFERENT = {
    "empty key": {"": 1},
    "outside the BMP": {"k": "\U0001f600"},
    "carriage return in a key": {"\r!": []},
    "next line (U+0085)": {"k": "x\x85y"},
    "blank line at the end, not last": {"k": ["a\n\n", True]},
    "blank line at the end of a key": {"a\n\n": 1},
    "line break as a key": {"\n": {}},
    "long string in double quotes": {"k": "a \nb" * 1500},
}


@pytest.mark.parametrize("document", DIFFERENT.values(), ids=DIFFERENT.keys())
def test_where_libyaml_differs_pyyaml_writes(document: dict[str, Any]) -> None:
    assert _dump_all([document], _FastDumper) != pyyaml_text([document])
    assert dump_documents([document]) == pyyaml_text([document])


NASTY = " \n\t\r:#-'\"|>{}[],&*!%@`?\\~=.0yYnN\x85\xa0\u00e9\u2028\u3042\ufeff\U0001f600"
texts = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=NASTY, max_size=16),
    st.builds(lambda part, times: part * times, st.text(NASTY, min_size=1), st.integers(1, 400)),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(st.dictionaries(texts, values, max_size=4), min_size=1, max_size=3))
def test_any_documents_are_written_as_pyyaml_writes_them(documents: list[Any]) -> None:
    assert dump_documents(documents) == pyyaml_text(documents)


@pytest.mark.parametrize("length", range(118, 132))
def test_long_keys_are_written_as_pyyaml_writes_them(length: int) -> None:
    """Near 128 characters PyYAML turns to `? key`, counting a tag it does not write
    (found by the generated documents above: a key of 123 zeros)."""
    for key in ("0" * length, "k" * length):
        documents = [{key: None, "short": {key: "v"}}]
        assert dump_documents(documents) == pyyaml_text(documents)
