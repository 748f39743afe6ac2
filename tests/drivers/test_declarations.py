"""The built-in drivers' declarations (drivers/declarations.py) say what the drivers
themselves accept: the same input names, the same required ones, secrets in the same
block; and every built-in driver has one."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from orchc.drivers import declarations, template
from orchc.drivers.database import AdminSecrets
from orchc.drivers.environment import EnvironmentInputs
from orchc.drivers.mysql import MysqlInputs
from orchc.drivers.postgres import PostgresInputs
from orchc.drivers.protocol import DriverError
from orchc.drivers.redis import RedisInputs, RedisSecrets
from orchc.drivers.registry import default_registry
from orchc.drivers.targets.compose import ComposeInputs
from orchc.drivers.targets.gitops import GitopsInputs
from orchc.drivers.targets.kubernetes_manifests import KubernetesManifestsInputs
from orchc.drivers.terraform import TerraformInputs, TerraformSecrets

STRICT: dict[str, tuple[type[BaseModel], type[BaseModel] | None]] = {
    "postgres": (PostgresInputs, AdminSecrets),
    "mysql": (MysqlInputs, AdminSecrets),
    "redis": (RedisInputs, RedisSecrets),
    "terraform": (TerraformInputs, TerraformSecrets),
    "environment": (EnvironmentInputs, None),
    "compose": (ComposeInputs, None),
    "kubernetes-manifests": (KubernetesManifestsInputs, None),
}


def test_every_built_in_driver_is_declared() -> None:
    registry = default_registry()
    assert set(declarations.BUILT_IN) == set(registry.names())
    assert all(registry.declaration(name) is not None for name in registry.names())


@pytest.mark.parametrize("name", sorted(STRICT))
def test_a_strict_driver_declares_its_models(name: str) -> None:
    declaration = declarations.BUILT_IN[name]
    inputs, secrets = STRICT[name]
    for model, secret in ((inputs, False), (secrets, True)):
        declared = {d.name: d.required for d in declaration.inputs if d.secret == secret}
        if model is None:
            assert declared == {}
            assert declaration.open_secrets
            continue
        fields = {n: f.is_required() for n, f in model.model_fields.items()}
        assert declared == fields
    assert not declaration.open_inputs


def test_template_inputs_are_the_templates_the_driver_renders() -> None:
    assert declarations.TEMPLATE_INPUTS == template.TEMPLATE_INPUTS


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ("shop/dev", False),
        ("deploy/shop/dev/", False),
        ("*", False),
        ("a.git/b", False),
        ("../elsewhere", True),
        ("/srv/deploy", True),
        ("\\srv", True),
        (":(top)", True),
        ("a/../..", True),
        (".GIT/hooks", True),
        ("a//b", True),
        ("a\0b", True),
    ],
)
def test_the_gitops_path_rule_is_the_drivers_own(path: str, refused: bool) -> None:
    """The plan refuses exactly the `path` values the driver refuses, in its words."""
    found = declarations.BUILT_IN["gitops"].input_error("path", path)
    try:
        GitopsInputs.parse({"repo": "file:///srv/deploy.git", "path": path})
    except DriverError as error:
        assert found is not None and str(error).endswith(f"'path': Value error, {found}")
    else:
        assert found is None
    assert (found is not None) == refused


@pytest.mark.parametrize("name", sorted(declarations.BUILT_IN))
def test_the_registry_answers_for_a_built_in_driver_as_the_driver_would(name: str) -> None:
    """`is_target` and `code_inputs` come from the declaration (planning imports no
    driver); they say what the loaded driver object says."""
    from orchc.drivers.protocol import Target

    registry = default_registry()
    driver = registry.get(name)
    assert registry.is_target(name) is isinstance(driver, Target)
    assert registry.code_inputs(name) == getattr(driver, "code_inputs", frozenset())
