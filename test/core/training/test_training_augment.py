"""Augmentation keeps stereo sides and intrinsics consistent; colour jitter changes the network inputs only."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from mono_depth_ros.core.geometry import warp_source_to_target
from mono_depth_ros.core.training import (
    AugmentationOptions,
    ColourJitter,
    TrainingSample,
    augment,
    collate,
    colour_jitter,
    flip_batch,
    mirror_camera_matrix,
    stereo_transform,
)
from mono_depth_ros.data.sim import SimConfig, SyntheticWorld

WIDTH, HEIGHT = 96, 64


@pytest.fixture(scope="module")
def stereo_frame():
    world = SyntheticWorld(SimConfig(width=WIDTH, height=HEIGHT, seed=4, stereo=True), frames=1)
    return world, world.render_frame(0)


def _sample(frame, intrinsics, *, temporal: bool) -> TrainingSample:
    return TrainingSample(
        image=frame.left_rgb,
        camera_matrix=intrinsics.as_array(),
        previous_image=frame.left_rgb if temporal else None,
        next_image=frame.left_rgb if temporal else None,
        right_image=frame.right_rgb,
        depth=frame.depth,
        stereo_baseline=0.54,
    )


def _reconstruction_error(target: torch.Tensor, right: torch.Tensor, depth: torch.Tensor, batch) -> float:
    """Mean |target - right warped into target| over valid pixels, with the batch's K and signed baseline."""
    depth = torch.nan_to_num(depth, nan=1e3, posinf=1e3).clamp(max=1e3)
    warped = warp_source_to_target(right, depth, stereo_transform(batch.baseline), batch.camera_matrix)
    valid = warped.valid & (depth < 100)
    return float((warped.image - target).abs().mean(1)[valid].mean())


def test_flip_swaps_a_known_pair_and_mirrors_cx(stereo_frame) -> None:
    world, frame = stereo_frame
    batch = collate([_sample(frame, world.intrinsics, temporal=False)])
    flipped = flip_batch(batch, torch.tensor([True]))
    left = batch.frames.image
    right = batch.frames.right
    assert torch.equal(flipped.frames.image, right.flip(-1))
    assert torch.equal(flipped.frames.right, left.flip(-1))
    assert torch.equal(flipped.inputs.image, right.flip(-1))
    cx = float(batch.camera_matrix[0, 0, 2])
    assert float(flipped.camera_matrix[0, 0, 2]) == pytest.approx(WIDTH - 1 - cx)
    assert torch.equal(flipped.camera_matrix[0, :, :2], batch.camera_matrix[0, :, :2])
    assert float(flipped.baseline[0]) == pytest.approx(0.54)
    # The left camera's ground truth no longer belongs to the target.
    assert bool(torch.isnan(flipped.depth).all())
    # Unflagged samples are untouched.
    same = flip_batch(batch, torch.tensor([False]))
    assert torch.equal(same.frames.image, left)
    assert torch.equal(same.camera_matrix, batch.camera_matrix)


def test_flipped_pair_is_still_a_consistent_stereo_pair(stereo_frame) -> None:
    """Warping the right view into the target with the true depth reconstructs it before and after the flip; the
    naive mirror without swapping (right camera then on the left) does not."""
    world, frame = stereo_frame
    batch = collate([_sample(frame, world.intrinsics, temporal=False)])
    before = _reconstruction_error(batch.frames.image, batch.frames.right, torch.from_numpy(frame.depth)[None], batch)
    flipped = flip_batch(batch, torch.tensor([True]))
    right_depth = torch.from_numpy(frame.right_depth).flip(-1)[None]  # the new target is the mirrored right view
    after = _reconstruction_error(flipped.frames.image, flipped.frames.right, right_depth, flipped)
    naive = dataclasses.replace(
        flipped, frames=flipped.frames._replace(image=batch.frames.image.flip(-1), right=batch.frames.right.flip(-1))
    )
    wrong = _reconstruction_error(
        naive.frames.image, naive.frames.right, torch.from_numpy(frame.depth).flip(-1)[None], naive
    )
    assert before < 0.03
    assert after < 0.03
    assert wrong > 3 * max(before, after)


