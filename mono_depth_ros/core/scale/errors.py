"""Errors of the scale core."""

from __future__ import annotations

from mono_depth_ros.errors import MonoDepthError

__all__ = ["ScaleError", "ScaleInputError"]


class ScaleError(MonoDepthError, ValueError):
    """A scale that cannot be computed (nothing accumulated yet, a setting out of range)."""


class ScaleInputError(ScaleError):
    """Bad input to a scale function: wrong shape, NaN where a number is needed, a non-positive value."""
