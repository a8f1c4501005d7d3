"""Conversion of user arrays (numpy, torch, nested sequences) to numpy float64, with typed errors."""

from __future__ import annotations

import numpy as np

from mono_depth_ros.core.evaluation.errors import EvaluationError


def as_float64(value: object, name: str) -> np.ndarray:
    """`value` as a float64 numpy array; torch tensors (any device, any float dtype) are detached and copied to host."""
    if hasattr(value, "detach"):  # a torch tensor, without importing torch here
        value = value.detach().cpu().double().numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise EvaluationError(f"{name} must be a numeric array, got {type(value).__name__}: {error}") from None