def test_flip_with_temporal_frames_keeps_sides_and_negates_the_baseline(stereo_frame) -> None:
    world, frame = stereo_frame
    batch = collate([_sample(frame, world.intrinsics, temporal=True)] * 2)
    flipped = flip_batch(batch, torch.tensor([True, False]))
    assert torch.equal(flipped.frames.image[0], batch.frames.image[0].flip(-1))
    assert torch.equal(flipped.frames.right[0], batch.frames.right[0].flip(-1))
    assert torch.equal(flipped.frames.previous[0], batch.frames.previous[0].flip(-1))
    assert flipped.baseline.tolist() == pytest.approx([-0.54, 0.54])
    # Mirrored pair with the partner camera at -baseline: still consistent.
    depth = torch.from_numpy(frame.depth).flip(-1)[None]
    one = dataclasses.replace(
        flipped,
        frames=flipped.frames.map(lambda t: t[:1]),
        camera_matrix=flipped.camera_matrix[:1],
        baseline=flipped.baseline[:1],
    )
    assert _reconstruction_error(one.frames.image, one.frames.right, depth, one) < 0.03


def test_mirror_camera_matrix_is_an_involution() -> None:
    matrix = torch.tensor([[50.0, 0.0, 30.25], [0.0, 60.0, 20.0], [0.0, 0.0, 1.0]])
    mirrored = mirror_camera_matrix(matrix, 96)
    assert float(mirrored[0, 2]) == pytest.approx(64.75)  # 95 - 30.25
    assert torch.equal(mirror_camera_matrix(mirrored, 96), matrix)


def test_colour_jitter_changes_inputs_alike_and_keeps_frames(stereo_frame) -> None:
    world, frame = stereo_frame
    batch = collate([_sample(frame, world.intrinsics, temporal=True)] * 3)
    options = AugmentationOptions(flip_probability=0.0, colour_probability=1.0)
    augmented = augment(batch, options, torch.Generator().manual_seed(1))
    assert torch.equal(augmented.frames.image, batch.frames.image)  # the losses see the original colours
    assert not torch.equal(augmented.inputs.image, batch.frames.image)
    # One sample's frames get the same jitter (here the frames are the same image).
    assert torch.equal(augmented.inputs.image, augmented.inputs.previous)
    assert torch.equal(augmented.inputs.right[0], colour_jitter(batch.frames.right, _draw(options))[0])
    # Different samples get different draws.
    assert not torch.equal(augmented.inputs.image[0], augmented.inputs.image[1])
    assert float(augmented.inputs.image.min()) >= 0.0
    assert float(augmented.inputs.image.max()) <= 1.0


def _draw(options: AugmentationOptions) -> ColourJitter:
    """The jitter `augment` draws with seed 1 (after the flip draws)."""
    generator = torch.Generator().manual_seed(1)
    torch.rand(3, generator=generator)
    return ColourJitter.draw(3, options, generator)


def test_colour_jitter_identities() -> None:
    images = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    ones, zeros = torch.ones(2), torch.zeros(2)
    identity = ColourJitter(ones, ones, ones, zeros, torch.tensor([True, True]))
    assert torch.allclose(colour_jitter(images, identity), images, atol=1e-5)
    grey = colour_jitter(images, ColourJitter(ones, ones, zeros, zeros, torch.tensor([True, False])))
    assert torch.allclose(grey[0, 0], grey[0, 1], atol=1e-5)
    assert torch.equal(grey[1], images[1])  # not applied
    full_turn = colour_jitter(images, ColourJitter(ones, ones, ones, ones, torch.tensor([True, True])))
    assert torch.allclose(full_turn, images, atol=1e-4)


def test_augmentation_is_a_function_of_the_generator(stereo_frame) -> None:
    world, frame = stereo_frame
    batch = collate([_sample(frame, world.intrinsics, temporal=False)] * 4)
    options = AugmentationOptions()
    first = augment(batch, options, torch.Generator().manual_seed(7))
    second = augment(batch, options, torch.Generator().manual_seed(7))
    assert torch.equal(first.inputs.image, second.inputs.image)
    assert torch.equal(first.camera_matrix, second.camera_matrix)
    assert np.isclose(float(first.baseline.min()), 0.54)
