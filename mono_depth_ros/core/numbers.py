"""Scalar checks for configuration values: one definition of "a finite number" and "a positive number"."""

from __future__ import annotations

import math
from numbers import Real


def is_finite_number(value: object) -> bool:
    """A real, finite number (Python or numpy scalar); booleans are not numbers here."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def is_positive_number(value: object) -> bool:
    """A finite number greater than zero."""
    return is_finite_number(value) and value > 0
