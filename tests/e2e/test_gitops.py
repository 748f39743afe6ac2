"""The `gitops` target through the real CLI against real git remotes (SPEC §13): a bare
repository reached through file://, a local `git daemon` and smart HTTP with a token;
commits only on change, both of two concurrent applies land (one after a rebase), a
push refused by a hook fails cleanly after the retries, the token is nowhere in the
clone nor in what orchc prints, and what is committed is what `kubernetes-manifests`
writes, valid Kubernetes 1.30."""

from __future__ import annotations

import base64
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from e2e_helpers import Project, new_project
from git_remotes import (
    MEET_THEN_PASS,
    REJECT_ALL,
    SmartHttp,
    bare_repository,
    git,
    git_daemon,
    install_hook,
    log,
    read_remote,
)

K8S_TARGET = """
definition "k8s" {
  type   = "target"
  driver = "kubernetes-manifests"
  match {}
  inputs { path = "out" }
}
"""
TOKEN = "ghp_t0ken-that-must-never-leak-42"

ENVIRONMENTS = """
environment "dev" { type = "development" }
environment "staging" { type = "staging" }
"""


def gitops_definitions(repo: str, extra: str = "") -> str:
    return (
        ENVIRONMENTS
        + f"""
definition "gitops" {{
  type   = "target"
  driver = "gitops"
  match {{}}
  inputs {{
    repo   = "{repo}"
    author = "Deploy Bot <bot@example.com>"
  }}
  {extra}
}}
"""
    )


def score(image: str = "nginx:1.27", name: str = "web") -> str:
    return f"""
apiVersion: score.dev/v1b1
metadata:
  name: {name}
containers:
  main:
    image: {image}
    variables:
      GREETING: hello
service:
  ports:
    www:
      port: 80
      targetPort: 8080
"""


def setup(project: Project, repo: str, extra: str = "") -> None:
    project.write("definitions/platform.orch", gitops_definitions(repo, extra))
    project.write("web/score.yaml", score())


def setup_path(project: Project, repo: str, path: str) -> None:
    definitions = gitops_definitions(repo).replace(
        'author = "Deploy', f'path   = "{path}"\n    author = "Deploy'
    )
    project.write("definitions/platform.orch", definitions)
    project.write("web/score.yaml", score())


def apply(project: Project, env: str = "dev", expect: int = 0) -> str:
    result = project.run(
        "apply", "--env", env, "--auto-approve", "-f", "web/score.yaml", expect=expect
    )
    return result.stdout + result.stderr


def validate(files: dict[str, str]) -> None:
    for name, text in files.items():
        if name.endswith(".yaml"):
            for obj in yaml.safe_load_all(text):
                kubernetes_validate.validate(obj, "1.30", strict=True)


def test_file_remote_commits_what_kubernetes_manifests_writes(
    project: Project, tmp_path: Path
) -> None:
    bare = bare_repository(tmp_path / "deploy.git", seeded=False)  # an empty remote
    setup(project, f"file://{bare}")
    plan = project.plan("-f", "web/score.yaml")
    project.run("apply", "plan.json", "--auto-approve")
    files = read_remote(bare)
    assert sorted(files) == ["shop/dev/.orchc-index", "shop/dev/web.yaml"]
    validate(files)
    assert log(bare) == [(f"orchc: shop/dev serial 1 ({plan['plan_digest']})", [])]
    author = git("show", "-s", "--format=%an <%ae>|%cn <%ce>", "main", cwd=bare).strip()
    assert author == "Deploy Bot <bot@example.com>|Deploy Bot <bot@example.com>"

    # The same workload through kubernetes-manifests: the same bytes.
    other = new_project(tmp_path / "k8s")
    other.write("definitions/platform.orch", ENVIRONMENTS + K8S_TARGET)
    other.write("web/score.yaml", score())
    other.run("apply", "--env", "dev", "--auto-approve", "-f", "web/score.yaml")
    assert (other.root / "out" / "web.yaml").read_text() == files["shop/dev/web.yaml"]


