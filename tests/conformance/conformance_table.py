"""Print the conformance table (case, fields compared, fields matching) as Markdown.

`python tests/conformance/conformance_table.py`. The counts come from the cases' `reference.yaml`:
the suite fails unless every field not named as a difference matches, so this is what
the last green run checked.
"""

from __future__ import annotations

from pathlib import Path

import yaml

CASES = Path(__file__).parent / "cases"


def rows() -> list[tuple[str, int, int]]:
    found = []
    for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
        reference = yaml.safe_load((case / "reference.yaml").read_text())
        compared = len(reference["fields"])
        found.append((case.name, compared, compared - len(reference.get("differences") or {})))
    return found


def table() -> str:
    lines = ["| case | fields compared | fields matching |", "|---|---|---|"]
    cases = rows()
    lines += [f"| {name} | {compared} | {matching} |" for name, compared, matching in cases]
    compared, matching = sum(r[1] for r in cases), sum(r[2] for r in cases)
    lines.append(
        f"| all ({len(cases)} cases) | {compared} | {matching} ({matching / compared:.0%}) |"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
