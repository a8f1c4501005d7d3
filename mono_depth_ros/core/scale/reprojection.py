"""Scale from known motion by reprojection: the metric factor that makes the network's depth explain the image
motion the odometry measured.

Odometry gives the camera's motion between two frames in metres. Warping the earlier frame into the later one with
depth s * D (D the network's relative depth of the later frame) and that motion reproduces the later frame best at
the true scale s: the same photometric error the network was trained on, now minimised over one scalar with the
motion fixed. Unlike the ratio of translations (`odometry`), the result is consistent with the depth by
construction: it does not depend on how well the pose network learnt the speed.

The search evaluates a geometric grid of scales in one batched warp, keeps the pixels the motion explains better
than no motion at all (Monodepth2's auto-mask: static scenes, the sky and objects moving with the camera tell
nothing), searches a finer grid around the best one and refines that minimum by a parabola in log scale.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch

from mono_depth_ros.core.geometry import warp_source_to_target
from mono_depth_ros.core.losses import photometric_error
from mono_depth_ros.core.numbers import check_count, check_positive, is_finite_number
from mono_depth_ros.core.scale.errors import ScaleInputError
from mono_depth_ros.core.shapes import check_shape

__all__ = ["ReprojectionFit", "reprojection_scale"]


class ReprojectionFit(NamedTuple):
    """The best scale of a search and how it was found."""

    scale: float
    """Metres per relative depth unit."""
    error: float
    """Mean photometric error at the best grid scale over the pixels used."""
    pixels: int
    """Pixels the motion explains better than no motion (the ones scored)."""


def reprojection_scale(
    target_image: torch.Tensor,
    source_image: torch.Tensor,
    relative_depth: torch.Tensor,
    source_from_target: torch.Tensor,
    camera_matrix: torch.Tensor,
    *,
    low: float,
    high: float,
    step_ratio: float = 1.33,
    fine_steps: int = 21,
    min_pixels: int = 200,
) -> ReprojectionFit | None:
    """The scale s in [low, high] whose depth s * relative_depth best warps `source_image` onto `target_image`.

    Args:
        target_image: (3, H, W) the later frame, values in [0, 1].
        source_image: (3, H, W) the earlier frame.
        relative_depth: (H, W) the network's depth of the target frame (NaN, inf or <= 0 where invalid).
        source_from_target: (4, 4) the measured motion in metres: maps target-camera points to source-camera points.
        camera_matrix: (3, 3) K of the images.
        low, high: the scale range searched (0 < low < high), on a geometric grid with `step_ratio` (> 1)
            between neighbours, then on `fine_steps` points between the best one's neighbours.
        min_pixels: fewer informative pixels than this and None is returned.

    Returns:
        `ReprojectionFit`, or None when too few pixels are informative or the minimum lies on the range's edge
        (the true scale is probably outside it).

    Raises:
        ShapeError: images, depth, motion or K of the wrong shape.
        ScaleInputError: a range or count out of range, a motion that is not finite.
    """
    sizes = check_shape(target_image, "target_image", [3, "H", "W"])
    check_shape(source_image, "source_image", [3, "H", "W"], sizes)
    check_shape(relative_depth, "relative_depth", ["H", "W"], sizes)
    check_shape(source_from_target, "source_from_target", [4, 4])
    check_shape(camera_matrix, "camera_matrix", [3, 3])
    low = check_positive(low, "low", ScaleInputError)
    high = check_positive(high, "high", ScaleInputError)
    if not high > low:
        raise ScaleInputError(f"the scale range must have high > low, got low={low} high={high}")
    if not (is_finite_number(step_ratio) and step_ratio > 1):
        raise ScaleInputError(f"step_ratio must be a number > 1, got {step_ratio!r}")
    steps = max(3, math.ceil(math.log(high / low) / math.log(step_ratio)) + 1)
    fine_steps = check_count(fine_steps, "fine_steps", ScaleInputError, minimum=3)
    min_pixels = check_count(min_pixels, "min_pixels", ScaleInputError)
    if not torch.isfinite(source_from_target).all():
        raise ScaleInputError(f"source_from_target must be finite, got {source_from_target.tolist()}")

    target, source = target_image.float(), source_image.float()
    depth = relative_depth.float()
    usable_depth = torch.isfinite(depth) & (depth > 0)
    depth = torch.where(usable_depth, depth, torch.ones_like(depth))
    identity = photometric_error(source[None], target[None])[0]
    motion, matrix = source_from_target.float(), camera_matrix.float()

    def search(scales: torch.Tensor, informative: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, int]:
        warp = warp_source_to_target(source, scales.float()[:, None, None] * depth, motion, matrix)
        errors = photometric_error(warp.image, target[None])  # (S, H, W)
        if informative is None:
            # Scored: pixels every candidate warps into view, whose best candidate beats no motion.
            informative = usable_depth & warp.valid.all(dim=0) & (errors.min(dim=0).values < identity)
        count = int(informative.sum())
        return (errors * informative).sum(dim=(1, 2)).double() / max(count, 1), informative, count

    coarse = torch.logspace(math.log10(low), math.log10(high), steps, dtype=torch.float64)
    mean_errors, informative, count = search(coarse, None)
    best = int(torch.argmin(mean_errors))
    if count < min_pixels or best == 0 or best == steps - 1:
        return None
    fine = torch.logspace(math.log10(coarse[best - 1]), math.log10(coarse[best + 1]), fine_steps, dtype=torch.float64)
    mean_errors = search(fine, informative)[0]  # the same pixels, so the two grids' errors compare
    best = int(torch.argmin(mean_errors))
    if best == 0 or best == fine_steps - 1:
        return None
    return ReprojectionFit(_parabola_minimum(fine, mean_errors, best), float(mean_errors[best]), count)


def _parabola_minimum(scales: torch.Tensor, errors: torch.Tensor, best: int) -> float:
    """The vertex of the parabola through the grid minimum and its neighbours, in log scale (the grid is uniform
    there); the grid point itself when the three are collinear."""
    left, middle, right = (float(errors[i]) for i in (best - 1, best, best + 1))
    curvature = left - 2 * middle + right
    step = math.log(float(scales[1] / scales[0]))
    offset = 0.5 * (left - right) / curvature if curvature > 0 else 0.0
    return float(np.exp(math.log(float(scales[best])) + float(np.clip(offset, -0.5, 0.5)) * step))
