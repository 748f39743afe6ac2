"""The compose target: inputs, rendering of every Score feature, driver fragments,
secrets in 0600 env files, and the output kept in step with the current state. Every
compose file written is checked by the real `docker-compose config`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchc.drivers.protocol import DeployManifest, DriverError, NullJournal
from orchc.drivers.targets.compose import ComposeTarget

SOURCES = {"file.txt": "from file.txt\n"}


@pytest.fixture
def target() -> ComposeTarget:
    return ComposeTarget()


@pytest.fixture
def deploy(target, make_deploy, tmp_path, compose_config):
    """Deploy, check the compose file with docker-compose, return Compose's model."""

    def run(workloads, manifests=(), path="compose.yaml") -> dict[str, Any]:
        target.deploy(make_deploy(workloads, manifests, path=path))
        return compose_config(tmp_path / path)

    return run


def redis_fragment(**service: Any) -> DeployManifest:
    body = {
        "image": "redis:7",
        "healthcheck": {"test": ["CMD", "redis-cli", "ping"]},
        "volumes": ["cache-data:/data"],
    }
    return DeployManifest(
        uid="redis.default#cache",
        object={"services": {"cache": body | service}, "volumes": {"cache-data": {}}},
        sensitive=tuple(
            ("services", "cache", "environment", key) for key in service.get("environment", {})
        ),
    )


# --- create and inputs -------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "outputs"),
    [
        ({}, {"kind": "compose", "path": "compose.yaml"}),
        ({"path": "deploy/compose.yml"}, {"kind": "compose", "path": "deploy/compose.yml"}),
    ],
)
def test_create_validates_inputs_and_returns_outputs(
    target, make_request, tmp_path, inputs, outputs
):
    result = target.create(make_request("target", inputs=inputs), NullJournal())
    assert result.outputs == outputs
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"file": "x"},
            "invalid inputs: unknown input 'file' (expected: gateway_image, path, publish_port)",
        ),
        ({"path": ""}, "invalid inputs: input 'path': String should have at least 1 character"),
    ],
)
def test_invalid_inputs_are_errors(target, make_request, inputs, message):
    with pytest.raises(DriverError) as error:
        target.create(make_request("target", inputs=inputs), NullJournal())
    assert str(error.value) == message


# --- every Score document of the corpus ----------------------------------------------


def test_every_corpus_document_renders_a_valid_compose_file(
    corpus_document, load_workload, deploy, tmp_path, canary
):
    workload = load_workload(corpus_document, sources=SOURCES)
    model = deploy([workload])
    assert any(name.startswith(f"{workload.name}-") for name in model["services"])
    assert canary not in (tmp_path / "compose.yaml").read_text()
    for env_file in tmp_path.glob("compose.*.env"):
        assert (env_file.stat().st_mode & 0o777) == 0o600


# --- services ------------------------------------------------------------------------


def test_a_service_per_container_with_entrypoint_command_and_environment(load_workload, deploy):
    model = deploy([load_workload("score-compose/examples/02-environment/score.yaml")])
    service = model["services"]["hello-world-hello"]
    assert service["entrypoint"] == ["/bin/sh"]
    # args are not Score-resolved, but Score's `$$` escape holds: the process gets
    # `${GREETING}` for its shell to expand, as under score-compose (issue 17).
    assert service["command"] == ["-c", "while true; do echo ${GREETING} ${NAME}!; sleep 5; done"]
    assert service["environment"] == {
        "ESCAPED": "$_${fizzbuzz}",
        "GREETING": "Hello",
        "NAME": "env-NAME",
        "WORKLOAD_NAME": "hello-world",
    }
    assert model["name"] == "shop-dev"