def test_no_change_no_commit_and_a_removed_workload_is_removed(
    project: Project, tmp_path: Path
) -> None:
    bare = bare_repository(tmp_path / "deploy.git")
    setup(project, str(bare))  # a plain path works too
    project.write("api/score.yaml", score(name="api"))
    both = ("-f", "web/score.yaml", "-f", "api/score.yaml")
    project.run("apply", "--env", "dev", "--auto-approve", *both)
    assert len(log(bare)) == 2  # the seed, then orchc's commit

    project.run("apply", "--env", "dev", "--auto-approve", *both)
    assert len(log(bare)) == 2, "an apply with nothing to change made a commit"

    project.run("apply", "--env", "dev", "--auto-approve", "-f", "web/score.yaml")
    assert "shop/dev/api.yaml" not in read_remote(bare)
    assert "shop/dev/web.yaml" in read_remote(bare)
    assert log(bare)[0][0].startswith("orchc: shop/dev serial 3 (sha256:")


def test_a_file_someone_else_committed_beside_ours_is_kept(
    project: Project, tmp_path: Path
) -> None:
    bare = bare_repository(tmp_path / "deploy.git")
    setup(project, f"file://{bare}")
    apply(project)
    seed = tmp_path / "other"
    git("clone", "-q", str(bare), str(seed))
    (seed / "shop" / "dev" / "kustomization.yaml").write_text("resources: [web.yaml]\n")
    git("add", ".", cwd=seed)
    git("commit", "-q", "-m", "by hand", cwd=seed)
    git("push", "-q", "origin", "HEAD:main", cwd=seed)

    project.write("web/score.yaml", score(image="nginx:1.28"))
    apply(project)
    files = read_remote(bare)
    assert "nginx:1.28" in files["shop/dev/web.yaml"]
    assert files["shop/dev/kustomization.yaml"] == "resources: [web.yaml]\n"


def test_git_daemon_remote_and_two_concurrent_applies_both_land(
    project: Project, tmp_path: Path
) -> None:
    base = tmp_path / "served"
    base.mkdir()
    bare = bare_repository(base / "deploy.git")
    install_hook(bare, "pre-receive", MEET_THEN_PASS)
    with git_daemon(base) as url:
        setup(project, f"{url}deploy.git")
        dev = project.popen("apply", "--env", "dev", "--auto-approve", "-f", "web/score.yaml")
        staging = project.popen(
            "apply", "--env", "staging", "--auto-approve", "-f", "web/score.yaml"
        )
        outputs = [process.communicate() for process in (dev, staging)]
    assert dev.returncode == 0 and staging.returncode == 0, outputs
    files = read_remote(bare)
    assert "shop/dev/web.yaml" in files and "shop/staging/web.yaml" in files
    history = log(bare)
    subjects = sorted(subject for subject, _ in history[:2])
    assert subjects[0].startswith("orchc: shop/dev serial 1 (")
    assert subjects[1].startswith("orchc: shop/staging serial 1 (")
    assert all(len(parents) <= 1 for _, parents in history), "a merge commit: not rebased"
    arrivals = sorted(p.name for p in (bare / "hooks").glob("arrival-*"))
    assert arrivals == ["arrival-1", "arrival-2", "arrival-3"]  # one push was retried


def test_a_push_refused_every_time_fails_cleanly_after_the_retries(
    project: Project, tmp_path: Path
) -> None:
    bare = bare_repository(tmp_path / "deploy.git")
    install_hook(bare, "pre-receive", REJECT_ALL)
    setup(project, f"file://{bare}")
    printed = apply(project, expect=1)
    assert "deploy failed" in printed
    assert f"git push to file://{bare} (branch main) failed after 3 retries" in printed
    assert "denied by policy: this branch is frozen" in printed
    assert "Traceback" not in printed
    assert (bare / "hooks" / "rejections").read_text() == "4"
    assert len(log(bare)) == 1  # only the seed


