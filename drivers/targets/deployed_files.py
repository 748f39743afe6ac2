"""Drift of a target (SPEC §9): the files it wrote are present and unchanged.

At deploy the runtime records, in the target's driver state, the SHA-256 of every file
the target wrote (relative to the project root); `observe` compares them with what is
on disk. A target that has not deployed yet has nothing recorded and has not drifted.

>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> _ = (root / "a.yaml").write_text("x: 1")
>>> digests = file_digests(root, ["a.yaml"])
>>> drift_of(root, digests) is None
True
>>> _ = (root / "a.yaml").write_text("x: 2")
>>> drift_of(root, {**digests, "b.yaml": "sha256:0"})
'a.yaml was changed; b.yaml was deleted'
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from orchc.drivers.protocol import DriverRequest, Observation

STATE_KEY = "deployed_files"


def file_digests(root: Path, files: Iterable[str]) -> dict[str, str]:
    """`sha256:` of each file (paths relative to `root`) that exists."""
    return {name: _digest(root / name) for name in sorted(files) if (root / name).is_file()}


def _digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def drift_of(root: Path, recorded: Mapping[str, str]) -> str | None:
    found = []
    for name, digest in sorted(recorded.items()):
        path = root / name
        if not path.is_file():
            found.append(f"{name} was deleted")
        elif _digest(path) != digest:
            found.append(f"{name} was changed")
    return "; ".join(found) or None


def observe_deployed(request: DriverRequest) -> Observation:
    recorded = request.state.get(STATE_KEY)
    if not isinstance(recorded, dict):
        return Observation()
    return Observation(drift=drift_of(request.project_root, recorded))
