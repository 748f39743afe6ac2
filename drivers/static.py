"""The `static` driver: a resource whose outputs are written in the definition.

For things that already exist (a shared database, an external API) and only need to be
described. `inputs` become outputs and `secrets` become secret outputs; an input that
embeds another resource's secret output (named in `sensitive_inputs`) is returned as a
secret too, so a secret never leaks into plain outputs by being passed through. Nothing
is created, so `delete` does nothing and no input forces a replace.

>>> from pathlib import Path
>>> from orchc.drivers.protocol import NullJournal, DriverRequest
>>> request = DriverRequest.model_validate({
...     "action": "create", "uid": "api.default#pay", "type": "api", "class": "default",
...     "id": "pay", "guid": "g1", "definition": "pay-api",
...     "context": {"app": "shop", "env": "dev", "env_type": "development"},
...     "inputs": {"url": "https://pay.example"}, "secrets": {"token": "t0k"},
...     "source_dir": Path("."), "project_root": Path("."), "work_dir": Path("."),
... })
>>> result = StaticDriver().create(request, NullJournal())
>>> result.outputs, result.secrets
({'url': 'https://pay.example'}, {'token': 't0k'})
"""

from __future__ import annotations

from typing import ClassVar

from orchc.drivers.protocol import DriverError, DriverRequest, DriverResult, Journal


class StaticDriver:
    """Returns the definition's values as the resource's outputs."""

    replace_inputs: ClassVar[frozenset[str]] = frozenset()
    runs_inline: ClassVar[bool] = True  # it only copies dictionaries

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult:
        clashes = sorted(request.inputs.keys() & request.secrets.keys())
        if clashes:
            # One name cannot be both a plain and a secret output: consumers reference
            # outputs by name alone, so which one they got would be a guess.
            raise DriverError(f"{_names(clashes)} set in both inputs and secrets")
        sensitive = request.sensitive_inputs
        return DriverResult(
            outputs={k: v for k, v in request.inputs.items() if k not in sensitive},
            secrets={k: v for k, v in request.inputs.items() if k in sensitive} | request.secrets,
        )

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        return None


def _names(names: list[str]) -> str:
    quoted = ", ".join(repr(name) for name in names)
    return f"output {quoted} is" if len(names) == 1 else f"outputs {quoted} are"
