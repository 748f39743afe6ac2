"""Conformance: every Score document of the shared corpus plans and applies with
orchc's defaults alone, to Compose (env `dev`) and to Kubernetes (env `staging`).

A case is one corpus directory: its Score files are deployed together, as the examples
intend (04, 06 and 08 of score-compose and the community `service` example hold two
workloads each). For each case and target: `plan -o` then `apply PLAN` succeed; the
output validates (the real `docker-compose config`; every Kubernetes object strictly
against the 1.30 schemas); no secret value is written outside the secret channels;
planning again is a no-op (`--detailed-exitcode` exits 0); a second apply writes the
same bytes, so generated credentials are kept.

What a case gets beyond the defaults, and why:

- a `static` definition for each type no default covers (`EXTRA_TYPES`): the
  community provisioners' own types (dapr-*, endpoint, service, llm-model,
  gcp-pubsub-emulator, horizontal-pod-autoscaler) and the placeholder types of the
  spec samples (Resource-One, Resource-Two, Type-Three). Their outputs are the keys
  the documents read.
- score-compose 02-environment ships a `.env`: it is copied into the project root,
  where the `environment` default reads it.
- community-provisioners/environment reads `TEST` and ships no value: the test writes
  it to the project's `.env` (orchc's own environment is closed to Score files unless
  a definition's `process_variables` allows a variable, and the defaults allow none).
- both `score-full.yaml` samples read `file.txt`, which their repositories do not
  ship: the samples are copied into the project with a stand-in `file.txt`; their
  `image: .` container gets an image as CI would pass it (`--image`, SPEC §12).
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from nginx_check import run_nginx_test
from shared_corpus import CORPUS, built_here_images, corpus_files, own_host_ports

pytestmark = pytest.mark.corpus

DEFAULT_TYPES = frozenset(
    {
        "amqp",
        "dns",
        "elasticsearch",
        "environment",
        "kafka-topic",
        "mongodb",
        "mssql",
        "mysql",
        "postgres",
        "postgres-instance",
        "redis",
        "route",
        "s3",
        "service-port",
        "volume",
    }
)

EXTRA_TYPES: dict[str, dict[str, Any]] = {
    "Resource-One": {},
    "Resource-Two": {},
    "Type-Three": {},
    "dapr-pubsub": {"name": "pubsub"},
    "dapr-state-store": {"name": "statestore"},
    "dapr-subscription": {"topic": "notifications"},
    "endpoint": {"url": "http://backend:8181"},
    "gcp-pubsub-emulator": {
        "host": "pubsub",
        "port": 8085,
        "project_id": "my-test-project",
        "emulator_host": "pubsub:8085",
    },
    "horizontal-pod-autoscaler": {},
    "llm-model": {"model": "ai/smollm2:135M-Q4_0", "url": "http://model-runner/engines/v1"},
    "service": {"name": "backend"},
}

STAND_INS = {
    "spec/samples": {"file.txt": "a stand-in for the sample's file.txt\n"},
    "score-go/schema/files/samples": {"file.txt": "a stand-in for the sample's file.txt\n"},
}

# `.env` files the project gets for cases whose `environment` resources read a variable
# the corpus ships no value for.
DOTENV = {"community-provisioners/environment": "TEST=a value from the project's .env\n"}
# Variables those resources read, unset in orchc's environment: the machine's own
# environment never leaks into a result (nor would the default read it).
UNSET = {"NAME": None, "TEST": None}

CASES = sorted({str(p.parent.relative_to(CORPUS)) for p in corpus_files()})


def used_types(documents: list[Path]) -> set[str]:
    types = set()
    for document in documents:
        spec = yaml.safe_load(document.read_text(encoding="utf-8"))
        types |= {r["type"] for r in (spec.get("resources") or {}).values()}
    return types


def static_definitions(types: set[str]) -> str:
    """One `static` definition per type, its inputs the outputs of `EXTRA_TYPES`."""
    blocks = []
    for type_ in sorted(types):
        inputs = ", ".join(f"{k} = {json.dumps(v)}" for k, v in EXTRA_TYPES[type_].items())
        blocks.append(
            f'definition "extra-{type_.lower()}" {{\n  type = "{type_}"\n  driver = "static"\n'
            f"  match {{}}\n  inputs {{ {inputs} }}\n}}\n"
        )
    return "\n".join(blocks)


def prepare(project: Any, case: str) -> list[str]:
    """Set the project up for `case`; the `-f` arguments naming its Score files, and an
    `--image` for each container built from here (`image: .`)."""
    directory = CORPUS / case
    documents = sorted(directory.glob("*.yaml"))
    if case in STAND_INS:
        copies = project.root / "score"
        copies.mkdir()
        for document in documents:
            shutil.copy(document, copies)
        for name, text in STAND_INS[case].items():
            (copies / name).write_text(text)
        documents = sorted(copies.glob("*.yaml"))
    if (directory / ".env").exists():
        shutil.copy(directory / ".env", project.root / ".env")
    if case in DOTENV:
        (project.root / ".env").write_text(DOTENV[case])
    extra = used_types(documents) - DEFAULT_TYPES
    if extra:
        project.define("extra.orch", static_definitions(extra))
    files = [argument for document in documents for argument in ("-f", str(document))]
    scores = [yaml.safe_load(document.read_text()) for document in documents]
    images = [image for score in scores for image in built_here_images(score)]
    return files + images + [option for score in scores for option in own_host_ports(score)]


def deploy_twice(
    project: Any, case: str, env: str, deployed: Callable[[], dict[str, bytes]]
) -> dict[str, bytes]:
    """Plan to a file and apply it; check the definitions chosen, that a second plan
    is a no-op and a second apply writes the same files. The files of the first."""
    files = prepare(project, case)
    project.run("plan", "--env", env, *files, "-o", "plan.json", env=UNSET)
    check_only_defaults(json.loads((project.root / "plan.json").read_text()))
    project.run("apply", "plan.json", "--auto-approve", env=UNSET)
    first = deployed()
    project.run("plan", "--env", env, *files, "--detailed-exitcode", env=UNSET)
    project.run("apply", "--env", env, *files, "--auto-approve", env=UNSET)
    assert deployed() == first
    return first


def check_only_defaults(plan: dict[str, Any]) -> None:
    for uid, resource in plan["resources"].items():
        if resource["type"] in EXTRA_TYPES or resource["definition"] == "local-compose":
            continue
        assert resource["source"].startswith("orchc:defaults/"), (uid, resource["source"])


@pytest.mark.parametrize("case", CASES)
def test_deploys_to_compose(case: str, project: Any, compose_config: Any) -> None:
    def deployed() -> dict[str, bytes]:
        return {k: v for k, v in project.files(".").items() if k.startswith("compose")}

    files = deploy_twice(project, case, "dev", deployed)
    compose_config(project.root / "compose.yaml")
    if "compose.gateway.nginx.conf" in files:  # the document has routes
        checked = run_nginx_test(project.root / "compose.gateway.nginx.conf")
        assert checked.returncode == 0, checked.stderr
    env_files = [name for name in files if name.endswith(".env")]
    for name in env_files:
        assert (project.root / name).stat().st_mode & 0o777 == 0o600, name
    secrets = {
        line.split("=", 1)[1].strip('"')
        for name in env_files
        for line in files[name].decode().splitlines()
        if "=" in line and not line.startswith("#")
    }
    compose_text = files["compose.yaml"].decode()
    assert not [s for s in secrets if len(s) >= 4 and s in compose_text]


@pytest.mark.parametrize("case", CASES)
def test_deploys_to_kubernetes(case: str, project: Any, kubernetes_objects: Any) -> None:
    def deployed() -> dict[str, bytes]:
        return project.files("build/shop/staging")

    files = deploy_twice(project, case, "staging", deployed)
    objects = kubernetes_objects(project.root / "build/shop/staging")
    assert objects
    secret_files = [name for name in files if name.endswith(".secrets.yaml")]
    for name in secret_files:
        assert (project.root / "build/shop/staging" / name).stat().st_mode & 0o777 == 0o600
    secrets = {
        base64.b64decode(value).decode()
        for obj in objects
        if obj["kind"] == "Secret"
        for value in (obj.get("data") or {}).values()
    }
    plain = [files[n].decode() for n in files if n.endswith(".yaml") and n not in secret_files]
    assert not [s for s in secrets if len(s) >= 4 and any(s in text for text in plain)]
