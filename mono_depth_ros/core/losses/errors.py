"""Errors of the loss functions."""

from __future__ import annotations

from mono_depth_ros.core.shapes import ShapeError
from mono_depth_ros.errors import MonoDepthError

__all__ = ["LossError", "ShapeError"]


class LossError(MonoDepthError, ValueError):
    """A loss argument out of range: a weight outside its interval, an even SSIM window, a window larger than the
    image, an empty list of source views, a negative mask weight."""
