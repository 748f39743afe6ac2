"""Every Score document of the shared corpus, planned and applied to both targets with a
small set of static definitions generated for the resource types it uses; the output
validates against the Kubernetes 1.30 schemas and with `docker-compose config`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from click.testing import CliRunner
from compose_check import run_compose_config
from shared_corpus import CORPUS, built_here_images, corpus_files

from orchc.cli import main

pytestmark = pytest.mark.corpus
DOCUMENTS = corpus_files()
PLACEHOLDER = re.compile(r"\$\{resources\.([a-z0-9-]+)((?:\.[A-Za-z0-9_-]+)*)\}")


def outputs_needed(document: dict[str, Any], text: str) -> dict[str, dict[str, Any]]:
    """For each resource type the document uses, the outputs its placeholders read,
    with a value: `{type: {key: value or nested map}}`."""
    types = {name: spec["type"] for name, spec in (document.get("resources") or {}).items()}
    needed: dict[str, dict[str, Any]] = {kind: {} for kind in types.values()}
    for name, path in PLACEHOLDER.findall(text):
        if name not in types:
            continue
        keys = path.strip(".").split(".") if path else ["source"]
        target = needed[types[name]]
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = f"{types[name]}-{'-'.join(keys)}".lower()
    return needed


def orch_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {orch_value(v)}' for k, v in value.items()) + " }"
    return f'"{value}"'


def definitions(needed: dict[str, dict[str, Any]]) -> str:
    text = """
environment "dev"     { type = "development" }
environment "staging" { type = "staging" }

definition "compose" {
  type   = "target"
  driver = "compose"
  match { env = "dev" }
  inputs { path = "out/compose.yaml" }
}
"""
    for index, (kind, outputs) in enumerate(sorted(needed.items())):
        inputs = "\n".join(f"    {k} = {orch_value(v)}" for k, v in outputs.items())
        text += f'\ndefinition "static-{index}" {{\n  type = "{kind}"\n  driver = "static"\n'
        text += f"  match {{}}\n  inputs {{\n{inputs}\n  }}\n}}\n"
    return text


def prepare(document_path: Path, root: Path) -> Path:
    """A project holding the document (and the files it reads) plus definitions."""
    text = document_path.read_text()
    document = yaml.safe_load(text)
    root.mkdir()
    (root / "orchc.toml").write_text('app = "corpus"\n')
    (root / "definitions").mkdir()
    (root / "definitions" / "static.orch").write_text(definitions(outputs_needed(document, text)))
    for sibling in document_path.parent.iterdir():
        if sibling.is_file() and not sibling.name.endswith(".yaml"):
            shutil.copy(sibling, root / sibling.name)
    if "source: file.txt" in text and not (root / "file.txt").exists():
        (root / "file.txt").write_text("a stand-in for the file the upstream sample names\n")
    target = root / "score.yaml"
    target.write_text(text)
    return target


def orchc(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, f"orchc {' '.join(args)}:\n{result.output}"
    return result.output


def kubernetes_objects(folder: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted(folder.rglob("*.yaml")):
        found += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return found


@pytest.mark.parametrize("document", DOCUMENTS, ids=[str(p.relative_to(CORPUS)) for p in DOCUMENTS])
def test_corpus_document_applies_to_both_targets(
    document: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    prepare(document, root)
    monkeypatch.chdir(root)
    images = built_here_images(yaml.safe_load(document.read_text()))
    for env in ("dev", "staging"):
        orchc("plan", "--env", env, "-o", f"{env}.json", *images)
        orchc("apply", f"{env}.json")
        orchc("plan", "--env", env, "--detailed-exitcode", *images)  # exits 0: nothing to do

    compose = root / "out" / "compose.yaml"
    checked = run_compose_config(compose, "--quiet", cwd=root)
    assert checked.returncode == 0, checked.stderr
    objects = kubernetes_objects(root / "build" / "corpus" / "staging")
    assert any(o["kind"] == "Deployment" for o in objects)
    for manifest in objects:
        kubernetes_validate.validate(manifest, "1.30", strict=True)
