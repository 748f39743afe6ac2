"""The `environment` driver: outputs read from orchc's environment or a `.env` file.

For Score's `environment` resource type: a workload that says `${resources.env.NAME}`
gets the value of the variable `NAME`. The outputs are open-ended, so the driver
returns exactly the ones other resources and workloads read
(`DriverRequest.requested_outputs`, computed by the compiler), each from the process
environment if it is set there, else from the `.env` file (input `env_file`, default
`.env`, relative to the project root; a missing file is only a problem when a key is
missing too). A key found in neither is an error naming it and every place looked in,
except for a Compose target (input `target_kind = "compose"`): there a workload's
variables read the environment where the workload starts (`${NAME}`, interpolated by
`docker compose up`, see `runtime/deferred.py`), so the values found are returned and a
missing one is no error (a file or param that reads it fails at deploy, naming it).

Invariants: every value is returned as a secret (environment values are often
credentials), so it reaches workloads only through secret channels; no message quotes
a value. Nothing is created, so `delete` does nothing and no input forces a replace.

>>> import os
>>> from pathlib import Path
>>> from orchc.drivers.protocol import NullJournal, DriverRequest
>>> os.environ["ORCHC_DOCTEST_GREETING"] = "hello"
>>> request = DriverRequest.model_validate({
...     "action": "create", "uid": "environment.default#env", "type": "environment",
...     "class": "default", "id": "env", "guid": "g1", "definition": "env",
...     "context": {"app": "shop", "env": "dev", "env_type": "development"},
...     "requested_outputs": ["ORCHC_DOCTEST_GREETING"],
...     "source_dir": Path("."), "project_root": Path("."), "work_dir": Path("."),
... })
>>> EnvironmentDriver().create(request, NullJournal()).secrets
{'ORCHC_DOCTEST_GREETING': 'hello'}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from orchc.drivers._dotenv import parse_dotenv
from orchc.drivers.input_blocks import StrictBlock, parse_block
from orchc.drivers.protocol import DriverError, DriverRequest, DriverResult, Journal

DEFAULT_ENV_FILE = ".env"


class EnvironmentInputs(StrictBlock):
    env_file: str = Field(default=DEFAULT_ENV_FILE, min_length=1)
    target_kind: str = ""  # the target's `kind` output; "compose" reads values at `up`


class EnvironmentDriver:
    """Returns the requested variables, from the process environment or a `.env` file."""

    replace_inputs: ClassVar[frozenset[str]] = frozenset()

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult:
        inputs = parse_block(EnvironmentInputs, request.inputs, "inputs")
        wanted = sorted(request.requested_outputs)
        found = {key: os.environ[key] for key in wanted if key in os.environ}
        missing = [key for key in wanted if key not in found]
        if missing:
            from_file = _EnvFile(request.project_root, inputs.env_file)
            found |= from_file.lookup(missing, required=inputs.target_kind != "compose")
        return DriverResult(secrets=found)

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        return None


class _EnvFile:
    """The `.env` file, read only when a key is missing from the process environment."""

    def __init__(self, project_root: Path, env_file: str) -> None:
        self.path = project_root / env_file
        self.shown_as = env_file

    def lookup(self, keys: list[str], required: bool) -> dict[str, str]:
        """The values of `keys` found in the file; one missing is an error if `required`."""
        values, why_not = self._read()
        missing = [key for key in keys if key not in values]
        if missing and required:
            names = ", ".join(missing)
            noun = "variable" if len(missing) == 1 else "variables"
            raise DriverError(
                f"{noun} {names} not set: looked in orchc's environment and in "
                f"{self.shown_as}{why_not}"
            )
        return {key: values[key] for key in keys if key in values}

    def _read(self) -> tuple[Mapping[str, str], str]:
        """(the file's variables, why there are none: "" when it was read)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}, " (no such file)"
        except UnicodeDecodeError:
            return {}, " (not UTF-8 text)"
        except OSError as error:
            return {}, f" (cannot read it: {error.strerror or type(error).__name__})"
        return parse_dotenv(text, self.shown_as), ""
