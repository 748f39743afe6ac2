"""The kubernetes-manifests target: inputs, rendering of every Score feature, driver
manifests, secrets, and the output directory kept in step with the current state.
Every object written is validated strictly against the Kubernetes 1.30 schemas."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchc.drivers.protocol import DeployManifest, DeployWorkload, DriverError, NullJournal
from orchc.drivers.targets.kubernetes_manifests import KubernetesManifestsTarget

OUT = Path("build/shop/dev")
SOURCES = {"file.txt": "from file.txt\n"}


@pytest.fixture
def target() -> KubernetesManifestsTarget:
    return KubernetesManifestsTarget()


@pytest.fixture
def deploy(target, make_deploy, tmp_path, kubernetes_objects):
    """Deploy, then return every object written (validated), by (kind, name)."""

    def run(workloads, manifests=(), **inputs) -> dict[tuple[str, str], dict[str, Any]]:
        target.deploy(make_deploy(workloads, manifests, **inputs))
        out = tmp_path / inputs.get("path", OUT)
        objects = kubernetes_objects(out)
        return {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}

    return run


def container_of(objects: dict[tuple[str, str], dict[str, Any]], workload: str, name: str):
    pod = objects[("Deployment", workload)]["spec"]["template"]["spec"]
    return next(c for c in pod["containers"] if c["name"] == name)


def decoded(secret: dict[str, Any]) -> dict[str, str]:
    return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


# --- create and inputs -------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "outputs"),
    [
        ({}, {"kind": "kubernetes", "path": "build/app/test"}),
        ({"path": "deploy/k8s"}, {"kind": "kubernetes", "path": "deploy/k8s"}),
        (
            {"path": "k8s", "namespace": "shop-dev"},
            {"kind": "kubernetes", "path": "k8s", "namespace": "shop-dev"},
        ),
    ],
)
def test_create_validates_inputs_and_returns_outputs(
    target, make_request, tmp_path, inputs, outputs
):
    result = target.create(make_request("target", inputs=inputs), NullJournal())
    assert result.outputs == outputs
    assert list(tmp_path.iterdir()) == []  # create writes nothing


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"pth": "x"},
            "invalid inputs: unknown input 'pth' (expected: allowed_kinds, create_namespace, "
            "gateway, namespace, path, route_kind)",
        ),
        (
            {"create_namespace": True},
            "invalid inputs: create_namespace = true needs the input 'namespace'",
        ),
        (
            {"namespace": "Shop_Dev"},
            "invalid inputs: input 'namespace': String should match pattern "
            "'^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'",
        ),
        ({"path": 3}, "invalid inputs: input 'path': Input should be a valid string"),
    ],
)
def test_invalid_inputs_are_errors(target, make_request, inputs, message):
    with pytest.raises(DriverError) as error:
        target.create(make_request("target", inputs=inputs), NullJournal())
    assert str(error.value) == message


# --- every Score document of the corpus ----------------------------------------------


def test_every_corpus_document_renders_valid_objects(
    corpus_document, load_workload, deploy, tmp_path, canary
):
    workload = load_workload(corpus_document, sources=SOURCES)
    objects = deploy([workload])
    assert ("Deployment", workload.name) in objects
    # kubectl apply -f reads every .json/.yaml/.yml file: all of them must be objects.
    assert not list((tmp_path / OUT).rglob("*.json"))
    for path in (tmp_path / OUT).rglob("*.yaml"):
        is_secrets = path.name.endswith(".secrets.yaml")
        assert (path.stat().st_mode & 0o777) == (0o600 if is_secrets else 0o644)
        if not is_secrets:
            assert canary not in path.read_text()


def test_result_lists_the_files_relative_to_the_project_root(target, make_deploy, load_workload):
    workloads = [
        load_workload("examples/resources/redis/score.yaml"),
        load_workload("score-compose/examples/04-multiple-workloads/score2.yaml"),
    ]
    result = target.deploy(make_deploy(workloads))
    assert result.files == (
        "build/shop/dev/hello-world-2.yaml",
        "build/shop/dev/my-workload.secrets.yaml",
        "build/shop/dev/my-workload.yaml",
    )


# --- containers ----------------------------------------------------------------------


def test_variables_become_sorted_env_and_secrets_use_a_secret(load_workload, deploy, canary):
    workload = load_workload("examples/resources/postgres/score.yaml")
    objects = deploy([workload])
    env = container_of(objects, "my-workload", "my-container")["env"]
    assert [entry["name"] for entry in env] == sorted(entry["name"] for entry in env)
    password = next(entry for entry in env if entry["name"] == "POSTGRES_PASSWORD")
    assert password == {
        "name": "POSTGRES_PASSWORD",
        "valueFrom": {
            "secretKeyRef": {"name": "my-workload-env", "key": "my-container.POSTGRES_PASSWORD"}
        },
    }
    assert {"name": "POSTGRES_HOST", "value": "my-postgres-host"} in env
    secret = objects[("Secret", "my-workload-env")]
    assert decoded(secret) == {"my-container.POSTGRES_PASSWORD": f"{canary}-my-postgres"}
    assert "stringData" not in secret


def test_command_and_args_keep_dollar_signs_literal(load_workload, deploy):
    def edit(document):
        document["containers"]["demo"]["args"] = ["-c", "echo $(hostname) $HOME $$"]

    objects = deploy([load_workload("examples/specification/command/score.yaml", edit=edit)])
    container = container_of(objects, "my-workload", "demo")
    assert container["command"] == ["/bin/sh"]
    assert container["args"] == ["-c", "echo $$(hostname) $$HOME $$$$"]


def test_limits_and_requests_are_passed_as_given(load_workload, deploy):
    objects = deploy([load_workload("examples/specification/limits-and-requests/score.yaml")])
    assert container_of(objects, "my-workload", "my-container")["resources"] == {
        "limits": {"cpu": "0.250", "memory": "256Mi"},
        "requests": {"cpu": "0.025", "memory": "64Mi"},
    }


def test_probes_http_and_exec(load_workload, deploy):
    objects = deploy([load_workload("spec/samples/score-full.yaml", sources=SOURCES)])
    container = container_of(objects, "example-workload-name123", "container-one1")
    # Both handlers given: exec wins, as the Score schema recommends.
    assert container["livenessProbe"] == {
        "exec": {"command": ["/bin/curl", "-f", "http://localhost:8080/livez"]}
    }
    assert container["readinessProbe"] == {
        "httpGet": {
            "host": "127.0.0.1",
            "scheme": "HTTP",
            "path": "/readyz",
            "port": 80,
            "httpHeaders": [{"name": "SOME_HEADER", "value": "some-value-here"}],
        }
    }


def test_several_containers_keep_their_own_settings(load_workload, deploy):
    objects = deploy([load_workload("score-compose/examples/04-multiple-workloads/score.yaml")])
    pod = objects[("Deployment", "hello-world")]["spec"]["template"]["spec"]
    assert [(c["name"], c["env"]) for c in pod["containers"]] == [
        ("first", [{"name": "NGINX_PORT", "value": "8080"}]),
        ("second", [{"name": "NGINX_PORT", "value": "8081"}]),
    ]


def test_annotations_on_deployment_and_pod_template(load_workload, deploy):
    objects = deploy([load_workload("examples/specification/annotations/score.yaml")])
    deployment = objects[("Deployment", "my-workload")]
    expected = {"podscoreannotationkey": "podscoreannotationvalue"}
    assert deployment["metadata"]["annotations"] == expected
    assert deployment["spec"]["template"]["metadata"]["annotations"] == expected
    assert deployment["metadata"]["labels"] == {
        "app.kubernetes.io/name": "my-workload",
        "app.kubernetes.io/managed-by": "orchc",
    }
    assert deployment["spec"]["selector"] == {
        "matchLabels": {"app.kubernetes.io/name": "my-workload"}
    }
    # No replicas: kubectl scale and a HorizontalPodAutoscaler keep theirs.
    assert "replicas" not in deployment["spec"]


# --- service, files, volumes ---------------------------------------------------------


def test_service_ports(load_workload, deploy):
    objects = deploy([load_workload("spec/samples/score-full.yaml", sources=SOURCES)])
    service = objects[("Service", "example-workload-name123")]
    assert service["spec"] == {
        "selector": {"app.kubernetes.io/name": "example-workload-name123"},
        "ports": [
            {"name": "port-one", "port": 1000, "targetPort": 10000, "protocol": "TCP"},
            {"name": "port-two2", "port": 8000, "targetPort": 8000, "protocol": "TCP"},
        ],
    }


def test_the_first_container_declares_the_service_ports(load_workload, deploy):
    def edit(document):
        document["service"]["ports"]["same-target"] = {"port": 9000, "targetPort": 10000}
        document["containers"]["a-sidecar"] = {"image": "busybox"}

    workload = load_workload("spec/samples/score-full.yaml", sources=SOURCES, edit=edit)
    pod = deploy([workload])[("Deployment", "example-workload-name123")]["spec"]["template"]
    containers = {c["name"]: c for c in pod["spec"]["containers"]}
    assert containers["a-sidecar"]["ports"] == [
        {"name": "port-one", "containerPort": 10000, "protocol": "TCP"},
        {"name": "port-two2", "containerPort": 8000, "protocol": "TCP"},
    ]
    assert "ports" not in containers["container-one1"]


def test_kind_annotation_makes_a_stateful_set_with_a_headless_service(load_workload, deploy):
    def edit(document):
        document["metadata"]["annotations"] = {"k8s.score.dev/kind": "StatefulSet"}

    workload = load_workload("spec/samples/score-full.yaml", sources=SOURCES, edit=edit)
    objects = deploy([workload])
    name = "example-workload-name123"
    assert ("Deployment", name) not in objects
    stateful_set = objects[("StatefulSet", name)]
    assert stateful_set["spec"]["serviceName"] == f"{name}-headless"
    headless = objects[("Service", f"{name}-headless")]["spec"]
    assert headless["clusterIP"] == "None"
    assert headless["selector"] == stateful_set["spec"]["selector"]["matchLabels"]
    assert ("Service", name) in objects


def test_service_name_annotation_names_the_service(load_workload, deploy):
    def edit(document):
        document["metadata"]["annotations"] = {"k8s.score.dev/service-name": "api"}

    workload = load_workload("spec/samples/score-full.yaml", sources=SOURCES, edit=edit)
    objects = deploy([workload])
    assert ("Service", "api") in objects
    assert ("Service", "example-workload-name123") not in objects


def test_no_service_without_ports(load_workload, deploy):
    objects = deploy([load_workload("examples/specification/command/score.yaml")])
    assert sorted(objects) == [("Deployment", "my-workload")]


def test_files_go_to_a_config_map_mounted_with_subpath_and_mode(load_workload, deploy):
    def edit(document):
        files = document["containers"]["my-container"]["files"]
        files["/etc/raw.txt"] = {"content": "keep ${resources.db.password} $$", "noExpand": True}

    objects = deploy([load_workload("examples/specification/files/score.yaml", edit=edit)])
    config_map = objects[("ConfigMap", "my-workload-files")]
    assert sorted(config_map["data"].values()) == [
        "I am fileB!\n",
        "This is fileA!",  # read from its source
        "keep ${resources.db.password} $$",  # noExpand: verbatim
    ]
    assert list(config_map["binaryData"].values()) == ["aGVsbG8gd29ybGQ="]
    container = container_of(objects, "my-workload", "my-container")
    mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
    assert sorted(mounts) == ["/etc/raw.txt", "/fileA.txt", "/fileB.txt", "/fileC.bin"]
    file_a = mounts["/fileA.txt"]
    assert file_a["name"] == "files" and file_a["readOnly"] is True
    assert config_map["data"][file_a["subPath"]] == "This is fileA!"
    volume = objects[("Deployment", "my-workload")]["spec"]["template"]["spec"]["volumes"][0]
    items = {item["key"]: item for item in volume["configMap"]["items"]}
    assert items[file_a["subPath"]] == {
        "key": file_a["subPath"],
        "path": file_a["subPath"],
        "mode": 0o644,
    }
    assert "mode" not in items[mounts["/fileB.txt"]["subPath"]]


def test_a_file_that_embeds_a_secret_goes_to_a_secret(load_workload, deploy, tmp_path, canary):
    def edit(document):
        document["containers"]["my-container"]["files"] = {
            "/etc/app.conf": {"content": "password=${resources.db.password}\n", "mode": "0600"},
            "/etc/plain.conf": {"content": "plain\n"},
        }

    objects = deploy([load_workload("examples/specification/files/score.yaml", edit=edit)])
    secret = objects[("Secret", "my-workload-secret-files")]
    assert list(decoded(secret).values()) == [f"password={canary}-db\n"]
    assert list(objects[("ConfigMap", "my-workload-files")]["data"].values()) == ["plain\n"]
    pod = objects[("Deployment", "my-workload")]["spec"]["template"]["spec"]
    secret_volume = next(v for v in pod["volumes"] if v["name"] == "secret-files")
    assert secret_volume["secret"]["items"][0]["mode"] == 384
    assert canary not in (tmp_path / OUT / "my-workload.yaml").read_text()


def test_volumes_mount_claims_with_subpath_and_read_only(load_workload, deploy):
    objects = deploy([load_workload("spec/samples/score-full.yaml", sources=SOURCES)])
    pod = objects[("Deployment", "example-workload-name123")]["spec"]["template"]["spec"]
    claims = [v for v in pod["volumes"] if "persistentVolumeClaim" in v]
    assert claims == [
        {"name": "pvc-volume-name", "persistentVolumeClaim": {"claimName": "volume-name"}},
        {"name": "pvc-volume-two", "persistentVolumeClaim": {"claimName": "volume-two"}},
    ]
    mounts = container_of(objects, "example-workload-name123", "container-one1")["volumeMounts"]
    assert mounts[:2] == [
        {
            "name": "pvc-volume-name",
            "mountPath": "/mnt/something",
            "subPath": "sub/path",
            "readOnly": False,
        },
        {"name": "pvc-volume-two", "mountPath": "/mnt/something-else"},
    ]


def claim(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }


def test_a_volume_claim_nothing_mounts_is_not_written(load_workload, deploy):
    workload = load_workload("spec/samples/score-full.yaml", sources=SOURCES)  # volume-name
    mounted_by_a_driver = stateful_set()
    pod = mounted_by_a_driver["spec"]["template"]["spec"]
    pod["volumes"] = [{"name": "shared", "persistentVolumeClaim": {"claimName": "shared"}}]
    manifests = [
        DeployManifest(uid="volume.default#app.data", object=claim("volume-name")),
        DeployManifest(uid="volume.default#app.spare", object=claim("spare")),
        DeployManifest(uid="volume.default#app.shared", object=claim("shared")),
        DeployManifest(uid="db.default#app.db", object=mounted_by_a_driver),
        DeployManifest(uid="disk.default#app.other", object=claim("other")),  # not a volume
    ]
    objects = deploy([workload], manifests)
    claims = sorted(name for kind, name in objects if kind == "PersistentVolumeClaim")
    assert claims == ["other", "shared", "volume-name"]


def test_namespace_is_set_on_every_object_the_drivers_ones_too(load_workload, deploy, tmp_path):
    workload = load_workload("examples/resources/redis/score.yaml")
    elsewhere = stateful_set()
    elsewhere["metadata"]["namespace"] = "elsewhere"
    manifests = [
        DeployManifest(uid="redis.default#cache", object=elsewhere, sensitive=(ENV_VALUE,)),
        DeployManifest(uid="redis.default#cache", object=SERVICE),
    ]
    objects = deploy([workload], manifests, namespace="shop-dev")
    assert sorted(objects) == [
        ("Deployment", "my-workload"),
        ("Secret", "db-statefulset-env"),
        ("Secret", "my-workload-env"),
        ("Service", "db"),
        ("StatefulSet", "db"),
    ]
    assert {obj["metadata"]["namespace"] for obj in objects.values()} == {"shop-dev"}
    assert not (tmp_path / OUT / "+namespace.yaml").exists()


def test_create_namespace_writes_the_namespace_first(load_workload, deploy, tmp_path):
    workload = load_workload("examples/resources/redis/score.yaml")
    objects = deploy([workload], namespace="shop-dev", create_namespace=True)
    assert objects[("Namespace", "shop-dev")] == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "shop-dev", "labels": {"app.kubernetes.io/managed-by": "orchc"}},
    }
    # kubectl apply -f DIR -R applies files in name order: the namespace comes first.
    assert sorted(p.name for p in (tmp_path / OUT).glob("*.yaml"))[0] == "+namespace.yaml"


@pytest.mark.parametrize("name", ["00-a", "0-a", "00", "0a"])
def test_the_namespace_file_comes_first_whatever_the_workloads_are_named(
    name, load_workload, deploy, tmp_path
):
    """Workload names are Score labels ([a-z0-9-], 2 characters or more): the smallest
    in byte order start with a digit and '-' ('0-a'), and sorted before '00-namespace'."""

    def rename(document: dict[str, Any]) -> None:
        document["metadata"]["name"] = name

    workload = load_workload("examples/resources/redis/score.yaml", edit=rename)
    objects = deploy([workload], namespace="shop-dev", create_namespace=True)
    assert ("Deployment", name) in objects
    written = sorted(str(p.relative_to(tmp_path / OUT)) for p in (tmp_path / OUT).rglob("*.yaml"))
    assert written[0] == "+namespace.yaml", written
    assert f"{name}.yaml" in written


def test_cluster_scoped_objects_get_no_namespace(deploy):
    storage_class = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "fast"},
        "provisioner": "example.com/fast",
    }
    manifest = DeployManifest(uid="storage.default#fast", object=storage_class)
    allowed = ["StorageClass"]
    objects = deploy([], [manifest], namespace="shop-dev", allowed_kinds=allowed)
    assert "namespace" not in objects[("StorageClass", "fast")]["metadata"]


# --- errors in a workload ------------------------------------------------------------


def secret_at(workload: DeployWorkload, *path: str | int) -> DeployWorkload:
    return workload.model_copy(update={"sensitive": (*workload.sensitive, path)})


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            ("containers", "demo", "command", 0),
            "workload 'my-workload': containers.demo.command[0] embeds a secret, but only "
            "container variables and file contents can be delivered as secrets",
        ),
        (
            ("containers", "demo", "image"),
            "workload 'my-workload': containers.demo.image embeds a secret, but only "
            "container variables and file contents can be delivered as secrets",
        ),
        (
            ("containers", "demo"),
            "workload 'my-workload': containers.demo embeds a secret, but only "
            "container variables and file contents can be delivered as secrets",
        ),
        (
            ("metadata", "annotations", "team"),
            "workload 'my-workload': metadata.annotations.team embeds a secret, but only "
            "container variables and file contents can be delivered as secrets",
        ),
    ],
)
def test_a_secret_where_no_secret_can_go_is_an_error(
    target, make_deploy, load_workload, path, message
):
    workload = secret_at(load_workload("examples/specification/command/score.yaml"), *path)
    with pytest.raises(DriverError) as error:
        target.deploy(make_deploy([workload]))
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["containers"]["demo"].pop("image"),
            "workload 'my-workload': invalid spec: containers.demo.image: Field required",
        ),
        (
            lambda d: d["containers"]["demo"].update(volumes={"/data": {"source": "Not_A_Claim"}}),
            "workload 'my-workload': containers.demo.volumes[\"/data\"].source 'Not_A_Claim' is "
            "not a valid PersistentVolumeClaim name (an RFC 1123 subdomain)",
        ),
        (
            lambda d: d["containers"]["demo"].update(files={"/f": {"binaryContent": "%%%"}}),
            "workload 'my-workload': containers.demo.files[\"/f\"].binaryContent is not valid "
            "base64",
        ),
        (
            lambda d: d.update(service={"ports": {"web": {"port": 80}}}, metadata={"name": "1st"}),
            "workload '1st': a Kubernetes Service name must start with a letter; rename the "
            "workload, set k8s.score.dev/service-name or remove its service ports",
        ),
        (
            lambda d: d["metadata"].update(annotations={"k8s.score.dev/kind": "DaemonSet"}),
            "workload 'my-workload': metadata.annotations.k8s.score.dev/kind must be "
            "Deployment or StatefulSet, not 'DaemonSet'",
        ),
        (
            lambda d: d.update(
                service={"ports": {"web": {"port": 80}}},
                metadata={"name": "web", "annotations": {"k8s.score.dev/service-name": "A b"}},
            ),
            "workload 'web': metadata.annotations.k8s.score.dev/service-name 'A b' is not a "
            "valid Service name (lower-case letters, digits and '-', starting with a letter, "
            "at most 63 characters)",
        ),
    ],
)
def test_invalid_workloads_are_errors(target, make_deploy, load_workload, edit, message):
    workload = load_workload("examples/specification/command/score.yaml", edit=edit)
    with pytest.raises(DriverError) as error:
        target.deploy(make_deploy([workload]))
    assert str(error.value) == message


# --- driver manifests ----------------------------------------------------------------


def stateful_set(password_path: bool = True) -> dict[str, Any]:
    container = {
        "name": "postgres",
        "image": "postgres:16",
        "env": [
            {"name": "POSTGRES_USER", "value": "app"},
            {"name": "POSTGRES_PASSWORD", "value": "pw-canary"},
        ],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "labels": {"app": "db"}},
        "spec": {
            "serviceName": "db",
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [container]},
            },
        },
    }


ENV_VALUE = ("spec", "template", "spec", "containers", 0, "env", 1, "value")
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "db"},
    "spec": {"selector": {"app": "db"}, "ports": [{"port": 5432}]},
}


def test_driver_manifests_are_written_per_resource_with_env_secrets_sealed(
    deploy, load_workload, tmp_path
):
    manifests = [
        DeployManifest(uid="postgres.default#db", object=stateful_set(), sensitive=(ENV_VALUE,)),
        DeployManifest(
            uid="postgres.default#db",
            object={
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "db-admin"},
                "stringData": {"password": "admin-canary"},
            },
            sensitive=(("stringData", "password"),),
        ),
    ]
    objects = deploy([load_workload("score-compose/examples/01-hello/score.yaml")], manifests)
    out = tmp_path / OUT
    assert sorted(p.name for p in (out / "resources").iterdir()) == [
        "postgres.default_db.secrets.yaml",
        "postgres.default_db.yaml",
    ]
    env = objects[("StatefulSet", "db")]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env[1] == {
        "name": "POSTGRES_PASSWORD",
        "valueFrom": {
            "secretKeyRef": {"name": "db-statefulset-env", "key": "postgres.POSTGRES_PASSWORD"}
        },
    }
    assert decoded(objects[("Secret", "db-statefulset-env")]) == {
        "postgres.POSTGRES_PASSWORD": "pw-canary"
    }
    admin = objects[("Secret", "db-admin")]
    assert "stringData" not in admin and decoded(admin) == {"password": "admin-canary"}
    for path in out.rglob("*.yaml"):
        if not path.name.endswith(".secrets.yaml"):
            assert "canary" not in path.read_text()


@pytest.mark.parametrize(
    ("obj", "sensitive", "message"),
    [
        (
            {"services": {"db": {"image": "postgres"}}},
            (),
            "resource 'postgres.default#db': manifest 1 has no 'apiVersion': the "
            "kubernetes-manifests target deploys Kubernetes objects (a Compose fragment needs "
            "the compose target)",
        ),
        (
            {"apiVersion": "v1", "metadata": {"name": "x"}},
            (),
            "resource 'postgres.default#db': manifest 1 has no 'kind': the "
            "kubernetes-manifests target deploys Kubernetes objects (a Compose fragment needs "
            "the compose target)",
        ),
        (
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "x"},
                "data": {"a": "b"},
            },
            (("data", "a"),),
            "resource 'postgres.default#db': manifest 1 (ConfigMap): data.a embeds a secret, "
            "but only a Secret's data and container env values can be delivered as secrets",
        ),
    ],
)
def test_invalid_driver_manifests_are_errors(target, make_deploy, obj, sensitive, message):
    manifest = DeployManifest(uid="postgres.default#db", object=obj, sensitive=sensitive)
    with pytest.raises(DriverError) as error:
        target.deploy(make_deploy([], [manifest]))
    assert str(error.value) == message


def test_two_resources_returning_one_identical_object_write_it_once(deploy, tmp_path):
    manifests = [DeployManifest(uid=f"service.default#{n}", object=SERVICE) for n in "ab"]
    objects = deploy([], manifests)
    assert objects == {("Service", "db"): SERVICE}
    assert [p.name for p in (tmp_path / OUT / "resources").iterdir()] == ["service.default_a.yaml"]


def test_two_owners_of_one_object_is_an_error(target, make_deploy, load_workload):
    clash = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "workload-a"}}
    workload = load_workload("score-compose/examples/08-service-port-resource/scoreA.yaml")
    manifest = DeployManifest(uid="service.default#clash", object=clash)
    with pytest.raises(DriverError) as error:
        target.deploy(make_deploy([workload], [manifest]))
    assert str(error.value) == (
        "Service 'workload-a' is produced by both workload 'workload-a' and resource "
        "'service.default#clash'"
    )


# --- the output directory ------------------------------------------------------------


def test_second_deploy_removes_stale_files_and_keeps_foreign_ones(
    target, make_deploy, load_workload, tmp_path
):
    out = tmp_path / OUT
    redis = load_workload("examples/resources/redis/score.yaml")
    hello = load_workload("score-compose/examples/04-multiple-workloads/score2.yaml")
    manifest = DeployManifest(
        uid="redis.default#cache", object=stateful_set(), sensitive=(ENV_VALUE,)
    )
    target.deploy(make_deploy([redis, hello], [manifest]))
    (out / "notes.md").write_text("mine\n")
    result = target.deploy(make_deploy([hello]))
    assert result.files == ("build/shop/dev/hello-world-2.yaml",)
    remaining = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    assert remaining == [".orchc-index", "hello-world-2.yaml", "notes.md"]


def test_a_file_orchc_did_not_write_is_never_overwritten(
    target, make_deploy, load_workload, tmp_path
):
    out = tmp_path / OUT
    out.mkdir(parents=True)
    (out / "hello-world-2.yaml").write_text("hand written\n")
    workload = load_workload("score-compose/examples/04-multiple-workloads/score2.yaml")
    with pytest.raises(DriverError) as error:
        target.deploy(make_deploy([workload]))
    assert str(error.value) == (
        "refusing to overwrite build/shop/dev/hello-world-2.yaml: not written by orchc (not "
        "listed in build/shop/dev/.orchc-index); move or delete it first"
    )
    assert (out / "hello-world-2.yaml").read_text() == "hand written\n"


def test_output_is_deterministic(target, make_deploy, load_workload, tmp_path):
    workloads = [
        load_workload("spec/samples/score-full.yaml", sources=SOURCES),
        load_workload("examples/resources/mysql/score.yaml"),
    ]
    target.deploy(make_deploy(workloads, path="one"))
    target.deploy(make_deploy(list(reversed(workloads)), path="two"))
    one = {p.relative_to(tmp_path / "one"): p.read_bytes() for p in (tmp_path / "one").rglob("*")}
    two = {p.relative_to(tmp_path / "two"): p.read_bytes() for p in (tmp_path / "two").rglob("*")}
    assert one == two


def test_delete_removes_what_deploy_wrote(
    target, make_deploy, make_request, load_workload, tmp_path
):
    workload = load_workload("examples/resources/redis/score.yaml")
    target.deploy(make_deploy([workload], path="k8s/dev"))
    (tmp_path / "k8s" / "keep.txt").write_text("mine\n")
    target.delete(make_request("target", inputs={"path": "k8s/dev"}), NullJournal())
    assert not (tmp_path / "k8s" / "dev").exists()
    assert sorted(p.name for p in (tmp_path / "k8s").iterdir()) == ["keep.txt"]


def test_multi_line_contents_are_literal_blocks(target, make_deploy, load_workload, tmp_path):
    workload = load_workload("spec/samples/score-full.yaml", sources=SOURCES)
    target.deploy(make_deploy([workload]))
    text = (tmp_path / OUT / "example-workload-name123.yaml").read_text()
    assert "|\n    some multiline\n    content\n" in text
    assert yaml.safe_load_all(text)


def test_a_secret_path_above_the_variables_makes_them_all_secret(load_workload, deploy):
    workload = load_workload("score-compose/examples/04-multiple-workloads/score.yaml")
    secret = workload.model_copy(update={"sensitive": (("containers", "first", "variables"),)})
    objects = deploy([secret])
    assert container_of(objects, "hello-world", "first")["env"] == [
        {
            "name": "NGINX_PORT",
            "valueFrom": {"secretKeyRef": {"name": "hello-world-env", "key": "first.NGINX_PORT"}},
        }
    ]
    assert container_of(objects, "hello-world", "second")["env"] == [
        {"name": "NGINX_PORT", "value": "8081"}
    ]