def test_smart_http_with_a_token_that_never_leaks(project: Project, tmp_path: Path) -> None:
    base = tmp_path / "served"
    base.mkdir()
    bare = bare_repository(base / "deploy.git")
    with SmartHttp(base, TOKEN) as server:
        setup(project, f"{server.url}deploy.git", 'secrets { token = env("GITOPS_TOKEN") }')
        project.env["GITOPS_TOKEN"] = TOKEN
        printed = apply(project)
        project.write("web/score.yaml", score(image="nginx:1.28"))
        printed += apply(project)
        assert server.authorizations and set(server.authorizations) == {server.expected}

        project.env["GITOPS_TOKEN"] = "wrong-" + TOKEN
        project.write("web/score.yaml", score(image="nginx:1.29"))
        failed = apply(project, expect=1)  # a changed token updates the target
        assert "target.default#target" in failed and "secret changed: token" in failed
        printed += failed
    assert f"git fetch to {server.url}deploy.git (branch main) failed" in printed
    assert "nginx:1.28" in read_remote(bare)["shop/dev/web.yaml"]
    assert TOKEN not in printed
    assert _files_holding(project.root / ".orchc" / "work", TOKEN) == []
    assert _files_holding(project.root / ".orchc" / "work", "x-access-token") == []


def test_secrets_are_not_committed_unless_the_platform_says_so(
    project: Project, tmp_path: Path
) -> None:
    bare = bare_repository(tmp_path / "deploy.git")
    setup(project, f"file://{bare}")
    project.write(
        "web/score.yaml",
        score().replace("GREETING: hello", "GREETING: hello\n      KEY: ${resources.key.value}")
        + "resources:\n  key:\n    type: key\n",
    )
    project.write(
        "definitions/key.orch",
        """
definition "key" {
  type   = "key"
  driver = "static"
  match {}
  secrets { value = "s3cret-value-xyz" }
}
""",
    )
    printed = apply(project, expect=1)
    assert "the gitops target does not commit them unless its `commit_secrets`" in printed
    assert "s3cret-value-xyz" not in printed
    assert len(log(bare)) == 1

    project.write(
        "definitions/platform.orch",
        gitops_definitions(f"file://{bare}").replace(
            'author = "Deploy', 'commit_secrets = true\n    author = "Deploy'
        ),
    )
    apply(project)
    files = read_remote(bare)
    encoded = base64.b64encode(b"s3cret-value-xyz").decode()
    assert f"main.KEY: {encoded}" in files["shop/dev/web.secrets.yaml"]
    validate(files)


def test_destroy_removes_the_path_and_commits(project: Project, tmp_path: Path) -> None:
    bare = bare_repository(tmp_path / "deploy.git")
    setup(project, f"file://{bare}")
    apply(project)
    apply(project, env="staging")
    project.run("destroy", "--env", "dev", "--auto-approve")
    files = read_remote(bare)
    assert not any(name.startswith("shop/dev/") for name in files)
    assert "shop/staging/web.yaml" in files
    assert log(bare)[0][0] == "orchc: shop/dev removed"


def _files_holding(directory: Path, text: str) -> list[str]:
    needle = text.encode()
    return sorted(
        str(path.relative_to(directory))
        for path in directory.rglob("*")
        if path.is_file() and not path.is_symlink() and needle in path.read_bytes()
    )


def test_a_repository_url_with_a_password_is_refused(project: Project) -> None:
    setup(project, "https://bot:hunter2-secret@git.example.com/deploy.git")
    printed = apply(project, expect=1)
    errors = [line for line in printed.splitlines() if "holds a password" in line]
    assert errors and all("https://git.example.com/deploy.git holds" in e for e in errors)
    assert not any("hunter2-secret" in e for e in errors)  # the plan shows it: an input


