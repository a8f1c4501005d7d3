"""Scale from a rectified stereo pair: classical matching gives metric depth, the network relative depth.

`stereo_depth` runs OpenCV's semi-global block matching (StereoSGBM) on the pair and keeps only confident pixels:
a valid, unique disparity of at least `min_disparity` pixels, that the right-to-left match confirms (left-right
check), where the image has texture. Depth = fx * baseline / disparity. `StereoScaleEstimator` turns each pair into
one scale sample, the median of the per-pixel ratios of stereo depth to relative depth (`global_scale` of the pair:
much steadier from pair to pair than the ratio of the two medians, whose pixel mix changes with the scene), combined
by `RobustWindow`.
"""

from __future__ import annotations

import cv2
import numpy as np

from mono_depth_ros.core.arrays import as_float64
from mono_depth_ros.core.numbers import check_count, check_positive
from mono_depth_ros.core.scale.alignment import global_scale
from mono_depth_ros.core.scale.errors import ScaleError, ScaleInputError
from mono_depth_ros.core.scale.window import ScaleEstimate, WindowedScaleEstimator

__all__ = ["ScaleEstimate", "StereoScaleEstimator", "stereo_baseline", "stereo_depth"]

# OpenCV's disparities are fixed point with 4 fractional bits.
_DISPARITY_ONE = 16.0


def stereo_baseline(right_projection: object) -> float:
    """The baseline (metres) of a rectified pair from the right camera's (3, 4) projection P (camera_info's P).

    ROS (and OpenCV's stereoRectify) write P[0, 3] = -fx * baseline for the right camera.

    Raises:
        ScaleInputError: P that is not (3, 4), or a baseline that is not finite and positive (a left P, or a
            missing calibration).
    """
    projection = as_float64(right_projection, "right projection", ScaleInputError)
    if projection.shape != (3, 4):
        raise ScaleInputError(f"the right camera's projection P must be (3, 4), got shape {projection.shape}")
    fx, tx = float(projection[0, 0]), float(projection[0, 3])
    baseline = -tx / fx if fx != 0 else float("nan")
    if not (np.isfinite(baseline) and baseline > 0):
        raise ScaleInputError(
            f"the right camera's projection gives no positive baseline: P[0, 3] = {tx!r} must be -fx * baseline "
            f"with fx = P[0, 0] = {fx!r} (is this the right camera of a rectified pair?)"
        )
    return float(baseline)


def stereo_depth(
    left_rgb: np.ndarray,
    right_rgb: np.ndarray,
    fx: float,
    baseline: float,
    *,
    num_disparities: int | None = None,
    block_size: int = 5,
    uniqueness: int = 15,
    min_disparity: float = 2.0,
    left_right_tolerance: float = 1.0,
    min_texture: float = 4.0,
) -> np.ndarray:
    """Metric depth (H, W) float32 of the left image of a rectified pair, NaN where the match is not confident.

    Args:
        left_rgb, right_rgb: (H, W, 3) uint8 RGB (or (H, W) grey), rectified: a point's rows agree.
        fx: focal length of the rectified left camera, pixels.
        baseline: distance between the optical centres, metres (`stereo_baseline`).
        num_disparities: search range in pixels, a multiple of 16 (default: about a tenth of the width, at least
            16; pixels nearer than fx * baseline / num_disparities are not found).
        block_size: odd matching window size.
        uniqueness: percent by which the best match must beat the second best (StereoSGBM's uniquenessRatio).
        min_disparity: pixels; smaller disparities (far, imprecise points, and the zero disparity of unmatched
            ones) are dropped.
        left_right_tolerance: pixels; the right image's disparity at the matched pixel must agree this well.
        min_texture: mean absolute horizontal grey gradient over the block below which a pixel is dropped (flat
            regions such as the sky match anywhere).

    Raises:
        ScaleInputError: images that are not uint8 (H, W, 3) or (H, W) of one shape, or a setting out of range.
    """
    left, right = _grey(left_rgb, "left_rgb"), _grey(right_rgb, "right_rgb")
    if left.shape != right.shape:
        raise ScaleInputError(f"stereo images must have one size, got left {left.shape} and right {right.shape}")
    fx = check_positive(fx, "stereo fx", ScaleInputError)
    baseline = check_positive(baseline, "stereo baseline", ScaleInputError)
    height, width = left.shape
    if num_disparities is None:
        num_disparities = max(16, int(np.ceil(width / 10 / 16)) * 16)
    if (
        isinstance(num_disparities, bool)
        or not isinstance(num_disparities, (int, np.integer))
        or (num_disparities <= 0 or num_disparities % 16)
    ):
        raise ScaleInputError(f"stereo num_disparities must be a positive multiple of 16, got {num_disparities!r}")
    if (
        isinstance(block_size, bool)
        or not isinstance(block_size, (int, np.integer))
        or block_size < 1
        or (block_size % 2 == 0)
    ):
        raise ScaleInputError(f"stereo block_size must be a positive odd integer, got {block_size!r}")
    if num_disparities >= width:
        raise ScaleInputError(f"stereo num_disparities ({num_disparities}) must be below the image width ({width})")
    min_disparity = check_positive(min_disparity, "stereo min_disparity", ScaleInputError)
    tolerance = check_positive(left_right_tolerance, "stereo left_right_tolerance", ScaleInputError)
    matcher = cv2.StereoSGBM_create(
        minDisparity=0,
        numDisparities=int(num_disparities),
        blockSize=int(block_size),
        P1=8 * block_size * block_size,
        P2=32 * block_size * block_size,
        disp12MaxDiff=-1,  # the explicit left-right check below replaces OpenCV's
        uniquenessRatio=int(uniqueness),
        speckleWindowSize=0,
        mode=cv2.STEREO_SGBM_MODE_SGBM,
    )
    disparity = matcher.compute(left, right).astype(np.float32) / _DISPARITY_ONE
    # The right image's disparities: match the mirrored pair (mirrored right as "left") and mirror back.
    right_disparity = matcher.compute(right[:, ::-1].copy(), left[:, ::-1].copy())[:, ::-1].astype(np.float32)
    right_disparity /= _DISPARITY_ONE
    rows, cols = np.indices((height, width))
    matched_cols = np.rint(cols - disparity).astype(np.int64)
    inside = (matched_cols >= 0) & (matched_cols < width)
    back = np.full_like(disparity, np.nan)
    back[inside] = right_disparity[rows[inside], matched_cols[inside]]
    with np.errstate(invalid="ignore"):
        confident = inside & (disparity >= min_disparity) & (np.abs(back - disparity) <= tolerance)
    confident &= _texture(left, int(block_size)) >= min_texture
    depth = np.full((height, width), np.nan, dtype=np.float32)
    depth[confident] = fx * baseline / disparity[confident]
    return depth


