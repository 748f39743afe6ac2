"""Glue between the command line and the facades: turn configuration and flags into
compiler `Sources`/`Target`, and open the state the way each command needs it."""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from orchc.compiler.state import InMemoryState, StateReader
from orchc.drivers.registry import DriverRegistry, default_registry
from orchc.runtime.state import StateUnavailableError, default_backends
from orchc.runtime.state.contract import StateStore

from .config import ProjectConfig, load_config

if TYPE_CHECKING:  # the pipeline loads the parser, which `orchc apply plan.json` never needs
    from orchc.compiler import pipeline
    from orchc.compiler.score.overrides import ScoreOverrides


class UsageProblem(Exception):
    """A missing or conflicting option, explained in the message (exit code 2)."""


_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def _check_id(what: str, value: str) -> None:
    """App and environment ids name output paths (`build/<app>/<env>`) and state rows:
    only lower-case letters, digits and '-' (so never `..`, `/` or a newline)."""
    if not _ID.fullmatch(value):
        from .shown import shown

        raise UsageProblem(
            f"invalid {what} id '{shown(value)}': use lower-case letters, digits and '-' "
            "(at most 63, starting and ending with a letter or digit)"
        )


def _from_root(root: Path, given: str) -> str:
    """A path given on the command line, relative to the project root (`..` when it is
    outside, which the confined read refuses)."""
    return Path(os.path.relpath(Path(given).absolute(), root)).as_posix()


@dataclass(frozen=True)
class Project:
    """The project a command works on: its orchc.toml and the installed drivers."""

    config: ProjectConfig
    drivers: DriverRegistry

    @classmethod
    def load(cls) -> Project:
        return cls(load_config(), default_registry())

    @property
    def root(self) -> Path:
        return self.config.root

    def sources(
        self,
        definitions: Path | None,
        score_files: tuple[Path, ...],
        use_defaults: bool = True,
        overrides: ScoreOverrides | None = None,
    ) -> pipeline.Sources:
        from orchc.compiler import pipeline
        from orchc.compiler.score.overrides import ScoreOverrides

        return pipeline.Sources(
            root=self.root,
            definitions=self.config.definitions_dir(definitions),
            score_files=self.config.score_files(score_files),
            use_defaults=use_defaults,
            overrides=overrides or ScoreOverrides(),
        )

    def score_overrides(
        self,
        overrides_files: tuple[str, ...] = (),
        override_properties: tuple[str, ...] = (),
        images: tuple[str, ...] = (),
    ) -> ScoreOverrides:
        """The command line's overrides (SPEC §12); a file is named relative to the
        working directory and kept relative to the project root."""
        from orchc.compiler.score.overrides import OverrideError, parse_options

        try:
            parsed = parse_options(overrides_files, override_properties, images)
        except OverrideError as error:
            raise UsageProblem(str(error)) from None
        files = tuple(
            dataclasses.replace(f, file=_from_root(self.root, f.file)) for f in parsed.files
        )
        return dataclasses.replace(parsed, files=files)

    def environment_overrides(self, overrides: ScoreOverrides, env: str) -> ScoreOverrides:
        """`overrides` after the overrides files orchc.toml names for `env`."""
        from orchc.compiler.score.overrides import OverridesFile

        given_by = f"orchc.toml [environments.{env}] overrides"
        files = [OverridesFile(w, f, given_by) for w, f in self.config.overrides_of(env)]
        return overrides.with_files(files) if files else overrides

    def app(self, flag: str | None) -> str:
        app = flag or self.config.app
        if not app:
            raise UsageProblem('no app given: pass --app NAME or set `app = "NAME"` in orchc.toml')
        return app

    def target(self, app: str | None, env: str, env_type: str | None = None) -> pipeline.Target:
        from orchc.compiler import pipeline

        chosen = self.app(app)
        _check_id("app", chosen)
        _check_id("environment", env)
        return pipeline.Target(app=chosen, env=env, env_type=env_type)

    def compile(
        self,
        definitions: Path | None,
        score_files: tuple[Path, ...],
        overrides: ScoreOverrides | None = None,
    ) -> pipeline.Compilation:
        from orchc.compiler import pipeline

        sources = self.sources(definitions, score_files, overrides=overrides)
        return pipeline.read(sources, self.drivers)

    def compilations(
        self,
        definitions: Path | None,
        score_files: tuple[Path, ...],
        overrides: ScoreOverrides | None = None,
    ) -> EnvironmentCompilations:
        """The sources compiled as each environment sees them (its orchc.toml overrides)."""
        sources = self.sources(definitions, score_files, overrides=overrides)
        return EnvironmentCompilations(self, sources)

    def state_reader(self, url_flag: str | None) -> StateReader:
        """The state to plan against; a SQLite file that does not exist yet is empty
        state (planning never creates it)."""
        url = self.config.state_url(url_flag)
        backend = default_backends().backend(url)
        if not backend.exists(url, self.root):
            return InMemoryState()
        return backend.open(url, self.root)

    def state_exists(self, url_flag: str | None) -> bool:
        """Whether the state is there already (a SQLite file that does not exist is not)."""
        url = self.config.state_url(url_flag)
        return default_backends().backend(url).exists(url, self.root)

    def state_store(self, url_flag: str | None) -> StateStore:
        return default_backends().open(self.config.state_url(url_flag), self.root)

    def existing_state_store(self, url_flag: str | None) -> StateStore:
        """The store, for commands that only read or repair it: a SQLite file that does
        not exist is not created."""
        url = self.config.state_url(url_flag)
        backend = default_backends().backend(url)
        if not backend.exists(url, self.root):
            where = backend.location(url, self.root)
            raise StateUnavailableError(f"no state at {where}: nothing has been applied here yet")
        return backend.open(url, self.root)


@dataclass(frozen=True)
class EnvironmentCompilations:
    """A project's sources compiled once, and once more for each environment to which
    orchc.toml gives overrides (SPEC §12). `plan`, `impact`, `check --env` and `explain`
    all compile through here, so each sees an environment's Score files as `plan` does."""

    project: Project
    sources: pipeline.Sources

    @cached_property
    def shared(self) -> pipeline.Compilation:
        """Without any environment's overrides (the command line's only)."""
        from orchc.compiler import pipeline

        return pipeline.read(self.sources, self.project.drivers)

    def of(self, env: str) -> pipeline.Compilation:
        from orchc.compiler import pipeline

        given = self.sources.overrides
        overrides = self.project.environment_overrides(given, env)
        if overrides is given:
            return self.shared
        sources = dataclasses.replace(self.sources, overrides=overrides)
        return pipeline.read(sources, self.project.drivers)
