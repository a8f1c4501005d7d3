"""Organised point clouds: stride, validity, colours."""

from __future__ import annotations

import math

import pytest
import torch

from mono_depth_ros.core.geometry import GeometryError, ShapeError, backproject, depth_to_point_cloud


@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_strided_cloud_is_the_full_cloud_subsampled(
    batch: tuple[int, ...], stride: int, camera_matrix: torch.Tensor, generator: torch.Generator
) -> None:
    depth = torch.rand(*batch, 6, 8, generator=generator, dtype=torch.float64) * 10 + 0.5
    cloud = depth_to_point_cloud(depth, camera_matrix, stride=stride)
    expected = backproject(depth, camera_matrix)[..., ::stride, ::stride, :]
    assert cloud.points.shape == (*batch, math.ceil(6 / stride), math.ceil(8 / stride), 3)
    torch.testing.assert_close(cloud.points, expected)
    assert cloud.valid.all()
    assert cloud.colours is None


def test_invalid_depths_become_nan_points(camera_matrix: torch.Tensor) -> None:
    depth = torch.tensor([[0.0, float("nan"), float("inf"), 2.0], [0.5, 5.0, 80.0, 81.0]], dtype=torch.float64)
    cloud = depth_to_point_cloud(depth, camera_matrix, min_depth=0.5, max_depth=80.0)
    expected_valid = torch.tensor([[False, False, False, True], [False, True, True, False]])
    torch.testing.assert_close(cloud.valid, expected_valid)
    assert torch.isnan(cloud.points[~expected_valid]).all()
    torch.testing.assert_close(cloud.points[expected_valid][:, 2], torch.tensor([2.0, 5.0, 80.0]).double())


def test_colours_follow_the_sampled_pixels(camera_matrix: torch.Tensor) -> None:
    image = torch.arange(3 * 6 * 8, dtype=torch.float64).reshape(3, 6, 8)
    cloud = depth_to_point_cloud(torch.ones(6, 8, dtype=torch.float64), camera_matrix, stride=2, image=image)
    assert cloud.colours.shape == (3, 4, 3)
    torch.testing.assert_close(cloud.colours[1, 2], image[:, 2, 4])


def test_errors_name_the_value(camera_matrix: torch.Tensor) -> None:
    depth = torch.ones(6, 8)
    with pytest.raises(GeometryError, match="stride must be a positive integer, got 0"):
        depth_to_point_cloud(depth, camera_matrix, stride=0)
    with pytest.raises(GeometryError, match=r"min_depth must be below max_depth, got 5\.0 and 1\.0"):
        depth_to_point_cloud(depth, camera_matrix, min_depth=5.0, max_depth=1.0)
    with pytest.raises(ShapeError, match=r"image must have shape \(\*, C, H, W\) with H=6, got \(3, 5, 8\)"):
        depth_to_point_cloud(depth, camera_matrix, image=torch.zeros(3, 5, 8))
