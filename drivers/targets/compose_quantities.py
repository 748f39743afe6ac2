"""Kubernetes resource quantities (as Score writes them) converted for Docker Compose.

Score's `resources.limits/requests` use Kubernetes notation: cpu as whole or milli
CPUs (`"2"`, `"0.25"`, `"250m"`), memory as a number with an optional decimal
(`K M G T P E`, powers of 1000) or binary (`Ki Mi Gi Ti Pi Ei`, powers of 1024) suffix.
Compose wants cpus as a decimal number of CPUs and memory as a byte size, whose units
(`k m g`) are binary. Conversions are exact (decimal arithmetic); memory that is a
whole number of binary units keeps a unit so the output stays readable.

>>> compose_cpus("250m"), compose_cpus("0.250"), compose_cpus("2")
('0.25', '0.25', '2')
>>> compose_memory("256Mi"), compose_memory("1.5Gi"), compose_memory("128M")
('256m', '1536m', '125000k')
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal

_CPU = re.compile(r"^(?P<number>\d+(?:\.\d+)?)(?P<milli>m)?\Z")
_MEMORY = re.compile(r"^(?P<number>\d+(?:\.\d+)?)(?P<unit>[KMGTPE]i?)?\Z")

_DECIMAL_UNITS = "KMGTPE"

# Largest first: the first unit that divides the byte count evenly is used.
_COMPOSE_UNITS = (("g", 1024**3), ("m", 1024**2), ("k", 1024))


class QuantityError(ValueError):
    """A cpu or memory value that is not a Kubernetes quantity Score allows."""


def compose_cpus(quantity: str) -> str:
    """Score cpu (`"500m"`, `"1.5"`, `"2"`) as Compose `cpus`, a decimal CPU count.

    >>> compose_cpus("1000m"), compose_cpus("1m"), compose_cpus("0.024")
    ('1', '0.001', '0.024')
    >>> try:
    ...     compose_cpus("1.5x")
    ... except QuantityError as error:
    ...     print(error)
    '1.5x' is not a cpu quantity such as 500m
    """
    match = _CPU.match(quantity)
    if match is None:
        raise QuantityError(f"{quantity!r} is not a cpu quantity such as 500m")
    cpus = Decimal(match["number"])
    if match["milli"]:
        cpus /= 1000
    return _plain(cpus)


def compose_memory(quantity: str) -> str:
    """Score memory (`"64Mi"`, `"1G"`, `"1.5Gi"`, `"1000"`) as a Compose byte size.

    Fractions of a byte round up, so a limit is never tightened.

    >>> compose_memory("1Gi"), compose_memory("1G"), compose_memory("0.5Ki")
    ('1g', '1000000000', '512')
    >>> try:
    ...     compose_memory("64MB")
    ... except QuantityError as error:
    ...     print(error)
    '64MB' is not a memory quantity such as 128Mi
    """
    match = _MEMORY.match(quantity)
    if match is None:
        raise QuantityError(f"{quantity!r} is not a memory quantity such as 128Mi")
    size = Decimal(match["number"]) * _multiplier(match["unit"] or "")
    return _byte_size(int(size.to_integral_value(rounding=ROUND_CEILING)))


def _multiplier(unit: str) -> int:
    if not unit:
        return 1
    base = 1024 if unit.endswith("i") else 1000
    return int(base ** (_DECIMAL_UNITS.index(unit[0]) + 1))


def _byte_size(size: int) -> str:
    for suffix, unit in _COMPOSE_UNITS:
        if size and size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)


def _plain(number: Decimal) -> str:
    """`number` without exponent or trailing zeros: Decimal("0.250") -> "0.25"."""
    return format(number.normalize(), "f")
