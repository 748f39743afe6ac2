"""`orchc check --env` and `orchc explain` read the Score files as `orchc plan` does in
that environment (SPEC §12): orchc.toml's overrides for it, then `--overrides-file` and
`--override-property`. `image: .` is refused by plan only."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from orchc.cli import main

DEFINITIONS = """\
environment "dev"     { type = "development" }
environment "staging" { type = "staging" }

definition "compose" {
  type   = "target"
  driver = "compose"
  match {}
  inputs { path = "out/${context.env.id}/compose.yaml" }
}
"""
SCORE = """\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: .
"""
QUEUE = "resources:\n  queue:\n    type: no-such-queue\n"
UNMATCHED = "no definition matches resource 'no-such-queue.default#web.queue'"


def orchc(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Staging's orchc.toml overrides add a resource that no definition serves."""
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "platform.orch").write_text(DEFINITIONS)
    (tmp_path / "score.yaml").write_text(SCORE)
    (tmp_path / "overrides").mkdir()
    (tmp_path / "overrides" / "staging-web.yaml").write_text(QUEUE)
    (tmp_path / "orchc.toml").write_text(
        'app = "shop"\n[environments.staging]\noverrides = { web = "overrides/staging-web.yaml" }\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ORCHC_STATE", raising=False)
    return tmp_path


def test_check_env_applies_that_environments_overrides(project: Path) -> None:
    assert orchc("check").exit_code == 0  # without an environment, no environment's overrides
    dev = orchc("check", "--env", "dev")
    assert dev.exit_code == 0, dev.output
    assert "environment 'dev' (development): every requested resource matches" in dev.stderr
    staging = orchc("check", "--env", "staging", "--env", "dev")
    assert staging.exit_code == 1, staging.output
    assert UNMATCHED + " in context app=shop env=staging" in staging.stderr
    assert "environment 'staging' (staging): 1 error(s)" in staging.stderr
    assert "environment 'dev' (development): every requested resource matches" in staging.stderr
    # plan finds the same problem: check checked what plan plans
    plan = orchc("plan", "--env", "staging", "--image", "web=registry.example.com/web:1")
    assert plan.exit_code == 1 and UNMATCHED in plan.stderr


def test_check_all_envs_applies_each_environments_overrides(project: Path) -> None:
    result = orchc("check", "--all-envs")
    assert result.exit_code == 1, result.output
    assert "environment 'dev' (development): every requested resource matches" in result.stderr
    assert "environment 'staging' (staging): 1 error(s)" in result.stderr


def test_check_takes_override_options_as_plan_does(project: Path) -> None:
    (project / "web-queue.yaml").write_text(QUEUE)
    by_file = orchc("check", "--env", "dev", "--overrides-file", "web=web-queue.yaml")
    assert by_file.exit_code == 1 and UNMATCHED + " in context app=shop env=dev" in by_file.stderr
    option = "--override-property=web:resources.queue.type=no-such-queue"
    by_property = orchc("check", "--env", "dev", option)
    assert by_property.exit_code == 1 and UNMATCHED in by_property.stderr
    broken = orchc("check", "--override-property=web:containers.main.ports=3")
    assert broken.exit_code == 1
    assert broken.stderr.startswith(
        "orchc: error: --override-property web:containers.main.ports=3: containers.main: "
        "unknown key 'ports'"
    )
    assert orchc("check", "--image", "web=x").exit_code == 2  # image: . is plan's business


def test_an_environments_broken_overrides_file_is_that_environments_error(project: Path) -> None:
    (project / "overrides" / "staging-web.yaml").write_text("containers:\n  main:\n    image: 3\n")
    result = orchc("check", "--all-envs")
    assert result.exit_code == 1, result.output
    assert "overrides/staging-web.yaml:3:12: error: containers.main.image: expected a string" in (
        result.stderr
    )
    assert "environment 'staging' (staging): 1 error(s)" in result.stderr
    assert "environment 'dev' (development): every requested resource matches" in result.stderr


def test_explain_reads_the_score_files_as_plan_does_in_that_environment(project: Path) -> None:
    (project / "overrides" / "staging-web.yaml").write_text("containers:\n  main:\n    image: 3\n")
    uid = "target.default#shop"
    assert orchc("explain", uid, "--env", "dev").exit_code == 0
    staging = orchc("explain", uid, "--env", "staging")
    assert staging.exit_code == 1
    assert staging.stderr.startswith(
        "overrides/staging-web.yaml:3:12: error: containers.main.image"
    )
    option = "--override-property=web:containers.main.ports=3"
    assert "unknown key 'ports'" in orchc("explain", uid, "--env", "dev", option).stderr


def test_check_env_and_all_envs_together_is_a_usage_error(project: Path) -> None:
    result = orchc("check", "--env", "dev", "--all-envs")
    assert result.exit_code == 2
    assert "pass either --env or --all-envs, not both" in result.stderr
