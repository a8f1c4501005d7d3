"""Pinhole back-projection and projection, batch-agnostic.

Camera optical frame: x right, y down, z forward (REP 103). Pixel coordinates (u, v) are column and row with integer
values at pixel centres (see `intrinsics`). Camera matrices are (*, 3, 3) upper-triangular with bottom row (0, 0, 1);
skew is honoured. Leading batch dimensions of the arguments broadcast against each other.
"""

from __future__ import annotations

import torch

from mono_depth_ros.core.shapes import check_shape

__all__ = ["backproject", "pixel_grid", "project"]


def pixel_grid(
    height: int,
    width: int,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """The (u, v) coordinates of every pixel centre: (H, W, 2) with `grid[v, u] == (u, v)`."""
    rows = torch.arange(height, dtype=dtype, device=device)
    cols = torch.arange(width, dtype=dtype, device=device)
    v, u = torch.meshgrid(rows, cols, indexing="ij")
    return torch.stack((u, v), dim=-1)


def backproject(depth: torch.Tensor, camera_matrix: torch.Tensor) -> torch.Tensor:
    """The 3-D point seen at every pixel, in the camera frame.

    Args:
        depth: (*, H, W) distance along the optical axis (z), in any unit; the points share it.
        camera_matrix: (*, 3, 3) K of the depth image.

    Returns:
        (*, H, W, 3) points (x, y, z) with z == depth. NaN or infinite depth gives non-finite points (no error), so
        invalid pixels stay recognisable downstream.
    """
    sizes = check_shape(depth, "depth", ["*", "H", "W"])
    check_shape(camera_matrix, "camera_matrix", ["*", 3, 3])
    grid = pixel_grid(sizes["H"], sizes["W"], dtype=depth.dtype, device=depth.device)
    # Intrinsics as (*, 1, 1) so they broadcast over the (H, W) grid and the depth's batch dimensions.
    k = camera_matrix.to(depth.dtype)[..., None, None, :, :]
    fx, skew, cx = k[..., 0, 0], k[..., 0, 1], k[..., 0, 2]
    fy, cy = k[..., 1, 1], k[..., 1, 2]
    # Closed-form inverse of an upper-triangular K: solve the v row first, then the u row.
    y_over_z = (grid[..., 1] - cy) / fy
    x_over_z = (grid[..., 0] - cx - skew * y_over_z) / fx
    x = x_over_z * depth
    y = y_over_z * depth
    return torch.stack((x, y, depth.expand_as(x)), dim=-1)


def project(points: torch.Tensor, camera_matrix: torch.Tensor, eps: float = 1e-6) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel coordinates of camera-frame points.

    Args:
        points: (*, N, 3) points (x, y, z) in the camera frame.
        camera_matrix: (*, 3, 3) K.
        eps: smallest |z| divided by; the sign of z is kept, so points behind the camera project as a pinhole does
            (mirrored) and stay finite.

    Returns:
        pixels (*, N, 2) as (u, v) and z (*, N), the unguarded depth: mask `z > 0` (or a margin) for points in front.
    """
    check_shape(points, "points", ["*", "N", 3])
    check_shape(camera_matrix, "camera_matrix", ["*", 3, 3])
    k = camera_matrix.to(points.dtype)
    z = points[..., 2]
    # Keep the sign and move |z| away from 0; the two clamps keep the gradient of ordinary points intact.
    safe_z = torch.where(z >= 0, z.clamp(min=eps), z.clamp(max=-eps))
    image_plane = points @ k[..., :2, :].transpose(-1, -2)
    pixels = image_plane / safe_z[..., None]
    return pixels, z.expand(pixels.shape[:-1])
