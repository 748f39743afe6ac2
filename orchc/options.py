"""Options and error handling shared by the orchc commands."""

from __future__ import annotations

import functools
import os
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from orchc.runtime.state.contract import LockedError

F = TypeVar("F", bound=Callable[..., Any])


def user_error_types() -> tuple[type[Exception], ...]:
    """The errors a command prints as one `orchc: error:` line. Imported when an error
    is being reported, not before: `orchc --version` must not load the modules that
    define them (tests/test_imports.py)."""
    from orchc.compiler.plan import PlanFileError
    from orchc.compiler.uid import UidError
    from orchc.drivers.registry import DriverLoadError, UnknownDriverError
    from orchc.runtime.drift import ObserveError
    from orchc.runtime.preflight import PreflightError
    from orchc.runtime.state.contract import StaleStateError
    from orchc.runtime.state.errors import StateStoreError

    from .config import ConfigError

    return (
        PreflightError,
        ObserveError,
        ConfigError,
        PlanFileError,
        StateStoreError,
        StaleStateError,
        UidError,
        DriverLoadError,
        UnknownDriverError,
        OSError,
    )


def fail(message: str, code: int = 1) -> None:
    click.echo(f"orchc: error: {message}", err=True)
    sys.exit(code)


def user_errors(command: F) -> F:
    """Print user errors as diagnostics or one line, with the right exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = command(*args, **kwargs)
            sys.stdout.flush()  # a closed pipe is seen here, not at interpreter exit
            return result
        except BrokenPipeError:
            quiet_broken_pipe()
        except Exception as error:
            report_user_error(error)
            raise

    return wrapper  # type: ignore[return-value]


def report_user_error(error: Exception) -> None:
    """Print a user error and exit with its code; return (for the caller to re-raise)
    when `error` is a bug, not a user error."""
    from orchc.grammar.diagnostics import DiagnosticError
    from orchc.runtime.state.contract import LockedError

    from .project import UsageProblem

    if isinstance(error, DiagnosticError):
        click.echo(error.render(), err=True)
        errors = sum(1 for d in error.diagnostics if d.is_error)
        click.echo(f"orchc: {errors} error(s)", err=True)
        sys.exit(1)
    if isinstance(error, UsageProblem):
        fail(str(error), 2)
    if isinstance(error, LockedError):
        fail(locked_message(error))
    if isinstance(error, user_error_types()):
        fail(str(error))


def quiet_broken_pipe() -> None:
    """The reader of stdout went away (`orchc ... | head`): end quietly, as `cat` does,
    with the exit code of a process killed by SIGPIPE; stdout points at /dev/null so
    the interpreter's last flush does not complain."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(128 + signal.SIGPIPE)


# Options shared by several commands.
def definitions_option(command: F) -> F:
    return click.option(
        "-d", "--definitions", type=click.Path(path_type=Path), help="definitions directory"
    )(command)


def score_option(command: F) -> F:
    return click.option(
        "-f",
        "--file",
        "score_files",
        multiple=True,
        type=click.Path(path_type=Path),
        help="a Score file (repeatable); default: the workloads globs of orchc.toml",
    )(command)


def context_options(command: F) -> F:
    command = click.option("--app", help="application id (default: app in orchc.toml)")(command)
    return click.option("--env", required=True, help="environment id")(command)


def state_option(command: F) -> F:
    return click.option(
        "--state",
        "state_url",
        help="state URL (default: ORCHC_STATE, orchc.toml, sqlite:///.orchc/state.db)",
    )(command)


def locked_message(error: LockedError) -> str:
    waited = f" (waited {format_duration(error.waited)})" if error.waited else ""
    return (
        f"the state is locked: {error.holder.describe()}{waited}; wait for it to finish "
        "(--lock-timeout DURATION waits), or if that process is gone for good, run "
        "`orchc state unlock --env ENV`"
    )


def parse_duration(text: str) -> float:
    """`90`, `90s`, `5m`, `1h`, `1m30s`: a duration in seconds.

    >>> [parse_duration(text) for text in ("90", "5m", "1m30s", "0.5s")]
    [90.0, 300.0, 90.0, 0.5]
    """
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.groups()):
        raise click.BadParameter(f"'{text}' is not a duration such as 30s, 5m, 1h or 1m30s")
    hours, minutes, seconds, bare = (float(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds + bare


_NUMBER = r"(\d+(?:\.\d+)?)"
_DURATION = re.compile(f"(?:{_NUMBER}h)?(?:{_NUMBER}m)?(?:{_NUMBER}s)?{_NUMBER}?")


def format_duration(seconds: float) -> str:
    """A duration as `--lock-timeout` takes it.

    >>> format_duration(600), format_duration(90), format_duration(2.5)
    ('10m', '1m30s', '2.5s')
    """
    minutes, rest = divmod(round(seconds, 1), 60)
    if not minutes:
        return f"{rest:g}s"
    return f"{minutes:g}m" + (f"{rest:g}s" if rest else "")


def lock_timeout_option(command: F) -> F:
    return click.option(
        "--lock-timeout",
        metavar="DURATION",
        default="0",
        callback=lambda ctx, param, value: parse_duration(value),
        help="wait up to DURATION (30s, 5m) for a run holding the lock, instead of failing",
    )(command)


def confirm_or_fail(question: str, auto_approve: bool) -> None:
    """Ask on a terminal; without one, `--auto-approve` is required."""
    if auto_approve:
        return
    if not sys.stdin.isatty():
        fail("stdin is not a terminal: pass --auto-approve to proceed without confirmation", 2)
    if not click.confirm(question, default=False, err=True):
        fail("cancelled", 1)


def score_overrides_options(command: F) -> F:
    """`--image`, `--override-property` and `--overrides-file` (SPEC §12); the command
    gets them as `images`, `override_properties` and `overrides_files`."""
    return click.option(
        "--image",
        "images",
        multiple=True,
        metavar="WORKLOAD[.CONTAINER]=IMAGE",
        help="the image CI built, for `image: .` containers or the one named (repeatable)",
    )(score_file_overrides_options(command))


def score_file_overrides_options(command: F) -> F:
    """`--override-property` and `--overrides-file` alone: for the commands that read
    Score files but do not deploy them (`check`, `explain`), where `image: .` is fine."""
    options = (
        click.option(
            "--overrides-file",
            "overrides_files",
            multiple=True,
            metavar="WORKLOAD=FILE",
            help="merge this YAML file into the workload's Score file (repeatable)",
        ),
        click.option(
            "--override-property",
            "override_properties",
            multiple=True,
            metavar="WORKLOAD:PATH=VALUE",
            help="set a dotted path of the workload's Score file; null removes (repeatable)",
        ),
    )
    for option in options:
        command = option(command)
    return command
