"""The cloud writer: cached rays, back-projection into a buffer view, and rgb packing."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from mono_depth_ros.core.geometry import PinholeIntrinsics, depth_to_point_cloud
from mono_depth_ros.core.inference.points import RayTable, pack_rgb_into, sampled_size


def test_sampled_size_rounds_up() -> None:
    assert sampled_size(375, 1242, 1) == (375, 1242)
    assert sampled_size(375, 1242, 4) == (94, 311)
    assert sampled_size(8, 9, 3) == (3, 3)


@pytest.mark.parametrize("stride", [1, 2, 5])
def test_rays_times_depth_is_the_geometry_back_projection(stride: int) -> None:
    camera = PinholeIntrinsics(fx=40.0, fy=35.0, cx=15.3, cy=9.8, width=31, height=21)
    depth = torch.rand(21, 31, generator=torch.Generator().manual_seed(0)) * 10 + 0.5
    depth[3, 4] = float("nan")
    rows, columns = sampled_size(21, 31, stride)
    cloud = torch.zeros(rows, columns, 4)
    table = RayTable()
    table.write(cloud, depth, camera, stride)
    reference = depth_to_point_cloud(depth, camera.matrix(), stride=stride)
    torch.testing.assert_close(cloud[..., :3], reference.points, equal_nan=True, rtol=1e-6, atol=1e-6)
    assert (cloud[..., 3] == 0).all()  # the rgb slot is left alone
    first = table.rays(camera, stride, torch.device("cpu"))
    assert table.rays(camera, stride, torch.device("cpu")) is first  # cached
    assert table.rays(camera.resized(62, 42), stride, torch.device("cpu")) is not first


def test_rgb_is_packed_bit_for_bit_whatever_the_byte_order_path(monkeypatch: pytest.MonkeyPatch) -> None:
    generator = torch.Generator().manual_seed(0)
    red, green, blue = (torch.randint(0, 256, (5, 7), dtype=torch.uint8, generator=generator) for _ in range(3))
    red[0, 0], green[0, 0], blue[0, 0] = 255, 255, 255
    expected = (red.numpy().astype(np.uint32) << 16) | (green.numpy().astype(np.uint32) << 8) | blue.numpy()
    clouds = {}
    for order in ("little", "big"):  # "big" takes the int32 path (native order here: the same bits)
        monkeypatch.setattr(sys, "byteorder", order)
        cloud = torch.full((5, 7, 4), 7.0)
        pack_rgb_into(cloud, red, green, blue.float())  # float channels holding integers work too
        clouds[order] = cloud
        np.testing.assert_array_equal(cloud[..., 3].contiguous().view(torch.int32).numpy().view(np.uint32), expected)
        assert (cloud[..., :3] == 7.0).all()
    assert clouds["little"].numpy().tobytes() == clouds["big"].numpy().tobytes()
