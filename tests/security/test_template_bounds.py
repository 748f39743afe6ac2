"""Template limits that used to leak past their bound (issue 10, item 6): the YAML a
template renders is read under the same time limit (a 600 KB flow list took 19 s to
parse after a 2 s render limit); methods of values, `~` and lists repeating a big item
build nothing above the size limits. Times are never asserted: each case either is
refused by a size check before anything is built, or runs under a limit already past."""

from __future__ import annotations

import pytest

from orchc.drivers.protocol import DriverError
from orchc.drivers.template import parse_yaml, render_text
from orchc.drivers.template_limits import TemplateTimeout, time_limit

TOO_LONG = "the result would be longer than 1000000"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ 'x'.center(200000000) }}", "an argument above 1000000 (200000000)"),
        ("{{ 'x'.ljust(10**9) }}", "an argument above 1000000 (1000000000)"),
        ("{{ ('\\t' * 1000).expandtabs(999999) }}", TOO_LONG),
        ("{{ (['a' * 1000000] * 1000) | length }}", TOO_LONG),
        ("{% set big = ['a' * 500000] * 8 %}{{ big | join | length }}", TOO_LONG),
        ("{% set s = 'a' * 600000 %}{{ (s ~ s) | length }}", TOO_LONG),
        (
            "{% set ns = namespace(s='ab') %}{% for i in range(64) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
            TOO_LONG,
        ),
        ("{{ lipsum(100000) }}", "'lipsum' is undefined"),
        ("{{ '%300000000s' % 'x' }}", "a width above 1000000"),
        ("{{ '%*s' % (10**9, 'x') }}", "a width above 1000000"),
        ("{{ '{:>300000000}'.format('x') }}", "a width above 1000000"),
        ("{{ '%300000000s' | format('x') }}", "a width above 1000000"),
        ("{{ ('a\\n' * 400000) | indent(999999) }}", TOO_LONG),
        ("{{ 'a b c' | wordwrap(1, wrapstring='x' * 900000) }}", TOO_LONG),
        ("{{ range(1000) | join('x' * 999999) }}", TOO_LONG),
        ("{{ range(100000) | list | tojson(indent=100) }}", TOO_LONG),
    ],
)
def test_values_a_template_builds_stay_bounded(source: str, message: str) -> None:
    with pytest.raises(DriverError) as refused:
        render_text("outputs", source, {}, timeout=60)
    assert str(refused.value) == f"template 'outputs', line 1: {message}"


def test_concatenation_methods_and_filters_still_work_within_bounds() -> None:
    source = "{{ ('a' ~ 1 ~ ['b']) }} {{ 'x'.center(5) }}|{{ ['ab'] * 3 }}"
    assert render_text("outputs", source, {}) == "a1['b']   x  |['ab', 'ab', 'ab']"
    source = "{{ '%3s' % 'x' }}|{{ '{:>3}'.format('y') }}|{{ [1, 2] | join(', ') }}"
    assert render_text("outputs", source, {}) == "  x|  y|1, 2"
    source = "{{ 'a\nb' | indent(2) }}|{{ {'k': [1]} | tojson(indent=1) }}"
    assert render_text("outputs", source, {}) == 'a\n  b|{\n "k": [\n  1\n ]\n}'


def test_reading_the_rendered_yaml_is_under_the_time_limit() -> None:
    text = "- [" + ", ".join(["1"] * 1000) + "]"
    with pytest.raises(TemplateTimeout), time_limit(0):
        parse_yaml("outputs", text)


def test_yaml_with_too_many_values_stops_at_the_limit() -> None:
    text = "- [" + ", ".join(["1"] * 100_001) + "]"
    with pytest.raises(DriverError) as refused:
        parse_yaml("outputs", text)
    assert str(refused.value) == "template 'outputs' rendered more than 100000 values"


def test_a_template_past_its_time_stops_between_two_calls_of_one_line() -> None:
    with pytest.raises(DriverError) as stopped:
        render_text("outputs", "{{ 'a' | upper | lower }}", {}, timeout=0)
    assert str(stopped.value) == (
        "template 'outputs' did not finish rendering within 0s (the definition's policy.timeout)"
    )
