"""Deterministic YAML for the files targets write.

Keys are sorted and the layout is fixed, so equal objects give equal bytes and the
output can be committed and diffed. Multi-line strings (file contents in a ConfigMap,
scripts) are written as literal blocks, which read and diff line by line; PyYAML falls
back to a quoted style by itself when a literal block cannot hold a string exactly.

>>> print(dump_documents([{"kind": "ConfigMap", "data": {"a.txt": "one\\ntwo\\n"}}]), end="")
---
data:
  a.txt: |
    one
    two
kind: ConfigMap
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml

from orchc.drivers.protocol import JsonObject


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes multi-line strings as literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump(document: JsonObject) -> str:
    """One YAML document, keys sorted.

    >>> print(dump({"b": 1, "a": "$x"}), end="")
    a: $x
    b: 1
    """
    return dump_documents([document])[len("---\n") :]


def dump_documents(documents: Sequence[JsonObject]) -> str:
    """A multi-document stream, each document introduced by `---`."""
    text: str = yaml.dump_all(
        documents,
        Dumper=_Dumper,
        explicit_start=True,
        sort_keys=True,
        allow_unicode=True,
        default_flow_style=False,
        # A wide line limit: folding long strings (base64, URLs) only makes diffs noisier.
        width=4096,
    )
    return text
