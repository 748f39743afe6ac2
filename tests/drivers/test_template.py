"""The `template` driver: rendering order, scope, YAML rules, sandbox and secrets."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
import yaml

from orchc.drivers.protocol import DriverError, DriverRequest, DriverResult, NullJournal
from orchc.drivers.template import TemplateDriver

SECRET = "hunter2-secret"


@pytest.fixture
def render(make_request: Any) -> Any:
    """`render(inputs, **request fields)` -> the template driver's result."""

    def run(inputs: dict[str, Any], **fields: Any) -> DriverResult:
        fields.setdefault("secrets", {"password": SECRET})
        request: DriverRequest = make_request("cache", inputs=inputs, **fields)
        return TemplateDriver().create(request, NullJournal())

    return run


def failure(render: Any, inputs: dict[str, Any], **fields: Any) -> str:
    with pytest.raises(DriverError) as error:
        render(inputs, **fields)
    return str(error.value)


def test_every_template_renders_into_its_result_field(render: Any) -> None:
    result = render(
        {
            "init": "name: cache-{{ context.res.guid }}",
            "state": "created_by: orchc",
            "outputs": "host: {{ init.name }}\nport: 6379",
            "secrets": "password: {{ secrets.password }}",
            "manifests": "- kind: Service\n  metadata: {name: '{{ init.name }}'}",
        },
        guid="rabc",
    )
    assert result.outputs == {"host": "cache-rabc", "port": 6379}
    assert result.secrets == {"password": SECRET}
    assert result.state == {"created_by": "orchc"}
    assert result.manifests == ({"kind": "Service", "metadata": {"name": "cache-rabc"}},)


@pytest.mark.parametrize(
    ("metadata", "published"),
    [({"annotations": {"compose.score.dev/publish-port": "8080"}}, "8080"), ({}, "none")],
)
def test_templates_see_the_score_resource_metadata(
    render: Any, metadata: dict[str, Any], published: str
) -> None:
    outputs = """
        {% set annotations = metadata.get("annotations", {}) %}
        published: {{ annotations.get("compose.score.dev/publish-port", "none") | tojson }}
    """
    result = render({"outputs": outputs}, metadata=metadata)
    assert result.outputs == {"published": published}


def test_templates_see_context_params_and_the_other_inputs(render: Any) -> None:
    outputs = """
        app: {{ context.app.id }}
        env: {{ context.env.id }}
        env_type: {{ context.env.type }}
        res: {{ context.res.id }} {{ context.res.type }} {{ context.res.class }}
        uid: {{ context.res.uid }}
        guid: {{ context.res.guid }}
        size: {{ params.size }}
        image: {{ inputs.image }}
        inputs: {{ inputs | tojson }}
    """
    result = render(
        {"outputs": outputs, "image": "redis:7", "init": "{}"}, params={"size": 3}, guid="rq"
    )
    assert result.outputs == {
        "app": "app",
        "env": "test",
        "env_type": "development",
        "res": "test cache default",
        "uid": "cache.default#test",
        "guid": "rq",
        "size": 3,
        "image": "redis:7",
        "inputs": {"image": "redis:7"},  # the five templates are not data
    }


def test_state_means_the_previous_state_in_init_and_state(render: Any) -> None:
    inputs = {
        "init": "saw: {{ state.n | default(0) }}",
        "state": "n: {{ (state.n | default(0)) + 1 }}",
        "outputs": "init_saw: {{ init.saw }}\nnew_state: {{ state.n }}",
    }
    first = render(inputs)
    second = render(inputs, state=first.state)
    assert first.outputs == {"init_saw": 0, "new_state": 1}
    assert second.outputs == {"init_saw": 1, "new_state": 2}
    assert second.state == {"n": 2}


def test_a_generated_password_is_kept_across_runs(render: Any) -> None:
    inputs = {
        "state": "password: {{ state.password | default(generate_password()) }}",
        "secrets": "password: {{ state.password }}",
        "manifests": "- kind: Secret\n  stringData: {password: '{{ state.password }}'}",
    }
    first = render(inputs)
    second = render(inputs, state=first.state)
    password = first.state["password"]
    assert len(password) == 32
    assert first.secrets == second.secrets == second.state == {"password": password}
    assert second.manifests == ({"kind": "Secret", "stringData": {"password": password}},)
    assert render(inputs).state["password"] != password  # a fresh resource, a fresh one


def test_without_a_state_template_no_state_is_kept(render: Any) -> None:
    assert render({"outputs": "a: 1"}, state={"old": "x"}).state == {}


