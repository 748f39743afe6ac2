"""The official Score schemas the reader is checked against (read in place from
`../shared/score/schema`) are well-formed JSON Schemas of the draft they declare, so a
corpus test that passes is a real check and not a validator that accepts anything."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

NAMES = ["score-v1b1.json", "score-v1b1.for-validation.json"]


@pytest.mark.parametrize("name", NAMES)
def test_the_official_schema_is_a_valid_draft_2020_12_schema(
    name: str, score_schema_dir: Path
) -> None:
    schema = json.loads((score_schema_dir / name).read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert not jsonschema.Draft202012Validator(schema).is_valid({"apiVersion": "score.dev/v1b1"})
