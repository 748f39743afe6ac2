"""`orchc impact` on a real git repository, `orchc plan` over several environments and
`orchc diff`, through the command line (SPEC §10)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from orchc.cli import main

PROJECT = Path(__file__).resolve().parent.parent / "golden" / "review-project"


def orchc(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with two commits: v1 of the definitions and Score files, then
    v2 (a template input, a secret source, a definition, an image changed; a workload
    removed). The project sits in a subfolder, as it often does in a monorepo."""
    root = tmp_path / "repo"
    project = root / "deploy"
    shutil.copytree(PROJECT, project)
    (project / "orchc.toml").write_text('app = "shop"\ndefinitions = "definitions"\n')
    shutil.copytree(project / "v1", project / "definitions")
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=t", "-c", "user.email=t@e", "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "v1")
    shutil.rmtree(project / "definitions")
    shutil.copytree(project / "v2", project / "definitions")
    shutil.copy(project / "web-v2.yaml", project / "services" / "web" / "score.yaml")
    shutil.rmtree(project / "services" / "old")
    git(root, "-c", "user.name=t", "-c", "user.email=t@e", "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "v2")
    monkeypatch.chdir(project)
    monkeypatch.delenv("ORCHC_STATE", raising=False)
    return project


def test_impact_reports_what_a_change_does_to_every_environment(repository: Path) -> None:
    result = orchc("impact", "--base", "HEAD~1", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    out = result.stdout
    assert "Impact on shop/dev of the changes since HEAD~1" in out
    assert "Impact on shop/prod of the changes since HEAD~1" in out
    assert '~ definition: "cache" -> "cache-v2"' in out
    assert '~ inputs.host: "db.internal" -> "db2.internal"' in out
    assert "            -  replicas: 1\n            +  replicas: 3\n" in out
    assert "~ secrets.password: (sensitive) -> (sensitive)" in out
    assert "literal-one" not in out
    assert '~ spec.containers.main.image: "registry.example.com/web:1.0" -> ' in out
    assert "  - workload old" in out
    assert "  - redis.default#legacy" in out


def test_impact_as_json_for_one_environment(repository: Path) -> None:
    result = orchc("impact", "--base", "HEAD~1", "--env", "prod", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["new"]["env"] == "prod"
    assert report["workloads"]["old"] == {"status": "removed", "changes": []}
    changes = report["resources"]["postgres.default#web.db"]["changes"]
    assert {"path": "inputs.host", "before": "db.internal", "after": "db2.internal"} in changes


def test_impact_of_no_change_exits_0(repository: Path) -> None:
    result = orchc("impact", "--base", "HEAD", "--detailed-exitcode", "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert "**0 changed, 0 added, 0 removed," in result.stdout


def test_impact_applies_images_and_overrides_to_both_sides(repository: Path) -> None:
    image = "--image=web.main=registry.example.com/web:ci"
    result = orchc("impact", "--base", "HEAD", "--detailed-exitcode", image)
    assert result.exit_code == 0, result.output
    result = orchc("impact", "--base", "HEAD~1", "--env", "dev", "--format", "json", image)
    assert result.exit_code == 0, result.output
    # The image was the only change to web: with --image on both sides, none is left.
    assert "web" not in json.loads(result.stdout)["workloads"]


def test_impact_of_a_new_workload_with_its_image(repository: Path) -> None:
    """CI passes --image for every workload it built, also one the change adds: the
    base revision, which has no such workload, plans without that option."""
    api = repository / "services" / "api" / "score.yaml"
    api.parent.mkdir()
    api.write_text(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: api\ncontainers:\n  main:\n    image: .\n"
    )
    images = [
        "--image=web.main=registry.example.com/web:ci",
        "--image=api=registry.example.com/api:ci",
    ]
    result = orchc("impact", "--base", "HEAD", "--env", "dev", "--format", "json", *images)
    assert result.exit_code == 0, result.output
    workloads = json.loads(result.stdout)["workloads"]
    assert workloads == {"api": {"status": "added", "changes": workloads["api"]["changes"]}}
    # the working tree still refuses an option for a workload it does not have
    result = orchc(
        "impact", "--base", "HEAD", "--env", "dev", "--image=nope=registry.example.com/x:1"
    )
    assert result.exit_code == 1
    assert "--image nope=registry.example.com/x:1: no workload 'nope'" in result.stderr


def test_impact_with_an_overrides_file_the_base_does_not_have(repository: Path) -> None:
    """A file CI writes (untracked) applies to both sides; one the base has is its own."""
    ci = repository / "ci-web.yaml"
    ci.write_text("containers:\n  main:\n    variables:\n      BUILD: '42'\n")
    given = ["--overrides-file", "web=ci-web.yaml", "--env", "dev", "--format", "json"]
    result = orchc("impact", "--base", "HEAD", *given)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["workloads"] == {}
    git(repository, "add", "-A")
    git(repository, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "ci file")
    ci.write_text("containers:\n  main:\n    variables:\n      BUILD: '43'\n")
    result = orchc("impact", "--base", "HEAD", *given)
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)["workloads"]["web"]["changes"]
    assert changes == [
        {"path": "spec.containers.main.variables.BUILD", "before": "42", "after": "43"}
    ]


def test_impact_of_a_score_reading_the_untracked_env_file(repository: Path) -> None:
    """The base revision comes from `git archive`, without an untracked `.env`: the
    `environment` driver's plan-time check (a variable neither allowed nor in `.env`)
    is made on the working tree's side only."""
    (repository / "services" / "envy").mkdir()
    (repository / "services" / "envy" / "score.yaml").write_text(
        "apiVersion: score.dev/v1b1\nmetadata: {name: envy}\ncontainers:\n  main:\n"
        "    image: busybox\n    variables:\n      KEY: ${resources.env.API_KEY}\n"
        "resources:\n  env: {type: environment}\n"
    )
    git(repository, "add", "-A")
    git(repository, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "envy")
    (repository / ".env").write_text("API_KEY=untracked-value\n")
    result = orchc("impact", "--base", "HEAD", "--env", "prod", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    (repository / ".env").unlink()
    result = orchc("impact", "--base", "HEAD", "--env", "prod")
    assert result.exit_code == 1
    assert "services/envy/score.yaml:7:12: error: variable 'API_KEY' is not set in .env" in (
        result.output
    )
    assert "do not compile" not in result.output  # the working tree's side, not the base


def test_impact_applies_each_sides_orchc_toml_environment_overrides(repository: Path) -> None:
    """As `orchc plan` does: the base revision with its orchc.toml's overrides for the
    environment, the working tree with its own."""
    overrides = repository / "overrides" / "dev-web.yaml"
    overrides.parent.mkdir()
    overrides.write_text("containers:\n  main:\n    image: registry.example.com/web:dev\n")
    config = repository / "orchc.toml"
    config.write_text(
        config.read_text() + '[environments.dev]\noverrides = { web = "overrides/dev-web.yaml" }\n'
    )
    result = orchc("impact", "--base", "HEAD", "--format", "json", "--env", "dev", "--env", "prod")
    assert result.exit_code == 0, result.output
    dev, prod = json.loads(result.stdout)["diffs"]
    image = {
        "path": "spec.containers.main.image",
        "before": "registry.example.com/web:1.1",
        "after": "registry.example.com/web:dev",
    }
    assert dev["workloads"]["web"]["changes"] == [image]
    assert prod["workloads"] == {}

    git(repository, "add", "-A")
    git(repository, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "dev image")
    score = repository / "services" / "web" / "score.yaml"
    score.write_text(score.read_text().replace("web:1.1", "web:1.2"))
    result = orchc("impact", "--base", "HEAD", "--format", "json", "--env", "dev", "--env", "prod")
    assert result.exit_code == 0, result.output
    dev, prod = json.loads(result.stdout)["diffs"]
    # dev's image comes from its overrides file on both sides: the Score change is not seen
    assert dev["workloads"] == {}
    assert prod["workloads"]["web"]["changes"][0]["after"] == "registry.example.com/web:1.2"


def test_impact_of_an_unknown_revision_is_one_error_line(repository: Path) -> None:
    result = orchc("impact", "--base", "no-such-branch")
    assert result.exit_code == 1
    assert result.stderr.startswith("orchc: error: git does not know the revision 'no-such-branch'")
    assert "Traceback" not in result.output


def test_plan_several_environments_writes_one_file_each(repository: Path) -> None:
    result = orchc("plan", "--all-envs", "-o", "plans", "--detailed-exitcode")
    assert result.exit_code == 2
    assert sorted(p.name for p in Path("plans").iterdir()) == ["dev.json", "prod.json"]
    assert json.loads(Path("plans/prod.json").read_text())["context"]["env"] == "prod"
    assert "All environments (dev, prod): 14 to create" in result.stdout
    diff = orchc("diff", "plans/dev.json", "plans/prod.json", "--format", "json")
    report = json.loads(diff.stdout)
    assert report["resources"]["target.default#target"]["changes"] == [
        {"path": "inputs.path", "before": "deploy/dev", "after": "deploy/prod"}
    ]


def test_plan_with_one_env_and_a_file_is_unchanged(repository: Path) -> None:
    result = orchc("plan", "--env", "dev", "-o", "dev-plan.json", "--format", "json")
    assert result.exit_code == 0
    assert Path("dev-plan.json").read_text() == result.stdout


def test_plan_needs_an_environment(repository: Path) -> None:
    result = orchc("plan")
    assert result.exit_code == 2
    assert "pass --env ENV (repeatable) or --all-envs" in result.stderr


def test_impact_in_a_shallow_ci_checkout_says_what_to_fetch(
    repository: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = tmp_path / "ci"
    source = repository.parent.as_uri()
    subprocess.run(["git", "clone", "-q", "--depth=1", source, str(clone)], check=True)
    monkeypatch.chdir(clone / "deploy")
    missing = orchc("impact", "--base", "HEAD~1")
    assert missing.exit_code == 1
    assert "in a shallow CI checkout, fetch it first" in missing.stderr
    git(clone, "fetch", "-q", "--depth=2", "origin", "main")
    fetched = orchc("impact", "--base", "FETCH_HEAD~1", "--env", "dev", "--detailed-exitcode")
    assert fetched.exit_code == 2, fetched.output
    assert '~ definition: "cache" -> "cache-v2"' in fetched.stdout


def test_graph_of_a_plan_file_as_html(repository: Path) -> None:
    assert orchc("plan", "--env", "dev", "-o", "dev.json").exit_code == 0
    page = orchc("graph", "dev.json", "--format", "html").stdout
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('<g class="node create') == 7  # 6 resources (1 the workload's), 1 workload


class _Record:
    def __init__(self, uid: str, outputs: dict[str, str], secrets: dict[str, str]) -> None:
        self.resource = type("R", (), {"uid": uid})()
        self.outputs, self.secrets = outputs, secrets


def test_known_outputs_never_include_a_secret() -> None:
    from orchc.cli_review import _outputs

    record = _Record("db", {"host": "h", "password": "p4ss"}, {"password": "p4ss"})
    assert _outputs([record]) == {"db": {"host": "h"}}
