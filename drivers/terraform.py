"""The `terraform` driver: applies a Terraform module; its outputs become the resource's.

Invariants:
- orchc keeps Terraform's state: `state["tfstate"]` is the parsed `terraform.tfstate`.
  Each run writes it into a fresh copy of the module under `work_dir/module` (unless a
  state left there by a crash is newer, by `serial`), forces the local backend onto it,
  and after `apply`/`destroy` - failed or not - reads it back, saves it through the
  journal at once, and only then removes the local copy. So any machine holding the
  orchc state can update or destroy, and a crash never forgets what Terraform made.
- A local state Terraform left damaged (it writes its state file in place, truncate
  then write, so a SIGKILL in between leaves it empty or cut) is never used and never
  fails a run: it is moved aside to `work_dir/terraform.tfstate.damaged` and the last
  good state (orchc's journal) is used. Terraform stopped by SIGTERM (a timeout, or
  orchc dying: `_process.py`) writes a complete state first.
- Sensitive variables go to a 0600 `orchc-secrets.<run>.auto.tfvars.json` removed in
  a `finally`; their values are scrubbed from error messages; outputs marked
  `sensitive` become secrets. `<run>` is the orchc run that wrote it (its marker,
  `run_processes.this_run`, with `_` for `/`): a file left by a run that died (SIGKILL
  leaves no `finally`) is removed by the next terraform call in the project, whichever
  resource it is for, and only such a file. The owner is in the file's own name, so a
  run that decided a file is abandoned can never remove another one that a live run
  wrote at the same place meanwhile (two environments applying at once share the
  project's work directory).
- Every Terraform command shares the resource's timeout; on expiry the process group
  is stopped (SIGTERM, so Terraform can persist its state, then SIGKILL).
- `delete` with no state runs nothing; if the module directory is gone, it destroys
  with the copy kept from the last run on this machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from orchc.drivers._process import CompletedRun, run_process, stderr_tail
from orchc.drivers.input_blocks import StrictBlock, parse_block
from orchc.drivers.protocol import (
    DriverError,
    DriverRequest,
    DriverResult,
    Journal,
    JsonObject,
    NullJournal,
    Observation,
    strings_in,
)
from orchc.run_processes import run_is_alive, this_run

STATE_FILE = "terraform.tfstate"
PLAIN_VARIABLES_FILE = "terraform.tfvars.json"
SECRETS_PREFIX = "orchc-secrets."
SECRETS_SUFFIX = ".auto.tfvars.json"
DAMAGED_STATE_FILE = f"{STATE_FILE}.damaged"
BACKEND_OVERRIDE_FILE = "orchc_backend_override.tf.json"
# What a module copy must not carry over from the source: Terraform's own working files.
_NOT_COPIED = frozenset(
    {".terraform", STATE_FILE, f"{STATE_FILE}.backup", ".terraform.tfstate.lock.info", ".orchc"}
)


class TerraformInputs(StrictBlock):
    source: str
    variables: JsonObject = Field(default_factory=dict)
    terraform_binary: str = "terraform"


class TerraformSecrets(StrictBlock):
    variables: JsonObject = Field(default_factory=dict)


class TerraformDriver:
    """Runs `terraform apply` on create and `terraform destroy` on delete."""

    replace_inputs: ClassVar[frozenset[str]] = frozenset({"source"})

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult:
        remove_abandoned_secrets(request.work_dir.parent)
        workspace = Workspace.prepare(request)
        workspace.sync_journal(journal)
        workspace.copy_module()
        with workspace.session(journal):
            workspace.terraform("init", "-input=false", "-no-color", "-reconfigure")
            workspace.terraform("apply", "-auto-approve", "-input=false", "-no-color")
            outputs = workspace.outputs()
        values = {name: out["value"] for name, out in outputs.items() if not out["sensitive"]}
        secrets = {name: out["value"] for name, out in outputs.items() if out["sensitive"]}
        return DriverResult(outputs=values, secrets=secrets, state=workspace.state())

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        remove_abandoned_secrets(request.work_dir.parent)
        workspace = Workspace.prepare(request)
        if workspace.tfstate is not None:  # else nothing was ever applied
            workspace.sync_journal(journal)
            workspace.copy_module()
            with workspace.session(journal):
                workspace.terraform("init", "-input=false", "-no-color", "-reconfigure")
                workspace.terraform("destroy", "-auto-approve", "-input=false", "-no-color")
        shutil.rmtree(request.work_dir, ignore_errors=True)

    def observe(self, request: DriverRequest) -> Observation:
        """Drift: `terraform plan -refresh-only -detailed-exitcode` (exit 2: what
        exists differs from Terraform's state). Nothing is applied, and the state
        orchc holds is not changed."""
        remove_abandoned_secrets(request.work_dir.parent)
        workspace = Workspace.prepare(request)
        if workspace.tfstate is None:
            return Observation(drift="no Terraform state recorded: nothing was ever applied")
        workspace.copy_module()
        with workspace.session(NullJournal()):
            workspace.terraform("init", "-input=false", "-no-color", "-reconfigure")
            run = workspace.terraform(
                "plan",
                "-refresh-only",
                "-detailed-exitcode",
                "-input=false",
                "-no-color",
                check=False,
            )
        if run.returncode == 0:
            return Observation()
        if run.returncode == 2:
            return Observation(drift=refresh_summary(run.stdout))
        raise DriverError(f"terraform plan -refresh-only failed{workspace.tail(run)}")


def refresh_summary(stdout: bytes) -> str:
    """What `terraform plan -refresh-only` says changed outside Terraform: the objects,
    and the names (never the values) of the outputs that would change.

    >>> refresh_summary(b'  # aws_s3_bucket.b has been deleted\\n  ~ url = "a" -> "b"\\n')
    'terraform: aws_s3_bucket.b has been deleted, output url changed'
    >>> refresh_summary(b"Objects have changed outside of Terraform")
    'terraform: objects have changed outside of Terraform'
    """
    found = []
    for line in stdout.decode("utf-8", errors="replace").splitlines():
        text = line.strip()
        if text.startswith("# ") and text.endswith(("deleted", "changed")):
            found.append(text.removeprefix("# "))
        elif match := _OUTPUT_CHANGE.match(line):
            found.append(f"output {match[1]} changed")
    return "terraform: " + (", ".join(found) or "objects have changed outside of Terraform")


_OUTPUT_CHANGE = re.compile(r"^  [~+-] ([A-Za-z0-9_-]+) +=")


@dataclass
class Workspace:
    """A resource's private Terraform working directory and what runs in it."""

    request: DriverRequest
    inputs: TerraformInputs
    secret_variables: JsonObject
    deadline: float | None
    journaled: JsonObject | None  # the Terraform state orchc holds
    tfstate: JsonObject | None  # the newest Terraform state known
    env: dict[str, str] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.request.work_dir

    @property
    def module_dir(self) -> Path:
        return self.root / "module"

    @classmethod
    def prepare(cls, request: DriverRequest) -> Workspace:
        """Parse the inputs and pick the newest Terraform state; touches no file but
        a damaged local state, which it moves aside."""
        inputs = parse_block(TerraformInputs, request.inputs, "inputs")
        secrets = parse_block(TerraformSecrets, request.secrets, "secrets")
        _refuse_shared_variables(inputs.variables, secrets.variables)
        if "variables" in request.sensitive_inputs:
            # Some variable embeds another resource's secret: treat them all as secret.
            secrets = TerraformSecrets(variables={**inputs.variables, **secrets.variables})
            inputs = inputs.model_copy(update={"variables": {}})
        stored = request.state.get("tfstate")
        journaled = stored if isinstance(stored, dict) else None
        local = read_local_state(request.work_dir)
        return cls(
            request=request,
            inputs=inputs,
            secret_variables=secrets.variables,
            deadline=None if request.timeout is None else time.monotonic() + request.timeout,
            journaled=journaled,
            tfstate=newest_state(journaled, local),
            env=terraform_env(request.work_dir / ".terraform"),
        )

    def copy_module(self) -> None:
        """A fresh copy of the module in the private work dir, so files removed from
        the module disappear here too. On delete, a module directory that is gone
        falls back to the last copy."""
        source = self.request.source_dir / self.inputs.source
        _make_private_dir(self.root)
        if not source.is_dir():
            if self.request.action == "delete" and self.module_dir.is_dir():
                return
            raise DriverError(f"module directory '{self.inputs.source}' does not exist")
        shutil.rmtree(self.module_dir, ignore_errors=True)
        shutil.copytree(source, self.module_dir, ignore=_ignore_for_copy(self.root))

    @contextmanager
    def session(self, journal: Journal) -> Iterator[None]:
        """The state and variable files exist inside this block only; on the way out,
        whatever happened, Terraform's state is read back and journaled."""
        _write_private_json(self.module_dir / BACKEND_OVERRIDE_FILE, _LOCAL_BACKEND)
        if self.tfstate is not None:
            _write_private_json(self.module_dir / STATE_FILE, self.tfstate)
        _write_private_json(self.module_dir / PLAIN_VARIABLES_FILE, self.inputs.variables)
        secret_file = self.module_dir / secret_variables_file(this_run())
        _write_private_json(secret_file, self.secret_variables)
        try:
            yield
        finally:
            secret_file.unlink(missing_ok=True)
            self._capture_state(journal)

    def terraform(self, *args: str, check: bool = True) -> CompletedRun:
        return run_process(
            [self.inputs.terraform_binary, *args],
            cwd=self.module_dir,
            env=self.env,
            timeout=self._remaining(),
            check=check,
            label=f"terraform {args[0]}",
            redact_values=strings_in(self.secret_variables),
        )

    def tail(self, run: CompletedRun) -> str:
        return stderr_tail(run.stderr, strings_in(self.secret_variables))

    def outputs(self) -> dict[str, JsonObject]:
        """`terraform output -json`: name -> {"value", "type", "sensitive"}."""
        run = self.terraform("output", "-json", "-no-color")
        try:
            outputs: dict[str, JsonObject] = json.loads(run.stdout)
        except ValueError as error:
            raise DriverError(f"terraform output -json printed invalid JSON: {error}") from None
        return outputs

    def state(self) -> JsonObject:
        return {} if self.tfstate is None else {"tfstate": self.tfstate}

    def sync_journal(self, journal: Journal) -> None:
        """Save the newest Terraform state through the journal unless orchc has it
        already (a state recovered from a crash is saved before anything else runs)."""
        if self.tfstate != self.journaled:
            journal.save_state(self.state())
            self.journaled = self.tfstate

    def _remaining(self) -> float | None:
        if self.deadline is None:
            return None
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            timeout = self.request.timeout or 0
            raise DriverError(f"terraform ran out of time (the resource's timeout: {timeout:g}s)")
        return remaining

    def _capture_state(self, journal: Journal) -> None:
        local = self.module_dir / STATE_FILE
        captured = read_local_state(self.root)
        if captured is not None:
            self.tfstate = captured
        self.sync_journal(journal)
        # Only once the journal holds it may the local copy go; if saving raised, the
        # copy stays for the next run to find (it is newer than orchc's).
        for leftover in (local, local.with_name(f"{STATE_FILE}.backup")):
            leftover.unlink(missing_ok=True)


_LOCAL_BACKEND: JsonObject = {"terraform": {"backend": {"local": {"path": STATE_FILE}}}}


def newest_state(stored: object, local: JsonObject | None) -> JsonObject | None:
    """orchc's copy of the Terraform state, unless a local one left by a crash is newer.

    >>> newest_state({"serial": 3}, {"serial": 5})
    {'serial': 5}
    >>> newest_state({"serial": 3}, {"serial": 2}), newest_state(None, None)
    ({'serial': 3}, None)
    """
    stored_state = stored if isinstance(stored, dict) else None
    if local is None:
        return stored_state
    if stored_state is None or local.get("serial", 0) > stored_state.get("serial", 0):
        return local
    return stored_state


def read_local_state(work_dir: Path) -> JsonObject | None:
    """The Terraform state left in the module copy, if any and complete. A damaged one
    (empty, cut short, not a JSON object: Terraform was killed while writing it) is
    moved aside to `DAMAGED_STATE_FILE` and reads as none."""
    path = work_dir / "module" / STATE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise DriverError(f"cannot read Terraform state {path.name}: {error}") from None
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, dict):
        return value
    path.replace(work_dir / DAMAGED_STATE_FILE)
    return None


