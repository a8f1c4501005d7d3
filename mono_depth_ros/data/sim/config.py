"""`SimConfig`: every setting of the synthetic street, validated once."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from mono_depth_ros.data.sim.errors import SimulationError

__all__ = ["SimConfig"]


@dataclass(frozen=True)
class SimConfig:
    """Settings of the synthetic drive; the defaults give a KITTI-like 640x192 camera.

    Intrinsics are normalised (fx by the width, fy by the height, principal point in [0, 1] of the continuous image),
    so they stay meaningful when the size changes. Distances are metres, angles radians, rates hertz.
    """

    width: int = 640
    height: int = 192
    fx: float = 0.58
    fy: float = 1.92
    cx: float = 0.5
    cy: float = 0.5
    stereo: bool = False
    baseline: float = 0.54
    """Right camera = left optical frame moved by +baseline along its x axis (to the right)."""
    camera_height: float = 1.65
    """Height of the optical centre above the ground plane."""
    camera_forward: float = 1.0
    """Optical centre ahead of base_link along its x axis."""
    camera_rate_hz: float = 10.0
    odom_rate_hz: float = 50.0
    """Rate at which consumers sample `base_pose` / `base_twist` for odometry; the trajectory is continuous."""
    min_speed: float = 5.0
    max_speed: float = 15.0
    max_yaw_rate: float = 0.1
    """Bound on |yaw rate| (rad/s): turns are gentle (radius >= min_speed / max_yaw_rate)."""
    max_heading: float = 0.5
    """Bound on |yaw| relative to the start (rad): the street never turns back on itself."""
    seed: int = 0
    ground_only: bool = False
    """Render the textured ground plane and the sky only (no buildings, cars, poles): an analytic test scene."""
    draw_distance: float = 200.0
    """Primitives farther than this from the camera are not drawn (the fog hides them well before)."""
    fog_distance: float = 150.0
    """Distance at which the fog has covered 1 - 1/e of an object's colour."""

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.type == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise SimulationError(f"SimConfig.{item.name} must be a number, got {value!r}")
            if item.type == "float" and not math.isfinite(value):
                raise SimulationError(f"SimConfig.{item.name} must be finite, got {value!r}")
            if item.type == "int" and (isinstance(value, bool) or not isinstance(value, int)):
                raise SimulationError(f"SimConfig.{item.name} must be an integer, got {value!r}")
            if item.type == "bool" and not isinstance(value, bool):
                raise SimulationError(f"SimConfig.{item.name} must be true or false, got {value!r}")
        self._check_range("width", 8, 8192)
        self._check_range("height", 8, 8192)
        self._check_range("fx", 0.05, 20.0, hint="normalised by the width")
        self._check_range("fy", 0.05, 20.0, hint="normalised by the height")
        self._check_range("cx", 0.0, 1.0, hint="normalised by the width")
        self._check_range("cy", 0.0, 1.0, hint="normalised by the height")
        self._check_range("baseline", 0.01, 10.0)
        self._check_range("camera_height", 0.2, 20.0)
        self._check_range("camera_forward", -5.0, 5.0)
        self._check_range("camera_rate_hz", 0.1, 1000.0)
        self._check_range("odom_rate_hz", 0.1, 10000.0)
        self._check_range("min_speed", 0.5, 40.0)
        self._check_range("max_speed", 0.5, 40.0)
        if self.max_speed < self.min_speed:
            raise SimulationError(f"SimConfig.max_speed must be >= min_speed ({self.min_speed}), got {self.max_speed}")
        self._check_range("max_yaw_rate", 0.0, 0.5)
        self._check_range("max_heading", 0.0, 1.2)
        self._check_range("seed", 0, 2**63 - 1)
        self._check_range("draw_distance", 10.0, 5000.0)
        self._check_range("fog_distance", 1.0, 1e6)
        # Buildings stand >= ~12 m from the path; a tighter turn would fold the inner side of the street.
        radius = self.min_speed / self.max_yaw_rate if self.max_yaw_rate > 0 else math.inf
        if radius < 30.0:
            raise SimulationError(
                f"SimConfig.max_yaw_rate={self.max_yaw_rate} with min_speed={self.min_speed} gives turns of "
                f"radius {radius:.1f} m; the street needs >= 30 m (lower max_yaw_rate or raise min_speed)"
            )

    def _check_range(self, name: str, low: float, high: float, hint: str = "") -> None:
        value = getattr(self, name)
        if not low <= value <= high:
            extra = f" ({hint})" if hint else ""
            raise SimulationError(f"SimConfig.{name} must be in [{low}, {high}]{extra}, got {value!r}")