class StereoScaleEstimator(WindowedScaleEstimator):
    """Scale = median(stereo depth / relative depth) per pair, over a robust sliding window of pairs.

    Args:
        window: the newest pairs kept.
        min_pixels: a pair with fewer confident pixels (valid in both depths) is not used.
        min_samples, tolerance, rejection: see `RobustWindow` (min_samples is capped at `window`).

    Raises:
        ScaleError: a setting out of range.
    """

    def __init__(
        self,
        window: int = 30,
        min_pixels: int = 200,
        min_samples: int = 5,
        tolerance: float = 0.01,
        rejection: float = 3.0,
    ) -> None:
        super().__init__(window, min_samples, tolerance, rejection)
        self.min_pixels = check_count(min_pixels, "min_pixels", ScaleError)

    def add(self, stereo_depth: object, relative_depth: object) -> int:
        """One pair: metric stereo depth (H, W) (NaN where not confident) and the network's relative depth (H, W).

        Returns the number of pixels used: those finite and positive in both, or 0 when there were fewer than
        `min_pixels` and the pair was not used.

        Raises:
            ScaleInputError: depths that are not 2-D arrays of one shape.
        """
        metric = as_float64(stereo_depth, "stereo_depth", ScaleInputError)
        relative = as_float64(relative_depth, "relative_depth", ScaleInputError)
        if metric.ndim != 2 or metric.shape != relative.shape:
            raise ScaleInputError(
                f"stereo_depth and relative_depth must be (H, W) of one shape, got {metric.shape} and {relative.shape}"
            )
        with np.errstate(invalid="ignore"):
            valid = np.isfinite(metric) & (metric > 0) & np.isfinite(relative) & (relative > 0)
        pixels = int(valid.sum())
        if pixels < self.min_pixels:
            return 0
        self.window.add(global_scale(metric, relative, valid))
        return pixels


def _grey(image: object, name: str) -> np.ndarray:
    array = np.asarray(image)
    if array.dtype != np.uint8 or not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)):
        raise ScaleInputError(
            f"{name} must be a uint8 (H, W, 3) RGB or (H, W) grey image, got {array.dtype} {array.shape}"
        )
    if array.ndim == 3:
        array = cv2.cvtColor(np.ascontiguousarray(array), cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(array)


def _texture(grey: np.ndarray, block_size: int) -> np.ndarray:
    """Mean |d grey / du| over the matching block: (H, W) float32."""
    gradient = np.abs(cv2.Sobel(grey.astype(np.float32), cv2.CV_32F, 1, 0, ksize=3)) / 4.0
    return cv2.blur(gradient, (block_size, block_size))
