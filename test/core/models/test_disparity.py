"""Monodepth2's disparity <-> depth mapping: end points, round trip, gradients."""

from __future__ import annotations

import torch

from mono_depth_ros.core.models import depth_to_disparity, disparity_to_depth, disparity_to_inverse_depth


def test_end_points_and_a_hand_computed_value():
    values = disparity_to_depth(torch.tensor([0.0, 1.0, 0.5]), 0.1, 100.0)
    # 0.5: 1 / (0.01 + 0.5 * (10 - 0.01)) = 1 / 5.005
    torch.testing.assert_close(values, torch.tensor([100.0, 0.1, 1 / 5.005]))


def test_round_trip_any_shape():
    disparity = torch.rand(2, 1, 4, 5, dtype=torch.float64)
    back = depth_to_disparity(disparity_to_depth(disparity, 0.1, 100.0), 0.1, 100.0)
    torch.testing.assert_close(back, disparity)


def test_gradient_is_finite_and_negative():
    disparity = torch.rand(10, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda d: disparity_to_depth(d, 0.1, 100.0), (disparity,))
    disparity_to_depth(disparity, 0.1, 100.0).sum().backward()
    assert (disparity.grad < 0).all()


def test_inverse_depth_is_linear_in_the_disparity():
    disparity = torch.tensor([0.0, 0.25, 1.0], dtype=torch.float64)
    inverse = disparity_to_inverse_depth(disparity, 0.1, 100.0)
    torch.testing.assert_close(inverse, torch.tensor([0.01, 0.01 + 0.25 * 9.99, 10.0], dtype=torch.float64))
    torch.testing.assert_close(inverse.reciprocal(), disparity_to_depth(disparity, 0.1, 100.0))
