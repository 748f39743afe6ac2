"""A working copy of one branch of a git remote, driven through the `git` binary.

The `gitops` target keeps a clone in its private work directory, makes the branch
match the remote, writes its files, commits when something changed and pushes. This
module is the git part of that; it knows nothing about Kubernetes.

Invariants:

- The token (for HTTPS remotes) reaches git only through the environment of the git
  process: `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_0`/`GIT_CONFIG_VALUE_0` set
  `http.<url>.extraHeader` for that one command. It is never in argv (visible to every
  user in `ps`), never in the clone's `.git/config`, and every message that leaves
  this module has it replaced by `(sensitive)`.
- A remote URL holding a password (`https://user:pw@host/...`) is refused: git would
  store it in `.git/config`. Messages name the remote without its user part.
- git never prompts (`GIT_TERMINAL_PROMPT=0`) and never reads `GIT_*` variables of the
  calling process (e.g. a `GIT_DIR` set by a hook running orchc); its messages are in
  English (`LC_ALL=C`), because the push retry reads them.
- Every path git is given is a literal pathspec (`GIT_LITERAL_PATHSPECS=1`): a
  target's `path` of `*` or `:(top)` names that directory, never every file.
- The identity of a commit is given per command (`-c user.name=... -c
  user.email=...`): the machine's global configuration is neither needed nor changed.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from orchc.drivers.protocol import DriverError
from orchc.sensitive import redact

PUSH_RETRIES = 3
"""A rejected push is fetched, rebased and pushed again this many times."""
GIT_TIMEOUT_S = 300.0
_TOKEN_USER = "x-access-token"  # what GitHub expects beside a token; GitLab takes any name


@dataclass(frozen=True, slots=True)
class GitRemote:
    """Where to push: `url` as git is given it (a URL or an absolute path), and an
    optional token for HTTPS."""

    url: str
    token: str | None = None

    @property
    def shown(self) -> str:
        """The URL for messages: without any user or password part.

        >>> GitRemote("https://bot@git.example.com/ops/deploy.git").shown
        'https://git.example.com/ops/deploy.git'
        """
        parts = urlsplit(self.url)
        if not parts.scheme or "@" not in parts.netloc:
            return self.url
        return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))

    def check(self) -> None:
        """Refuse a URL that carries a password: git would keep it in `.git/config`."""
        parts = urlsplit(self.url)
        if parts.scheme and parts.password is not None:
            raise DriverError(
                f"the repository URL {self.shown} holds a password: give it as the "
                "`token` secret instead (git would store the URL in the clone's config)"
            )

    def environment(self) -> dict[str, str]:
        """The variables that hand the token to git for this remote only."""
        if not self.token:
            return {}
        parts = urlsplit(self.url)
        user = parts.username or _TOKEN_USER
        basic = base64.b64encode(f"{user}:{self.token}".encode()).decode("ascii")
        return {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": f"http.{self.shown}.extraHeader",
            "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
        }

    def secrets(self) -> tuple[str, ...]:
        """Every form of the token a message could contain."""
        if not self.token:
            return ()
        return (self.token, *self.environment().values())


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    email: str

    @classmethod
    def parse(cls, text: str | None) -> Author:
        """`Name <email>`; orchc's own identity when unset.

        >>> Author.parse("Deploy Bot <bot@example.com>")
        Author(name='Deploy Bot', email='bot@example.com')
        >>> Author.parse(None)
        Author(name='orchc', email='orchc@localhost')
        """
        if text is None:
            return cls("orchc", "orchc@localhost")
        name, bracket, rest = text.partition("<")
        email = rest.removesuffix(">")
        if not bracket or not name.strip() or not email or "<" in email or ">" in email:
            raise DriverError(f"invalid inputs: author {text!r} is not 'Name <email>'")
        return cls(name.strip(), email.strip())


class GitError(DriverError):
    """A git command failed; the message names the command and quotes git's stderr
    (with the token replaced)."""


class GitCheckout:
    """A clone of `remote` at `directory`, working on `branch`."""

    def __init__(self, directory: Path, remote: GitRemote, branch: str, timeout: float | None):
        remote.check()
        self.directory = directory
        self.remote = remote
        self.branch = branch
        self._timeout = timeout or GIT_TIMEOUT_S
        self._environment = {**_clean_environment(), **remote.environment()}

    # -- the branch -------------------------------------------------------------------

    def sync(self) -> None:
        """Make the working tree exactly the remote branch (or empty, when the remote has
        no such branch yet); anything local from an earlier run is dropped."""
        self._open()
        if self._fetch():
            self.git("checkout", "-q", "-B", self.branch, self._remote_ref)
            self.git("reset", "-q", "--hard", self._remote_ref)
        else:
            self.git("symbolic-ref", "HEAD", f"refs/heads/{self.branch}")
            self.git("update-ref", "-d", f"refs/heads/{self.branch}")
            self.git("read-tree", "--empty")
        self.git("clean", "-ffdxq")

    def commit(self, path: str, message: str, author: Author) -> bool:
        """Stage everything under `path` and commit it; False (no commit) when nothing
        changed."""
        self.git("add", "-A", "--", path)
        if self.git("diff", "--cached", "--quiet", "--", path, check=False).returncode == 0:
            return False
        identity = ("-c", f"user.name={author.name}", "-c", f"user.email={author.email}")
        self.git(*identity, "commit", "-q", "--no-verify", "-m", message)
        return True

    def push(self, redo: Callable[[], bool]) -> int:
        """Push the branch. A rejected push (someone pushed first, or a hook refused) is
        fetched, rebased and pushed again, up to `PUSH_RETRIES` times; when the rebase
        does not apply, `redo()` writes and commits the change again on top of the
        remote branch (False: nothing left to push). Returns the retries used."""
        for attempt in range(PUSH_RETRIES + 1):
            pushed = self.git("push", "-q", "origin", f"HEAD:refs/heads/{self.branch}", check=False)
            if pushed.returncode == 0:
                return attempt
            if "rejected" not in pushed.stderr or attempt == PUSH_RETRIES:
                raise self._failure("push", pushed, attempt)
            if not self._rebase(redo):
                return attempt
        raise AssertionError("unreachable")  # the loop returns or raises

    def _rebase(self, redo: Callable[[], bool]) -> bool:
        """Put the local commit on top of the remote branch; whether there is
        something to push."""
        if not self._fetch():
            return True  # the branch is gone on the remote: push it again as it is
        rebased = self.git("rebase", "-q", self._remote_ref, check=False)
        if rebased.returncode == 0:
            return True
        self.git("rebase", "--abort", check=False)
        self.sync()
        return redo()

    def last_commit(self, paths: Sequence[str], grep: str | None = None) -> tuple[str, str] | None:
        """(hash, subject) of the newest commit of the branch that touched `paths` (and
        whose message matches `grep`, when given); None when there is none."""
        if self.git("rev-parse", "-q", "--verify", "HEAD", check=False).returncode != 0:
            return None  # an empty branch
        matching = ("--grep", grep) if grep is not None else ()
        found = self.git("log", "-1", "--format=%H%x09%s", *matching, "--", *paths).stdout
        commit, _, subject = found.strip().partition("\t")
        return (commit, subject) if commit else None

    # -- plumbing -----------------------------------------------------------------------

    @property
    def _remote_ref(self) -> str:
        return f"refs/remotes/origin/{self.branch}"

    def _open(self) -> None:
        """A clone whose origin is `remote` (another remote's clone is started afresh)."""
        if (self.directory / ".git").is_dir():
            found = self.git("config", "--get", "remote.origin.url", check=False)
            if found.stdout.strip() == self.remote.url:
                return
            shutil.rmtree(self.directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q")
        self.git("remote", "add", "origin", self.remote.url)

    def _fetch(self) -> bool:
        """Fetch the branch; False when the remote has no such branch."""
        spec = f"+refs/heads/{self.branch}:{self._remote_ref}"
        fetched = self.git("fetch", "-q", "--no-tags", "origin", spec, check=False)
        if fetched.returncode == 0:
            return True
        if "couldn't find remote ref" in fetched.stderr:
            self.git("update-ref", "-d", self._remote_ref)
            return False
        raise self._failure("fetch", fetched, 0)

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run git in the clone; with `check`, a failure raises `GitError`."""
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=self.directory,
                env=self._environment,
                capture_output=True,
                text=True,
                timeout=self._timeout,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise GitError(
                f"git {args[0]} with {self.remote.shown} did not finish within {self._timeout:g}s"
            ) from None
        except FileNotFoundError:
            raise GitError("the git program is not installed (not found on PATH)") from None
        if check and done.returncode != 0:
            raise self._failure(args[0], done, 0)
        return done

    def _failure(
        self, command: str, done: subprocess.CompletedProcess[str], retries: int
    ) -> GitError:
        tail = _tail(self._redact(done.stderr or done.stdout))
        after = f" after {retries} retries (fetch, rebase, push)" if retries else ""
        return GitError(
            f"git {command} to {self.remote.shown} (branch {self.branch}) failed{after}: {tail}"
        )

    def _redact(self, text: str) -> str:
        return redact(text, self.remote.secrets())


def _clean_environment() -> dict[str, str]:
    """The environment of every git command: ours, without the caller's `GIT_*`. Paths
    are literal pathspecs: the target's `path` names one directory, and `*`, `:(top)`
    or `:!x` in it must not make git stage, diff or read the log of any other file."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return {
        **kept,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_LITERAL_PATHSPECS": "1",
        "LC_ALL": "C",
        "LANGUAGE": "C",
    }


def _tail(text: str, lines: int = 6) -> str:
    kept: Sequence[str] = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return " / ".join(line.strip() for line in kept) or "(no message)"