_swept: set[Path] = set()


def secret_variables_file(run: str) -> str:
    """The name of the secret variables file of orchc run `run` (a run marker).

    >>> name = secret_variables_file("4711/0f3c-9a/123")
    >>> name, secrets_owner(name), secrets_owner("orchc-secrets.auto.tfvars.json")
    ('orchc-secrets.4711_0f3c-9a_123.auto.tfvars.json', '4711/0f3c-9a/123', None)
    """
    return f"{SECRETS_PREFIX}{run.replace('/', '_')}{SECRETS_SUFFIX}"


def secrets_owner(name: str) -> str | None:
    """The run a secret variables file name names; None for any other name (the
    `orchc-secrets.auto.tfvars.json` and `orchc-secrets.owner` of older orchc)."""
    if not (name.startswith(SECRETS_PREFIX) and name.endswith(SECRETS_SUFFIX)):
        return None
    run = name[len(SECRETS_PREFIX) : -len(SECRETS_SUFFIX)]
    return run.replace("_", "/") if run else None


def remove_abandoned_secrets(work_root: Path) -> None:
    """Remove the secret variable files that runs which died left in any resource's work
    dir under `work_root` (once per process and root). A file whose run still goes on
    (another environment's apply, or this run) stays; the files of older orchc, which
    name no run, go."""
    if work_root in _swept:
        return
    _swept.add(work_root)
    for secret_file in work_root.glob(f"*/module/{SECRETS_PREFIX}*"):
        owner = secrets_owner(secret_file.name)
        if owner is None or not run_is_alive(owner):
            secret_file.unlink(missing_ok=True)