@pytest.mark.parametrize("source", ["", "   \n", "{# nothing #}", "{% if false %}a: 1{% endif %}"])
def test_an_empty_render_is_empty(render: Any, source: str) -> None:
    result = render(dict.fromkeys(("init", "state", "outputs", "secrets"), source))
    assert (result.outputs, result.secrets, result.state) == ({}, {}, {})
    assert render({"manifests": source}).manifests == ()


def test_no_templates_at_all_is_an_empty_result(render: Any) -> None:
    assert render({"anything": 1}) == DriverResult()


def test_dates_and_versions_stay_strings(render: Any) -> None:
    result = render({"outputs": "released: 2024-01-02\nversion: '1.10'\nratio: 1.5"})
    assert result.outputs == {"released": "2024-01-02", "version": "1.10", "ratio": 1.5}


def test_block_statements_leave_no_blank_lines(render: Any) -> None:
    outputs = """
        {% for name in inputs.names %}
        {{ name }}: true
        {% endfor %}
    """
    assert render({"outputs": outputs, "names": ["a", "b"]}).outputs == {"a": True, "b": True}


FILTERS = [
    ("'user:pw' | b64encode", base64.b64encode(b"user:pw").decode()),
    ("'dXNlcjpwdw==' | b64decode", "user:pw"),
    ("'abc' | sha256", hashlib.sha256(b"abc").hexdigest()),
    ("{'b': '<&>', 'a': 1} | tojson", '{"a": 1, "b": "<&>"}'),
    ("{'b': [1], 'a': 'x'} | toyaml", "a: x\nb:\n- 1"),
    ("'plain' | toyaml", "plain"),
    ("generate_password(12) | length", 12),
]


@pytest.mark.parametrize(("expression", "value"), FILTERS)
def test_helper_filters_and_globals(render: Any, expression: str, value: object) -> None:
    # `tojson` makes any rendered value one YAML scalar, so the test sees it exactly.
    result = render({"outputs": f"value: {{{{ ({expression}) | tojson }}}}"})
    assert result.outputs == {"value": value}


def test_generated_passwords_are_url_safe_and_random(render: Any) -> None:
    result = render({"outputs": "a: {{ generate_password() }}\nb: {{ generate_password() }}"})
    a, b = result.outputs["a"], result.outputs["b"]
    assert a != b
    assert set(a + b) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


ERRORS = [
    (
        {"outputs": "host: h\nport: {{ nope }}"},
        "template 'outputs', line 2: 'nope' is undefined",
    ),
    (
        {"secrets": "\n\nx: {{ inputs.missing }}"},
        "template 'secrets', line 3: 'dict object' has no attribute 'missing'",
    ),
    (
        {"state": "a: 1\n{% if %}"},
        "template 'state', line 2: Expected an expression, got 'end of statement block'",
    ),
    ({"init": "{{ x }"}, "template 'init', line 1: unexpected '}'"),
    (
        {"outputs": "x: {{ ''.__class__ }}"},
        "template 'outputs', line 1: access to attribute '__class__' of 'str' object is unsafe.",
    ),
    (
        {"outputs": "x: {{ inputs.update({}) }}"},
        "template 'outputs', line 1: access to attribute 'update' of 'dict' object is unsafe.",
    ),
    (
        {"manifests": "{{ range(10**9) | list }}"},
        "template 'manifests', line 1: range of more than 100000 items",
    ),
    ({"init": "\n\n{{ 1 / 0 }}"}, "template 'init', line 3: ZeroDivisionError: division by zero"),
    (
        {"state": "p: {{ generate_password(0) }}"},
        "template 'state', line 1: ValueError: generate_password: length must be a whole "
        "number from 1 to 4096",
    ),
    (
        {"outputs": "a: b: c"},
        "template 'outputs' rendered invalid YAML: mapping values are not allowed in this context "
        "(rendered line 1, column 5)",
    ),
    (
        {"outputs": "a: 1\na: 2"},
        "template 'outputs' rendered invalid YAML: duplicate key 'a' (rendered line 2, column 1)",
    ),
    ({"outputs": "- a"}, "template 'outputs' must render a YAML mapping, not a list"),
    ({"state": "just text"}, "template 'state' must render a YAML mapping, not a string"),
    ({"manifests": "kind: Service"}, "template 'manifests' must render a YAML list, not a mapping"),
    (
        {"manifests": "- kind: Service\n- 42"},
        "template 'manifests': item 2 is a number, not a mapping",
    ),
    ({"outputs": "1: one"}, "template 'outputs' rendered a key that is not a string: 1"),
    (
        {"outputs": "a: !!binary aGVsbG8="},
        "template 'outputs' rendered a value YAML typed as bytes, which JSON cannot hold",
    ),
    ({"outputs": ["a: 1"]}, "input 'outputs' must be a template (a string), not a list"),
    (
        {"outputs": "password: x", "secrets": "password: y"},
        "templates 'outputs' and 'secrets' both render 'password'",
    ),
]


