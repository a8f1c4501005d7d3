"""The level pinhole camera the renderer needs: its pose checked and reduced to what ray casting uses, and the
per-pixel ray tables.

Ray for pixel (u, v): direction (a_u, b_v, 1) in the optical frame with a_u = (u - cx) / fx, b_v = (v - cy) / fy;
the hit parameter t along that unnormalised ray is the z-depth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mono_depth_ros.core.geometry.intrinsics import PinholeIntrinsics
from mono_depth_ros.data.sim.errors import SimulationError

__all__ = ["LevelCamera", "RayTables"]

# Level means the optical y axis points straight down to this tolerance (the rig is level by construction).
_LEVEL_TOLERANCE = 1e-6
# Key of a pixel that no primitive covers: the ground (finite depth) or the sky (infinite depth).
BACKGROUND_ID = 0xFFFFFFFF


@dataclass(frozen=True)
class LevelCamera:
    """A camera whose optical y axis points down (no pitch, no roll), at `height` above the ground z = 0."""

    position: np.ndarray  # (2,) world x, y of the optical centre
    height: float
    right: np.ndarray  # (2,) world xy of the optical x axis
    forward: np.ndarray  # (2,) world xy of the optical z axis

    @classmethod
    def from_pose(cls, odom_from_camera: np.ndarray) -> LevelCamera:
        pose = np.asarray(odom_from_camera, dtype=np.float64)
        if pose.shape != (4, 4) or not np.all(np.isfinite(pose)):
            raise SimulationError(f"odom_from_camera must be a finite 4x4 matrix, got shape {pose.shape}")
        rotation = pose[:3, :3]
        if not np.allclose(rotation.T @ rotation, np.eye(3), atol=1e-6) or np.linalg.det(rotation) < 0:
            raise SimulationError(f"odom_from_camera must hold a rotation, got {rotation.tolist()}")
        down = rotation[:, 1]
        if np.abs(down - (0.0, 0.0, -1.0)).max() > _LEVEL_TOLERANCE:
            raise SimulationError(
                f"the renderer needs a level camera (optical y axis = -z of odom), got y axis {down.tolist()}"
            )
        height = float(pose[2, 3])
        if height <= 0:
            raise SimulationError(f"the camera must be above the ground plane z = 0, got height {height}")
        right, forward = rotation[:2, 0], rotation[:2, 2]
        return cls(position=pose[:2, 3].copy(), height=height, right=right.copy(), forward=forward.copy())

    def to_camera(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Camera-frame horizontal coordinates (x right, z forward) of world points (..., 2)."""
        relative = points - self.position
        return relative @ self.right, relative @ self.forward


class RayTables:
    """Ray slopes a (W,) per column and b (H,) per row, as float64 numpy and float32 tensors on one device."""

    def __init__(self, intrinsics: PinholeIntrinsics, device: torch.device) -> None:
        self.intrinsics = intrinsics
        self.device = device
        self.a = (np.arange(intrinsics.width) - intrinsics.cx) / intrinsics.fx
        self.b = (np.arange(intrinsics.height) - intrinsics.cy) / intrinsics.fy
        self.a_torch = torch.from_numpy(self.a.astype(np.float32)).to(device)
        self.b_torch = torch.from_numpy(self.b.astype(np.float32)).to(device)
        self._background: dict[float, np.ndarray] = {}
        self._fog: dict[float, torch.Tensor] = {}

    def fog_rate(self, fog_distance: float) -> torch.Tensor:
        """(H, W) -sqrt(1 + a^2 + b^2) / fog_distance: exp(t * it) is the fog's transmittance at z-depth t."""
        rate = self._fog.get(fog_distance)
        if rate is None:
            ray_length = np.sqrt(1.0 + self.a[None, :] ** 2 + self.b[:, None] ** 2)
            rate = torch.from_numpy((-ray_length / fog_distance).astype(np.float32)).to(self.device)
            self._fog = {fog_distance: rate}
        return rate

    def background_keys(self, height: float) -> np.ndarray:
        """(W * H,) int64 z-buffer keys, column-major, of the ground plane (below the horizon) and the sky.

        Read-only: callers copy it before drawing into it.

        The key is (float32 depth bits << 32) | id; positive float32 bits sort like the values, so the minimum key
        is the nearest surface.
        """
        keys = self._background.get(height)
        if keys is None:
            with np.errstate(divide="ignore"):
                depth = np.where(self.b > 0, height / np.where(self.b > 0, self.b, 1.0), np.inf).astype(np.float32)
            column = (depth.view(np.int32).astype(np.int64) << 32) | BACKGROUND_ID
            flat = np.broadcast_to(column[None, :], (self.intrinsics.width, self.intrinsics.height)).reshape(-1)
            keys = flat.copy()
            self._background = {height: keys}  # one camera height at a time (left and right cameras share it)
        return keys
