"""The `static` driver: the definition's values, returned as outputs."""

from __future__ import annotations

from typing import Any

import pytest

from orchc.drivers.protocol import DriverError, DriverResult, NullJournal
from orchc.drivers.static import StaticDriver


def test_inputs_are_outputs_and_secrets_are_secret_outputs(make_request: Any) -> None:
    request = make_request(
        "api",
        inputs={"url": "https://pay.example", "port": 443, "tags": ["a"], "meta": {"k": "v"}},
        secrets={"token": "t0k3n"},
        state={"ignored": True},
    )
    assert StaticDriver().create(request, NullJournal()) == DriverResult(
        outputs={"url": "https://pay.example", "port": 443, "tags": ["a"], "meta": {"k": "v"}},
        secrets={"token": "t0k3n"},
    )


def test_an_input_embedding_a_secret_output_is_returned_as_a_secret(make_request: Any) -> None:
    request = make_request(
        "api",
        inputs={"host": "h", "dsn": "postgres://u:pw@h/db"},
        secrets={"token": "t"},
        sensitive_inputs=frozenset({"dsn"}),
    )
    result = StaticDriver().create(request, NullJournal())
    assert result.outputs == {"host": "h"}
    assert result.secrets == {"dsn": "postgres://u:pw@h/db", "token": "t"}


@pytest.mark.parametrize(
    ("inputs", "secrets", "message"),
    [
        ({"a": 1}, {"a": "x"}, "output 'a' is set in both inputs and secrets"),
        (
            {"a": 1, "b": 2, "c": 3},
            {"b": "x", "a": "y"},
            "outputs 'a', 'b' are set in both inputs and secrets",
        ),
    ],
)
def test_one_name_cannot_be_plain_and_secret(
    make_request: Any, inputs: dict[str, Any], secrets: dict[str, Any], message: str
) -> None:
    request = make_request("api", inputs=inputs, secrets=secrets)
    with pytest.raises(DriverError) as error:
        StaticDriver().create(request, NullJournal())
    assert str(error.value) == message


def test_empty_definition_is_an_empty_result(make_request: Any) -> None:
    assert StaticDriver().create(make_request("api"), NullJournal()) == DriverResult()


def test_delete_does_nothing_and_no_input_forces_a_replace(make_request: Any) -> None:
    request = make_request("api", action="delete", inputs={"url": "u"})
    assert StaticDriver().delete(request, NullJournal()) is None
    assert StaticDriver.replace_inputs == frozenset()
