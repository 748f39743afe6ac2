"""Where in a git repository a target may write: the one rule for the `gitops` target's
`path` input, applied when the plan is made (`orchc.drivers.declarations`, an error at
the definition's line) and by the driver at apply (its inputs' validation).

A path is refused when it could point outside orchc's directory of the clone: absolute,
a `..` segment, into `.git` (any case), an empty segment (`a//b`), a NUL, or a leading
`:` (git's pathspec magic, such as `:(top)`; git is also run with literal pathspecs, so
`*` is a directory named `*`). A trailing `/` is allowed.

This module imports nothing, so the plan-time check costs no driver import.

>>> repository_path_problem("deploy/shop/dev/") is None
True
>>> repository_path_problem("a/../..") is None, repository_path_problem(":(top)") is None
(False, False)
"""

from __future__ import annotations

_REFUSED = (
    "must be a relative path inside the repository (no '..', '.git' or empty segment, "
    "not absolute, not starting with ':')"
)


def repository_path_problem(path: str) -> str | None:
    """Why `path` may not be where a target writes in the repository; None if it may."""
    segments = path.replace("\\", "/").rstrip("/").split("/")
    refused = (
        path.startswith(("/", ":", "\\"))
        or "\0" in path
        or any(segment in ("..", "") or segment.lower() == ".git" for segment in segments)
    )
    return _REFUSED if refused else None
