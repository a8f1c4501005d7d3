"""Errors of the wire formats: ROS message payloads (images, depth, point clouds, camera info) that are malformed.

They derive from `ValueError` as well as `MonoDepthError`, so code that already guards against bad values keeps
working. Every message names the offending value and what was expected, e.g.
"step 1919 is smaller than width*bytes_per_pixel = 1920 for 640x192 rgb8".
"""

from __future__ import annotations

from mono_depth_ros.errors import MonoDepthError

__all__ = [
    "CameraInfoError",
    "DepthValueError",
    "ImageDecodeError",
    "ImageLayoutError",
    "PointCloudLayoutError",
    "UnsupportedEncodingError",
    "WireFormatError",
]


class WireFormatError(MonoDepthError, ValueError):
    """A message payload that cannot be converted faithfully."""


class UnsupportedEncodingError(WireFormatError):
    """An image encoding (or compressed format) that is unknown or not supported by the requested conversion."""


class ImageLayoutError(WireFormatError):
    """Image geometry that does not add up: zero size, step shorter than a row, data size not height*step, an array
    whose dtype or channel count does not match the encoding."""


class ImageDecodeError(WireFormatError):
    """Compressed image bytes (jpeg, png) that the codec cannot decode."""


class DepthValueError(WireFormatError):
    """Depth values that REP 118 does not allow (negative, zero, -inf) or a depth array of the wrong type."""


class PointCloudLayoutError(WireFormatError):
    """A point cloud whose fields, steps or data size are inconsistent, or input points of the wrong shape."""


class CameraInfoError(WireFormatError):
    """Camera calibration (CameraInfo fields) that is non-finite, degenerate or of the wrong size."""
