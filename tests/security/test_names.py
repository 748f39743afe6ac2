"""Names are validated with full matches: a pattern written `^...$` accepts a trailing
newline under `re.match`, so `FOO\n` or `pvc-data\n` passed."""

from __future__ import annotations

import pytest

from orchc.drivers.protocol import DeployWorkload, DriverError
from orchc.drivers.targets.env_file import valid_key
from orchc.drivers.targets.kubernetes_names import DNS_LABEL, DNS_SUBDOMAIN
from orchc.drivers.targets.score_workload import parse_workload


@pytest.mark.parametrize("name", ["FOO\n", "MY VAR", "A=B", "1X", ""])
def test_invalid_variable_names_are_refused(name: str) -> None:
    spec = {
        "apiVersion": "score.dev/v1b1",
        "metadata": {"name": "web"},
        "containers": {"main": {"image": "nginx", "variables": {name: "x"}}},
    }
    with pytest.raises(DriverError, match="invalid variable name"):
        parse_workload(DeployWorkload(name="web", spec=spec))


@pytest.mark.parametrize(
    ("check", "name"),
    [
        (valid_key, "FOO\n"),
        (DNS_LABEL.match, "pvc-data\n"),
        (DNS_SUBDOMAIN.match, "pvc-data\n"),
    ],
)
def test_a_trailing_newline_is_not_a_name(check: object, name: str) -> None:
    assert callable(check)
    assert not check(name)