@pytest.mark.parametrize(("inputs", "message"), ERRORS)
def test_errors_name_the_template_and_the_line(
    render: Any, inputs: dict[str, Any], message: str
) -> None:
    assert failure(render, inputs) == message


LEAKS = [
    # A lookup by a secret key: Jinja's own message quotes the key.
    (
        {"outputs": "x: {{ {}[secrets.password] }}"},
        "template 'outputs', line 1: 'dict object' has no attribute '…'",
    ),
    # A YAML error: PyYAML's own message quotes the rendered line, so it is not used.
    (
        {"outputs": "x: {{ secrets.password }}: y"},
        "template 'outputs' rendered invalid YAML: mapping values are not allowed in this context "
        "(rendered line 1, column 18)",
    ),
    (
        {"outputs": "{{ secrets.password }}: 1\n{{ secrets.password }}: 2"},
        "template 'outputs' rendered invalid YAML: duplicate key '(sensitive)' "
        "(rendered line 2, column 1)",
    ),
    # A value generated in this very run, not stored anywhere yet.
    (
        {"state": "p: {{ generate_password() }}", "manifests": "- {{ {}[state.p] }}"},
        "template 'manifests', line 1: 'dict object' has no attribute '…'",
    ),
    # The previous run's state (what `init` sees) is private too.
    (
        {"init": "x: {{ {}[state.p] }}"},
        "template 'init', line 1: 'dict object' has no attribute '…'",
    ),
]


@pytest.mark.parametrize(("inputs", "message"), LEAKS)
def test_errors_never_show_a_secret(render: Any, inputs: dict[str, Any], message: str) -> None:
    with pytest.raises(DriverError) as error:
        render(inputs, state={"p": "previous-password"})
    assert str(error.value) == message
    # Nor does a chained exception carry the original words.
    assert error.value.__cause__ is None
    assert error.value.__suppress_context__


def test_an_output_embedding_a_secret_is_returned_as_a_secret(render: Any) -> None:
    result = render(
        {
            "outputs": "host: h\nurl: redis://u:{{ secrets.password }}@h\n"
            "via_input: 'x-{{ inputs.token }}'\nrendered: '{{ state.key }}'",
            "state": "key: generated-key-1",
            "secrets": "key: {{ state.key }}",
            "token": "sensitive-token",
        },
        sensitive_inputs=frozenset({"token"}),
    )
    assert result.outputs == {"host": "h"}
    assert result.secrets == {
        "url": f"redis://u:{SECRET}@h",
        "via_input": "x-sensitive-token",
        "rendered": "generated-key-1",
        "key": "generated-key-1",
    }


def test_manifests_render_from_multiline_yaml(render: Any) -> None:
    manifests = """
        - apiVersion: apps/v1
          kind: StatefulSet
          metadata:
            name: {{ context.res.guid }}
          spec:
            template:
              spec:
                containers:
                  - name: redis
                    image: {{ inputs.image }}
                    args: {{ ['--requirepass', state.password] | tojson }}
    """
    result = render(
        {"manifests": manifests, "image": "redis:7", "state": "password: p4ss-word"}, guid="rm"
    )
    (manifest,) = result.manifests
    assert manifest == yaml.safe_load(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: rm}\n"
        "spec: {template: {spec: {containers: [{name: redis, image: 'redis:7', "
        "args: ['--requirepass', p4ss-word]}]}}}"
    )


def test_delete_does_nothing_and_no_input_forces_a_replace(make_request: Any) -> None:
    request = make_request("cache", action="delete", inputs={"outputs": "{{ broken"})
    assert TemplateDriver().delete(request, NullJournal()) is None
    assert TemplateDriver.replace_inputs == frozenset()


def test_the_patches_template_becomes_the_patches_output(render: Any) -> None:
    result = render(
        {"patches": "- {op: replace, path: /spec/replicas, value: {{ inputs.replicas }}}"}
        | {"replicas": 3}
    )
    assert result.outputs == {"patches": [{"op": "replace", "path": "/spec/replicas", "value": 3}]}


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"patches": "op: add"}, "template 'patches' must render a YAML list, not a mapping"),
        ({"patches": "- add"}, "template 'patches': item 1 is a string, not a mapping"),
        (
            {"patches": "- {op: remove, path: /a}", "outputs": "patches: []"},
            "templates 'outputs' and 'patches' both render 'patches'",
        ),
    ],
)
def test_bad_patches_templates(render: Any, inputs: dict[str, Any], message: str) -> None:
    assert failure(render, inputs) == message