@pytest.mark.parametrize(
    ("score_word", "process_sees"),
    [
        ("echo $${GREETING}", "echo ${GREETING}"),
        ("echo $HOME ${HOME}", "echo $HOME ${HOME}"),
        ("$$$$", "$$"),
        ("$$$", "$$"),
        ("cost: 5$", "cost: 5$"),
    ],
)
def test_command_and_args_keep_score_escapes_not_compose_ones(
    load_workload, deploy, score_word, process_sees
):
    """Score `$$` is one `$`; Compose must not interpolate what is left (issue 17)."""

    def edit(document):
        container = document["containers"]["hello"]
        container["command"], container["args"] = [score_word], ["-c", score_word]

    model = deploy([load_workload("score-compose/examples/01-hello/score.yaml", edit=edit)])
    service = model["services"]["hello-world-hello"]
    assert (service["entrypoint"], service["command"]) == ([process_sees], ["-c", process_sees])


def test_secret_variables_go_to_a_0600_env_file_per_service(
    load_workload, deploy, tmp_path, canary
):
    workloads = [
        load_workload("examples/resources/postgres/score.yaml"),
        load_workload("score-compose/examples/04-multiple-workloads/score2.yaml"),
    ]
    model = deploy(workloads)
    service = model["services"]["my-workload-my-container"]
    assert service["environment"]["POSTGRES_PASSWORD"] == f"{canary}-my-postgres"
    assert service["environment"]["POSTGRES_HOST"] == "my-postgres-host"
    env_file = tmp_path / "compose.my-workload-my-container.env"
    assert (env_file.stat().st_mode & 0o777) == 0o600
    assert sorted(p.name for p in tmp_path.glob("*.env")) == [env_file.name]
    compose_text = (tmp_path / "compose.yaml").read_text()
    assert canary not in compose_text
    assert "env_file:\n    - compose.my-workload-my-container.env\n" in compose_text


def test_several_containers_share_the_first_ones_network(load_workload, deploy):
    model = deploy([load_workload("score-compose/examples/04-multiple-workloads/score.yaml")])
    first, second = model["services"]["hello-world-first"], model["services"]["hello-world-second"]
    assert first["networks"] == {"default": {"aliases": ["hello-world"]}}
    assert second["network_mode"] == "service:hello-world-first"
    assert second["depends_on"]["hello-world-first"]["condition"] == "service_started"
    assert (first["environment"], second["environment"]) == (
        {"NGINX_PORT": "8080"},
        {"NGINX_PORT": "8081"},
    )


def test_limits_and_requests_are_converted(load_workload, deploy):
    model = deploy([load_workload("examples/specification/limits-and-requests/score.yaml")])
    resources = model["services"]["my-workload-my-container"]["deploy"]["resources"]
    assert resources == {
        "limits": {"cpus": 0.25, "memory": "268435456"},
        "reservations": {"cpus": 0.025, "memory": "67108864"},
    }


def test_exec_probe_becomes_a_healthcheck_and_http_probes_are_left_out(load_workload, deploy):
    model = deploy(
        [
            load_workload("score-compose/examples/08-service-port-resource/scoreA.yaml"),
            load_workload("examples/specification/probes/score.yaml"),
        ]
    )
    check = model["services"]["workload-a-example"]["healthcheck"]
    assert check["test"] == ["CMD", "/usr/bin/curl", "-f", "-m", "5", "http://localhost"]
    assert "healthcheck" not in model["services"]["my-workload-my-container"]


def test_service_ports_are_exposed_not_published(load_workload, deploy):
    model = deploy([load_workload("examples/specification/service/score.yaml")])
    service = model["services"]["my-workload-my-container"]
    assert service["expose"] == ["19245/udp", "3001/tcp"]
    assert "ports" not in service


def test_annotations(load_workload, deploy):
    model = deploy([load_workload("examples/specification/annotations/score.yaml")])
    annotations = model["services"]["my-workload-my-container"]["annotations"]
    assert annotations == {
        "podscoreannotationkey": "podscoreannotationvalue",
        "compose.score.dev/workload-name": "my-workload",  # as score-compose marks them
    }


