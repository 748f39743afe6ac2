"""How long a server driver waits: the definition's `policy.timeout` (as
`DriverRequest.timeout`) turned into a connect timeout and an operation timeout.

>>> from types import SimpleNamespace
>>> time_limits(SimpleNamespace(timeout=None)), time_limits(SimpleNamespace(timeout=2.5))
((10, None), (2, 2.5))
"""

from __future__ import annotations

from orchc.drivers.protocol import DriverRequest

CONNECT_TIMEOUT_SECONDS = 10
TimeLimits = tuple[int, float | None]  # (connect, operation) in seconds


def time_limits(request: DriverRequest) -> TimeLimits:
    """(connect timeout, operation timeout) in seconds for a server driver: the
    definition's `policy.timeout` bounds both; without one, connecting may take
    `CONNECT_TIMEOUT_SECONDS` and statements have no limit."""
    if request.timeout is None:
        return CONNECT_TIMEOUT_SECONDS, None
    return max(1, int(min(request.timeout, CONNECT_TIMEOUT_SECONDS))), request.timeout
