"""Score values that targets write into generated files: the one check of each.

Score files are written by application developers, not by the platform team, so a
Score value that a target writes where it could be more than data is checked against
a strict set of characters: a route's `host` and `path` (an nginx `server_name` and
`location` on Compose; an Ingress path, which ingress-nginx writes into its own nginx
configuration, or an HTTPRoute match on Kubernetes) and the port a
`compose.score.dev/publish-port` annotation publishes. Each check runs twice with one
rule: when the plan is made, on the value as the Score file writes it
(`orchc.compiler.score_values`: an error at its line, which `orchc check` reports too),
and in the driver at apply, on the value it is given (a placeholder is known only
then). The caller says where the value came from; a `RefusedValue` says what is wrong.

Route paths. A plain path holds only `A-Z a-z 0-9 - . _ ~ /` (what ingress-nginx's path
validation accepts for a `Prefix` path), with no `//` and no `.` or `..` segment
(Kubernetes refuses them in a `Prefix` path, and nginx removes them from every request
before matching). A path holding one of `^ $ [ ] ( ) { } * + ? |` is a regular
expression, anchored at its start: it may also hold those, it must compile (groups
nested at most 32 deep and no `{n}` over 1000, so that nginx's PCRE2 and RE2 compile it
too), a top-level `|` needs every alternative to start with `/` (see `regex_path`), and
it must fit an HTTPRoute (1024 characters) as the targets write it (`routed_regex`).

This module imports nothing from orchc but `orchc/shown.py` (leaves, like
`orchc/sensitive.py`), so the compiler and the drivers both use it without a new edge
between the layers.

>>> route_host("Shop.localhost"), route_path("/api"), regex_path("/a|/b")
('shop.localhost', '/api', '/(a|b)')
>>> route_path("/a;b")
Traceback (most recent call last):
...
orchc.score_values.RefusedValue: '/a;b' is not a URL path (it starts with '/' and holds ...
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from orchc import shown as escaping

PUBLISH_ANNOTATIONS = (
    "compose.score.dev/publish-port",
    "compose.score.dev/publish-management-port",
)
"""The resource annotations that publish a backing service's port on Compose."""

# RFC 1123 host names, lower case, optionally a leading "*." wildcard label.
_HOST = re.compile(
    r"^(?=.{1,253}\Z)(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z"
)
_PATH = re.compile(r"^/[A-Za-z0-9\-._~/^$\[\](){}*+?|]{0,1023}\Z")
_PATH_RULE = (
    "it starts with '/' and holds only letters, digits, '-._~/' and the "
    "regular-expression characters '^$[](){}*+?|'"
)
_REGEX_CHARACTERS = frozenset("^$[](){}*+?|")
_DOT_SEGMENT = re.compile(r"//|/\.\.?(/|\Z)")
# How each alternative of a regular-expression path with a top-level `|` starts: the
# `/` that `regex_path` moves before the group must not be quantified.
_ALTERNATIVE = re.compile(r"/(?![*+?{])")
# What every target's engine compiles, and Python's parser (which recurses per group)
# too: PCRE2 (nginx) refuses groups nested 250 deep and a `{n}` over 65535, RE2
# (Envoy-based gateways) a `{n}` over 1000.
_MAX_NESTING = 32
_MAX_REPEAT = 1000
_REPEAT = re.compile(r"\{([0-9]+)\}")
# The longest path match an HTTPRoute holds (Gateway API); a regular expression is
# written longer than given (`routed_regex`).
_MAX_WRITTEN = 1024


class RefusedValue(ValueError):
    """A Score value no target may write; the message says why, not where from."""


def route_host(value: object) -> str:
    """`value` as a route's host: a host name (lower case), maybe `*.` a wildcard."""
    host = value.lower() if isinstance(value, str) else value
    if not isinstance(host, str) or not _HOST.match(host):
        raise RefusedValue(f"'{shown(value)}' is not a host name")
    return host


def route_path(value: object) -> str:
    """`value` as a route's path, plain or a regular expression (see the module)."""
    if not isinstance(value, str) or not _PATH.match(value):
        raise RefusedValue(f"'{shown(value)}' is not a URL path ({_PATH_RULE})")
    if not is_regex_path(value):
        if _DOT_SEGMENT.search(value):
            raise RefusedValue(f"'{shown(value)}' is not a URL path (no '//', '.' or '..' segment)")
        return value
    _check_bounds(value)
    try:
        re.compile(value)
    except re.error as error:
        problem = f"is not a valid regular expression ({error})"
        raise RefusedValue(f"'{shown(value)}' {problem}") from None
    alternatives = _alternatives(value)
    if len(alternatives) > 1 and not all(_ALTERNATIVE.match(a) for a in alternatives):
        raise RefusedValue(
            f"'{shown(value)}' is a regular expression whose alternatives ('|') must each start "
            "with '/', not followed by '*', '+', '?' or '{'"
        )
    written = len(routed_regex(value, whole_path=True))
    if written > _MAX_WRITTEN:
        raise RefusedValue(
            f"'{shown(value)}' is a regular expression too long: an HTTPRoute would hold it "
            f"as {written} characters, at most {_MAX_WRITTEN}"
        )
    return value


