"""The definition's policy timeout bounds how long a server driver waits."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchc.drivers.protocol import DeployContext, DriverRequest
from orchc.drivers.time_limits import CONNECT_TIMEOUT_SECONDS, time_limits


def request(timeout: float | None) -> DriverRequest:
    return DriverRequest(
        action="create",
        uid="postgres.default#db",
        type="postgres",
        class_="default",
        id="db",
        guid="r0",
        definition="pg",
        context=DeployContext(app="a", env="e", env_type="t"),
        source_dir=Path("."),
        project_root=Path("."),
        work_dir=Path("."),
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (None, (CONNECT_TIMEOUT_SECONDS, None)),
        (120.0, (CONNECT_TIMEOUT_SECONDS, 120.0)),
        (3.5, (3, 3.5)),
        (0.2, (1, 0.2)),
    ],
)
def test_time_limits(timeout: float | None, expected: tuple[int, float | None]) -> None:
    assert time_limits(request(timeout)) == expected