def test_files_are_written_beside_and_bind_mounted_read_only(load_workload, deploy, tmp_path):
    def edit(document):
        files = document["containers"]["my-container"]["files"]
        files["/etc/raw.txt"] = {"content": "keep ${resources.db.password} $$", "noExpand": True}

    model = deploy([load_workload("examples/specification/files/score.yaml", edit=edit)])
    mounts = {m["target"]: m for m in model["services"]["my-workload-my-container"]["volumes"]}
    assert sorted(mounts) == ["/etc/raw.txt", "/fileA.txt", "/fileB.txt", "/fileC.bin"]
    for target, mount in mounts.items():
        assert mount["type"] == "bind" and mount["read_only"] is True
        local = tmp_path / "compose.files/my-workload/my-container" / target.lstrip("/")
        assert mount["source"] == str(local)
    files = tmp_path / "compose.files/my-workload/my-container"
    assert (files / "fileA.txt").read_text() == "This is fileA!"
    assert (files / "fileC.bin").read_bytes() == b"hello world"
    assert (files / "etc/raw.txt").read_text() == "keep ${resources.db.password} $$"
    assert ((files / "fileA.txt").stat().st_mode & 0o777) == 0o644


def test_a_file_that_embeds_a_secret_is_written_0600(load_workload, deploy, tmp_path, canary):
    def edit(document):
        document["containers"]["my-container"]["files"] = {
            "/etc/app.conf": {"content": "password=${resources.db.password}\n", "mode": "0644"},
            "/etc/mode.conf": {"content": "plain\n", "mode": "0640"},
        }

    deploy([load_workload("examples/specification/files/score.yaml", edit=edit)])
    files = tmp_path / "compose.files/my-workload/my-container/etc"
    assert (files / "app.conf").read_text() == f"password={canary}-db\n"
    assert ((files / "app.conf").stat().st_mode & 0o777) == 0o600
    assert ((files / "mode.conf").stat().st_mode & 0o777) == 0o640
    assert canary not in (tmp_path / "compose.yaml").read_text()


def test_volumes_are_named_volumes_with_subpath_and_read_only(load_workload, deploy):
    model = deploy([load_workload("spec/samples/score-full.yaml", sources=SOURCES)])
    mounts = model["services"]["example-workload-name123-container-one1"]["volumes"]
    volumes = [m for m in mounts if m["type"] == "volume"]
    assert volumes == [
        {
            "type": "volume",
            "source": "volume-name",
            "target": "/mnt/something",
            "volume": {"subpath": "sub/path"},
        },
        {"type": "volume", "source": "volume-two", "target": "/mnt/something-else"},
    ]
    assert sorted(model["volumes"]) == ["volume-name", "volume-two"]


# --- driver fragments ----------------------------------------------------------------


def test_fragments_are_merged_and_depended_on(load_workload, deploy, tmp_path):
    redis = load_workload(
        "examples/resources/redis/score.yaml", depends_on=("redis.default#cache",)
    )
    plain = load_workload("score-compose/examples/01-hello/score.yaml")
    plain_fragment = DeployManifest(
        uid="dns.default#dns", object={"services": {"dns": {"image": "coredns/coredns"}}}
    )
    model = deploy([redis, plain], [redis_fragment(), plain_fragment])
    assert model["services"]["cache"]["image"] == "redis:7"
    assert "cache-data" in model["volumes"]
    depends = model["services"]["my-workload-my-container"]["depends_on"]
    assert {name: d["condition"] for name, d in depends.items()} == {"cache": "service_healthy"}
    assert "depends_on" not in model["services"]["hello-world-hello"]


def test_a_dependency_without_healthcheck_is_service_started(load_workload, deploy):
    workload = load_workload(
        "examples/resources/redis/score.yaml", depends_on=("redis.default#cache",)
    )
    fragment = DeployManifest(
        uid="redis.default#cache", object={"services": {"cache": {"image": "redis"}}}
    )
    model = deploy([workload], [fragment])
    depends = model["services"]["my-workload-my-container"]["depends_on"]
    assert depends["cache"]["condition"] == "service_started"


