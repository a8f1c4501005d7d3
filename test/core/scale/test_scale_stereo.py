"""Stereo scale: StereoSGBM depth of rendered synthetic pairs against relative depth (ground truth / a known scale)."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.scale import ScaleInputError, StereoScaleEstimator, stereo_baseline, stereo_depth
from mono_depth_ros.data.sim import SimConfig, SyntheticWorld

TRUE_SCALE = 3.2


@pytest.fixture(scope="module")
def world() -> SyntheticWorld:
    return SyntheticWorld(SimConfig(width=160, height=64, stereo=True, seed=1), frames=200)


@pytest.mark.parametrize(("width", "height", "tolerance"), [(160, 64, 0.08), (320, 96, 0.04)])
def test_stereo_depth_agrees_with_the_true_depth_at_confident_pixels(width: int, height: int, tolerance: float) -> None:
    world = SyntheticWorld(SimConfig(width=width, height=height, stereo=True, seed=1), frames=6)
    frame = world.render_frame(5)
    depth = stereo_depth(frame.left_rgb, frame.right_rgb, world.intrinsics.fx, world.config.baseline)
    assert depth.dtype == np.float32
    assert depth.shape == (height, width)
    confident = np.isfinite(depth)
    assert confident.mean() > 0.25  # enough of the street is matched
    assert np.isfinite(frame.depth[confident]).mean() > 0.99  # the sky is (almost) never matched
    both = confident & np.isfinite(frame.depth)
    relative_error = np.abs(depth[both] - frame.depth[both]) / frame.depth[both]
    assert np.median(relative_error) < tolerance
    assert np.median(depth[both] / frame.depth[both]) == pytest.approx(1.0, abs=0.02)


def test_stereo_scale_within_three_percent_after_20_pairs(world: SyntheticWorld) -> None:
    generator = np.random.default_rng(0)
    estimator = StereoScaleEstimator(window=30)
    fx, baseline = world.intrinsics.fx, world.config.baseline
    for index in range(0, 200, 10):
        frame = world.render_frame(index)
        metric = stereo_depth(frame.left_rgb, frame.right_rgb, fx, baseline)
        relative = frame.depth / TRUE_SCALE * generator.lognormal(0.0, 0.05, frame.depth.shape)
        assert estimator.add(metric, relative) > 1000
    estimate = estimator.estimate()
    assert estimate.scale == pytest.approx(TRUE_SCALE, rel=0.03)
    assert estimate.samples >= 18
    assert estimate.converged


def test_pairs_with_too_few_confident_pixels_are_not_used() -> None:
    estimator = StereoScaleEstimator(min_pixels=10)
    metric = np.full((4, 5), np.nan)
    metric[0, :3] = 6.0
    assert estimator.add(metric, np.ones((4, 5))) == 0
    assert estimator.estimate() is None
    metric[1:3] = 6.0
    assert estimator.add(metric, np.full((4, 5), 2.0)) == 13
    assert estimator.estimate().scale == pytest.approx(3.0)
    estimator.clear()
    assert estimator.estimate() is None


def test_stereo_baseline_from_the_right_projection() -> None:
    projection = np.array([[500.0, 0.0, 320.0, -500.0 * 0.12], [0.0, 500.0, 240.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
    assert stereo_baseline(projection) == pytest.approx(0.12)
    left = projection.copy()
    left[0, 3] = 0.0
    with pytest.raises(ScaleInputError, match=r"gives no positive baseline: P\[0, 3\] = 0\.0 must be -fx \* baseline"):
        stereo_baseline(left)
    with pytest.raises(ScaleInputError, match=r"the right camera's projection P must be \(3, 4\), got shape \(3, 3\)"):
        stereo_baseline(np.eye(3))


_GREY = np.zeros((32, 64), dtype=np.uint8)


@pytest.mark.parametrize(
    ("left", "right", "kwargs", "message"),
    [
        (_GREY.astype(np.float32), _GREY, {}, r"left_rgb must be a uint8 \(H, W, 3\) RGB or \(H, W\) grey image, "
         r"got float32 \(32, 64\)"),
        (_GREY, _GREY[:, :32], {}, r"stereo images must have one size, got left \(32, 64\) and right \(32, 32\)"),
        (_GREY, _GREY, {"fx": 0.0}, r"stereo fx must be a finite positive number, got 0\.0"),
        (_GREY, _GREY, {"baseline": float("nan")}, r"stereo baseline must be a finite positive number, got nan"),
        (_GREY, _GREY, {"num_disparities": 24}, r"stereo num_disparities must be a positive multiple of 16, got 24"),
        (_GREY, _GREY, {"num_disparities": 64}, r"stereo num_disparities \(64\) must be below the image width \(64\)"),
        (_GREY, _GREY, {"block_size": 4}, r"stereo block_size must be a positive odd integer, got 4"),
        (_GREY, _GREY, {"min_disparity": -1.0}, r"stereo min_disparity must be a finite positive number, got -1\.0"),
    ],
)  # fmt: skip
def test_stereo_depth_errors(left: np.ndarray, right: np.ndarray, kwargs: dict, message: str) -> None:
    arguments = {"fx": 50.0, "baseline": 0.5, **kwargs}
    with pytest.raises(ScaleInputError, match=message):
        stereo_depth(left, right, **arguments)


def test_stereo_estimator_input_errors() -> None:
    message = r"stereo_depth and relative_depth must be \(H, W\) of one shape, got \(2, 3\) and \(3, 2\)"
    with pytest.raises(ScaleInputError, match=message):
        StereoScaleEstimator().add(np.ones((2, 3)), np.ones((3, 2)))
