"""The terraform driver with the real `terraform` binary and the modules in tf_modules/
(built-in `terraform_data`, locals and outputs only: nothing to download)."""

from __future__ import annotations

import json
import shutil
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchc.drivers.protocol import DriverError, DriverRequest, JsonObject
from orchc.drivers.terraform import TerraformDriver, secret_variables_file, terraform_env
from orchc.run_processes import this_run

pytestmark = pytest.mark.terraform

DRIVER = TerraformDriver()
HERE = Path(__file__).resolve().parent
TOKEN = "tok-Secret-4711"


@pytest.fixture
def tf_request(make_request: Callable[..., DriverRequest]) -> Callable[..., DriverRequest]:
    """A terraform request for a module of tf_modules/, with `token` as secret variable."""

    def build(module: str, variables: JsonObject | None = None, **fields: Any) -> DriverRequest:
        fields.setdefault("secrets", {"variables": {"token": TOKEN}})
        inputs = {"source": f"tf_modules/{module}", "variables": variables or {}}
        return make_request("terraform", inputs=inputs, source_dir=HERE, **fields)

    return build


def resources(tfstate: JsonObject) -> list[str]:
    return [f"{r['type']}.{r['name']}" for r in tfstate.get("resources", [])]


def leftovers(work_dir: Path) -> list[str]:
    """State and secret files that must not outlive a run."""
    module = work_dir / "module"
    names = ["terraform.tfstate", "terraform.tfstate.backup"]
    found = [name for name in names if (module / name).exists()]
    return found + sorted(path.name for path in module.glob("orchc-secrets*"))


def elsewhere(request: DriverRequest, state: JsonObject, work_dir: Path, **fields: Any) -> Any:
    """The same resource on another machine: only the orchc state travels."""
    return request.model_copy(update={"state": state, "work_dir": work_dir, **fields})


def test_apply_outputs_reapply_update_elsewhere_destroy(
    tf_request: Callable[..., DriverRequest], journal: Any, tmp_path: Path
) -> None:
    request = tf_request("basic", {"name": "orchc"})

    result = DRIVER.create(request, journal)

    resource_id = result.outputs["id"]
    assert result.outputs == {"greeting": "hello orchc", "id": resource_id, "size": 1}
    assert result.secrets == {"token": TOKEN, "connection": f"orchc:{TOKEN}"}
    assert resources(result.state["tfstate"]) == ["terraform_data.this"]
    assert journal.saved[-1] == result.state
    assert stat.S_IMODE(request.work_dir.stat().st_mode) == 0o700
    assert leftovers(request.work_dir) == []
    plain = json.loads((request.work_dir / "module" / "terraform.tfvars.json").read_text())
    assert plain == {"name": "orchc"}

    again = DRIVER.create(request.model_copy(update={"state": result.state}), journal)
    assert (again.outputs, again.secrets) == (result.outputs, result.secrets)

    bigger_inputs = {**request.inputs, "variables": {"name": "orchc", "size": 2}}
    bigger = elsewhere(request, again.state, tmp_path / "machine-b", inputs=bigger_inputs)
    updated = DRIVER.create(bigger, journal)
    assert updated.outputs == {"greeting": "hello orchc", "id": resource_id, "size": 2}
    assert updated.state["tfstate"]["serial"] > result.state["tfstate"]["serial"]

    gone = elsewhere(request, updated.state, tmp_path / "machine-c", action="delete")
    DRIVER.delete(gone, journal)
    assert resources(journal.saved[-1]["tfstate"]) == []
    assert not gone.work_dir.exists()


def test_a_newer_state_left_by_a_crash_wins(
    tf_request: Callable[..., DriverRequest], journal: Any
) -> None:
    class CrashingJournal:
        def save_state(self, state: JsonObject) -> None:
            raise RuntimeError("crashed before the state was saved")

    request = tf_request("basic", {"name": "orchc"})
    with pytest.raises(RuntimeError, match="crashed before the state was saved"):
        DRIVER.create(request, CrashingJournal())
    left = json.loads((request.work_dir / "module" / "terraform.tfstate").read_text())

    result = DRIVER.create(request, journal)  # orchc's state knows nothing

    assert journal.saved[0]["tfstate"] == left  # recovered, and saved before anything ran
    assert result.outputs["id"] == left["outputs"]["id"]["value"]
    assert result.state["tfstate"]["lineage"] == left["lineage"]
    assert leftovers(request.work_dir) == []


