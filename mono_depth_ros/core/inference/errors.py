"""Errors of the inference core: every message names the offending value (shape, dtype, encoding, device, ...)."""

from __future__ import annotations

from mono_depth_ros.core.geometry.errors import IntrinsicsError
from mono_depth_ros.errors import ConfigError, MonoDepthError

__all__ = [
    "DeviceError",
    "InferenceConfigError",
    "InferenceError",
    "InputImageError",
    "IntrinsicsMismatchError",
]


class InferenceError(MonoDepthError):
    """Depth inference cannot run as asked."""


class InferenceConfigError(InferenceError, ConfigError):
    """An estimator or prediction option (precision, input size, depth range, scale, stride, ...) is invalid."""


class DeviceError(InferenceConfigError):
    """A device string that is malformed, or names a device this machine does not have (CUDA without a GPU)."""


class InputImageError(InferenceError, ValueError):
    """An image the estimator cannot take: wrong type, dtype, shape, channel count for its encoding, size or
    device."""


class IntrinsicsMismatchError(InferenceError, IntrinsicsError):
    """Camera intrinsics given for an image of another size."""
