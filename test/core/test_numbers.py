"""The shared scalar checks: Python and numpy numbers count, booleans, strings, NaN and infinities do not."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.numbers import is_finite_number, is_positive_number


@pytest.mark.parametrize("value", [1, 0.5, np.float32(2.0), np.int64(3), 1e-9])
def test_positive_numbers(value):
    assert is_finite_number(value)
    assert is_positive_number(value)


@pytest.mark.parametrize("value", [0, -1.0, np.float64(-2.0)])
def test_finite_but_not_positive(value):
    assert is_finite_number(value)
    assert not is_positive_number(value)


@pytest.mark.parametrize("value", [True, False, "1", None, float("nan"), float("inf"), -float("inf"), [1]])
def test_not_numbers(value):
    assert not is_finite_number(value)
    assert not is_positive_number(value)
