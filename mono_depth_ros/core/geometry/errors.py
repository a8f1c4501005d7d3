"""Errors of the geometry core."""

from __future__ import annotations

from mono_depth_ros.core.shapes import ShapeError
from mono_depth_ros.errors import MonoDepthError

__all__ = ["CalibrationFileError", "GeometryError", "IntrinsicsError", "KittiFileError", "ShapeError"]


class GeometryError(MonoDepthError, ValueError):
    """Invalid geometric input (degenerate point sets, non-finite poses, ...)."""


class IntrinsicsError(GeometryError):
    """Camera intrinsics that are non-finite, non-positive or inconsistent with the image size."""


class CalibrationFileError(GeometryError):
    """A calibration file that is missing, unreadable or lacks a required entry."""


class KittiFileError(GeometryError):
    """A KITTI data file (velodyne scan, depth PNG) that is missing or not in the documented format."""
