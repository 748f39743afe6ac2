"""Resource uids: `<type>.<class>#<id>`, the only keys of the graph and the plan.

>>> uid = ResourceUid.parse("postgres.default#checkout.db")
>>> uid.type, uid.class_, uid.id
('postgres', 'default', 'checkout.db')
>>> str(uid)
'postgres.default#checkout.db'
>>> ResourceUid.parse(str(uid)) == uid
True
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

DEFAULT_CLASS = "default"

# Score: types and classes are `[A-Za-z0-9][A-Za-z0-9-]*`; ids are dot-separated labels.
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?"
_ID = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_UID = re.compile(rf"^(?P<type>{_NAME})\.(?P<class>{_NAME})#(?P<id>{_ID})\Z")


class UidError(ValueError):
    """A string that is not a valid resource uid."""


@dataclass(frozen=True, order=True, slots=True)
class ResourceUid:
    """The identity of a resource. Ordered by type, class, id."""

    type: str
    class_: str
    id: str
    # Uids are dict keys everywhere in the planner: hash once, not on every lookup.
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.type, self.class_, self.id)))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def parse(cls, text: str) -> ResourceUid:
        match = _UID.match(text)
        if match is None:
            raise UidError(f"'{text}' is not a resource uid (expected <type>.<class>#<id>)")
        return cls(match["type"], match["class"], match["id"])

    def __str__(self) -> str:
        return f"{self.type}.{self.class_}#{self.id}"

    def sort_key(self) -> tuple[str, str, str]:
        """The order of `<`, as plain values: `sorted(uids, key=ResourceUid.sort_key)`
        compares tuples in C instead of calling the dataclass's `__lt__` (thousands of
        calls when planning thousands of resources)."""
        return self.type, self.class_, self.id

    def guid(self, app: str, env: str) -> str:
        """A stable opaque id for (app, env, uid), safe as a name almost anywhere:
        lowercase letters and digits, starts with a letter, 20 characters."""
        digest = hashlib.sha256(f"{app}\x00{env}\x00{self}".encode()).hexdigest()
        return "r" + digest[:19]


TARGET_UID = ResourceUid("target", DEFAULT_CLASS, "target")

WORKLOAD_TYPE = "workload"


def workload_uid(workload: str) -> ResourceUid:
    """The implicit resource of a workload (SPEC §12), whose `patches` shape it.

    >>> str(workload_uid("web"))
    'workload.default#web'
    """
    return ResourceUid(WORKLOAD_TYPE, DEFAULT_CLASS, workload)
