"""Horizontal reconstruction, left-right consistency and the Siamese stereo loss."""

from __future__ import annotations

import pytest
import torch

from mono_depth_ros.core.losses import (
    LossError,
    ShapeError,
    depth_to_stereo_disparity,
    left_right_consistency,
    mirror,
    photometric_error,
    sample_horizontally,
    siamese_stereo_loss,
    total_variation,
)

HEIGHT, WIDTH = 12, 32


def _pair(generator: torch.Generator, shift: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A rectified pair of a fronto-parallel plane with `shift` pixels of disparity: right(u) = left(u + shift)."""
    texture = torch.rand(2, 3, HEIGHT, WIDTH + shift, generator=generator, dtype=torch.float64)
    return texture[..., :WIDTH], texture[..., shift:]


def test_mirror_flips_the_width_and_is_its_own_inverse(generator: torch.Generator) -> None:
    image = torch.rand(2, 3, 4, 5, generator=generator)
    assert torch.equal(mirror(image)[..., 0], image[..., -1])
    assert torch.equal(mirror(mirror(image)), image)


def test_sample_horizontally_shifts_by_whole_pixels(generator: torch.Generator) -> None:
    image = torch.rand(2, 3, HEIGHT, WIDTH, generator=generator, dtype=torch.float64)
    shifted = sample_horizontally(image, torch.full((HEIGHT, WIDTH), 3.0, dtype=torch.float64))
    torch.testing.assert_close(shifted[..., :-3], image[..., 3:])
    torch.testing.assert_close(shifted[..., -3:], image[..., -1:].expand_as(shifted[..., -3:]))  # border
    half = sample_horizontally(image, torch.full((2, HEIGHT, WIDTH), 0.5, dtype=torch.float64))
    torch.testing.assert_close(half[..., :-1], (image[..., :-1] + image[..., 1:]) / 2)


def test_depth_to_stereo_disparity() -> None:
    depth = torch.full((2, HEIGHT, WIDTH), 10.0, dtype=torch.float64)
    disparity = depth_to_stereo_disparity(depth, 320.0, 0.5)
    torch.testing.assert_close(disparity, torch.full_like(depth, 320.0 * 0.5 / 10.0 / WIDTH))
    per_image = depth_to_stereo_disparity(depth, torch.tensor([320.0, 160.0], dtype=torch.float64), 0.5)
    torch.testing.assert_close(per_image[1], disparity[0] / 2)


def test_consistent_disparities_have_no_left_right_error() -> None:
    disparity = torch.full((2, HEIGHT, WIDTH), 3.0 / WIDTH, dtype=torch.float64)
    assert left_right_consistency(disparity, disparity).item() < 1e-12
    right = disparity.clone()
    right[..., 10:20] = 5.0 / WIDTH
    assert left_right_consistency(disparity, right).item() > 0.01


def test_left_right_consistency_samples_the_other_view_where_the_pixel_lands() -> None:
    """Hand-computed on one disparity spike per view (W = 8, so 2/8 of the width is 2 pixels)."""
    left = torch.zeros(1, 2, 8, dtype=torch.float64)
    left[..., 5] = 2.0 / 8  # left column 5 lands on right column 3
    right = torch.zeros(1, 2, 8, dtype=torch.float64)
    right[..., 3] = 2.0 / 8  # right column 3 lands back on left column 5
    # Columns 5 (left) and 3 (right) agree; left column 3 and right column 5 (disparity 0) see the other's spike.
    torch.testing.assert_close(left_right_consistency(left, right), torch.tensor(0.25 / 8 + 0.25 / 8).double())
    moved = torch.zeros(1, 2, 8, dtype=torch.float64)
    moved[..., 4] = 2.0 / 8  # one column off: both spikes now miss, and two more zeros see a spike
    torch.testing.assert_close(left_right_consistency(left, moved), torch.tensor(0.5 / 8 + 0.5 / 8).double())


@pytest.mark.parametrize("shift", [2, 4])
def test_siamese_loss_is_lowest_at_the_true_disparity(shift: int, generator: torch.Generator) -> None:
    left, right = _pair(generator, shift)
    truth = torch.full((2, HEIGHT, WIDTH), shift / WIDTH, dtype=torch.float64)
    right_truth = mirror(mirror(truth))  # what the Siamese network's mirrored branch gives back
    result = siamese_stereo_loss(left, right, truth, right_truth)
    # Left pixels u >= shift and right pixels u < WIDTH - shift see each other exactly.
    torch.testing.assert_close(result.left_reconstruction[..., shift:], left[..., shift:])
    torch.testing.assert_close(result.right_reconstruction[..., : WIDTH - shift], right[..., : WIDTH - shift])
    assert result.left_right.item() < 1e-12
    assert result.smoothness.item() == 0.0
    for wrong in (0.5, 1.5):
        worse = siamese_stereo_loss(left, right, wrong * truth, wrong * right_truth)
        assert worse.image.item() > result.image.item() + 0.05


def test_siamese_total_is_the_weighted_sum(generator: torch.Generator) -> None:
    left, right = _pair(generator, 2)
    d_left = torch.rand(2, HEIGHT, WIDTH, generator=generator, dtype=torch.float64) * 0.1
    d_right = torch.rand(2, HEIGHT, WIDTH, generator=generator, dtype=torch.float64) * 0.1
    result = siamese_stereo_loss(
        left, right, d_left, d_right, image_weight=2.0, left_right_weight=0.5, smoothness_weight=0.1
    )
    torch.testing.assert_close(result.total, 2.0 * result.image + 0.5 * result.left_right + 0.1 * result.smoothness)
    torch.testing.assert_close(result.smoothness, total_variation(d_left) + total_variation(d_right))
    expected_image = (
        photometric_error(result.left_reconstruction, left, ssim_window="gaussian").mean()
        + photometric_error(result.right_reconstruction, right, ssim_window="gaussian").mean()
    )
    torch.testing.assert_close(result.image, expected_image)


def test_siamese_loss_gradients_reach_both_disparities(generator: torch.Generator) -> None:
    left, right = _pair(generator, 2)
    d_left = (torch.rand(2, HEIGHT, WIDTH, generator=generator, dtype=torch.float64) * 0.1).requires_grad_()
    d_right = (torch.rand(2, HEIGHT, WIDTH, generator=generator, dtype=torch.float64) * 0.1).requires_grad_()
    siamese_stereo_loss(left, right, d_left, d_right).total.backward()
    for grad in (d_left.grad, d_right.grad):
        assert grad is not None
        assert bool(torch.isfinite(grad).all())
        assert grad.abs().sum().item() > 0


def test_bad_arguments_are_rejected(generator: torch.Generator) -> None:
    left, right = _pair(generator, 2)
    disparity = torch.zeros(2, HEIGHT, WIDTH, dtype=torch.float64)
    with pytest.raises(LossError, match="left_right_weight"):
        siamese_stereo_loss(left, right, disparity, disparity, left_right_weight=-1.0)
    with pytest.raises(ShapeError, match="right_disparity"):
        siamese_stereo_loss(left, right, disparity, disparity[..., :-1])
    with pytest.raises(ShapeError, match="offset"):
        sample_horizontally(left, disparity[..., :-1])
