"""Scale from a known camera height: fit the ground plane to the back-projected lower part of the image.

The network's relative depth, back-projected with the camera matrix, gives points in the camera frame in relative
units; the ground plane fitted to them (RANSAC, then a least-squares refit on the inliers) lies at the predicted
camera height h from the optical centre. With the true height H of the camera above the ground, scale = H / h.
Planes whose normal is not roughly along the camera's y axis (down, in the optical frame) are not ground.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch

from mono_depth_ros.core.arrays import as_float64
from mono_depth_ros.core.geometry.camera import backproject
from mono_depth_ros.core.numbers import check_count, check_positive, is_finite_number
from mono_depth_ros.core.scale.errors import ScaleError, ScaleInputError
from mono_depth_ros.core.scale.window import ScaleEstimate, WindowedScaleEstimator

__all__ = ["GroundPlane", "GroundScaleEstimator", "ScaleEstimate", "fit_ground_plane", "ground_scale"]

_DOWN = np.array([0.0, 1.0, 0.0])  # the optical frame's y axis


class GroundPlane(NamedTuple):
    """The plane {p : normal . p = offset}, normal a unit vector pointing from the origin (camera) to the plane."""

    normal: np.ndarray
    """(3,) unit normal."""
    offset: float
    """The origin's distance from the plane (>= 0): the predicted camera height for a ground plane."""
    inliers: np.ndarray
    """(N,) bool: the points within the threshold of the plane."""


