"""`orchc rollback --env ENV --to SERIAL -o PLAN` through the real CLI (SPEC §13): a
reviewable plan that, applied, puts the workloads and the resources' inputs back as
deployment SERIAL applied them (a resource deleted since is created again), with no
secret in the plan; here through the `gitops` target, so "the same manifests" is
checked on the repository's tree."""

from __future__ import annotations

import json
from pathlib import Path

from e2e_helpers import Project
from git_remotes import bare_repository, git, log, read_remote
from test_gitops import ENVIRONMENTS, score, validate

from orchc.compiler.plan import load_plan

SECRET = "dns-t0ken-never-in-a-plan"


def definitions(repo: str, host: str) -> str:
    return (
        ENVIRONMENTS
        + f"""
definition "gitops" {{
  type   = "target"
  driver = "gitops"
  match {{}}
  inputs {{ repo = "{repo}" }}
}}

definition "dns" {{
  type   = "dns"
  driver = "static"
  match {{}}
  inputs {{ host = "{host}" }}
  secrets {{ token = env("DNS_TOKEN") }}
}}
"""
    )


def web(image: str, with_dns: bool) -> str:
    text = score(image=image)
    if with_dns:
        text = text.replace("GREETING: hello", "GREETING: hello\n      HOST: ${resources.dns.host}")
        text += "resources:\n  dns:\n    type: dns\n"
    return text


def deploy(project: Project, *files: str) -> None:
    project.run("apply", "--env", "dev", "--auto-approve", *(f for n in files for f in ("-f", n)))


def tree_at(bare: Path, serial: int) -> dict[str, str]:
    """The files under shop/dev in the commit orchc made for `serial`."""
    (commit,) = git(
        "log", "--format=%H", f"--grep=^orchc: shop/dev serial {serial} ", "main", cwd=bare
    ).split()
    names = git("ls-tree", "-r", "--name-only", commit, "--", "shop/dev", cwd=bare).split()
    return {name: git("show", f"{commit}:{name}", cwd=bare) for name in names}


def test_a_rollback_plan_applied_gives_the_manifests_of_that_deployment(
    project: Project, tmp_path: Path
) -> None:
    bare = bare_repository(tmp_path / "deploy.git")
    repo = f"file://{bare}"
    project.env["DNS_TOKEN"] = SECRET
    project.write("definitions/platform.orch", definitions(repo, "shop.example.com"))
    project.write("web/score.yaml", web("nginx:1.27", with_dns=True))
    deploy(project, "web/score.yaml")  # serial 1

    project.write("definitions/platform.orch", definitions(repo, "v2.example.com"))
    project.write("web/score.yaml", web("nginx:1.28", with_dns=True))
    project.write("api/score.yaml", score(name="api"))
    deploy(project, "web/score.yaml", "api/score.yaml")  # serial 2

    project.write("web/score.yaml", web("nginx:1.29", with_dns=False))
    deploy(project, "web/score.yaml", "api/score.yaml")  # serial 3: the dns resource goes
    assert "nginx:1.29" in read_remote(bare)["shop/dev/web.yaml"]

    written = project.run("rollback", "--env", "dev", "--to", "1", "-o", "rollback.json")
    assert "rollback plan to serial 1 written to rollback.json" in written.stderr
    text = (project.root / "rollback.json").read_text()
    plan = json.loads(text)
    assert SECRET not in text and SECRET not in written.stderr
    assert plan["state"]["serial"] == 3 and plan["plan_digest"].startswith("sha256:")
    actions = {uid: r["action"] for uid, r in plan["resources"].items()}
    assert actions == {
        "dns.default#web.dns": "create",  # deleted at serial 3: created again
        "target.default#target": "noop",
        "workload.default#api": "delete",  # api's implicit workload resource (SPEC §12)
        "workload.default#web": "noop",
    }
    assert plan["resources"]["dns.default#web.dns"]["inputs"] == {"host": "shop.example.com"}
    assert plan["resources"]["dns.default#web.dns"]["secrets"] == {"token": "(sensitive)"}
    assert {n: w["action"] for n, w in plan["workloads"].items()} == {
        "api": "delete",
        "web": "update",
    }
    changes = plan["workloads"]["web"]["changes"]
    assert {
        "path": "spec.containers.main.image",
        "before": "nginx:1.29",
        "after": "nginx:1.27",
    } in (changes)
    project.run("graph", "rollback.json")  # reviewed like any plan
    project.run("rollback", "--env", "dev", "--to", "1", "-o", "again.json")
    assert (project.root / "again.json").read_text() == text  # deterministic
    assert load_plan(text, "rollback.json").to_json() == text  # the canonical dump of itself

    project.run("apply", "rollback.json", "--auto-approve")  # serial 4
    now = {name: body for name, body in read_remote(bare).items() if name.startswith("shop/dev/")}
    assert now == tree_at(bare, 1)
    assert (
        "nginx:1.27" in now["shop/dev/web.yaml"] and "shop.example.com" in now["shop/dev/web.yaml"]
    )
    validate(now)
    assert log(bare)[0][0].startswith("orchc: shop/dev serial 4 (")

    again = project.run("apply", "rollback.json", "--auto-approve", expect=1)
    assert "moved since the plan was made" in again.stderr
    row = json.loads(project.run("history", "show", "4", "--env", "dev", "--format", "json").stdout)
    assert (row["operation"], row["result"]) == ("apply", "ok")


