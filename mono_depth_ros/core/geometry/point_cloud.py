"""Organised point clouds from depth images, assembled on the depth's device (what the depth node publishes).

The cloud keeps the image layout (a PointCloud2 with height > 1, `is_dense` false): invalid pixels hold NaN points,
so batches keep fixed shapes and nothing is synchronised with the host. `points[valid]` gives the compact cloud.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from mono_depth_ros.core.geometry.camera import backproject
from mono_depth_ros.core.geometry.errors import GeometryError
from mono_depth_ros.core.shapes import check_shape

__all__ = ["PointCloud", "depth_to_point_cloud"]


class PointCloud(NamedTuple):
    """An organised cloud of h x w points, h = ceil(H / stride), w = ceil(W / stride)."""

    points: torch.Tensor
    """(*, h, w, 3) x, y, z in the camera optical frame; NaN where not valid."""
    valid: torch.Tensor
    """(*, h, w) bool: finite depth within [min_depth, max_depth]."""
    colours: torch.Tensor | None
    """(*, h, w, C) the image's values at the same pixels, or None when no image was given."""


def depth_to_point_cloud(
    depth: torch.Tensor,
    camera_matrix: torch.Tensor,
    *,
    stride: int = 1,
    image: torch.Tensor | None = None,
    min_depth: float = 0.0,
    max_depth: float = math.inf,
) -> PointCloud:
    """Back-project every `stride`-th pixel of each row and column (starting at pixel 0) of a depth image.

    Args:
        depth: (*, H, W) depth along the optical axis; NaN, infinite and out-of-range values give invalid points.
        camera_matrix: (*, 3, 3) K of the depth image (full resolution, whatever the stride).
        stride: keep pixels (u, v) with u and v multiples of `stride`.
        image: (*, C, H, W) optional colours (for example RGB) registered with the depth.
        min_depth: depths must be greater than this (0 by default, so 0 means "no measurement").
        max_depth: and at most this.
    """
    if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
        raise GeometryError(f"stride must be a positive integer, got {stride!r}")
    if not min_depth < max_depth:
        raise GeometryError(f"min_depth must be below max_depth, got {min_depth} and {max_depth}")
    sizes = check_shape(depth, "depth", ["*", "H", "W"])
    check_shape(camera_matrix, "camera_matrix", ["*", 3, 3])
    if image is not None:
        check_shape(image, "image", ["*", "C", "H", "W"], sizes)

    sampled_depth = depth[..., ::stride, ::stride]
    # Sampled pixel (j, i) is full-resolution pixel (stride j, stride i): divide K's first two rows by the stride.
    sampled_matrix = camera_matrix.clone()
    sampled_matrix[..., :2, :] = camera_matrix[..., :2, :] / stride
    points = backproject(sampled_depth, sampled_matrix)
    valid = torch.isfinite(sampled_depth) & (sampled_depth > min_depth) & (sampled_depth <= max_depth)
    valid = valid.expand(points.shape[:-1])
    points = torch.where(valid[..., None], points, torch.full_like(points, math.nan))
    colours = None
    if image is not None:
        colours = image[..., ::stride, ::stride].movedim(-3, -1)
    return PointCloud(points=points, valid=valid, colours=colours)
