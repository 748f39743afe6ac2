"""`orchc init`, run the way a user runs it: the installed `orchc` in a subprocess, in
an empty folder. Right after it, `plan` and `apply` must work for dev (Compose) and
staging (Kubernetes manifests) with the sample workload and with Score files from the
corpus; the Compose file is checked by the real `docker-compose config` and every
Kubernetes object strictly against the 1.30 schemas."""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from compose_check import run_compose_config
from shared_corpus import own_host_ports

from orchc import init as init_module
from orchc.init import InvalidAppName, Outcome, app_name_for, check_app_name, init_project

BIN = Path(sys.executable).parent
SCAFFOLD = [
    "orchc.toml",
    ".gitignore",
    "definitions/dev.orch",
    "definitions/staging.orch",
    "definitions/prod.orch",
    "score.yaml",
]
COMPOSE_FILE = "build/dev/compose.yaml"
CORPUS = "score/corpus/score-compose/examples"


def run_orchc(cwd: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    """Run the installed `orchc`; fail (showing its output) unless it exits `code`."""
    result = subprocess.run(
        [str(BIN / "orchc"), *args],
        cwd=cwd,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == code, (
        f"orchc {' '.join(args)} exited {result.returncode}, expected {code}\n"
        f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
    )
    return result


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `root` with its bytes and modification time."""
    return {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def check_deployed(project: Path, env: str) -> None:
    """What the target wrote is valid: the Compose file for dev, manifests otherwise."""
    if env == "dev":
        checked = run_compose_config(project / COMPOSE_FILE, "--quiet")
        assert checked.returncode == 0, checked.stderr
        return
    manifests = sorted((project / "build" / env).rglob("*.yaml"))
    assert manifests, f"no manifests under build/{env}"
    for path in manifests:
        for obj in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            kubernetes_validate.validate(obj, "1.30", strict=True)


# The scaffold ------------------------------------------------------------------------


def test_init_writes_the_scaffold_in_an_empty_folder(tmp_path: Path) -> None:
    project = tmp_path / "My Shop"
    project.mkdir()
    result = run_orchc(project, "init")
    assert result.stdout.splitlines() == [f"created       {path}" for path in SCAFFOLD]
    assert "orchc plan --env dev" in result.stderr
    config = tomllib.loads((project / "orchc.toml").read_text(encoding="utf-8"))
    assert config == {
        "app": "my-shop",
        "definitions": "definitions",
        "workloads": ["**/score.yaml", "**/score.yml"],
        "state": "sqlite:///.orchc/state.db",
    }
    assert sorted(str(p.relative_to(project)) for p in project.rglob("*")) == sorted(
        [*SCAFFOLD, "definitions"]
    )


def test_init_twice_changes_nothing(tmp_path: Path) -> None:
    run_orchc(tmp_path, "init")
    before = snapshot(tmp_path)
    result = run_orchc(tmp_path, "init")
    assert snapshot(tmp_path) == before
    assert result.stdout.splitlines() == [f"exists, kept  {path}" for path in SCAFFOLD]
    assert result.stderr == "orchc: nothing to do, every file exists\n"


def test_init_keeps_a_file_that_exists_and_writes_the_others(tmp_path: Path) -> None:
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "staging.orch").write_text("# mine\n", encoding="utf-8")
    (tmp_path / "orchc.toml").write_text('app = "mine"\n', encoding="utf-8")
    result = run_orchc(tmp_path, "init")
    assert result.stdout.splitlines() == [
        "exists, kept  orchc.toml",
        "created       .gitignore",
        "created       definitions/dev.orch",
        "exists, kept  definitions/staging.orch",
        "created       definitions/prod.orch",
        "created       score.yaml",
    ]
    assert (tmp_path / "orchc.toml").read_text(encoding="utf-8") == 'app = "mine"\n'
    assert (tmp_path / "definitions" / "staging.orch").read_text(encoding="utf-8") == "# mine\n"


def test_a_dangling_symlink_counts_as_existing_and_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "score.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    written = init_project(tmp_path, "shop")
    assert [w.outcome for w in written if str(w.path) == "score.yaml"] == [Outcome.KEPT]
    assert not (tmp_path / "elsewhere.yaml").exists()


def test_no_sample_writes_no_score_file(tmp_path: Path) -> None:
    result = run_orchc(tmp_path, "init", "--no-sample")
    assert result.stdout.splitlines() == [f"created       {path}" for path in SCAFFOLD[:-1]]
    assert not (tmp_path / "score.yaml").exists()


def test_the_sample_is_skipped_when_the_folder_has_score_files(tmp_path: Path) -> None:
    service = tmp_path / "services" / "api"
    service.mkdir(parents=True)
    (service / "score.yaml").write_text("apiVersion: score.dev/v1b1\n", encoding="utf-8")
    result = run_orchc(tmp_path, "init")
    assert result.stdout.splitlines()[-1] == (
        "skipped       score.yaml (the folder has Score files already: services/api/score.yaml)"
    )
    assert not (tmp_path / "score.yaml").exists()


def test_app_option_names_the_app(tmp_path: Path) -> None:
    run_orchc(tmp_path, "init", "--app", "checkout")
    config = tomllib.loads((tmp_path / "orchc.toml").read_text(encoding="utf-8"))
    assert config["app"] == "checkout"


@pytest.mark.parametrize("app", ["Shop", "my shop", "-shop", "shop-", "shop_2", ""])
def test_an_invalid_app_name_is_a_usage_error_and_writes_nothing(tmp_path: Path, app: str) -> None:
    result = run_orchc(tmp_path, "init", "--app", app, code=2)
    assert result.stderr == (
        f"orchc: error: invalid app name {app!r}: use a-z, 0-9 and '-' (not at either end)\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("folder", "app"),
    [
        ("shop", "shop"),
        ("My_Shop 2", "my-shop-2"),
        ("--checkout--", "checkout"),
        ("Ünïcode", "n-code"),
        ("___", "app"),
    ],
)
def test_app_name_for_a_folder(folder: str, app: str) -> None:
    assert app_name_for(folder) == app
    assert check_app_name(app) == app


def test_check_app_name_rejects_uppercase() -> None:
    with pytest.raises(InvalidAppName, match=r"^invalid app name 'Shop': use a-z"):
        check_app_name("Shop")


def test_the_scaffold_is_formatted_and_checks_without_warnings(tmp_path: Path) -> None:
    run_orchc(tmp_path, "init")
    assert run_orchc(tmp_path, "fmt", "--check").stderr == ""
    result = run_orchc(tmp_path, "check")
    assert result.stderr == "ok: 3 definition(s), 3 environment(s), 1 workload(s)\n"


def test_the_outputs_the_sample_suggests_are_promised_in_every_environment(
    tmp_path: Path,
) -> None:
    """The sample's comment suggests `DATABASE_URL: ${resources.db.url}`: with it
    applied, and with the commented production definition (the real postgres driver)
    enabled, every environment plans it (SPEC §11: the contracts promise `url`)."""
    run_orchc(tmp_path, "init")
    score = tmp_path / "score.yaml"
    text = score.read_text(encoding="utf-8")
    text = text.replace(
        "      GREETING: Hello from ${metadata.name}\n",
        "      GREETING: Hello from ${metadata.name}\n      DATABASE_URL: ${resources.db.url}\n",
    )
    score.write_text(text + "resources:\n  db:\n    type: postgres\n", encoding="utf-8")
    prod = tmp_path / "definitions" / "prod.orch"
    lines = prod.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('# definition "postgres'))
    enabled = [line.removeprefix("# ").removeprefix("#") for line in lines[start:]]
    prod.write_text("\n".join([*lines[:start], *enabled]) + "\n", encoding="utf-8")
    result = run_orchc(tmp_path, "check", "--all-envs")
    assert result.stderr.splitlines()[1:] == [
        "environment 'dev' (development): every requested resource matches",
        "environment 'prod' (production): every requested resource matches",
        "environment 'staging' (staging): every requested resource matches",
    ]


def test_doctests() -> None:
    failed, attempted = doctest.testmod(init_module)
    assert (failed, attempted > 0) == (0, True)


# Plan and apply right after init ---------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "target"),
    [
        ("dev", "compose-development"),
        ("staging", "manifests-staging"),
        ("prod", "manifests-production"),
    ],
)
def test_plan_and_apply_the_sample_right_after_init(tmp_path: Path, env: str, target: str) -> None:
    run_orchc(tmp_path, "init")
    planned = run_orchc(tmp_path, "plan", "--env", env, "-o", "plan.json")
    assert re.search(rf"target\.default#target +{target} +definitions/{env}\.orch", planned.stdout)
    assert "+   workload hello" in planned.stdout
    applied = run_orchc(tmp_path, "apply", "plan.json")
    assert "Apply complete: 2 ok" in applied.stderr  # the target, the workload's resource
    check_deployed(tmp_path, env)
    run_orchc(tmp_path, "destroy", "--env", env, "--auto-approve")


@pytest.mark.parametrize(
    "score_files",
    [
        ["01-hello/score.yaml"],
        ["05-volume-mounts/score.yaml"],
        ["06-resource-provisioning/score.yaml", "06-resource-provisioning/score2.yaml"],
        ["09-dns-and-route/score.yaml"],
        ["10-amqp-rabbitmq/score.yaml"],
        ["12-mysql-database/score.yaml"],
    ],
    ids=lambda files: files[0].split("/")[0],
)
@pytest.mark.parametrize("env", ["dev", "staging"])
def test_corpus_score_files_plan_and_apply_right_after_init(
    tmp_path: Path, shared_dir: Path, env: str, score_files: list[str]
) -> None:
    run_orchc(tmp_path, "init", "--no-sample")
    paths = [shared_dir / CORPUS / name for name in score_files]
    files = [arg for path in paths for arg in ("-f", str(path))]
    files += [o for path in paths for o in own_host_ports(yaml.safe_load(path.read_text()))]
    run_orchc(tmp_path, "plan", "--env", env, *files, "-o", "plan.json")
    applied = run_orchc(tmp_path, "apply", "plan.json")
    assert "Apply complete:" in applied.stderr
    check_deployed(tmp_path, env)