def test_secret_environment_of_a_fragment_moves_to_its_env_file(deploy, tmp_path):
    fragment = redis_fragment(environment={"REDIS_PASSWORD": "pw-canary", "MODE": "dev"})
    model = deploy([], [fragment])
    assert model["services"]["cache"]["environment"] == {
        "MODE": "dev",
        "REDIS_PASSWORD": "pw-canary",
    }
    assert "pw-canary" not in (tmp_path / "compose.yaml").read_text()
    env_file = tmp_path / "compose.cache.env"
    assert (env_file.stat().st_mode & 0o777) == 0o600


def test_secret_environment_in_list_form(deploy, tmp_path):
    fragment = DeployManifest(
        uid="redis.default#cache",
        object={"services": {"cache": {"image": "redis", "environment": ["A=1", "PW=pw-canary"]}}},
        sensitive=(("services", "cache", "environment", 1),),
    )
    model = deploy([], [fragment])
    assert model["services"]["cache"]["environment"] == {"A": "1", "PW": "pw-canary"}
    assert "pw-canary" not in (tmp_path / "compose.yaml").read_text()


@pytest.mark.parametrize(
    ("manifests", "message"),
    [
        (
            [DeployManifest(uid="x.default#a", object={"apiVersion": "v1", "kind": "Secret"})],
            "resource 'x.default#a': manifest 1 is a Kubernetes object; the compose target "
            "deploys Compose fragments (mappings of services, volumes, networks, secrets, configs)",
        ),
        (
            [DeployManifest(uid="x.default#a", object={"services": {}, "include": []})],
            "resource 'x.default#a': manifest 1 has unknown top-level keys include (a Compose "
            "fragment has services, volumes, networks, secrets, configs)",
        ),
        (
            [
                DeployManifest(uid="x.default#a", object={"volumes": {"data": {}}}),
                DeployManifest(uid="x.default#b", object={"volumes": {"data": {}}}),
            ],
            "volumes 'data' is defined by both resource 'x.default#a' and resource 'x.default#b'",
        ),
        (
            [
                DeployManifest(
                    uid="x.default#a",
                    object={"services": {"db": {"image": "pg", "command": ["--pw", "s"]}}},
                    sensitive=(("services", "db", "command", 1),),
                )
            ],
            "resource 'x.default#a': manifest 1: services.db.command[1] embeds a secret, but "
            "only service environment values can be delivered as secrets",
        ),
        (
            [DeployManifest(uid="x.default#a", object={"services": ["db"]})],
            "resource 'x.default#a': manifest 1: 'services' must map names to definitions",
        ),
    ],
)
def test_invalid_fragments_are_errors(target, make_deploy, manifests, message):
    with pytest.raises(DriverError) as error:
        target.deploy(make_deploy([], manifests))
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["containers"]["demo"].update(volumes={"/data": {"source": "no/slash"}}),
            "workload 'my-workload': volume source 'no/slash' is not a valid Compose volume "
            "name (letters, digits, '_', '.', '-')",
        ),
        (
            lambda d: d["containers"]["demo"].update(before={"ghost": {"ready": "started"}}),
            "workload 'my-workload': 'before' names the unknown container 'ghost'",
        ),
        (
            lambda d: d["containers"]["demo"].update(resources={"limits": {"cpu": "1.5x"}}),
            "workload 'my-workload': containers.demo.resources.limits: '1.5x' is not a cpu "
            "quantity such as 500m",
        ),
        (
            lambda d: d["containers"]["demo"].update(files={"../x": {"content": "x"}}),
            "workload 'my-workload': containers.demo.files[\"../x\"]: the target must be an "
            "absolute file path without '..'",
        ),
        (
            lambda d: d["containers"]["demo"].update(
                variables={"MY PW": "${resources.db.password}"}
            ),
            "workload 'my-workload': containers.demo.variables: invalid variable name "
            "'MY PW': use letters, digits, '_', '.' and '-', starting with a letter or '_'",
        ),
    ],
)
def test_invalid_workloads_are_errors(target, make_deploy, load_workload, edit, message):
    workload = load_workload("examples/specification/command/score.yaml", edit=edit)
    with pytest.raises(DriverError) as error:
        target.deploy(make_deploy([workload]))
    assert str(error.value) == message


