"""The shared scalar checks: Python and numpy numbers count, booleans, strings, NaN and infinities do not; the
checking forms raise the caller's error type with a message naming the value."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.numbers import check_count, check_positive, is_finite_number, is_positive_number


class CallerError(ValueError):
    """A subpackage's own error type."""


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


def test_check_positive_returns_a_float_or_raises_the_callers_error():
    assert check_positive(np.int64(3), "rate", CallerError) == 3.0
    assert type(check_positive(np.int64(3), "rate", CallerError)) is float
    with pytest.raises(CallerError, match=r"^rate must be a finite positive number, got 0$"):
        check_positive(0, "rate", CallerError)
    with pytest.raises(CallerError, match=r"got nan"):
        check_positive(float("nan"), "rate", CallerError)


def test_check_count_returns_an_int_or_raises_the_callers_error():
    assert check_count(np.int32(4), "window", CallerError) == 4
    assert check_count(3, "points", CallerError, minimum=3) == 3
    with pytest.raises(CallerError, match=r"^window must be an integer >= 1, got 0$"):
        check_count(0, "window", CallerError)
    with pytest.raises(CallerError, match=r"^points must be an integer >= 3, got 2$"):
        check_count(2, "points", CallerError, minimum=3)
    with pytest.raises(CallerError, match=r"got True"):
        check_count(True, "window", CallerError)
    with pytest.raises(CallerError, match=r"got 2.0"):
        check_count(2.0, "window", CallerError)
