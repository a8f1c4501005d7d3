"""The organised point cloud of a prediction, written on the device straight into the prediction's output buffer.

Same geometry as `core.geometry.depth_to_point_cloud` (pixel centres, every `stride`-th pixel from pixel 0, NaN
points where the depth is invalid), specialised for the per-frame path of the depth node: the rays (x/z, y/z) of a
camera and stride are computed once (in float64, then rounded) and cached, so a frame costs two multiplications and
a copy, written into a slice of the one buffer that crosses to the host; and the colour is packed as PointCloud2's
`rgb` field (REP/PCL convention: the bits of the uint32 0x00RRGGBB stored in a float32 slot).
"""

from __future__ import annotations

import sys

import torch

from mono_depth_ros.core.geometry import PinholeIntrinsics

__all__ = ["RayTable", "pack_rgb_into", "sampled_size"]


def sampled_size(height: int, width: int, stride: int) -> tuple[int, int]:
    """(rows, columns) of a cloud keeping every `stride`-th pixel of an height x width image, from pixel 0."""
    return -(-height // stride), -(-width // stride)


class RayTable:
    """x/z and y/z of the pixels a cloud keeps, cached for the last (intrinsics, stride, device) asked for."""

    def __init__(self) -> None:
        self._key: tuple[PinholeIntrinsics, int, torch.device] | None = None
        self._rays: tuple[torch.Tensor, torch.Tensor] | None = None

    def rays(
        self, intrinsics: PinholeIntrinsics, stride: int, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """((rows, 1) y/z, (1, columns) x/z) float32 on `device` for pixels (u, v) = (stride i, stride j)."""
        key = (intrinsics, stride, device)
        if self._key != key or self._rays is None:
            u = torch.arange(0, intrinsics.width, stride, dtype=torch.float64)
            v = torch.arange(0, intrinsics.height, stride, dtype=torch.float64)
            x_over_z = ((u - intrinsics.cx) / intrinsics.fx).to(torch.float32)[None, :]
            y_over_z = ((v - intrinsics.cy) / intrinsics.fy).to(torch.float32)[:, None]
            self._rays = (y_over_z.to(device), x_over_z.to(device))
            self._key = key
        return self._rays

    def write(self, cloud: torch.Tensor, depth: torch.Tensor, intrinsics: PinholeIntrinsics, stride: int) -> None:
        """Write x, y, z of `depth` (H, W) (NaN where invalid) at every `stride`-th pixel into cloud[..., :3]
        ((rows, columns, C) view, C >= 3); NaN depth gives NaN points."""
        y_over_z, x_over_z = self.rays(intrinsics, stride, depth.device)
        z = depth[::stride, ::stride]
        torch.mul(z, x_over_z, out=cloud[..., 0])
        torch.mul(z, y_over_z, out=cloud[..., 1])
        cloud[..., 2].copy_(z)


def pack_rgb_into(cloud: torch.Tensor, red: torch.Tensor, green: torch.Tensor, blue: torch.Tensor) -> None:
    """Write 0x00RRGGBB of the channels (rows, columns) (uint8, or floats holding 0..255 integers) into the `rgb`
    slot cloud[..., 3] of a (rows, columns, 4) float32 cloud, bit for bit: no float arithmetic touches the pattern
    (which, with a zero top byte, is a denormal float that arithmetic could flush to zero).

    On little-endian machines the uint32 is the byte sequence B, G, R, 0: four byte copies, no temporaries.
    """
    if sys.byteorder == "little":
        raw = cloud.view(torch.uint8)  # (rows, columns, 16): x, y, z, rgb as 4 bytes each
        raw[..., 12].copy_(blue)
        raw[..., 13].copy_(green)
        raw[..., 14].copy_(red)
        raw[..., 15].zero_()
        return
    packed = red.to(torch.int32).bitwise_left_shift_(16)
    packed.bitwise_or_(green.to(torch.int32).bitwise_left_shift_(8)).bitwise_or_(blue.to(torch.int32))
    cloud.view(torch.int32)[..., 3].copy_(packed)
