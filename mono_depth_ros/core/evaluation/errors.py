"""Errors of the evaluation core."""

from __future__ import annotations

from mono_depth_ros.core.shapes import ShapeError
from mono_depth_ros.errors import MonoDepthError

__all__ = ["EvaluationDataError", "EvaluationError", "ShapeError"]


class EvaluationError(MonoDepthError, ValueError):
    """Depths that cannot be evaluated: empty, non-positive or non-finite values, nothing valid to compare."""


class EvaluationDataError(EvaluationError):
    """Evaluation data on disk (KITTI raw images, depth-benchmark ground truth) that is missing or does not pair up."""