def terraform_env(data_dir: Path) -> dict[str, str]:
    """The environment Terraform runs in: non-interactive, no update checks, its data
    dir outside the module copy (so provider caches survive), and no CLI config file
    setting that points at a missing file (Terraform warns on every command)."""
    env = dict(os.environ)
    env.update(
        TF_IN_AUTOMATION="1", TF_INPUT="0", CHECKPOINT_DISABLE="1", TF_DATA_DIR=str(data_dir)
    )
    config = env.get("TF_CLI_CONFIG_FILE")
    if config is not None and not Path(config).is_file():
        del env["TF_CLI_CONFIG_FILE"]
    return env


def _refuse_shared_variables(plain: JsonObject, secret: JsonObject) -> None:
    if shared := sorted(plain.keys() & secret.keys()):
        names = ", ".join(f"'{name}'" for name in shared)
        raise DriverError(f"variables {names} are set in both inputs and secrets")


def _ignore_for_copy(work_dir: Path) -> Callable[[str, list[str]], set[str]]:
    """A `copytree` filter: Terraform's working files, and the work dir itself when it
    lives inside the module (e.g. `source = "."`), which would copy into itself."""
    resolved = work_dir.resolve()

    def ignore(directory: str, names: list[str]) -> set[str]:
        nested = {
            name for name in names if resolved.is_relative_to(Path(directory, name).resolve())
        }
        return nested | (_NOT_COPIED & set(names))

    return ignore


def _make_private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def _write_private_json(path: Path, value: object) -> None:
    """Write `value` as JSON to a file only its owner can read, created that way (never
    readable by others, even for an instant)."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(value, file, indent=2, sort_keys=True)
