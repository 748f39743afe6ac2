"""The driver registry: entry-point discovery, lazy loading and clear failures."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint
from typing import ClassVar

import pytest
from core_helpers import BUILTIN_DRIVERS

from orchc.drivers.protocol import Driver, DriverRequest, DriverResult, Journal, Target
from orchc.drivers.registry import (
    ENTRY_POINT_GROUP,
    DriverLoadError,
    DriverRegistry,
    UnknownDriverError,
    default_registry,
)
from orchc.drivers.static import StaticDriver


class FakeDriver:
    """A third-party driver, as a plugin would ship it."""

    replace_inputs: ClassVar[frozenset[str]] = frozenset({"region"})

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult:
        return DriverResult(outputs={"made_by": "fake"})

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        return None


class ExplodingDriver(FakeDriver):
    def __init__(self) -> None:
        raise RuntimeError("no credentials configured")


class UntypedReplaceInputs(FakeDriver):
    replace_inputs = ["region"]  # type: ignore[assignment]


def entry_point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def test_every_builtin_driver_is_registered() -> None:
    assert set(BUILTIN_DRIVERS) <= set(default_registry().names())
    assert default_registry().names() == tuple(sorted(default_registry().names()))


@pytest.mark.parametrize(("name", "is_target"), sorted(BUILTIN_DRIVERS.items()))
def test_every_builtin_driver_loads_and_satisfies_the_protocol(name: str, is_target: bool) -> None:
    registry = default_registry()
    driver = registry.get(name)
    assert isinstance(driver, Driver)
    assert isinstance(driver, Target) is is_target
    assert registry.is_target(name) is is_target
    assert registry.replace_inputs(name) == type(driver).replace_inputs
    assert registry.get(name) is driver  # created once


def test_discovery_is_cached_per_process() -> None:
    assert default_registry() is default_registry()


def test_names_and_core_drivers_import_no_client_library() -> None:
    # A fresh interpreter: this test process has long imported everything.
    script = (
        "import sys\n"
        "from orchc.drivers.registry import default_registry\n"
        "registry = default_registry()\n"
        "assert 'postgres' in registry.names()\n"
        "for name in ('static', 'template', 'cmd'):\n"
        "    registry.get(name)\n"
        "heavy = ('psycopg', 'pymysql', 'redis', 'orchc.drivers.postgres',\n"
        "         'orchc.drivers.mysql', 'orchc.drivers.redis', 'orchc.drivers.terraform')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout == "[]\n"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("postgress", "unknown driver 'postgress'; did you mean 'postgres'?"),
        ("Static", "unknown driver 'Static'; did you mean 'static'?"),
        ("kubernetes", "unknown driver 'kubernetes'; did you mean 'kubernetes-manifests'?"),
        ("zzz", "unknown driver 'zzz' (installed drivers: fake, static)"),
    ],
)
def test_unknown_name_is_a_key_error_with_a_suggestion(name: str, message: str) -> None:
    known = {"fake": FakeDriver, "static": StaticDriver}
    registry = DriverRegistry.from_mapping(known) if name == "zzz" else default_registry()
    with pytest.raises(KeyError) as error:
        registry.get(name)
    assert isinstance(error.value, UnknownDriverError)
    assert str(error.value) == message


def test_a_fake_plugin_from_an_explicit_mapping() -> None:
    registry = DriverRegistry.from_mapping({"fake": FakeDriver, "static": StaticDriver()})
    assert registry.names() == ("fake", "static")
    assert "fake" in registry and "nope" not in registry
    assert isinstance(registry.get("fake"), FakeDriver)
    assert registry.replace_inputs("fake") == frozenset({"region"})
    assert registry.is_target("fake") is False


def test_a_plugin_through_an_entry_point() -> None:
    registry = DriverRegistry.from_entry_points(
        [entry_point("copy", "orchc.drivers.static:StaticDriver")]
    )
    assert isinstance(registry.get("copy"), StaticDriver)


BROKEN = [
    (
        {"broken": entry_point("broken", "orchc_no_such_plugin.drivers:Driver")},
        "driver plugin 'broken' (orchc_no_such_plugin.drivers:Driver) failed to import: "
        "ModuleNotFoundError: No module named 'orchc_no_such_plugin'",
    ),
    (
        {"missing": entry_point("missing", "orchc.drivers.static:NoSuchDriver")},
        "driver plugin 'missing' (orchc.drivers.static:NoSuchDriver) failed to import: "
        "AttributeError: module 'orchc.drivers.static' has no attribute 'NoSuchDriver'",
    ),
    (
        {"decoder": entry_point("decoder", "json:JSONDecoder")},
        "driver plugin 'decoder' (json:JSONDecoder) is not a driver: it needs "
        "`replace_inputs` (a frozenset), `create` and `delete`",
    ),
    (
        {"untyped": UntypedReplaceInputs},
        "driver plugin 'untyped' ({module}:UntypedReplaceInputs) is not a driver: it needs "
        "`replace_inputs` (a frozenset), `create` and `delete`",
    ),
    (
        {"exploding": ExplodingDriver},
        "driver plugin 'exploding' ({module}:ExplodingDriver) could not be created: "
        "RuntimeError: no credentials configured",
    ),
]


@pytest.mark.parametrize(("drivers", "message"), BROKEN)
def test_a_broken_plugin_fails_clearly_and_only_when_used(
    drivers: dict[str, object], message: str
) -> None:
    registry = DriverRegistry.from_mapping({**drivers, "static": StaticDriver})
    (name,) = drivers
    assert registry.names() == tuple(sorted([name, "static"]))
    assert isinstance(registry.get("static"), StaticDriver)
    with pytest.raises(DriverLoadError) as error:
        registry.get(name)
    assert str(error.value) == message.format(module=__name__)


def test_one_name_registered_twice_fails_when_used() -> None:
    registry = DriverRegistry.from_entry_points(
        [
            entry_point("dup", "pkg_b.drivers:Dup"),
            entry_point("static", "orchc.drivers.static:StaticDriver"),
            entry_point("dup", "pkg_a.drivers:Dup"),
            entry_point("static", "orchc.drivers.static:StaticDriver"),  # same target: fine
        ]
    )
    assert registry.names() == ("dup", "static")
    assert isinstance(registry.get("static"), StaticDriver)
    with pytest.raises(DriverLoadError) as error:
        registry.get("dup")
    assert str(error.value) == (
        "driver 'dup' is registered twice: by pkg_a.drivers:Dup and pkg_b.drivers:Dup"
    )


def test_a_built_in_name_registered_twice_has_no_declaration() -> None:
    """Whichever origin sorts first, the conflict is refused where the driver is used,
    not answered from the built-in's declaration."""
    for plugin in ("acme.drivers:Static", "zeta.drivers:Static"):
        registry = DriverRegistry.from_entry_points(
            [
                entry_point("static", "orchc.drivers.static:StaticDriver"),
                entry_point("static", plugin),
            ]
        )
        assert registry.declaration("static") is None
        with pytest.raises(DriverLoadError, match="registered twice"):
            registry.is_target("static")
        with pytest.raises(DriverLoadError, match="registered twice"):
            registry.code_inputs("static")
