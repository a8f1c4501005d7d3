"""Argument types shared by the sub-commands (and the bag player): they reject bad values with a message naming
the value."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TypeVar

NumberT = TypeVar("NumberT", int, float)


def _parse(text: str, convert: Callable[[str], NumberT], expected: str) -> NumberT:
    """`convert(text)`; an ArgumentTypeError "expected <expected>, got '<text>'" when it is not one."""
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None


def positive_int(text: str) -> int:
    value = _parse(text, int, "a positive integer")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = _parse(text, int, "a non-negative integer")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def finite_float(text: str) -> float:
    value = _parse(text, float, "a number")
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text}")
    return value


def positive_float(text: str) -> float:
    value = _parse(text, float, "a positive number")
    if not (value > 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text}")
    return value
