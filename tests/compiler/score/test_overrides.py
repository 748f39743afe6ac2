"""Override options read and applied to a Score document (SPEC §12), with their errors."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from orchc.compiler.score import read_score
from orchc.compiler.score.overrides import OverrideError, parse_options, set_path
from orchc.grammar.source import SourceMap


def document() -> dict[str, Any]:
    return {
        "metadata": {"name": "web"},
        "containers": {"main": {"image": ".", "args": ["a", "b"]}},
    }


@pytest.mark.parametrize(
    ("option", "path", "expected"),
    [
        ("web:containers.main.args.1=c", ("containers", "main", "args"), ["a", "c"]),
        ("web:containers.main.args.-1=c", ("containers", "main", "args"), ["a", "b", "c"]),
        ("web:containers.main.args.0=", ("containers", "main", "args"), ["b"]),
        ("web:containers.main.args=null", ("containers", "main"), {"image": "."}),
        ("web:metadata.annotations.a\\.b=1", ("metadata", "annotations"), {"a.b": 1}),
        ("web:service.ports.http={port: 80}", ("service",), {"ports": {"http": {"port": 80}}}),
        ("web:containers.main.image='1.0'", ("containers", "main", "image"), "1.0"),
    ],
)
def test_override_property(option: str, path: tuple[str, ...], expected: Any) -> None:
    changed = document()
    parse_options((), (option,), ()).apply_properties(changed, "web")
    value: Any = changed
    for key in path:
        value = value[key]
    assert value == expected


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("web:containers.main.image.x=1", "containers.main.image is not a mapping or a list"),
        ("web:containers.main.args.7=1", "containers.main.args.7: no item '7' in a list of 2"),
        ("web:containers.main.args.x.y=1", "containers.main.args.x: no item 'x' in a list of 2"),
    ],
)
def test_override_property_that_cannot_apply(option: str, message: str) -> None:
    with pytest.raises(OverrideError) as raised:
        parse_options((), (option,), ()).apply_properties(document(), "web")
    assert str(raised.value) == f"--override-property {option}: {message}"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ((("x",), (), ()), "--overrides-file 'x': expected WORKLOAD=FILE"),
        (((), ("web.a=1",), ()), "--override-property 'web.a=1': expected WORKLOAD:PATH=VALUE"),
        (((), ("web:a..b=1",), ()), "--override-property 'web:a..b=1': PATH has an empty part"),
        (
            ((), ("web:a=[1",), ()),
            "--override-property 'web:a=[1': VALUE is not YAML: ",
        ),
        (
            ((), (), ("web=a b",)),
            "--image 'web=a b': expected WORKLOAD=IMAGE or WORKLOAD.CONTAINER=IMAGE with a "
            "non-empty IMAGE",
        ),
    ],
)
def test_options_that_cannot_be_read(
    options: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], message: str
) -> None:
    with pytest.raises(OverrideError) as raised:
        parse_options(*options)
    assert str(raised.value).startswith(message)


def test_image_for_a_workload_without_a_built_here_container() -> None:
    changed = {"containers": {"a": {"image": "x"}, "b": {"image": "y"}}}
    with pytest.raises(OverrideError) as raised:
        parse_options((), (), ("web=z",)).apply_images(changed, "web")
    assert str(raised.value) == (
        "--image web=z: workload 'web' has 2 containers and none with `image: .`; name one: "
        "--image web.CONTAINER=z"
    )
    single = {"containers": {"a": {"image": "x"}}}
    parse_options((), (), ("web=z",)).apply_images(single, "web")
    assert single == {"containers": {"a": {"image": "z"}}}


def test_set_path_on_a_scalar_parent() -> None:
    with pytest.raises(OverrideError):
        set_path({"a": 1}, ("a", "b"), 2)


def test_an_override_of_an_aliased_place_leaves_the_alias_as_written(tmp_path: Path) -> None:
    score = tmp_path / "score.yaml"
    score.write_text(
        "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers:\n"
        "  main: &c {image: ., variables: {A: a}}\n  side: *c\n"
    )
    overrides = parse_options(
        (), ("web:containers.side.variables.A=b",), ("web.main=nginx", "web.side=busybox")
    )
    workload, problems = read_score(score, tmp_path, SourceMap(), overrides)
    assert problems == []
    assert workload is not None
    assert workload.spec["containers"] == {
        "main": {"image": "nginx", "variables": {"A": "a"}},
        "side": {"image": "busybox", "variables": {"A": "b"}},
    }


@pytest.mark.parametrize(
    ("file", "shown"),
    [
        ("overrides/web.yaml", "overrides/web.yaml"),
        ("over\nrides\x1b[31m.yaml\x07", "over\\nrides\\x1b[31m.yaml\\x07"),
    ],
)
def test_an_overrides_file_is_shown_escaped_and_digested_as_given(file: str, shown: str) -> None:
    """Messages and the plan show the path escaped; `inputs_digest` hashes it as given,
    the text it hashed before messages escaped it."""
    overrides = parse_options((f"web={file}",), (), ())
    assert overrides.of("web") == [f"--overrides-file: {shown}"]
    as_given = f"--overrides-file: {file}".encode()
    assert overrides.digest() == hashlib.sha256(as_given).hexdigest()


def test_the_digest_of_a_plain_overrides_file_is_unchanged() -> None:
    """The value `inputs_digest` took for this option before paths were escaped."""
    overrides = parse_options(("web=overrides/web.yaml",), (), ())
    digest = "58f3b1511e44afe74a46294d8310f55feb6cc158ea927c97ead4c6c6a9e64405"
    assert overrides.digest() == digest
