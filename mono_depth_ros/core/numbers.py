"""Scalar checks for configuration values: one definition of "a finite number", "a positive number" and "a count"."""

from __future__ import annotations

import math
from numbers import Integral, Real


def is_finite_number(value: object) -> bool:
    """A real, finite number (Python or numpy scalar); booleans are not numbers here."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def is_positive_number(value: object) -> bool:
    """A finite number greater than zero."""
    return is_finite_number(value) and value > 0


def check_positive(value: object, name: str, error: type[Exception]) -> float:
    """`value` as a float; `error` (the caller's typed error) when it is not a finite number > 0."""
    if not is_positive_number(value):
        raise error(f"{name} must be a finite positive number, got {value!r}")
    return float(value)


def check_count(value: object, name: str, error: type[Exception], *, minimum: int = 1) -> int:
    """`value` as an int; `error` (the caller's typed error) when it is not an integer >= minimum (booleans are not)."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise error(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