def test_a_service_name_taken_twice_is_an_error(target, make_deploy, load_workload):
    workload = load_workload("score-compose/examples/01-hello/score.yaml")
    fragment = DeployManifest(uid="x.default#a", object={"services": {"hello-world-hello": {}}})
    with pytest.raises(DriverError) as error:
        target.deploy(make_deploy([workload], [fragment]))
    assert str(error.value) == (
        "service 'hello-world-hello' is produced by both resource 'x.default#a' and workload "
        "'hello-world'"
    )


def test_before_orders_containers_of_a_workload(load_workload, deploy):
    def edit(document):
        containers = document["containers"]
        containers["second"]["before"] = {"first": {"ready": "complete"}}
        containers["first"]["readinessProbe"] = {"exec": {"command": ["true"]}}
        containers["third"] = {"image": "busybox", "before": {"first": {"ready": "healthy"}}}

    model = deploy(
        [load_workload("score-compose/examples/04-multiple-workloads/score.yaml", edit=edit)]
    )
    services = model["services"]
    assert services["hello-world-second"]["depends_on"]["hello-world-first"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["hello-world-third"]["depends_on"]["hello-world-first"]["condition"] == (
        "service_healthy"
    )


# --- the output ----------------------------------------------------------------------


def test_second_deploy_removes_stale_files_and_keeps_foreign_ones(
    target, make_deploy, load_workload, tmp_path
):
    out = tmp_path / "deploy"
    files = load_workload("score-compose/examples/03-files/score.yaml")
    secret = load_workload("examples/resources/mysql/score.yaml")
    hello = load_workload("score-compose/examples/04-multiple-workloads/score2.yaml")
    target.deploy(make_deploy([files, secret, hello], path="deploy/compose.yaml"))
    (out / "README.md").write_text("mine\n")
    result = target.deploy(make_deploy([hello], path="deploy/compose.yaml"))
    assert result.files == ("deploy/compose.yaml",)
    remaining = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    assert remaining == [".compose.yaml.orchc-index", "README.md", "compose.yaml"]


def test_a_file_orchc_did_not_write_is_never_overwritten(
    target, make_deploy, load_workload, tmp_path
):
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    with pytest.raises(DriverError) as error:
        target.deploy(make_deploy([load_workload("score-compose/examples/01-hello/score.yaml")]))
    assert str(error.value) == (
        "refusing to overwrite compose.yaml: not written by orchc (not listed in "
        ".compose.yaml.orchc-index); move or delete it first"
    )
    assert (tmp_path / "compose.yaml").read_text() == "services: {}\n"


def test_output_is_deterministic(target, make_deploy, load_workload, tmp_path):
    workloads = [
        load_workload("spec/samples/score-full.yaml", sources=SOURCES),
        load_workload("examples/resources/mysql/score.yaml"),
    ]
    target.deploy(make_deploy(workloads, [redis_fragment()], path="one/compose.yaml"))
    target.deploy(
        make_deploy(list(reversed(workloads)), [redis_fragment()], path="two/compose.yaml")
    )

    def tree(root: Path) -> dict[Path, bytes]:
        return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_delete_removes_what_deploy_wrote(
    target, make_deploy, make_request, load_workload, tmp_path
):
    workloads = [
        load_workload("score-compose/examples/03-files/score.yaml"),
        load_workload("examples/resources/mysql/score.yaml"),
    ]
    target.deploy(make_deploy(workloads))
    (tmp_path / "orchc.toml").write_text("app = 'shop'\n")
    target.delete(make_request("target", inputs={}), NullJournal())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orchc.toml"]
