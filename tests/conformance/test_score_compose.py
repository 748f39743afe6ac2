"""orchc next to score-compose, field by field (issue 17).

For every case in `cases/`, orchc deploys our own Score file to a Compose target and the
real `docker-compose config` resolves the result; every field the case's
`reference.yaml` lists must be what score-compose generates for the same inputs, except
the differences the case names: there orchc's value must be exactly the one named (so a
difference cannot grow unnoticed), must really differ from the reference, and
docs/score-fidelity.md must explain it under the section the case points at.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from compose_fields import fields, matches
from conformance_cases import CASES, reference
from conformance_table import table

DOCS = Path(__file__).parents[2] / "docs" / "score-fidelity.md"
ALL_CASES = sorted(path.name for path in CASES.iterdir() if path.is_dir())


def _sections() -> set[str]:
    return {m.group(1).strip() for m in re.finditer(r"^## (.+)$", DOCS.read_text(), re.M)}


@pytest.mark.parametrize("case", ALL_CASES)
def test_orchc_writes_what_score_compose_writes(case: str, generate: Any, tmp_path: Path) -> None:
    wanted = reference(case)
    found = fields(generate(case), tmp_path)
    differences: dict[str, Any] = wanted.get("differences") or {}
    unknown = sorted(set(differences) - set(wanted["fields"]))
    assert not unknown, f"differences name fields the case does not compare: {unknown}"
    mismatched = {
        field: {"reference": expected, "orchc": found.get(field)}
        for field, expected in wanted["fields"].items()
        if field not in differences and not matches(expected, found.get(field))
    }
    assert not mismatched, mismatched
    for field, difference in differences.items():
        actual = found.get(field)
        assert matches(difference["orchc"], actual), (field, actual)
        assert not matches(wanted["fields"][field], actual), f"{field} no longer differs"
        assert difference["why"] in _sections(), (field, difference["why"])


def test_every_behaviour_of_the_reference_examples_has_a_case() -> None:
    numbers = {case.split("-", 1)[0] for case in ALL_CASES}
    missing = sorted({f"{n:02d}" for n in range(1, 17)} - numbers)
    assert not missing, f"no conformance case for score-compose example(s) {missing}"


def test_the_docs_show_the_table_of_the_cases() -> None:
    assert table() in DOCS.read_text()