def is_regex_path(path: str) -> bool:
    """Whether a route path is a regular expression (holds one of `^$[](){}*+?|`)."""
    return any(character in _REGEX_CHARACTERS for character in path)


def regex_path(path: str) -> str:
    """A regular-expression path as the targets write it: with its top-level
    alternatives in one group behind their leading `/`, so that an anchor written before
    it (`^`, as the Compose gateway and ingress-nginx write) covers all of them, where
    `^/a|/b` would match `/b` anywhere in the path. The result still starts with `/`, as
    Kubernetes wants of an Ingress path.

    >>> regex_path("/api|/v[0-9]+/api"), regex_path("/my/[^/]+/path"), regex_path("/[|]|/")
    ('/(api|v[0-9]+/api)', '/my/[^/]+/path', '/([|]|)')
    """
    alternatives = _alternatives(path)
    if len(alternatives) == 1:
        return path
    return "/(" + "|".join(alternative[1:] for alternative in alternatives) + ")"


def routed_regex(path: str, *, whole_path: bool = False) -> str:
    """A regular-expression path as a target writes it to be matched from the start of
    the request path: `regex_path`, then `(/|$)`, so that it matches whole segments and
    what is below them (`/v[0-9]+` matches `/v1` and `/v1/x`, not `/v1x`). The Compose
    gateway writes `^` before it; ingress-nginx writes an Ingress regex path behind its
    own `^` (a prefix match), so both route the same requests. With `whole_path` (an
    HTTPRoute, whose implementations differ: Envoy-based gateways match the whole path,
    others from its start) the end is `(/.*|$)`, which routes those same requests under
    either reading. The result still starts with `/`.

    >>> routed_regex("/v[0-9]+"), routed_regex("/a|/b", whole_path=True)
    ('/v[0-9]+(/|$)', '/(a|b)(/.*|$)')
    """
    return regex_path(path) + ("(/.*|$)" if whole_path else "(/|$)")


def published_port(value: object) -> int:
    """A publish-port annotation's value: ASCII digits up to 65535 (0: not published).

    >>> published_port("8080"), published_port(0)
    (8080, 0)
    """
    text = str(value)
    digits = text.isascii() and text.isdigit()
    if not digits or len(text.lstrip("0")) > 5 or int(text) > 65535:
        raise RefusedValue("must be a port number (0: not published)")
    return int(text)


def shown(value: object) -> str:
    """A refused value as a message shows it: escaped, at most 100 characters; the type
    of what is not a string."""
    if not isinstance(value, str):
        return type(value).__name__
    return escaping.shown(value)[:100]


def _check_bounds(path: str) -> None:
    """Refuse a regular-expression path that a target's engine would not compile (the
    whole Compose gateway would fail to start) or that Python's parser would fail on
    with something else than `re.error`."""
    if max((depth for _, _, depth in _outside_classes(path)), default=0) > _MAX_NESTING:
        raise RefusedValue(
            f"'{shown(path)}' is a regular expression with groups nested more than "
            f"{_MAX_NESTING} deep"
        )
    if any(int(count) > _MAX_REPEAT for count in _REPEAT.findall(path)):
        raise RefusedValue(
            f"'{shown(path)}' is a regular expression repeating more than {_MAX_REPEAT} "
            "times ('{n}')"
        )


def _alternatives(path: str) -> list[str]:
    """`path` split at its top-level `|` (not inside a group or a `[...]` class)."""
    found, start = [], 0
    for index, character, depth in _outside_classes(path):
        if character == "|" and depth == 0:
            found.append(path[start:index])
            start = index + 1
    return [*found, path[start:]]


def _outside_classes(path: str) -> Iterator[tuple[int, str, int]]:
    """Each character of `path` outside a `[...]` class: its index, itself, and how
    many groups it is in (a `(` counting its own). A checked path holds no `\\`, so no
    character is escaped."""
    depth, index = 0, 0
    while index < len(path):
        character = path[index]
        if character == "[":
            index = _class_end(path, index)
        else:
            depth += {"(": 1, ")": -1}.get(character, 0)
            yield index, character, depth
        index += 1


def _class_end(path: str, start: int) -> int:
    """Where the `[...]` class opened at `start` ends (a `]` first in it is literal)."""
    index = start + 1
    index += path.startswith("^", index)
    index += path.startswith("]", index)
    end = path.find("]", index)
    return end if end >= 0 else len(path)
