"""The synthetic street: a procedurally generated 3-D drive, ray-cast in torch, with exact depth and poses.

    world = SyntheticWorld(SimConfig(seed=3, stereo=True), frames=100)
    frame = world.render_frame(10)       # left/right RGB, z-depth (+inf sky), camera poses
    odom_from_base = world.base_pose(0.02)
    linear, angular = world.base_twist(0.02)

Frames: x forward at t = 0, y left, z up (REP 103) in `odom`; base_link moves in the plane z = 0 from the identity
at t = 0; cameras are level optical frames (x right, y down, z forward) fixed on base_link. Rendering is
deterministic (same seed, same machine: bit-identical images) and independent of the order frames are rendered in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mono_depth_ros.core.geometry.intrinsics import PinholeIntrinsics
from mono_depth_ros.data.sim.config import SimConfig
from mono_depth_ros.data.sim.errors import SimulationError
from mono_depth_ros.data.sim.render import render
from mono_depth_ros.data.sim.rig import base_from_left_camera, base_from_right_camera
from mono_depth_ros.data.sim.trajectory import Trajectory
from mono_depth_ros.data.sim.world import CORRIDOR_REACH_M, Scene, build_scene

__all__ = ["SimConfig", "SimFrame", "SimulationError", "SyntheticWorld", "render"]


@dataclass(frozen=True)
class SimFrame:
    """One rendered time step. Images are RGB uint8 (H, W, 3); depths float32 (H, W) z-depth in metres, +inf for
    sky; poses float64 (4, 4) odom_from_camera of the optical frames."""

    index: int
    time: float
    left_rgb: np.ndarray
    depth: np.ndarray
    odom_from_left: np.ndarray
    right_rgb: np.ndarray | None = None
    right_depth: np.ndarray | None = None
    odom_from_right: np.ndarray | None = None


class SyntheticWorld:
    """A drive of `frames` camera frames through a street generated from `config.seed`."""

    def __init__(self, config: SimConfig, frames: int, device: torch.device | str = "cpu") -> None:
        if isinstance(frames, bool) or not isinstance(frames, (int, np.integer)) or frames < 1:
            raise SimulationError(f"frames must be a positive integer, got {frames!r}")
        self.config = config
        self.frames = int(frames)
        self.device = torch.device(device)
        self.duration = (self.frames - 1) / config.camera_rate_hz
        # The street continues past the last frame for as far as the camera can see (the path even further, for
        # the check that keeps buildings off the street).
        look_ahead = config.draw_distance + 60.0 + CORRIDOR_REACH_M
        self.trajectory = Trajectory(config, self.duration, look_ahead=look_ahead)
        self.scene: Scene = build_scene(config, self.trajectory)
        self.intrinsics = PinholeIntrinsics.from_normalised(
            config.fx, config.fy, config.cx, config.cy, config.width, config.height
        )
        self.base_from_left_camera = base_from_left_camera(config)
        self.base_from_right_camera = base_from_right_camera(config)

    def frame_time(self, index: int) -> float:
        """Seconds since the start of frame `index` (index / camera_rate_hz)."""
        self._check_index(index)
        return index / self.config.camera_rate_hz

    def base_pose(self, t: float) -> np.ndarray:
        """(4, 4) float64 odom_from_base at time t in [0, duration]."""
        return self.trajectory.base_poses(np.array([t]))[0]

    def base_twist(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Linear (3,) and angular (3,) velocity of base_link at time t, expressed in base_link (nav_msgs/Odometry
        twist convention): (v, 0, 0) and (0, 0, yaw rate)."""
        linear, angular = self.trajectory.base_twists(np.array([t]))
        return linear[0], angular[0]

    def odometry_times(self) -> np.ndarray:
        """(N,) float64 sample times at `config.odom_rate_hz` over [0, duration], for publishing odometry."""
        count = int(np.floor(self.duration * self.config.odom_rate_hz + 1e-9)) + 1
        return np.arange(count) / self.config.odom_rate_hz

    def camera_poses(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """odom_from_left and odom_from_right (4, 4) at frame `index`."""
        odom_from_base = self.base_pose(self.frame_time(index))
        return odom_from_base @ self.base_from_left_camera, odom_from_base @ self.base_from_right_camera

    def render_frame(self, index: int) -> SimFrame:
        """Render frame `index` (left camera, and the right one when `config.stereo`)."""
        odom_from_left, odom_from_right = self.camera_poses(index)
        left_rgb, depth = render(self.scene, odom_from_left, self.intrinsics, self.device)
        right_rgb = right_depth = None
        if self.config.stereo:
            right_rgb, right_depth = render(self.scene, odom_from_right, self.intrinsics, self.device)
        return SimFrame(
            index=index,
            time=self.frame_time(index),
            left_rgb=left_rgb,
            depth=depth,
            odom_from_left=odom_from_left,
            right_rgb=right_rgb,
            right_depth=right_depth,
            odom_from_right=odom_from_right if self.config.stereo else None,
        )

    def _check_index(self, index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < self.frames:
            raise SimulationError(f"frame index must be an integer in [0, {self.frames - 1}], got {index!r}")
