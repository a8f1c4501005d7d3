"""Flip post-processing weights and blend, and resizing of inverse depth."""

from __future__ import annotations

import pytest
import torch

from mono_depth_ros.core.inference import EDGE_FRACTION, blend_flipped, flip_blend_weights, resize_bilinear


@pytest.mark.parametrize("width", [32, 96, 640, 1241])
def test_flip_weights_take_the_edges_from_one_side_each_and_average_the_middle(width: int) -> None:
    direct, mirrored = flip_blend_weights(width, dtype=torch.float64)
    assert direct.shape == mirrored.shape == (width,)
    torch.testing.assert_close(direct + mirrored, torch.ones(width, dtype=torch.float64))
    torch.testing.assert_close(direct, mirrored.flip(0))  # symmetric about the centre
    x = torch.linspace(0.0, 1.0, width, dtype=torch.float64)
    assert (mirrored[x <= EDGE_FRACTION] == 1.0).all()  # left ~5 %: the mirrored prediction only
    assert (direct[x >= 1.0 - EDGE_FRACTION] == 1.0).all()  # right ~5 %: the direct one only
    middle = (x >= 2 * EDGE_FRACTION) & (x <= 1.0 - 2 * EDGE_FRACTION)
    assert (mirrored[middle] == 0.5).all()
    assert (direct[middle] == 0.5).all()
    assert (mirrored[:-1] >= mirrored[1:]).all()  # a monotonic ramp in between


def test_flip_weights_match_monodepth2() -> None:
    """Monodepth2's batch_post_process_disparity, written out: r_mask * l_disp + l_mask * r_disp + rest * mean."""
    width = 200
    x = torch.linspace(0.0, 1.0, width, dtype=torch.float64)
    l_mask = 1.0 - torch.clamp(20.0 * (x - 0.05), 0.0, 1.0)
    r_mask = l_mask.flip(0)
    direct, mirrored = flip_blend_weights(width, dtype=torch.float64)
    torch.testing.assert_close(direct, r_mask + 0.5 * (1.0 - l_mask - r_mask))
    torch.testing.assert_close(mirrored, l_mask + 0.5 * (1.0 - l_mask - r_mask))


def test_blend_flipped_on_batches() -> None:
    generator = torch.Generator().manual_seed(0)
    direct = torch.rand(2, 3, 4, 64, generator=generator)
    mirrored = torch.rand(2, 3, 4, 64, generator=generator)
    blended = blend_flipped(direct, mirrored)
    assert blended.shape == direct.shape
    torch.testing.assert_close(blended[..., 0], mirrored[..., 0])
    torch.testing.assert_close(blended[..., -1], direct[..., -1])
    torch.testing.assert_close(blended[..., 32], 0.5 * (direct[..., 32] + mirrored[..., 32]))
    # A symmetric pair (the mirrored prediction is the direct one mirrored) blends into a symmetric result.
    symmetric = blend_flipped(direct, direct.flip(-1))
    torch.testing.assert_close(symmetric, symmetric.flip(-1))


def test_resize_bilinear_aligns_pixel_centres() -> None:
    ramp = torch.arange(4, dtype=torch.float32).expand(1, 1, 2, 4)
    resized = resize_bilinear(ramp, 2, 8)
    assert resized.shape == (1, 1, 2, 8)
    # Output pixel u maps to input (u + 0.5) / 2 - 0.5, clamped at the borders.
    expected = torch.tensor([0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0])
    torch.testing.assert_close(resized[0, 0, 0], expected)
    assert resize_bilinear(ramp, 2, 4) is ramp