@pytest.mark.parametrize("left", ["", '{"version": 4, "serial": 9, "resou'], ids=["empty", "cut"])
def test_a_state_terraform_was_killed_writing_is_set_aside(
    tf_request: Callable[..., DriverRequest], journal: Any, left: str
) -> None:
    """Terraform writes its state in place (truncate, then write): a SIGKILL between the
    two leaves an empty or cut file. It must not fail every later run: the last good
    state (orchc's) is used, and the damaged file is kept aside, never used again."""
    request = tf_request("basic", {"name": "orchc"})
    first = DRIVER.create(request, journal)
    local = request.work_dir / "module" / "terraform.tfstate"
    local.write_text(left)

    again = DRIVER.create(request.model_copy(update={"state": first.state}), journal)

    assert again.outputs == first.outputs  # the same object, not a new one
    assert (request.work_dir / "terraform.tfstate.damaged").read_text() == left
    assert leftovers(request.work_dir) == []


def test_secret_variables_left_by_a_dead_run_are_removed(
    tf_request: Callable[..., DriverRequest], journal: Any, tmp_path: Path
) -> None:
    """SIGKILL leaves no `finally`: the next terraform call in the project removes the
    secrets files of runs that are gone, and leaves a live run's alone."""
    request = tf_request("basic", {"name": "orchc"})
    work_root = request.work_dir.parent
    dead = abandon_secrets(work_root / "dead", secret_variables_file("1/not-its-start-time"))
    live = abandon_secrets(work_root / "live", secret_variables_file(this_run()))
    # Beside the live run's file, in its directory: one a dead run left there.
    dead_beside = abandon_secrets(work_root / "live", secret_variables_file("1/x/y"))
    # An older orchc's files name no run (its owner was a file beside them).
    older = abandon_secrets(work_root / "older", "orchc-secrets.auto.tfvars.json")
    older_owner = abandon_secrets(work_root / "older", "orchc-secrets.owner")

    DRIVER.create(request, journal)

    assert [p.exists() for p in (dead, dead_beside, older, older_owner)] == [False] * 4
    assert live.exists()


def abandon_secrets(work_dir: Path, name: str) -> Path:
    module = work_dir / "module"
    module.mkdir(parents=True, exist_ok=True)
    secrets = module / name
    secrets.write_text(json.dumps({"token": TOKEN}))
    return secrets


def test_a_failing_module_creates_nothing_then_fixed_input_succeeds(
    tf_request: Callable[..., DriverRequest], journal: Any
) -> None:
    request = tf_request("failing", {"ok": False})

    with pytest.raises(DriverError) as failure:
        DRIVER.create(request, journal)

    assert str(failure.value) == (
        "terraform apply failed (exit code 1):\n"
        "  Error: Resource precondition failed\n"
        '    on main.tf line 17, in resource "terraform_data" "guarded":\n'
        "    17:       condition     = var.ok\n"
        "      ├────────────────\n"
        "      │ var.ok is false\n"
        "  The module was told to fail."
    )
    assert journal.saved == []
    assert leftovers(request.work_dir) == []

    fixed = request.model_copy(update={"inputs": {**request.inputs, "variables": {"ok": True}}})
    result = DRIVER.create(fixed, journal)
    assert resources(result.state["tfstate"]) == ["terraform_data.guarded"]


def test_invalid_hcl_fails_at_init(tf_request: Callable[..., DriverRequest], journal: Any) -> None:
    with pytest.raises(DriverError) as failure:
        DRIVER.create(tf_request("invalid"), journal)

    message = str(failure.value)
    assert message.startswith("terraform init failed (exit code 1):\n")
    assert message.endswith(
        "  Error: Invalid expression\n"
        '    on main.tf line 4, in resource "terraform_data" "broken":\n'
        "     4:   input =\n"
        "     5: }\n"
        "  Expected the start of an expression, but found an invalid expression token."
    )


def test_a_timeout_stops_terraform_and_its_children(
    tf_request: Callable[..., DriverRequest], journal: Any, tmp_path: Path
) -> None:
    pid_file = tmp_path / "sleeper.pid"
    request = tf_request("slow", {"pid_file": str(pid_file)}, timeout=5)

    with pytest.raises(DriverError) as failure:
        DRIVER.create(request, journal)

    assert str(failure.value).startswith("terraform apply timed out after ")
    assert_dies(int(pid_file.read_text()))
    assert leftovers(request.work_dir) == []


