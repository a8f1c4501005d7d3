"""Conversion of user arrays (numpy, torch) to numpy float64 and checks of scalar settings, with typed errors."""

from __future__ import annotations

import numpy as np

from mono_depth_ros.core.numbers import is_positive_number
from mono_depth_ros.core.scale.errors import ScaleError, ScaleInputError


def as_float64(value: object, name: str) -> np.ndarray:
    """`value` as a float64 numpy array; torch tensors (any device or float dtype) are detached and copied to host."""
    if hasattr(value, "detach"):  # a torch tensor, without importing torch here
        value = value.detach().cpu().double().numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ScaleInputError(f"{name} must be a numeric array, got {type(value).__name__}: {error}") from None


def as_mask(value: object, shape: tuple[int, ...], name: str = "mask") -> np.ndarray:
    """`value` as a bool array of `shape` (None: everything)."""
    if value is None:
        return np.ones(shape, dtype=bool)
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    mask = np.asarray(value)
    if mask.dtype != np.bool_:
        raise ScaleInputError(f"{name} must be a boolean array, got dtype {mask.dtype}")
    if mask.shape != shape:
        raise ScaleInputError(f"{name} must have the shape {shape} of the depths, got {mask.shape}")
    return mask


def positive_values(values: np.ndarray) -> np.ndarray:
    """(*) bool: finite and strictly positive."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values > 0)


def check_positive(value: object, name: str) -> float:
    """`value` as a float; ScaleError when it is not a finite number > 0."""
    if not is_positive_number(value):
        raise ScaleError(f"{name} must be a finite positive number, got {value!r}")
    return float(value)


def check_count(value: object, name: str, minimum: int = 1) -> int:
    """`value` as an int; ScaleError when it is not an integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ScaleError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
