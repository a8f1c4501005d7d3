"""Ground-plane scale: relative depth (ground truth / a known scale, plus noise) at a known camera height."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mono_depth_ros.core.scale import GroundScaleEstimator, ScaleError, ScaleInputError, fit_ground_plane, ground_scale
from mono_depth_ros.data.sim import SimConfig, SyntheticWorld

TRUE_SCALE = 7.0
CAMERA_HEIGHT = 1.65  # SimConfig's default


def _world(ground_only: bool) -> SyntheticWorld:
    return SyntheticWorld(SimConfig(width=160, height=64, seed=2, ground_only=ground_only), frames=40)


def test_ground_scale_recovers_the_height_on_a_ground_only_world() -> None:
    world = _world(ground_only=True)
    frame = world.render_frame(3)
    camera_matrix = world.intrinsics.as_array()
    # Exact depth: the fitted plane lies at the camera height.
    assert ground_scale(frame.depth, camera_matrix, CAMERA_HEIGHT) == pytest.approx(1.0, rel=1e-3)
    assert ground_scale(frame.depth / TRUE_SCALE, camera_matrix, CAMERA_HEIGHT) == pytest.approx(TRUE_SCALE, rel=1e-3)
    noisy = frame.depth / TRUE_SCALE * np.random.default_rng(0).lognormal(0.0, 0.05, frame.depth.shape)
    assert ground_scale(noisy, camera_matrix, CAMERA_HEIGHT) == pytest.approx(TRUE_SCALE, rel=0.03)


@pytest.mark.parametrize("ground_only", [True, False], ids=["ground_only", "street"])
def test_ground_estimator_within_three_percent(ground_only: bool) -> None:
    world = _world(ground_only)
    generator = np.random.default_rng(1)
    estimator = GroundScaleEstimator(CAMERA_HEIGHT, window=30)
    used = 0
    for index in range(0, 40, 4):
        depth = world.render_frame(index).depth
        used += estimator.add(
            depth / TRUE_SCALE * generator.lognormal(0.0, 0.05, depth.shape), world.intrinsics.as_array()
        )
    assert used == 10
    estimate = estimator.estimate()
    assert estimate.scale == pytest.approx(TRUE_SCALE, rel=0.03)
    assert estimate.converged
    estimator.clear()
    assert estimator.estimate() is None


def test_fit_ground_plane_finds_the_dominant_plane_despite_outliers() -> None:
    generator = np.random.default_rng(3)
    ground = np.column_stack(
        (
            generator.uniform(-5, 5, 300),
            np.full(300, 2.0) + generator.normal(0, 0.01, 300),
            generator.uniform(4, 30, 300),
        )
    )
    wall = np.column_stack((np.full(100, 3.0), generator.uniform(-3, 2, 100), generator.uniform(4, 30, 100)))
    plane = fit_ground_plane(np.concatenate((ground, wall)), threshold=0.05, seed=0)
    np.testing.assert_allclose(plane.normal, [0.0, 1.0, 0.0], atol=0.01)
    assert plane.offset == pytest.approx(2.0, rel=0.01)
    assert plane.inliers[:300].mean() > 0.95
    assert plane.inliers[300:].mean() < 0.05
    # Restricted to normals near the x axis, the wall is found instead.
    wall_plane = fit_ground_plane(np.concatenate((ground, wall)), seed=0, axis=[1.0, 0.0, 0.0])
    assert wall_plane.offset == pytest.approx(3.0, rel=0.01)
    # No candidate near the z axis at all.
    assert fit_ground_plane(np.concatenate((ground, wall)), seed=0, axis=[0.0, 0.0, 1.0], max_angle=0.1) is None


def test_ground_scale_rejects_what_is_not_ground() -> None:
    camera_matrix = np.array([[50.0, 0.0, 32.0], [0.0, 50.0, 16.0], [0.0, 0.0, 1.0]])
    # A wall facing the camera (constant depth) fills the image: its normal is the optical axis.
    assert ground_scale(np.full((32, 64), 5.0), camera_matrix, 1.5) is None
    # Nothing valid in the lower part.
    sky = np.full((32, 64), np.inf)
    assert ground_scale(sky, camera_matrix, 1.5) is None
    # A plane tilted 45 degrees about the x axis is beyond max_tilt.
    # A plane y + z = 2 (normal 45 degrees from the y axis): ground only when max_tilt allows 45 degrees.
    rows = np.arange(32, dtype=np.float64)[:, None] - 16
    tilted = np.broadcast_to(2.0 / (1.0 + rows / 50.0), (32, 64)).copy()
    assert ground_scale(tilted, camera_matrix, 1.5, max_tilt=math.radians(20)) is None
    assert ground_scale(tilted, camera_matrix, 1.5, max_tilt=math.radians(60)) == pytest.approx(1.5 / math.sqrt(2))
    estimator = GroundScaleEstimator(1.5)
    assert not estimator.add(sky, camera_matrix)
    assert estimator.estimate() is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"relative_depth": np.ones(5)}, r"relative_depth must be \(H, W\), got shape \(5,\)"),
        ({"camera_matrix": np.eye(4)}, r"camera_matrix must be a finite \(3, 3\) array, got shape \(4, 4\)"),
        ({"camera_height": 0.0}, r"camera_height must be a finite positive number, got 0\.0"),
        ({"lower_fraction": 1.5}, r"lower_fraction must be in \(0, 1\], got 1\.5"),
        ({"min_inlier_fraction": -0.1}, r"min_inlier_fraction must be a finite positive number, got -0\.1"),
        ({"max_points": 2}, r"max_points must be an integer >= 3, got 2"),
        ({"threshold": float("inf")}, r"ground threshold must be a finite positive number, got inf"),
        ({"iterations": 0}, r"ground iterations must be an integer >= 1, got 0"),
    ],
)
def test_ground_scale_errors(kwargs: dict, message: str) -> None:
    depth = np.linspace(1.0, 10.0, 32 * 64).reshape(32, 64)
    arguments = {"relative_depth": depth, "camera_matrix": np.eye(3), "camera_height": 1.5, **kwargs}
    with pytest.raises(ScaleInputError, match=message):
        ground_scale(**arguments)


def test_fit_ground_plane_errors() -> None:
    with pytest.raises(
        ScaleInputError, match=r"ground points must be an \(N, 3\) array with N >= 3, got shape \(2, 3\)"
    ):
        fit_ground_plane(np.ones((2, 3)))
    with pytest.raises(ScaleInputError, match=r"ground points must be finite, got 1 non-finite"):
        fit_ground_plane(np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 2.0], [0.0, 1.0, np.nan]]))
    with pytest.raises(ScaleInputError, match=r"ground axis must be a non-zero \(3,\) vector"):
        fit_ground_plane(np.eye(3), axis=[0.0, 0.0, 0.0])
    with pytest.raises(ScaleError, match=r"camera_height must be a finite positive number, got -1"):
        GroundScaleEstimator(-1)
