"""Stable, valid names derived from arbitrary text (file paths, uids, variable names).

A derived name is the text itself when the text is already valid, so common cases stay
readable. Otherwise it is the text's valid characters plus a short digest of the whole
text, so two different texts never share a name and the same text always gets the same
one (outputs must be deterministic).

>>> config_key("web.DB_URL")
'web.DB_URL'
>>> config_key("web/etc/app.conf")
'web_etc_app.conf-f5396ed4'
>>> file_stem("postgres.default#checkout.db")
'postgres.default_checkout.db'
"""

from __future__ import annotations

import hashlib
import re

# Kubernetes ConfigMap and Secret keys: IsConfigMapKey.
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}\Z")
_CONFIG_KEY_INVALID = re.compile(r"[^-._a-zA-Z0-9]+")

# RFC 1123 label (Kubernetes volume names) and subdomain (object names).
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
DNS_SUBDOMAIN = re.compile(
    r"^(?=.{1,253}\Z)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z"
)

# IANA service names: Kubernetes port names.
_PORT_NAME = re.compile(r"^(?=.{1,15}\Z)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*\Z")

_FILE_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}\Z")
_FILE_STEM_INVALID = re.compile(r"[^A-Za-z0-9._-]+")


def digest(text: str, length: int = 8) -> str:
    """The first `length` hex digits of the SHA-256 of `text`."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def config_key(text: str) -> str:
    """A valid ConfigMap/Secret data key for `text`.

    >>> config_key("..hidden"), config_key("web.MY VAR")
    ('hidden-27b2a250', 'web.MY_VAR-9fff0657')
    """
    if _CONFIG_KEY.match(text) and not text.startswith(".."):
        return text
    readable = _CONFIG_KEY_INVALID.sub("_", text).strip("_.")[:200]
    return f"{readable}-{digest(text)}" if readable else digest(text)


def port_name(name: str) -> str:
    """A valid Kubernetes port name (at most 15 characters) for a Score port name.

    >>> port_name("http"), port_name("metrics-endpoint")
    ('http', 'port-d5aa233fe8')
    """
    return name if _PORT_NAME.match(name) else f"port-{digest(name, 10)}"


def volume_name(prefix: str, text: str) -> str:
    """A valid pod volume name (an RFC 1123 label) for `text`, after `prefix-`.

    >>> volume_name("pvc", "data"), volume_name("pvc", "Data_1")
    ('pvc-data', 'pvc-4dc70fe4dc')
    """
    candidate = f"{prefix}-{text}"
    return candidate if DNS_LABEL.match(candidate) else f"{prefix}-{digest(text, 10)}"


def file_stem(text: str) -> str:
    """A portable file name stem for `text` (e.g. a resource uid).

    >>> file_stem("dns.default#shared.main"), file_stem("Ünicode/../x")
    ('dns.default_shared.main', 'nicode_.._x-0988fd54')
    """
    # "#" never appears in a uid's type or class and "_" never in its id, so mapping
    # one to the other keeps distinct uids apart.
    candidate = text.replace("#", "_")
    if _FILE_STEM.match(candidate) and ".." not in candidate:
        return candidate
    readable = _FILE_STEM_INVALID.sub("_", candidate).strip("_.")[:150]
    return f"{readable}-{digest(text)}"
