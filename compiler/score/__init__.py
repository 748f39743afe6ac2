"""The Score reader: Score v1b1 workload files -> validated, normalised `ScoreWorkload`s.

`read_score`/`read_scores` are the entry points. Every problem in a Score file is a
`Diagnostic` at the line and column of the offending key or value (never an exception),
and a file with errors yields no workload. A workload's `spec` is the document as plain
JSON in its normalised form: `files` and `volumes` as maps, files given by `source`
inlined, nothing filled in. `placeholders` holds the Score placeholder language
(`${metadata.KEY}`, `${resources.NAME.KEY}`): where it applies, how it is checked at read
time, and how the Deploy phase substitutes it.

Modules, in the order a file goes through them: `yaml_positions` (YAML -> data and node
positions), `model` (the pydantic models of the schema), `messages` (validation errors
in orchc's words), `reader` (the steps), `workload` (the result), `placeholders`.

The reader and the schema models are imported on first use (`__getattr__`): the Deploy
phase needs only `placeholders`, and applying a plan must not load the reader.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..placeholders import PlaceholderError
from .placeholders import (
    ParamsReference,
    Reference,
    Resolved,
    check_placeholders,
    parse_template,
    references,
    sites,
    substitute,
    substitute_value,
)
from .workload import ResourceRequest, ScoreWorkload

if TYPE_CHECKING:
    from .model import API_VERSION, ScoreDocument
    from .reader import read_score, read_scores

_ON_FIRST_USE = {
    "API_VERSION": ".model",
    "ScoreDocument": ".model",
    "read_score": ".reader",
    "read_scores": ".reader",
}

__all__ = [
    "API_VERSION",
    "ParamsReference",
    "PlaceholderError",
    "Reference",
    "Resolved",
    "ResourceRequest",
    "ScoreDocument",
    "ScoreWorkload",
    "check_placeholders",
    "parse_template",
    "read_score",
    "read_scores",
    "references",
    "sites",
    "substitute",
    "substitute_value",
]


def __getattr__(name: str) -> Any:
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_ON_FIRST_USE[name], __name__), name)
