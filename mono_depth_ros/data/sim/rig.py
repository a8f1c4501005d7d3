"""The camera rig: fixed base_link -> camera optical frame extrinsics.

base_link: x forward, y left, z up (REP 103). Optical frame: x right, y down, z forward. The left camera sits
`camera_forward` ahead of base_link at `camera_height`, level and looking along base_link +x; the right camera is the
left optical frame moved by +baseline along its own x axis (base_link y = -baseline).
"""

from __future__ import annotations

import numpy as np

from mono_depth_ros.data.sim.config import SimConfig

__all__ = ["BASE_FROM_OPTICAL_ROTATION", "base_from_left_camera", "base_from_right_camera"]

# Columns: the optical x (right), y (down), z (forward) axes expressed in base_link.
BASE_FROM_OPTICAL_ROTATION = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])


def base_from_left_camera(config: SimConfig) -> np.ndarray:
    """(4, 4) float64 base_from_left_optical."""
    transform = np.eye(4)
    transform[:3, :3] = BASE_FROM_OPTICAL_ROTATION
    transform[:3, 3] = (config.camera_forward, 0.0, config.camera_height)
    return transform


def base_from_right_camera(config: SimConfig) -> np.ndarray:
    """(4, 4) float64 base_from_right_optical = base_from_left @ (translation +baseline along optical x)."""
    left_from_right = np.eye(4)
    left_from_right[0, 3] = config.baseline
    return base_from_left_camera(config) @ left_from_right
