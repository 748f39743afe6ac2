"""Score (Kubernetes) cpu and memory quantities converted for Compose."""

from __future__ import annotations

import pytest

from orchc.drivers.targets.compose_quantities import QuantityError, compose_cpus, compose_memory


@pytest.mark.parametrize(
    ("quantity", "cpus"),
    [
        ("250m", "0.25"),
        ("1000m", "1"),
        ("1m", "0.001"),
        ("0.250", "0.25"),
        ("0.24", "0.24"),
        ("2", "2"),
        ("10", "10"),
        ("1.5", "1.5"),
    ],
)
def test_cpus(quantity, cpus):
    assert compose_cpus(quantity) == cpus


@pytest.mark.parametrize(
    ("quantity", "memory"),
    [
        ("256Mi", "256m"),
        ("64Mi", "64m"),
        ("10Gi", "10g"),
        ("1.5Gi", "1536m"),
        ("1Ki", "1k"),
        ("0.5Ki", "512"),
        ("1Ti", "1024g"),
        ("128M", "125000k"),
        ("1G", "1000000000"),
        ("1000", "1000"),
        ("1K", "1000"),
        ("0.1", "1"),  # a fraction of a byte rounds up
        ("1.1Ki", "1127"),
    ],
)
def test_memory(quantity, memory):
    assert compose_memory(quantity) == memory


@pytest.mark.parametrize(
    ("convert", "quantity", "message"),
    [
        (compose_cpus, "1.5x", "'1.5x' is not a cpu quantity such as 500m"),
        (compose_cpus, "m", "'m' is not a cpu quantity such as 500m"),
        (compose_cpus, "-1", "'-1' is not a cpu quantity such as 500m"),
        (compose_memory, "64MB", "'64MB' is not a memory quantity such as 128Mi"),
        (compose_memory, "1mi", "'1mi' is not a memory quantity such as 128Mi"),
        (compose_memory, "", "'' is not a memory quantity such as 128Mi"),
    ],
)
def test_invalid_quantities(convert, quantity, message):
    with pytest.raises(QuantityError) as error:
        convert(quantity)
    assert str(error.value) == message
