"""The shared argparse types: the value back, or an ArgumentTypeError whose message names the value."""

from __future__ import annotations

import argparse

import pytest

from mono_depth_ros.commands.options import finite_float, non_negative_int, positive_float, positive_int


def test_values_that_fit() -> None:
    assert positive_int("3") == 3
    assert non_negative_int("0") == 0
    assert finite_float("-2.5") == -2.5
    assert positive_float("1e-3") == 1e-3


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (positive_int, "0", r"^expected a positive integer, got 0$"),
        (positive_int, "1.5", r"^expected a positive integer, got '1.5'$"),
        (non_negative_int, "-1", r"^expected a non-negative integer, got -1$"),
        (non_negative_int, "none", r"^expected a non-negative integer, got 'none'$"),
        (finite_float, "fast", r"^expected a number, got 'fast'$"),
        (finite_float, "inf", r"^expected a finite number, got inf$"),
        (finite_float, "nan", r"^expected a finite number, got nan$"),
        (positive_float, "0", r"^expected a positive finite number, got 0$"),
        (positive_float, "inf", r"^expected a positive finite number, got inf$"),
        (positive_float, "x", r"^expected a positive number, got 'x'$"),
    ],
)
def test_values_that_do_not_fit(parse, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        parse(text)
