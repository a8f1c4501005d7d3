"""Images, depth and poses agree: warping one view into another with the true depth and pose reproduces it.

Uses the geometry core's `warp_source_to_target` (what the self-supervised losses use). Pixels that leave the
source image, see the sky, or are occluded in the source view (a nearer surface in the source depth at the
projected pixel) are excluded. Thresholds from measurement at 256x80 (seeds 0-2, frames 3 and 20): the mean absolute
error over valid pixels is 0.009-0.012 for consecutive frames and 0.004-0.008 for the stereo pair (bilinear
resampling at depth edges and of sub-pixel texture); doubling the translation gives 0.036-0.089, and comparing
the frames without warping 0.05-0.08.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mono_depth_ros.core.geometry import sample_at_pixels, warp_source_to_target
from mono_depth_ros.data.sim import SimConfig, SimFrame, SyntheticWorld


@pytest.fixture(scope="module")
def world() -> SyntheticWorld:
    return SyntheticWorld(SimConfig(seed=2, width=256, height=80, stereo=True), frames=25)


def _photometric_error(
    world: SyntheticWorld,
    target_rgb: np.ndarray,
    target_depth: np.ndarray,
    source_rgb: np.ndarray,
    source_depth: np.ndarray,
    source_from_target: np.ndarray,
) -> tuple[float, float]:
    """Mean |warped source - target| on [0, 1] over valid, visible pixels, and the fraction of such pixels."""
    target = torch.from_numpy(target_rgb).permute(2, 0, 1).double() / 255.0
    source = torch.from_numpy(source_rgb).permute(2, 0, 1).double() / 255.0
    depth = torch.from_numpy(target_depth).double()
    result = warp_source_to_target(
        source, depth, torch.from_numpy(source_from_target), world.intrinsics.matrix(torch.float64)
    )
    seen = sample_at_pixels(torch.from_numpy(source_depth).double()[None], result.source_pixels)[0]
    visible = result.source_points[..., 2] < seen * 1.05 + 0.05  # not hidden behind a nearer source surface
    valid = result.valid & torch.isfinite(depth) & visible
    error = (result.image - target).abs().mean(dim=0)
    return error[valid].mean().item(), valid.double().mean().item()


@pytest.mark.parametrize("index", [3, 20])
def test_consecutive_frames_warp_onto_each_other(world: SyntheticWorld, index: int) -> None:
    target: SimFrame = world.render_frame(index)
    source: SimFrame = world.render_frame(index + 1)
    source_from_target = np.linalg.inv(source.odom_from_left) @ target.odom_from_left
    error, coverage = _photometric_error(
        world, target.left_rgb, target.depth, source.left_rgb, source.depth, source_from_target
    )
    assert coverage > 0.5
    assert error < 0.025
    wrong = source_from_target.copy()
    wrong[:3, 3] *= 2.0
    wrong_error, _ = _photometric_error(world, target.left_rgb, target.depth, source.left_rgb, source.depth, wrong)
    assert wrong_error > max(2.0 * error, 0.03)


def test_the_stereo_pair_warps_onto_each_other(world: SyntheticWorld) -> None:
    frame = world.render_frame(7)
    assert frame.right_rgb is not None
    assert frame.right_depth is not None
    assert frame.odom_from_right is not None
    right_from_left = np.linalg.inv(frame.odom_from_right) @ frame.odom_from_left
    np.testing.assert_allclose(right_from_left[:3, 3], [-0.54, 0.0, 0.0], atol=1e-12)
    error, coverage = _photometric_error(
        world, frame.left_rgb, frame.depth, frame.right_rgb, frame.right_depth, right_from_left
    )
    assert coverage > 0.7
    assert error < 0.02
    wrong = right_from_left.copy()
    wrong[:3, 3] *= 2.0
    wrong_error, _ = _photometric_error(world, frame.left_rgb, frame.depth, frame.right_rgb, frame.right_depth, wrong)
    assert wrong_error > max(2.0 * error, 0.03)
