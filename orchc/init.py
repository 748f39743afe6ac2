"""`orchc init`: scaffold a project that plans and applies right away.

It writes `orchc.toml`, `definitions/` with the environments `dev` (type
`development`, a Compose file), `staging` (type `staging`) and `prod` (type
`production`, both Kubernetes manifests) and their targets, a `.gitignore` for the
state, and a sample `score.yaml` (unless the folder has Score files already: it
would join their app as a stray workload). The definitions declare environments and
targets only: the resources workloads ask for come from orchc's defaults, which the
comments show how to override.

Invariants: an existing file is never touched, not even rewritten with the same
bytes (it is reported as kept), so running `init` again changes nothing; a file is
either written whole or not at all (written beside, then hard-linked into place,
which fails if something appeared meanwhile). The templates are files under
`defaults/scaffold/` (package `orchc.defaults`) named with a `.tmpl` suffix, so the
defaults reader never takes them for default definitions.
"""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath

from .config import ProjectConfig

DEFINITIONS_DIR = "definitions"
SAMPLE_SCORE = "score.yaml"
APP_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\Z")
_APP_PLACEHOLDER = "{app}"
_FALLBACK_APP = "app"

# (path in the project, template under scaffold/), in the order they are reported.
_PROJECT_FILES = (
    ("orchc.toml", "orchc.toml.tmpl"),
    (".gitignore", "gitignore.tmpl"),
    (f"{DEFINITIONS_DIR}/dev.orch", "definitions/dev.orch.tmpl"),
    (f"{DEFINITIONS_DIR}/staging.orch", "definitions/staging.orch.tmpl"),
    (f"{DEFINITIONS_DIR}/prod.orch", "definitions/prod.orch.tmpl"),
)
_SAMPLE_FILE = (SAMPLE_SCORE, "score.yaml.tmpl")


class InvalidAppName(ValueError):
    """An `--app` that cannot name an app (it ends up in Compose project names)."""


class Outcome(enum.Enum):
    """What `init` did with one file; the values are what the CLI prints."""

    CREATED = "created"
    KEPT = "exists, kept"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class ScaffoldFile:
    """One file to write: its path relative to the project root, and its text."""

    path: PurePosixPath
    text: str


@dataclass(frozen=True, slots=True)
class Written:
    """The outcome for one scaffold file."""

    path: PurePosixPath
    outcome: Outcome
    reason: str = ""

    def describe(self) -> str:
        """
        >>> Written(PurePosixPath("orchc.toml"), Outcome.KEPT).describe()
        'exists, kept  orchc.toml'
        >>> Written(PurePosixPath("score.yaml"), Outcome.SKIPPED, "no need").describe()
        'skipped       score.yaml (no need)'
        """
        line = f"{self.outcome.value:<13} {self.path}"
        return f"{line} ({self.reason})" if self.reason else line


def app_name_for(folder_name: str) -> str:
    """An app id derived from a folder name: lowercase letters, digits and single
    dashes, as Compose project and Kubernetes names need.

    >>> app_name_for("My_Shop 2")
    'my-shop-2'
    >>> app_name_for("--")
    'app'
    """
    name = re.sub(r"[^a-z0-9]+", "-", folder_name.lower()).strip("-")
    return name or _FALLBACK_APP


def check_app_name(app: str) -> str:
    """`app` itself when it is a valid app id, else `InvalidAppName`.

    >>> check_app_name("shop")
    'shop'
    >>> check_app_name("Shop")
    Traceback (most recent call last):
    ...
    orchc.init.InvalidAppName: invalid app name 'Shop': use a-z, 0-9 and '-' (not at either end)
    """
    if not APP_ID.match(app):
        raise InvalidAppName(f"invalid app name {app!r}: use a-z, 0-9 and '-' (not at either end)")
    return app


def scaffold_files(app: str, sample: bool = True) -> tuple[ScaffoldFile, ...]:
    """The files of a new project for `app`, the sample Score file last if wanted."""
    wanted = (*_PROJECT_FILES, _SAMPLE_FILE) if sample else _PROJECT_FILES
    return tuple(
        ScaffoldFile(PurePosixPath(path), _template(name).replace(_APP_PLACEHOLDER, app))
        for path, name in wanted
    )


def _template(name: str) -> str:
    folder = resources.files("orchc.defaults").joinpath("scaffold")
    return folder.joinpath(*name.split("/")).read_text(encoding="utf-8")


def write_scaffold(root: Path, files: tuple[ScaffoldFile, ...]) -> list[Written]:
    """Write each file under `root` unless it already exists; what happened to each."""
    return [Written(file.path, _write_new(root / file.path, file.text)) for file in files]


def _write_new(path: Path, text: str) -> Outcome:
    if path.exists() or path.is_symlink():
        return Outcome.KEPT
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    try:
        os.link(partial, path)  # unlike a rename, never replaces an existing file
    except FileExistsError:
        return Outcome.KEPT
    finally:
        partial.unlink()
    return Outcome.CREATED


def init_project(root: Path, app: str | None = None, sample: bool = True) -> list[Written]:
    """Scaffold a project in `root`: the facade behind `orchc init`. The app id is
    `app` (checked) or derived from the folder's name; it only matters when
    `orchc.toml` is new."""
    app_id = check_app_name(app) if app is not None else app_name_for(root.resolve().name)
    others = _other_workloads(root) if sample else ()
    written = write_scaffold(root, scaffold_files(app_id, sample and not others))
    if others:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        reason = f"the folder has Score files already: {shown}"
        written.append(Written(PurePosixPath(SAMPLE_SCORE), Outcome.SKIPPED, reason))
    return written


def _other_workloads(root: Path) -> tuple[str, ...]:
    """The Score files the default `workloads` globs find in `root`, when there is no
    `score.yaml` at its top (that one is reported as kept instead)."""
    folder = root.resolve()
    if (folder / SAMPLE_SCORE).exists():
        return ()
    found = ProjectConfig(root=folder).score_files(())
    return tuple(path.relative_to(folder).as_posix() for path in found)