def test_what_cannot_be_rolled_back_to_is_refused(project: Project, tmp_path: Path) -> None:
    bare = bare_repository(tmp_path / "deploy.git")
    project.env["DNS_TOKEN"] = SECRET
    project.write("definitions/platform.orch", definitions(f"file://{bare}", "a.example.com"))
    project.write("web/score.yaml", web("nginx:1.27", with_dns=True))
    deploy(project, "web/score.yaml")
    project.run("destroy", "--env", "dev", "--auto-approve")
    missing = project.run("rollback", "--env", "dev", "--to", "7", "-o", "r.json", expect=1)
    assert (
        missing.stderr == "orchc: error: no deployment with serial 7 in the history of shop/dev\n"
    )
    destroyed = project.run("rollback", "--env", "dev", "--to", "2", "-o", "r.json", expect=1)
    assert destroyed.stderr == (
        "orchc: error: deployment serial 2 of shop/dev cannot be rolled back to (destroy)\n"
    )
    assert not (project.root / "r.json").exists()

    # After a destroy, rolling back to serial 1 creates everything again.
    project.run("rollback", "--env", "dev", "--to", "1", "-o", "r.json")
    project.run("apply", "r.json", "--auto-approve")
    assert "nginx:1.27" in read_remote(bare)["shop/dev/web.yaml"]


def test_a_rollback_never_deletes_a_protected_resource(project: Project, tmp_path: Path) -> None:
    bare = bare_repository(tmp_path / "deploy.git")
    project.env["DNS_TOKEN"] = SECRET
    protected = definitions(f"file://{bare}", "a.example.com").replace(
        'secrets {{ token = env("DNS_TOKEN") }}'.replace("{{", "{").replace("}}", "}"),
        'secrets { token = env("DNS_TOKEN") }\n  policy { prevent_destroy = true }',
    )
    project.write("definitions/platform.orch", protected)
    project.write("web/score.yaml", web("nginx:1.27", with_dns=False))
    deploy(project, "web/score.yaml")  # serial 1: no dns
    project.write("web/score.yaml", web("nginx:1.28", with_dns=True))
    deploy(project, "web/score.yaml")  # serial 2: a protected dns
    refused = project.run("rollback", "--env", "dev", "--to", "1", "-o", "r.json", expect=1)
    assert refused.stderr == (
        "orchc: error: cannot delete resource 'dns.default#web.dns': its definition 'dns' "
        "(definitions/platform.orch:11) sets prevent_destroy (remove prevent_destroy first "
        "if intended)\n"
    )
    assert not (project.root / "r.json").exists()