def assert_dies(pid: int) -> None:
    """The process is gone or a zombie soon; SIGKILL delivery is asynchronous, so poll
    (bounded) rather than assume."""
    status = Path(f"/proc/{pid}/stat")
    for _ in range(100):
        if not status.exists() or status.read_text().split(") ")[1].startswith("Z"):
            return
        time.sleep(0.1)
    pytest.fail(f"process {pid} outlived the timeout")


def test_secret_variables_never_reach_messages(
    tf_request: Callable[..., DriverRequest], journal: Any, tmp_path: Path
) -> None:
    fake = tmp_path / "fake-terraform"
    fake.write_text(f"#!/bin/sh\necho 'Error: the token is {TOKEN}' >&2\nexit 1\n")
    fake.chmod(0o755)
    request = tf_request("basic", {"name": "x"})
    request = request.model_copy(
        update={"inputs": {**request.inputs, "terraform_binary": str(fake)}}
    )

    with pytest.raises(DriverError) as failure:
        DRIVER.create(request, journal)

    assert str(failure.value) == (
        "terraform init failed (exit code 1):\n  Error: the token is (sensitive)"
    )


def test_delete_without_state_runs_nothing(
    tf_request: Callable[..., DriverRequest], journal: Any
) -> None:
    request = tf_request("invalid", action="delete")  # would fail if terraform ran

    DRIVER.delete(request, journal)

    assert journal.saved == []
    assert not request.work_dir.exists()


def test_delete_uses_the_last_copy_when_the_module_is_gone(
    tf_request: Callable[..., DriverRequest], journal: Any, tmp_path: Path
) -> None:
    module = tmp_path / "modules" / "basic"
    shutil.copytree(HERE / "tf_modules" / "basic", module)
    request = tf_request("basic", {"name": "x"}).model_copy(
        update={
            "source_dir": tmp_path,
            "inputs": {"source": "modules/basic", "variables": {"name": "x"}},
        }
    )
    result = DRIVER.create(request, journal)
    shutil.rmtree(module)

    DRIVER.delete(request.model_copy(update={"state": result.state, "action": "delete"}), journal)

    assert resources(journal.saved[-1]["tfstate"]) == []


@pytest.mark.parametrize(
    ("inputs", "secrets", "message"),
    [
        (
            {"source": "tf_modules/nope"},
            {},
            "module directory 'tf_modules/nope' does not exist",
        ),
        (
            {"source": "tf_modules/basic", "variables": {"token": "a", "name": "b"}},
            {"variables": {"token": TOKEN, "name": "c"}},
            "variables 'name', 'token' are set in both inputs and secrets",
        ),
        (
            {"source": "tf_modules/basic", "vars": {}},
            {},
            "invalid inputs: unknown input 'vars' (expected: source, terraform_binary, variables)",
        ),
        (
            {"source": "tf_modules/basic"},
            {"variables": [TOKEN]},
            "invalid secrets: secret 'variables': Input should be a valid dictionary",
        ),
    ],
)
def test_invalid_inputs(
    inputs: JsonObject,
    secrets: JsonObject,
    message: str,
    make_request: Callable[..., DriverRequest],
    journal: Any,
) -> None:
    request = make_request("terraform", inputs=inputs, secrets=secrets, source_dir=HERE)

    with pytest.raises(DriverError) as failure:
        DRIVER.create(request, journal)

    assert str(failure.value) == message


@pytest.mark.parametrize(("exists", "kept"), [(True, True), (False, False)])
def test_terraform_env_drops_a_missing_cli_config_file(
    exists: bool, kept: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "terraformrc"
    if exists:
        config.write_text("")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(config))

    env = terraform_env(tmp_path / ".terraform")

    assert ("TF_CLI_CONFIG_FILE" in env) is kept
    assert (env["TF_IN_AUTOMATION"], env["CHECKPOINT_DISABLE"]) == ("1", "1")


def test_variables_embedding_a_secret_are_all_secret(
    tf_request: Callable[..., DriverRequest], journal: Any
) -> None:
    # As if `token = "${resources.vault.outputs.token}"` sat in the definition's inputs.
    request = tf_request(
        "basic",
        {"name": "x", "token": TOKEN},
        secrets={},
        sensitive_inputs=frozenset({"variables"}),
    )

    result = DRIVER.create(request, journal)

    assert result.secrets["token"] == TOKEN
    plain = json.loads((request.work_dir / "module" / "terraform.tfvars.json").read_text())
    assert plain == {}
