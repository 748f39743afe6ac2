"""The `gitops` target: what `kubernetes-manifests` renders, committed to a git branch.

Argo CD or Flux then sync the repository's `path` into the cluster (SPEC §13).

Inputs: `repo` (a URL git understands, or a path, relative to the project root, of a
local repository), `branch` (default `main`), `path` (inside the repository, default
`<app>/<env>`; relative, with no `..`, `.git` or empty segment and no leading `:`:
`repository_paths.py`, checked when the plan is made too),
`author` (`Name <email>`, default `orchc <orchc@localhost>`),
`commit_secrets` (default false: see below) and the inputs of `kubernetes-manifests`
(`namespace`, `allowed_kinds`). Secret `token` (optional): for an HTTPS remote, sent as
HTTP basic authentication (user `x-access-token`, or the user named in the URL).

`deploy` renders with `kubernetes_manifests.manifest_files` (the same objects and files,
byte for byte), brings a clone in the target's work directory to the remote branch,
writes the files under `path` (`OutputDir.sync`: files orchc no longer renders are
removed, files it did not write are never touched; `.orchc-index` is committed too, so
any machine knows which files are orchc's), and commits only when something changed,
with the message `orchc: <app>/<env> serial <N> (<plan_digest>)`. Then it pushes; a
rejected push is fetched, rebased and retried (`git_checkout.PUSH_RETRIES`). `delete`
removes orchc's files under `path` and commits `orchc: <app>/<env> removed`.

Secrets: `kubernetes-manifests` keeps the Secrets a workload needs in
`*.secrets.yaml` files (values in clear). Committed, they would be readable by everyone
who can read the repository and stay in its history forever, so a deploy that renders
any Secret fails, naming who needs it, unless `commit_secrets = true` says the platform
means it (e.g. a private repository decrypted by nobody else, or a pre-receive hook
that encrypts). The token follows `git_checkout`'s rules: never in argv, the clone's
config, a message or the state's outputs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from pydantic import Field, field_validator

from orchc.drivers.input_blocks import StrictBlock, parse_block
from orchc.drivers.protocol import (
    DeployContext,
    DeployRequest,
    DeployResult,
    DriverError,
    DriverRequest,
    DriverResult,
    Journal,
    JsonObject,
    Observation,
)
from orchc.drivers.targets.git_checkout import Author, GitCheckout, GitRemote
from orchc.drivers.targets.kubernetes_manifests import (
    INDEX_NAME,
    KubernetesManifestsInputs,
    manifest_files,
)
from orchc.drivers.targets.output_dir import OutputDir, OutputFile
from orchc.drivers.targets.repository_paths import repository_path_problem

SECRET_SUFFIX = ".secrets.yaml"
# A URL with a scheme, or git's scp-like form `user@host:path`; anything else is a path.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^[^/:@]+@[^/:]+:")
# A branch name of plain characters, not starting with `-` (it would read as an option);
# `..` is refused by a validator (no look-around in pydantic's patterns).
_BRANCH = r"^[A-Za-z0-9_][A-Za-z0-9._/-]*$"


class GitopsInputs(KubernetesManifestsInputs):
    repo: str = Field(min_length=1)
    branch: str = Field(default="main", pattern=_BRANCH)
    author: str | None = None
    commit_secrets: bool = False

    @field_validator("branch")
    @classmethod
    def _no_dot_dot(cls, branch: str) -> str:
        if ".." in branch or branch.endswith((".", "/", ".lock")):
            raise ValueError("not a valid branch name")
        return branch

    @field_validator("path")
    @classmethod
    def _inside_the_repository(cls, path: str | None) -> str | None:
        problem = None if path is None else repository_path_problem(path)
        if problem is not None:
            raise ValueError(problem)
        return path

    def output_path(self, context: DeployContext) -> str:
        """`path`, or `<app>/<env>` when unset (inside the repository)."""
        return self.path if self.path is not None else f"{context.app}/{context.env}"

    def remote(self, project_root: Path, token: str | None) -> GitRemote:
        """`repo` as git is given it: a URL as is, a path made absolute."""
        if _URL.match(self.repo):
            return GitRemote(self.repo, token)
        return GitRemote(str((project_root / self.repo).resolve()), token)


class GitopsSecrets(StrictBlock):
    token: str | None = Field(default=None, min_length=1)


class GitopsTarget:
    """Commits the Kubernetes manifests of an environment to a git branch."""

    replace_inputs: ClassVar[frozenset[str]] = frozenset({"repo", "branch", "path"})

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult:
        inputs = _inputs(request.inputs)
        remote = _remote(inputs, request.project_root, request.secrets)
        remote.check()
        Author.parse(inputs.author)
        outputs: JsonObject = {
            "kind": "kubernetes",
            "path": inputs.output_path(request.context),
            "repo": remote.shown,
            "branch": inputs.branch,
        }
        if inputs.namespace is not None:
            outputs["namespace"] = inputs.namespace
        return DriverResult(outputs=outputs)

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        inputs = _inputs(request.inputs)
        checkout = _checkout(inputs, request.project_root, request.secrets, request)
        path = inputs.output_path(request.context)
        context = request.context
        message = f"orchc: {context.app}/{context.env} removed"

        def remove() -> bool:
            _output_dir(checkout, path).remove_all()
            return checkout.commit(path, message, Author.parse(inputs.author))

        checkout.sync()
        if remove():
            checkout.push(remove)

    def observe(self, request: DriverRequest) -> Observation:
        """Drift: a commit that is not orchc's changed orchc's files under `path` after
        its last deploy (or removed them). Only the clone in the work directory moves."""
        inputs = _inputs(request.inputs)
        checkout = _checkout(inputs, request.project_root, request.secrets, request)
        checkout.sync()
        path = inputs.output_path(request.context)
        mark = f"orchc: {request.context.app}/{request.context.env} "
        if checkout.last_commit([path], grep=f"^{mark}") is None:
            return Observation()  # nothing deployed here yet
        files = [f"{path}/{name}" for name in sorted(_output_dir(checkout, path).owned())]
        last = checkout.last_commit([f"{path}/{INDEX_NAME}", *files])
        if last is None or last[1].startswith(mark):
            return Observation()
        commit, subject = last
        return Observation(
            drift=f"{path} was changed by commit {commit[:12]} ({subject[:60]!r}) after "
            "orchc's last deploy"
        )

    def deploy(self, request: DeployRequest) -> DeployResult:
        """Render (`manifest_files`), then commit and push the files under `path`."""
        inputs = _inputs(request.inputs)
        files = manifest_files(request, inputs)
        if not inputs.commit_secrets:
            _refuse_secrets(files)
        checkout = _checkout(inputs, request.project_root, request.secrets, request)
        path = inputs.output_path(request.context)
        context = request.context
        message = (
            f"orchc: {context.app}/{context.env} serial {request.serial} ({request.plan_digest})"
        )

        def write() -> bool:
            _output_dir(checkout, path).sync(files)
            return checkout.commit(path, message, Author.parse(inputs.author))

        checkout.sync()
        if write():
            checkout.push(write)
        output = _output_dir(checkout, path)
        return DeployResult(files=tuple(sorted(output.display(name) for name in files)))


def _inputs(values: JsonObject) -> GitopsInputs:
    inputs = GitopsInputs.parse(values)
    assert isinstance(inputs, GitopsInputs)  # `parse` validates as the class it is called on
    return inputs


def _remote(inputs: GitopsInputs, project_root: Path, secrets: JsonObject) -> GitRemote:
    token = parse_block(GitopsSecrets, secrets, "secrets").token
    return inputs.remote(project_root, token)


def _checkout(
    inputs: GitopsInputs,
    project_root: Path,
    secrets: JsonObject,
    request: DriverRequest | DeployRequest,
) -> GitCheckout:
    remote = _remote(inputs, project_root, secrets)
    return GitCheckout(request.work_dir / "checkout", remote, inputs.branch, request.timeout)


def _output_dir(checkout: GitCheckout, path: str) -> OutputDir:
    """orchc's files under `path`, confined to the clone (no `..`, no symlink out)."""
    return OutputDir(checkout.directory / path, INDEX_NAME, checkout.directory)


def _refuse_secrets(files: dict[str, OutputFile]) -> None:
    secret_files = sorted(name for name in files if name.endswith(SECRET_SUFFIX))
    if secret_files:
        owners = ", ".join(name.removesuffix(SECRET_SUFFIX) for name in secret_files)
        raise DriverError(
            f"the manifests hold Secrets with their values in clear ({owners}); the gitops "
            "target does not commit them unless its `commit_secrets` input is true (anyone "
            "who can read the repository, and its history, would read them)"
        )
