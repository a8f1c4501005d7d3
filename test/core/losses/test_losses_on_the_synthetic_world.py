"""The losses on rendered frames of the synthetic street, where the true depth and poses are known.

Each loss must be lowest (or its alignment exact) at the truth: Monodepth2's reprojection loss on a monocular
triplet, the SAG loss between consecutive frames, and the Siamese stereo loss on the stereo pair. Margins measured at
256x80, seed 2, frame 10: reprojection 0.017 at the truth against 0.081-0.114 for depth x2 or x0.5 (auto-mask
0.85 of the pixels); SAG tau within 0.1% of the applied source scale, total 0.054-0.065 at the true pose against
0.19-0.34 with the translation x0.5 or x1.5; Siamese image term 0.071 against 0.28-0.34 for disparity x0.7 or x1.4,
left-right term 0.001 (mean disparity 0.023).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mono_depth_ros.core.geometry import warp_source_to_target
from mono_depth_ros.core.losses import (
    depth_to_stereo_disparity,
    reprojection_loss,
    sag_loss,
    siamese_stereo_loss,
)
from mono_depth_ros.data.sim import SimConfig, SimFrame, SyntheticWorld

TARGET = 10
MAX_DEPTH = 100.0  # what a network predicts for the sky


@pytest.fixture(scope="module")
def world() -> SyntheticWorld:
    return SyntheticWorld(SimConfig(seed=2, width=256, height=80, stereo=True), frames=TARGET + 2)


@pytest.fixture(scope="module")
def frames(world: SyntheticWorld) -> dict[int, SimFrame]:
    return {index: world.render_frame(index) for index in (TARGET - 1, TARGET, TARGET + 1)}


def _image(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(rgb).permute(2, 0, 1).double() / 255.0


def _depth(depth: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(depth).double().clamp(max=MAX_DEPTH)


def _source_from_target(source: SimFrame, target: SimFrame) -> torch.Tensor:
    return torch.from_numpy(np.linalg.inv(source.odom_from_left) @ target.odom_from_left)


def _monocular_loss(world: SyntheticWorld, frames: dict[int, SimFrame], depth_factor: float):
    target = frames[TARGET]
    camera = world.intrinsics.matrix(torch.float64)
    depth = depth_factor * _depth(target.depth)
    warps = [
        warp_source_to_target(_image(frames[i].left_rgb), depth, _source_from_target(frames[i], target), camera)
        for i in (TARGET - 1, TARGET + 1)
    ]
    sources = [_image(frames[i].left_rgb) for i in (TARGET - 1, TARGET + 1)]
    return reprojection_loss(
        _image(target.left_rgb),
        [warp.image for warp in warps],
        sources,
        valid=[warp.valid for warp in warps],
        generator=torch.Generator().manual_seed(0),
    )


def test_the_reprojection_loss_is_lowest_at_the_true_depth(world: SyntheticWorld, frames: dict) -> None:
    truth = _monocular_loss(world, frames, 1.0)
    assert truth.mask.double().mean().item() > 0.6
    for factor in (0.5, 2.0):
        assert _monocular_loss(world, frames, factor).loss.item() > 3 * truth.loss.item()


@pytest.mark.parametrize("source_scale", [1.0, 1.2])
def test_sag_recovers_the_relative_scale_and_prefers_the_true_pose(
    world: SyntheticWorld, frames: dict, source_scale: float
) -> None:
    target, source = frames[TARGET], frames[TARGET + 1]
    reliable = _monocular_loss(world, frames, 1.0).source_mask(1) & torch.from_numpy(np.isfinite(target.depth))
    true_pose = _source_from_target(source, target)
    results = {}
    for name, step in (("truth", 1.0), ("short", 0.5), ("long", 1.5)):
        pose = true_pose.clone()
        pose[:3, 3] *= step
        results[name] = sag_loss(
            _depth(target.depth),
            source_scale * _depth(source.depth),
            pose,
            world.intrinsics.matrix(torch.float64),
            mask=reliable,
        )
    truth = results["truth"]
    assert truth.points.item() > 2000
    assert truth.similarity.scale.item() == pytest.approx(source_scale, rel=3e-3)
    # Occlusion edges and far points leave a few centimetres of residual translation (~0.9 m step) at the truth.
    assert truth.rotation.item() < 3e-3
    assert truth.translation.item() < 0.1 * source_scale
    for wrong in ("short", "long"):
        assert results[wrong].total.item() > 3 * truth.total.item()


def test_the_siamese_stereo_loss_is_lowest_at_the_true_disparity(world: SyntheticWorld, frames: dict) -> None:
    frame = frames[TARGET]
    fx, baseline = world.intrinsics.fx, 0.54
    # The sky (infinite depth) has zero disparity, exactly what a rectified pair shows there.
    left_disparity = depth_to_stereo_disparity(torch.from_numpy(frame.depth).double(), fx, baseline)
    right_disparity = depth_to_stereo_disparity(torch.from_numpy(frame.right_depth).double(), fx, baseline)
    left, right = _image(frame.left_rgb), _image(frame.right_rgb)
    truth = siamese_stereo_loss(left, right, left_disparity, right_disparity)
    assert truth.left_right.item() < 0.1 * left_disparity.mean().item()
    for factor in (0.7, 1.4):
        wrong = siamese_stereo_loss(left, right, factor * left_disparity, factor * right_disparity)
        assert wrong.image.item() > 2 * truth.image.item()
