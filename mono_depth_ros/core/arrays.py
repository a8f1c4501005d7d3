"""Conversion of user arrays (numpy, torch, nested sequences) to numpy, for every core subpackage.

Each function raises the caller's typed error (`error`, a subclass of its subpackage's errors), so one
implementation serves the scale, evaluation and other cores with their own error types.
"""

from __future__ import annotations

import numpy as np

__all__ = ["as_float64", "as_mask", "positive_values"]


def as_float64(value: object, name: str, error: type[Exception]) -> np.ndarray:
    """`value` as a float64 numpy array; torch tensors (any device, any float dtype) are detached and copied to host.

    Raises:
        error: a value that is not numeric (named by `name`).
    """
    if hasattr(value, "detach"):  # a torch tensor, without importing torch here
        value = value.detach().cpu().double().numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise error(f"{name} must be a numeric array, got {type(value).__name__}: {exc}") from None


def as_mask(value: object, shape: tuple[int, ...], name: str, error: type[Exception]) -> np.ndarray:
    """`value` as a bool array of `shape` (None: everything).

    Raises:
        error: a mask that is not boolean or not of `shape`.
    """
    if value is None:
        return np.ones(shape, dtype=bool)
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    mask = np.asarray(value)
    if mask.dtype != np.bool_:
        raise error(f"{name} must be a boolean array, got dtype {mask.dtype}")
    if mask.shape != shape:
        raise error(f"{name} must have the shape {shape} of the depths, got {mask.shape}")
    return mask


def positive_values(values: np.ndarray) -> np.ndarray:
    """(*) bool: finite and strictly positive."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values > 0)
