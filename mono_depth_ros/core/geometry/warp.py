"""View synthesis: sample a source image at the pixels where the target view's 3-D points appear in it.

Used by every self-supervised loss (photometric reprojection, stereo, SAG). Differentiable with respect to the source
image, the target depth, the relative pose and the camera matrix.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch.nn import functional

from mono_depth_ros.core.geometry.camera import backproject, project
from mono_depth_ros.core.geometry.se3 import transform_points
from mono_depth_ros.core.shapes import check_shape

__all__ = ["WarpResult", "sample_at_pixels", "warp_source_to_target"]

# Points this close to the source camera plane (project()'s default eps) count as behind it.
_MIN_SOURCE_DEPTH = 1e-6
# Slack (pixels) beyond the outer pixel centres that still counts as inside, so rounding never drops border pixels.
_BORDER_SLACK = 1e-3


class WarpResult(NamedTuple):
    """What `warp_source_to_target` returns; `*` is the broadcast batch shape of its arguments."""

    image: torch.Tensor
    """(*, C, H, W) the source image seen from the target camera."""
    valid: torch.Tensor
    """(*, H, W) bool: the target pixel's point is in front of the source camera and projects inside the source
    image's pixel-centre range [0, W - 1] x [0, H - 1], give or take 1e-3 pixel of rounding (so bilinear sampling
    used real pixels only)."""
    source_pixels: torch.Tensor
    """(*, H, W, 2) (u, v) in the source image of each target pixel: the correspondences."""
    source_points: torch.Tensor
    """(*, H, W, 3) the target pixels' 3-D points expressed in the source camera frame."""


def sample_at_pixels(image: torch.Tensor, pixels: torch.Tensor) -> torch.Tensor:
    """Bilinear samples of image (*, C, H, W) at pixel coordinates (*, h, w, 2) (u, v) -> (*, C, h, w).

    Pixel centres are integers (as everywhere in the package); coordinates outside the image take the nearest border
    value and non-finite coordinates sample the left or top border, so the result is finite for a finite image.
    """
    sizes = check_shape(image, "image", ["*", "C", "H", "W"])
    check_shape(pixels, "pixels", ["*", "h", "w", 2])
    height, width = sizes["H"], sizes["W"]
    batch = torch.broadcast_shapes(image.shape[:-3], pixels.shape[:-3])
    size = torch.tensor([width, height], dtype=pixels.dtype, device=pixels.device)
    # align_corners=False: -1 and +1 are the outer edges of the border pixels, i.e. u = -0.5 and u = W - 0.5.
    grid = (2 * pixels + 1) / size - 1
    # grid_sample's behaviour on NaN or huge coordinates is unspecified; such samples are masked by callers anyway.
    grid = torch.where(torch.isfinite(grid), grid, torch.full_like(grid, -1.0)).clamp(-2.0, 2.0)
    flat_image = image.expand(*batch, *image.shape[-3:]).reshape(-1, *image.shape[-3:])
    flat_grid = grid.to(image.dtype).expand(*batch, *grid.shape[-3:]).reshape(-1, *grid.shape[-3:])
    sampled = functional.grid_sample(flat_image, flat_grid, mode="bilinear", padding_mode="border", align_corners=False)
    return sampled.reshape(*batch, *sampled.shape[-3:])


def warp_source_to_target(
    source_image: torch.Tensor,
    target_depth: torch.Tensor,
    source_from_target: torch.Tensor,
    camera_matrix: torch.Tensor,
) -> WarpResult:
    """Reconstruct the target view from the source image, the target depth and the relative pose.

    Args:
        source_image: (*, C, H, W) the image to sample.
        target_depth: (*, H, W) depth of the target view (same unit as the pose's translation).
        source_from_target: (*, 4, 4) maps target-camera points to source-camera points.
        camera_matrix: (*, 3, 3) K shared by both views, for H x W images.

    Returns:
        `WarpResult`; batch dimensions of all four arguments broadcast. Invalid pixels (non-finite depth, behind the
        source camera, outside the source image) still hold border samples: mask them with `valid`.
    """
    sizes = check_shape(source_image, "source_image", ["*", "C", "H", "W"])
    check_shape(target_depth, "target_depth", ["*", "H", "W"], sizes)
    check_shape(source_from_target, "source_from_target", ["*", 4, 4])
    check_shape(camera_matrix, "camera_matrix", ["*", 3, 3])
    height, width = sizes["H"], sizes["W"]

    target_points = backproject(target_depth, camera_matrix)
    flat_points = target_points.reshape(*target_points.shape[:-3], height * width, 3)
    source_points = transform_points(source_from_target.to(flat_points.dtype), flat_points)
    pixels, source_z = project(source_points, camera_matrix)

    pixels = pixels.reshape(*pixels.shape[:-2], height, width, 2)
    source_z = source_z.reshape(*source_z.shape[:-1], height, width)
    u, v = pixels[..., 0], pixels[..., 1]
    low, right, bottom = -_BORDER_SLACK, width - 1 + _BORDER_SLACK, height - 1 + _BORDER_SLACK
    valid = (source_z > _MIN_SOURCE_DEPTH) & (u >= low) & (u <= right) & (v >= low) & (v <= bottom)
    warped = sample_at_pixels(source_image, pixels)
    batch = warped.shape[:-3]
    return WarpResult(
        image=warped,
        valid=valid.expand(*batch, height, width),
        source_pixels=pixels.expand(*batch, height, width, 2),
        source_points=source_points.reshape(*source_points.shape[:-2], height, width, 3).expand(
            *batch, height, width, 3
        ),
    )
