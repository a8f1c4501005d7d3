"""Depth images as colour pictures: inverse depth through the magma colour map (near is bright), NaN black."""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["colourise_inverse_depth", "colourise_metric_depth"]


def colourise_inverse_depth(
    inverse_depth: np.ndarray, low: float | None = None, high: float | None = None
) -> np.ndarray:
    """(H, W) inverse depth -> (H, W, 3) uint8 RGB. `low`..`high` span the colour map; None: the 1st and 99th
    percentiles of the finite values (for relative depth, whose units mean nothing)."""
    values = np.asarray(inverse_depth, dtype=np.float64)
    finite = np.isfinite(values)
    if low is None or high is None:
        low_p, high_p = np.percentile(values[finite], (1.0, 99.0)) if finite.any() else (0.0, 1.0)
        low = low_p if low is None else low
        high = high_p if high is None else high
    normalised = np.clip((np.where(finite, values, low) - low) / max(float(high - low), 1e-12), 0.0, 1.0)
    bgr = cv2.applyColorMap((normalised * 255.0).astype(np.uint8), cv2.COLORMAP_MAGMA)
    bgr[~finite] = 0
    return np.ascontiguousarray(bgr[..., ::-1])


def colourise_metric_depth(depth_m: np.ndarray, near_m: float = 2.0, far_m: float = 80.0) -> np.ndarray:
    """(H, W) metres -> (H, W, 3) uint8 RGB on a fixed logarithmic scale (near_m bright .. far_m dark), comparable
    across frames and models; NaN and non-positive depths are black."""
    depth = np.asarray(depth_m, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        nearness = np.where(depth > 0, -np.log(depth), np.nan)  # log inverse depth: even steps per octave
    return colourise_inverse_depth(nearness, -np.log(far_m), -np.log(near_m))