def fit_ground_plane(
    points: object,
    iterations: int = 200,
    threshold: float = 0.05,
    seed: int | np.random.Generator = 0,
    *,
    axis: object = None,
    max_angle: float = math.radians(30.0),
) -> GroundPlane | None:
    """RANSAC plane fit of points (N, 3), refined by least squares on its inliers.

    Args:
        points: (N, 3) finite points, N >= 3.
        iterations: random 3-point candidates tried.
        threshold: inlier distance as a fraction of the candidate plane's distance from the origin, so the fit
            works in any unit (relative depth) and a depth error proportional to depth counts the same everywhere.
        seed: an int seed or a numpy Generator, so fits are reproducible.
        axis: optional (3,) direction; candidates whose normal is more than `max_angle` (radians) from it (either
            sign) are skipped, e.g. the camera's y axis to keep walls and car sides out.

    Returns:
        The plane with the most inliers, or None when no candidate was usable (degenerate or all off-axis).

    Raises:
        ScaleInputError: points that are not a finite (N, 3) array with N >= 3, or a setting out of range.
    """
    values = as_float64(points, "ground points", ScaleInputError)
    if values.ndim != 2 or values.shape[1] != 3 or values.shape[0] < 3:
        raise ScaleInputError(f"ground points must be an (N, 3) array with N >= 3, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ScaleInputError(f"ground points must be finite, got {int((~np.isfinite(values)).sum())} non-finite")
    iterations = check_count(iterations, "ground iterations", ScaleInputError)
    threshold = check_positive(threshold, "ground threshold", ScaleInputError)
    generator = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    samples = np.stack([generator.choice(values.shape[0], 3, replace=False) for _ in range(iterations)])
    a, b, c = values[samples[:, 0]], values[samples[:, 1]], values[samples[:, 2]]
    normals = np.cross(b - a, c - a)
    lengths = np.linalg.norm(normals, axis=1)
    usable = lengths > 1e-12 * np.maximum(np.linalg.norm(b - a, axis=1) * np.linalg.norm(c - a, axis=1), 1e-300)
    normals = normals / np.where(usable, lengths, 1.0)[:, None]
    if axis is not None:
        direction = as_float64(axis, "ground axis", ScaleInputError)
        if direction.shape != (3,) or not np.linalg.norm(direction) > 0:
            raise ScaleInputError(f"ground axis must be a non-zero (3,) vector, got {direction}")
        max_angle = check_positive(max_angle, "ground max_angle", ScaleInputError)
        usable &= np.abs(normals @ (direction / np.linalg.norm(direction))) >= math.cos(max_angle)
    if not usable.any():
        return None
    normals = normals[usable]
    offsets = np.einsum("kj,kj->k", normals, a[usable])
    distances = np.abs(values @ normals.T - offsets)  # (N, K)
    counts = (distances <= threshold * np.abs(offsets)).sum(axis=0)
    best = int(np.argmax(counts))
    normal, offset = normals[best], float(offsets[best])
    inliers = distances[:, best] <= threshold * abs(offset)
    for _ in range(2):  # refit on the inliers, then once more on the refit's inliers
        if inliers.sum() < 3:
            break
        normal, offset = _least_squares_plane(values[inliers])
        inliers = np.abs(values @ normal - offset) <= threshold * abs(offset)
    if offset < 0:
        normal, offset = -normal, -offset
    return GroundPlane(normal, float(offset), inliers)


def ground_scale(
    relative_depth: object,
    camera_matrix: object,
    camera_height: float,
    lower_fraction: float = 0.4,
    *,
    threshold: float = 0.05,
    max_tilt: float = math.radians(20.0),
    min_inlier_fraction: float = 0.3,
    max_points: int = 4000,
    iterations: int = 200,
    seed: int | np.random.Generator = 0,
) -> float | None:
    """Scale = camera_height / the predicted camera height above the ground fitted to the image's lower part.

    Args:
        relative_depth: (H, W) the network's depth in relative units (NaN, inf or <= 0 where invalid).
        camera_matrix: (3, 3) K of the depth image.
        camera_height: metres of the optical centre above the ground.
        lower_fraction: the bottom fraction of the rows searched for ground.
        threshold: inlier distance as a fraction of the camera height (see `fit_ground_plane`).
        max_tilt: radians; a plane whose normal is farther from the camera's y axis is not ground (None returned).
        min_inlier_fraction: fewer inliers among the lower part's valid points and None is returned.
        max_points: the lower part's valid points are subsampled to at most this many (the fit's cost).

    Returns:
        The scale (metres per relative unit), or None when no ground plane was found.

    Raises:
        ScaleInputError: depth that is not (H, W), K that is not (3, 3), a camera height, fraction or setting out
            of range.
    """
    depth = as_float64(relative_depth, "relative_depth", ScaleInputError)
    if depth.ndim != 2:
        raise ScaleInputError(f"relative_depth must be (H, W), got shape {depth.shape}")
    matrix = as_float64(camera_matrix, "camera_matrix", ScaleInputError)
    if matrix.shape != (3, 3) or not np.isfinite(matrix).all():
        raise ScaleInputError(f"camera_matrix must be a finite (3, 3) array, got shape {matrix.shape}")
    camera_height = check_positive(camera_height, "camera_height", ScaleInputError)
    if not (is_finite_number(lower_fraction) and 0 < lower_fraction <= 1):
        raise ScaleInputError(f"lower_fraction must be in (0, 1], got {lower_fraction!r}")
    fraction = check_positive(min_inlier_fraction, "min_inlier_fraction", ScaleInputError)
    max_points = check_count(max_points, "max_points", ScaleInputError, minimum=3)
    generator = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    height = depth.shape[0]
    first_row = min(height - 1, math.floor(height * (1 - lower_fraction)))
    points = backproject(torch.from_numpy(depth), torch.from_numpy(matrix)).numpy()[first_row:].reshape(-1, 3)
    lower = depth[first_row:].ravel()
    with np.errstate(invalid="ignore"):
        points = points[np.isfinite(lower) & (lower > 0)]
    if points.shape[0] < 3:
        return None
    if points.shape[0] > max_points:
        points = points[generator.choice(points.shape[0], max_points, replace=False)]
    plane = fit_ground_plane(points, iterations, threshold, generator, axis=_DOWN, max_angle=max_tilt)
    if plane is None or plane.offset <= 0 or plane.inliers.mean() < fraction:
        return None
    # The plane must lie below the camera (+y), along the y axis within the tilt.
    if float(plane.normal @ _DOWN) < math.cos(max_tilt):
        return None
    return camera_height / plane.offset


class GroundScaleEstimator(WindowedScaleEstimator):
    """Scale = camera_height / predicted height per image, over a robust sliding window of images.

    Args:
        camera_height: metres of the optical centre above the ground.
        window: the newest images kept.
        min_samples, tolerance, rejection: see `RobustWindow` (min_samples is capped at `window`).
        seed: of the RANSAC generator (runs are reproducible).
        **options: passed to `ground_scale` (lower_fraction, threshold, max_tilt, ...).

    Raises:
        ScaleError: a setting out of range.
    """

    def __init__(
        self,
        camera_height: float,
        window: int = 30,
        min_samples: int = 5,
        tolerance: float = 0.01,
        rejection: float = 3.0,
        seed: int = 0,
        **options: object,
    ) -> None:
        self.camera_height = check_positive(camera_height, "camera_height", ScaleError)
        super().__init__(window, min_samples, tolerance, rejection)
        self._generator = np.random.default_rng(seed)
        self._options = options

    def add(self, relative_depth: object, camera_matrix: object) -> bool:
        """One image's relative depth (H, W) and K (3, 3); returns whether a ground plane was found and used.

        Raises:
            ScaleInputError: as `ground_scale`.
        """
        scale = ground_scale(relative_depth, camera_matrix, self.camera_height, seed=self._generator, **self._options)
        if scale is None:
            return False
        self.window.add(scale)
        return True


def _least_squares_plane(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Orthogonal least-squares plane: the normal is the direction of least spread about the centroid."""
    centroid = points.mean(axis=0)
    normal = np.linalg.svd(points - centroid, full_matrices=False)[2][-1]
    return normal, float(normal @ centroid)
