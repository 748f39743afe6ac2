"""Golden outputs: what the defaults generate for a few corpus documents, for each
target, as files reviewers read in the diff (`pytest --update-golden` rewrites them).

Generated passwords differ on every fresh project, so secret values are masked: every
value of a Compose env file, and every `data` value of a Kubernetes Secret. Everything
else is compared byte for byte.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from shared_corpus import CORPUS

GOLDEN = Path(__file__).parent / "golden"

CASES = {
    "postgres": "examples/resources/postgres",
    "shared-redis": "score-compose/examples/06-resource-provisioning",
    "volume": "score-compose/examples/05-volume-mounts",
    "dns-and-route": "score-compose/examples/09-dns-and-route",
}
TARGETS = {"compose": ("dev", "."), "kubernetes": ("staging", "build/shop/staging")}

_ENV_LINE = re.compile(r"^(?P<key>[^#=\s][^=]*)=.*$", re.MULTILINE)
MASK = "(masked)"


def masked(name: str, content: bytes) -> bytes:
    """`content` with its secret values replaced by `(masked)`."""
    if name.endswith(".env"):
        return _ENV_LINE.sub(rf'\g<key>="{MASK}"', content.decode()).encode()
    if name.endswith(".secrets.yaml"):
        objects = list(yaml.safe_load_all(content))
        for obj in objects:
            obj["data"] = dict.fromkeys(obj.get("data") or {}, MASK)
        return yaml.safe_dump_all(objects, sort_keys=True, explicit_start=True).encode()
    return content


def deployed(project: Any, target: str) -> dict[str, bytes]:
    files = project.files(TARGETS[target][1])
    if target == "compose":
        files = {k: v for k, v in files.items() if k.startswith(("compose", ".compose"))}
    return {name: masked(name, content) for name, content in files.items()}


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.mark.corpus
@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, target: str, project: Any, update_golden: bool) -> None:
    documents = sorted((CORPUS / CASES[case]).glob("*.yaml"))
    arguments = [argument for document in documents for argument in ("-f", str(document))]
    project.run("apply", "--env", TARGETS[target][0], *arguments, "--auto-approve")
    actual = deployed(project, target)
    expected_dir = GOLDEN / case / target
    if update_golden:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for name, content in actual.items():
            (expected_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / name).write_bytes(content)
    assert actual == read_tree(expected_dir)
