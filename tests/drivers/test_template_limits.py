"""The template driver under attack: its time (the definition's policy.timeout), the
size of what it builds and renders, YAML aliases in what it renders, and what its
error messages quote. Every input here is a fixture an attacker could reach."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orchc.drivers.protocol import DriverError, DriverRequest, NullJournal
from orchc.drivers.template import TemplateDriver

CANARY = "can'ary\"7f3a\\9c-do-not-leak"


def failure(make_request: Any, inputs: dict[str, Any], **fields: Any) -> str:
    request: DriverRequest = make_request("thing", inputs=inputs, **fields)
    with pytest.raises(DriverError) as error:
        TemplateDriver().create(request, NullJournal())
    return str(error.value)


def test_nested_loops_stop_at_the_policy_timeout(make_request: Any) -> None:
    loops = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    message = failure(make_request, {"outputs": loops}, timeout=0.5)
    assert message == (
        "template 'outputs' did not finish rendering within 0.5s (the definition's policy.timeout)"
    )


def test_loops_without_a_call_in_them_stop_at_the_policy_timeout(make_request: Any) -> None:
    # No operator, filter or call runs inside: only the loops themselves check the time.
    loops = "{% for a in params.n %}{% for b in params.n %}{% endfor %}{% endfor %}"
    params = {"n": list(range(100_000))}
    message = failure(make_request, {"outputs": loops}, params=params, timeout=0.5)
    assert message == (
        "template 'outputs' did not finish rendering within 0.5s (the definition's policy.timeout)"
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{% for i in range(10**9) %}{% endfor %}", "range of more than 100000 items"),
        ("x: {{ 'a' * 4000000000 }}", "the result would be longer than 1000000"),
        ("x: {{ [1] * 4000000000 }}", "the result would be longer than 1000000"),
        ("x: {{ params.n * 'a' }}", "the result would be longer than 1000000"),
        ("x: {{ 'a' | center(4000000000) }}", "an argument above 1000000"),
        ("x: {{ '%*s' | format(4000000000, '') }}", "an argument above 1000000"),
        ("x: {{ ('a' * 100000) | replace('a', 'a' * 100000) }}", "longer than 1000000"),
        ("x: {{ 10 ** params.n }}", "an exponent above 64"),
    ],
)
def test_templates_cannot_build_huge_values(make_request: Any, template: str, message: str) -> None:
    assert message in failure(make_request, {"outputs": template}, params={"n": 4000000000})


def test_rendered_text_is_bounded(make_request: Any) -> None:
    template = "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}"
    message = failure(make_request, {"outputs": template})
    assert message == "template 'outputs' rendered more than 4000000 characters"


BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "\n".join(
    f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]"
    for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (BOMB, "more than 100000 values once YAML aliases are expanded"),
        ("a: &x [*x]", "a YAML alias inside its own anchor (a recursive alias)"),
        ("- &x {a: *x}", "a YAML alias inside its own anchor (a recursive alias)"),
    ],
)
def test_yaml_aliases_in_rendered_text_are_bounded(
    make_request: Any, template: str, message: str
) -> None:
    name = "manifests" if template.startswith("-") else "outputs"
    assert failure(make_request, {name: template}) == f"template {name!r} rendered {message}"


@pytest.mark.parametrize(
    "template",
    [
        "x: {{ params[secrets.token] }}",
        "x: {{ params.missing[secrets.token] }}",
        "x: {{ range(secrets.token) }}",
        "x: {{ (secrets.token ~ '') .nope }}",
        "x: {{ secrets.token + 1 }}",
    ],
)
def test_error_messages_never_quote_a_secret(make_request: Any, template: str) -> None:
    message = failure(
        make_request, {"outputs": template}, secrets={"token": CANARY}, params={"a": 1}
    )
    for form in (CANARY, json.dumps(CANARY)[1:-1], repr(CANARY)[1:-1], CANARY[:8]):
        assert form not in message
