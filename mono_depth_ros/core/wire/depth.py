"""Depth images on the wire (REP 118): 32FC1 in metres, or 16UC1 in millimetres.

REP 118: 32FC1 depth is in metres along the optical axis; NaN marks a pixel without a measurement, +inf a pixel
beyond the sensor's range (-inf too close, which a depth *estimator* never produces). 16UC1 depth is in
millimetres and 0 marks a pixel without a measurement.

The depth node must never publish a negative or zero depth: such values come from a bug upstream (an unmasked
scale, a wrong sign), so they are an error rather than something to clamp quietly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mono_depth_ros.core.wire.errors import DepthValueError, ImageLayoutError

__all__ = ["MAX_DEPTH_16UC1_M", "depth_to_16uc1_mm", "depth_to_32fc1"]

#: The largest depth a 16UC1 millimetre image can hold, in metres (65535 mm).
MAX_DEPTH_16UC1_M = 65.535


def _checked_depth(depth: Any) -> np.ndarray:
    """`depth` as an (H, W) floating-point array without negative, zero or -inf values (NaN and +inf pass)."""
    values = np.asarray(depth)
    if values.ndim != 2:
        raise ImageLayoutError(f"depth must be an (H, W) array, got shape {values.shape}")
    if values.shape[0] == 0 or values.shape[1] == 0:
        raise ImageLayoutError(f"zero-size depth image: {values.shape[1]}x{values.shape[0]}")
    if not np.issubdtype(values.dtype, np.floating):
        raise DepthValueError(
            f"depth must be a floating-point array in metres, got dtype {values.dtype} "
            "(convert millimetre images explicitly: depth_mm / 1000.0)"
        )
    # `<= 0` is False for NaN and True for -inf and -0.0, so this one comparison finds every forbidden value.
    bad = values <= 0
    if bad.any():
        count = int(np.count_nonzero(bad))
        minimum = float(values[bad].min())
        raise DepthValueError(
            f"depth has {count} negative, zero or -inf value(s) (minimum {minimum}); REP 118 depth must be "
            "positive: mark invalid pixels with NaN (or +inf for beyond range) before publishing"
        )
    return values


def depth_to_32fc1(depth: Any) -> np.ndarray:
    """(H, W) depth in metres as the C-contiguous float32 array a 32FC1 image carries.

    NaN (invalid) and +inf (beyond range) are kept; negative, zero and -inf values raise DepthValueError naming how
    many there are and the minimum. float64 input is rounded to float32; a float32 contiguous input is returned as
    is (shared memory).
    """
    values = _checked_depth(depth)
    return np.ascontiguousarray(values, dtype=np.float32)


def depth_to_16uc1_mm(depth: Any) -> np.ndarray:
    """(H, W) depth in metres as a uint16 array in millimetres (16UC1, REP 118).

    Depth is rounded to the nearest millimetre. 0 means "no measurement", so it is written for NaN, +inf, depths
    over MAX_DEPTH_16UC1_M = 65.535 m (not clamped: a clamped value would report a wrong distance as valid) and
    depths under 0.5 mm (which round to 0). Negative, zero and -inf values raise DepthValueError as for 32FC1.
    """
    values = _checked_depth(depth)
    millimetres = np.rint(np.asarray(values, dtype=np.float64) * 1000.0)
    # NaN compares False, so NaN, +inf and out-of-range values all fail `valid` and become 0.
    valid = millimetres <= 65535.0
    return np.where(valid, millimetres, 0.0).astype(np.uint16)
