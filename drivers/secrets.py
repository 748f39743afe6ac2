"""Generated passwords and connection URLs.

Passwords come from `secrets` (the OS CSPRNG) over a URL-safe alphabet, so they survive
any URL, shell or config file unquoted; still, `connection_url` quotes every part,
because user-chosen names and admin passwords may hold anything. Scrubbing secrets out
of messages is `orchc.sensitive.redact`, shared with the runtime.

>>> password = generate_password()
>>> len(password), set(password) <= set(PASSWORD_ALPHABET)
(32, True)
>>> connection_url(
...     "postgresql", username="app", password="p@ss/word", host="db.example", port=5432,
...     path="shop",
... )
'postgresql://app:p%40ss%2Fword@db.example:5432/shop'
"""

from __future__ import annotations

import secrets
import string
from urllib.parse import quote

PASSWORD_ALPHABET = string.ascii_letters + string.digits + "-_"
PASSWORD_LENGTH = 32


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    """A random password of `length` characters from `PASSWORD_ALPHABET`."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def connection_url(
    scheme: str,
    *,
    username: str,
    password: str,
    host: str,
    port: int,
    path: str | None = None,
) -> str:
    """`scheme://username:password@host:port[/path]`, every part percent-quoted and an
    IPv6 host in brackets.

    >>> connection_url("redis", username="u", password="pw", host="::1", port=6379)
    'redis://u:pw@[::1]:6379'
    >>> connection_url("mysql", username="a b", password="c:d", host="h", port=3306, path="my db")
    'mysql://a%20b:c%3Ad@h:3306/my%20db'
    """
    netloc_host = f"[{host}]" if ":" in host else host
    url = f"{scheme}://{quote(username, safe='')}:{quote(password, safe='')}"
    url += f"@{netloc_host}:{port}"
    return url if path is None else f"{url}/{quote(path, safe='')}"