def test_a_commit_by_hand_over_orchcs_files_is_drift_and_refresh_repairs_it(
    project: Project, tmp_path: Path
) -> None:
    bare = bare_repository(tmp_path / "deploy.git")
    setup(project, f"file://{bare}")
    apply(project)
    project.run("drift", "--env", "dev", expect=0)
    rendered = read_remote(bare)["shop/dev/web.yaml"]

    other = tmp_path / "other"
    git("clone", "-q", str(bare), str(other))
    (other / "shop" / "dev" / "kustomization.yaml").write_text("resources: [web.yaml]\n")
    git("add", ".", cwd=other)
    git("commit", "-q", "-m", "a file of our own", cwd=other)
    git("push", "-q", "origin", "HEAD:main", cwd=other)
    project.run("drift", "--env", "dev", expect=0)  # not one of orchc's files

    web = other / "shop" / "dev" / "web.yaml"
    web.write_text(rendered.replace("nginx:1.27", "nginx:hotfix"))
    git("commit", "-q", "-am", "hotfix image", cwd=other)
    git("push", "-q", "origin", "HEAD:main", cwd=other)
    drifted = project.run("drift", "--env", "dev", expect=2)
    assert "~ target.default#target  drifted: shop/dev was changed by commit " in drifted.stdout
    assert "('hotfix image') after orchc's last deploy" in drifted.stdout

    plan = project.plan("--refresh", "-f", "web/score.yaml")
    assert plan["resources"]["target.default#target"]["action"] == "update"
    project.run("apply", "plan.json", "--auto-approve")
    assert read_remote(bare)["shop/dev/web.yaml"] == rendered
    project.run("drift", "--env", "dev", expect=0)


def test_a_path_of_pathspec_magic_characters_names_one_directory(
    project: Project, tmp_path: Path
) -> None:
    """git reads `*` as a glob and `:(...)` as magic in a pathspec; the target runs it
    with literal pathspecs, so `path = "*"` is a directory named `*` and nothing else:
    a commit to another directory is neither staged, nor removed, nor drift."""
    bare = bare_repository(tmp_path / "deploy.git")
    other = tmp_path / "other"
    git("clone", "-q", str(bare), str(other))
    (other / "team").mkdir()
    (other / "team" / "web.yaml").write_text("kind: ConfigMap\n")
    git("add", ".", cwd=other)
    git("commit", "-q", "-m", "another team's file", cwd=other)
    git("push", "-q", "origin", "HEAD:main", cwd=other)

    setup_path(project, f"file://{bare}", "*")
    apply(project)
    changed = git("show", "--name-only", "--format=", "main", cwd=bare).split()
    assert changed == ["*/.orchc-index", "*/web.yaml"]

    git("pull", "-q", "origin", "main", cwd=other)
    (other / "team" / "web.yaml").write_text("kind: Secret\n")
    git("commit", "-q", "-am", "the team's change", cwd=other)
    git("push", "-q", "origin", "HEAD:main", cwd=other)
    project.run("drift", "--env", "dev", expect=0)  # `*/web.yaml` is not team/web.yaml

    project.run("destroy", "--env", "dev", "--auto-approve")
    files = read_remote(bare)
    assert sorted(files) == ["README.md", "team/web.yaml"]
    assert files["team/web.yaml"] == "kind: Secret\n"


@pytest.mark.parametrize(
    "path",
    ["../elsewhere", "/srv/deploy", ":(top)", ":!README.md", "a/../..", ".git/hooks", "a//b"],
)
def test_a_path_that_could_leave_orchcs_directory_is_refused(
    project: Project, tmp_path: Path, path: str
) -> None:
    """Refused when the plan is made (and by `orchc check`), at the input's line, with the
    rule and the words the driver applies at apply."""
    bare = bare_repository(tmp_path / "deploy.git")
    setup_path(project, f"file://{bare}", path)
    refused = (
        "definitions/platform.orch:10:14: error: input 'path' of driver 'gitops' (definition "
        "'gitops'): must be a relative path inside the repository (no '..', '.git' or "
        "empty segment, not absolute, not starting with ':')\n"
        f'      path   = "{path}"\n'
        "               ^"
    )
    for args in (("check",), ("check", "--env", "dev"), ("plan", "--env", "dev", "-o", "p.json")):
        result = project.run(*args, "-f", "web/score.yaml", expect=1)
        assert refused in result.stderr
    assert not (project.root / "p.json").exists()
    assert refused in apply(project, expect=1)
    assert len(log(bare)) == 1  # the seed alone
