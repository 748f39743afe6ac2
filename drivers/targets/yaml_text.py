"""Deterministic YAML for the files targets write.

Keys are sorted and the layout is fixed, so equal objects give equal bytes and the
output can be committed and diffed. Multi-line strings (file contents in a ConfigMap,
scripts) are written as literal blocks, which read and diff line by line; PyYAML falls
back to a quoted style by itself when a literal block cannot hold a string exactly.

The text is written by libyaml's emitter (`CSafeDumper`, ten times faster than PyYAML's
own) when it writes the documents byte for byte as PyYAML's emitter would, and by
PyYAML's otherwise. They differ only on strings that `_same_in_libyaml` refuses: empty
ones, line breaks other than `\\n`, control characters and characters beyond the
Basic Multilingual Plane (which libyaml escapes), a string ending in a blank line (where
libyaml ends the document with `...`), and a long string in double quotes (folded at
other places); and on keys of 123 characters or more (PyYAML writes `? key` sooner).
tests/drivers/targets/test_yaml_text.py compares both emitters on the
golden outputs and on generated documents.

>>> print(dump_documents([{"kind": "ConfigMap", "data": {"a.txt": "one\\ntwo\\n"}}]), end="")
---
data:
  a.txt: |
    one
    two
kind: ConfigMap
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import yaml
from yaml.emitter import Emitter

from orchc.drivers.protocol import JsonObject


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes multi-line strings as literal blocks."""


class _FastDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """The same, with libyaml's emitter (PyYAML built without libyaml: the same class)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
_FastDumper.add_representer(str, _represent_str)

_LIBYAML_ESCAPES = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\r\u2028\u2029\ufeff\U00010000-\U0010ffff]"
)
# Below this length no line reaches the emitters' width, so nothing is folded.
_NEVER_FOLDED = 1000
_ANALYSER = Emitter(io.StringIO())
# A key shorter than 128 characters is written `key: value`, longer ones `? key`; PyYAML
# counts the `!!str` tag it does not write into that length, libyaml does not.
_SIMPLE_KEY_IN_BOTH = 128 - len("!!str")


def dump(document: JsonObject) -> str:
    """One YAML document, keys sorted.

    >>> print(dump({"b": 1, "a": "$x"}), end="")
    a: $x
    b: 1
    """
    return dump_documents([document])[len("---\n") :]


def dump_documents(documents: Sequence[JsonObject]) -> str:
    """A multi-document stream, each document introduced by `---`."""
    return _dump_all(documents, _FastDumper if _libyaml_writes_alike(documents) else _Dumper)


def _dump_all(documents: Sequence[JsonObject], dumper: type[yaml.SafeDumper]) -> str:
    text: str = yaml.dump_all(
        documents,
        Dumper=dumper,
        explicit_start=True,
        sort_keys=True,
        allow_unicode=True,
        default_flow_style=False,
        # A wide line limit: folding long strings (base64, URLs) only makes diffs noisier.
        width=4096,
    )
    return text


def _same_in_libyaml(text: str) -> bool:
    """Whether libyaml's emitter writes `text` (a key or a value) as PyYAML's does.

    >>> [_same_in_libyaml(t) for t in ("web", "a\\nb\\n", "", "cr\\r", "\\U0001f600", "end\\n\\n")]
    [True, True, False, False, False, False]
    """
    if not text or text == "\n" or text.endswith("\n\n") or _LIBYAML_ESCAPES.search(text):
        return False
    if len(text) < _NEVER_FOLDED:
        return True
    analysis = _ANALYSER.analyze_scalar(text)  # PyYAML's own choice of style
    in_double_quotes = not analysis.allow_single_quoted or (
        "\n" in text and not analysis.allow_block
    )
    return not in_double_quotes


def _libyaml_writes_alike(value: Any) -> bool:
    """Whether libyaml's emitter writes every key and string of `value` as PyYAML's."""
    if isinstance(value, str):
        return _same_in_libyaml(value)
    if isinstance(value, dict):
        return all(
            _same_key_in_libyaml(key) and _libyaml_writes_alike(item) for key, item in value.items()
        )
    if isinstance(value, list | tuple):
        return all(_libyaml_writes_alike(item) for item in value)
    return True


def _same_key_in_libyaml(key: Any) -> bool:
    return not isinstance(key, str) or (_same_in_libyaml(key) and len(key) < _SIMPLE_KEY_IN_BOTH)
