"""What the compiler reads of a driver's declaration (SPEC §11), as protocols: the
driver registry returns `orchc.drivers.declarations.DriverDeclaration`s, and the
compiler never imports the drivers (dependencies point one way)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Protocol


class DeclaredInput(Protocol):
    """One declared input; `secret` ones belong in the `secrets` block."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def required(self) -> bool: ...

    @property
    def secret(self) -> bool: ...


class DeclaredDriver(Protocol):
    @property
    def inputs(self) -> tuple[DeclaredInput, ...]: ...

    @property
    def open_inputs(self) -> bool: ...

    @property
    def open_secrets(self) -> bool: ...

    @property
    def template_inputs(self) -> tuple[str, ...]: ...

    def output_names(
        self, inputs: Mapping[str, object], secrets: Mapping[str, object]
    ) -> frozenset[str] | None: ...

    @property
    def interpolates_environment(self) -> bool: ...

    def refused_outputs(
        self, inputs: Mapping[str, object], keys: Collection[str], project_root: Path
    ) -> Mapping[str, tuple[str, str]]: ...

    def input_error(self, name: str, value: object) -> str | None: ...

    def template_error(self, text: str) -> tuple[int, str] | None: ...
