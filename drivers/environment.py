"""The `environment` driver: outputs read from a `.env` file, or from orchc's own
environment for the variables the platform allows.

For Score's `environment` resource type: a workload that says `${resources.env.NAME}`
gets the value of the variable `NAME`. The outputs are open-ended, so the driver
returns exactly the ones other resources and workloads read
(`DriverRequest.requested_outputs`, computed by the compiler), each from orchc's process
environment when the input `process_variables` allows it and it is set there, else from
the `.env` file (input `env_file`, default `.env`, inside the project root; a missing
file is only a problem when a key is missing too). See `environment_sources.py` for why
orchc's environment is closed by default. A key found in neither is an error naming it
and every place looked in, except for a Compose target (input `target_kind =
"compose"`): there a workload's variables read the environment where the workload
starts (`${NAME}`, interpolated by `docker compose up`, see `runtime/deferred.py`), so
the values found are returned and a missing one is no error (a file or param that reads
it fails at deploy, naming it and saying how to provide it: `unset_at_apply`).

Invariants: every value is returned as a secret (environment values are often
credentials), so it reaches workloads only through secret channels; no message quotes
a value, nor says whether a variable the allow list does not cover is set. Nothing is
created, so `delete` does nothing and no input forces a replace.

>>> import os
>>> from pathlib import Path
>>> from orchc.drivers.protocol import NullJournal, DriverRequest
>>> os.environ["ORCHC_DOCTEST_GREETING"] = "hello"
>>> request = DriverRequest.model_validate({
...     "action": "create", "uid": "environment.default#env", "type": "environment",
...     "class": "default", "id": "env", "guid": "g1", "definition": "env",
...     "context": {"app": "shop", "env": "dev", "env_type": "development"},
...     "inputs": {"process_variables": ["ORCHC_DOCTEST_*"], "target_kind": "compose"},
...     "requested_outputs": ["ORCHC_DOCTEST_GREETING", "HOME"],
...     "source_dir": Path("."), "project_root": Path("/nonexistent"), "work_dir": Path("."),
... })
>>> EnvironmentDriver().create(request, NullJournal()).secrets
{'ORCHC_DOCTEST_GREETING': 'hello'}
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from orchc.drivers.environment_sources import (
    DEFAULT_ENV_FILE,
    PROCESS_VARIABLES_INPUT,
    EnvFile,
    ProcessVariables,
    allow_hint,
    read_variables,
    refusal,
)
from orchc.drivers.input_blocks import StrictBlock, parse_block
from orchc.drivers.protocol import DriverError, DriverRequest, DriverResult, Journal


class EnvironmentInputs(StrictBlock):
    env_file: str = Field(default=DEFAULT_ENV_FILE, min_length=1)
    process_variables: list[str] = Field(default_factory=list)  # patterns, see above
    target_kind: str = ""  # the target's `kind` output; "compose" reads values at `up`


class EnvironmentDriver:
    """Returns the requested variables, from a `.env` file or the allowed ones of
    orchc's own environment."""

    replace_inputs: ClassVar[frozenset[str]] = frozenset()

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult:
        inputs = parse_block(EnvironmentInputs, request.inputs, "inputs")
        allowed = _allowed(inputs)
        keys, root = request.requested_outputs, request.project_root
        found, env_file = read_variables(keys, allowed, root, inputs.env_file)
        if env_file is not None and inputs.target_kind != "compose":
            _check_found(sorted(keys - found.keys()), env_file, allowed)
        return DriverResult(secrets=found)

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        return None


def _allowed(inputs: EnvironmentInputs) -> ProcessVariables:
    try:
        return ProcessVariables.parse(inputs.process_variables)
    except ValueError as error:
        raise DriverError(f"invalid inputs: input '{PROCESS_VARIABLES_INPUT}': {error}") from None


def _check_found(keys: list[str], env_file: EnvFile, allowed: ProcessVariables) -> None:
    """Raise naming the `keys` found nowhere, and every place looked in."""
    absent = [key for key in keys if key not in env_file.values]
    refused = [key for key in absent if not allowed.allows(key)]
    if refused:
        raise DriverError(f"{refusal(refused, env_file)}: {allow_hint(refused, allowed)}")
    if absent:
        names = ", ".join(absent)
        noun = "variable" if len(absent) == 1 else "variables"
        raise DriverError(
            f"{noun} {names} not set: looked in orchc's environment and in "
            f"{env_file.shown_as}{env_file.why_not}"
        )
