"""Values reaching a template are data, never template source; a target accepts from
a driver only the object kinds its definition allows."""

from __future__ import annotations

from pathlib import Path

from e2e_helpers import Project

TOKEN = "platform-admin-token-4711"
ATTACK = "{{ secrets.admin_token | reverse | join }}"

TARGET = """
environment "dev" { type = "development" }

definition "manifests" {
  type   = "target"
  driver = "kubernetes-manifests"
  match {}
  inputs { path = "out" ALLOWED }
}
"""

SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx
resources:
  thing:
    type: thing
    params:
      note: "{attack}"
"""


def _setup(project: Project, definition: str, allowed: str = "") -> None:
    project.write("definitions/target.orch", TARGET.replace("ALLOWED", allowed))
    project.write("definitions/thing.orch", definition)
    project.write("score.yaml", SCORE.format(attack=ATTACK))
    project.env["ADMIN_TOKEN"] = TOKEN


def test_a_placeholder_in_a_template_input_is_refused_at_check(project: Project) -> None:
    _setup(
        project,
        """
        definition "thing" {
          type   = "thing"
          driver = "template"
          match {}
          inputs { outputs = "note: ${params.note}" }
          secrets { admin_token = env("ADMIN_TOKEN") }
        }
        """,
    )
    result = project.run("plan", "--env", "dev", expect=1)
    assert "definitions/thing.orch:5:29: error: input 'outputs' is a template: " in result.stderr
    assert "'${params.note}' would be pasted into its source" in result.stderr
    assert TOKEN not in result.stderr + result.stdout
    assert TOKEN[::-1] not in result.stderr + result.stdout


def test_a_param_read_as_a_variable_stays_literal_text(project: Project) -> None:
    _setup(
        project,
        """
        definition "thing" {
          type   = "thing"
          driver = "template"
          match {}
          inputs {
            outputs = "note: {{ params.note | tojson }}"
            manifests = "[{kind: ConfigMap, apiVersion: v1, metadata: {name: n}, data: {note: {{ params.note | tojson }}}}]"
          }
          secrets { admin_token = env("ADMIN_TOKEN") }
        }
        """,
    )
    project.run("apply", "--env", "dev", "--auto-approve")
    outputs = project.run("outputs", "--env", "dev", "thing.default#web.thing").stdout
    written = (project.root / "out" / "resources" / "thing.default_web.thing.yaml").read_text()
    for text in (outputs, written):
        assert ATTACK in text
        assert TOKEN not in text and TOKEN[::-1] not in text


CLUSTER_ADMIN = """
definition "thing" {
  type   = "thing"
  driver = "template"
  match {}
  inputs {
    manifests = \"\"\"
      - apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: pwned}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
        subjects: [{kind: ServiceAccount, name: default, namespace: default}]
    \"\"\"
  }
}
"""


def test_a_cluster_role_binding_from_a_driver_is_refused_by_default(project: Project) -> None:
    _setup(project, CLUSTER_ADMIN)
    result = project.run("apply", "--env", "dev", "--auto-approve", expect=1)
    assert "returned a ClusterRoleBinding object, which this target does not accept" in (
        result.stderr + result.stdout
    )
    assert not (project.root / "out" / "resources").exists()


def test_allowed_kinds_lets_the_platform_accept_a_kind(project: Project) -> None:
    _setup(project, CLUSTER_ADMIN, allowed=', allowed_kinds = ["ClusterRoleBinding"]')
    project.run("apply", "--env", "dev", "--auto-approve")
    written = project.root / "out" / "resources" / "thing.default_web.thing.yaml"
    assert "kind: ClusterRoleBinding" in written.read_text()


def test_the_example_ingress_quotes_every_param(shared_dir: Path) -> None:
    from orchc.drivers.template import parse_yaml, render_text

    example = Path(__file__).resolve().parents[2] / "examples" / "shop" / "definitions"
    source = (example / "templates" / "ingress.k8s.yaml.j2").read_text()
    injected = "80\n---\n- kind: ClusterRoleBinding"
    scope = {
        "init": {"name": "route-x"},
        "context": {"app": {"id": "shop"}, "res": {"id": "web.route"}},
        "inputs": {"cluster_issuer": "le", "ingress_class": "nginx"},
        "params": {"host": "a.example", "path": "/", "port": injected, "workload": "w\nx: y"},
    }
    objects = parse_yaml("manifests", render_text("manifests", source, scope))
    assert isinstance(objects, list) and len(objects) == 1
    backend = objects[0]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "w\nx: y", "port": {"number": injected}}
