"""The conformance suite: our own Score files for the sixteen behaviours score-compose's
examples exercise, and the Compose fields score-compose generates for them.

Each case is a folder of `cases/`: the Score files, any file they mount, an optional
`platform.orch` (definitions the case adds) and `reference.yaml`, which says what the
reference implementation writes for these very inputs, field by field, and which fields
orchc writes differently on purpose (each with orchc's value and the section of
docs/score-fidelity.md that explains it). `generate(case)` deploys the case with
orchc's defaults to a Compose target and returns the model the real `docker-compose
config` resolves, with the environment given at `docker compose up` (`up_env`). A case
may pass `options` to `orchc apply` (overrides) and merge `compose_overrides` into the
Compose file, as `docker compose -f compose.yaml -f FILE` does.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from compose_check import run_compose_config, unescape

from orchc.cli import main

CASES = Path(__file__).parent / "cases"
PLATFORM = """\
environment "dev" { type = "development" }

definition "local-compose" {
  type   = "target"
  driver = "compose"
  match { env_type = "development" }
  inputs { path = "compose.yaml" }
}
"""


def reference(case: str) -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load((CASES / case / "reference.yaml").read_text())
    return found


def deploy(case: str, root: Path) -> dict[str, Any]:
    """Apply the case in `root` with orchc; the model `docker-compose config` resolves,
    run from `root` with only `up_env` (and PATH, HOME) in its environment."""
    wanted = reference(case)
    for path in (CASES / case).iterdir():
        if path.name not in ("reference.yaml", "platform.orch"):
            shutil.copy(path, root / path.name)
    (root / "orchc.toml").write_text('app = "conformance"\ndefinitions = "platform"\n')
    (root / "platform").mkdir()
    (root / "platform" / "platform.orch").write_text(PLATFORM)
    if (CASES / case / "platform.orch").exists():
        shutil.copy(CASES / case / "platform.orch", root / "platform" / "case.orch")
    files = [arg for name in wanted["files"] for arg in ("-f", name)]
    apply_env = dict.fromkeys(wanted.get("up_env", {}))  # nothing leaks in from orchc
    options = wanted.get("options", [])
    result = CliRunner().invoke(
        main, ["apply", "--env", "dev", *files, *options, "--auto-approve"], env=apply_env
    )
    assert result.exit_code == 0, result.output
    clean = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")}
    settings: dict[str, Any] = {
        "cwd": root,
        "env": clean | wanted.get("up_env", {}),
        "overrides": tuple(root / name for name in wanted.get("compose_overrides", [])),
    }
    compose_file = root / "compose.yaml"
    quiet = run_compose_config(compose_file, "--quiet", **settings)
    assert quiet.returncode == 0, quiet.stderr
    resolved = run_compose_config(compose_file, "--format", "json", **settings)
    assert resolved.returncode == 0, resolved.stderr
    model: dict[str, Any] = unescape(json.loads(resolved.stdout))
    return model
