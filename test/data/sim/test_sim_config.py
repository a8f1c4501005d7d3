"""SimConfig validation: every error names the field and the offending value."""

from __future__ import annotations

import pytest

from mono_depth_ros.data.sim import SimConfig, SimulationError, SyntheticWorld
from mono_depth_ros.errors import MonoDepthError


def test_defaults_are_the_kitti_like_camera() -> None:
    config = SimConfig()
    assert (config.width, config.height, config.fx, config.fy, config.cx, config.cy) == (640, 192, 0.58, 1.92, 0.5, 0.5)
    assert (config.baseline, config.camera_height, config.camera_rate_hz, config.odom_rate_hz) == (
        0.54,
        1.65,
        10.0,
        50.0,
    )
    assert (config.min_speed, config.max_speed, config.seed, config.stereo) == (5.0, 15.0, 0, False)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"width": 0}, r"SimConfig\.width must be in \[8, 8192\].*got 0"),
        ({"height": 64.5}, r"SimConfig\.height must be an integer, got 64\.5"),
        ({"fx": 371.2}, r"SimConfig\.fx must be in \[0\.05, 20\.0\] \(normalised by the width\), got 371\.2"),
        ({"cy": 1.5}, r"SimConfig\.cy must be in \[0\.0, 1\.0\].*got 1\.5"),
        ({"baseline": float("nan")}, r"SimConfig\.baseline must be finite, got nan"),
        ({"camera_height": -1.0}, r"SimConfig\.camera_height must be in .*got -1\.0"),
        ({"max_speed": 4.0}, r"SimConfig\.max_speed must be >= min_speed \(5\.0\), got 4\.0"),
        ({"seed": -3}, r"SimConfig\.seed must be in .*got -3"),
        ({"stereo": "yes"}, r"SimConfig\.stereo must be true or false, got 'yes'"),
        ({"camera_rate_hz": "10"}, r"SimConfig\.camera_rate_hz must be a number, got '10'"),
        ({"max_yaw_rate": 0.4}, r"SimConfig\.max_yaw_rate=0\.4 with min_speed=5\.0 gives turns of radius 12\.5 m"),
    ],
)
def test_invalid_values_are_named(changes: dict, message: str) -> None:
    with pytest.raises(SimulationError, match=message):
        SimConfig(**changes)


def test_simulation_error_is_a_package_value_error() -> None:
    assert issubclass(SimulationError, MonoDepthError)
    assert issubclass(SimulationError, ValueError)


@pytest.mark.parametrize("frames", [0, -2, 2.5, True])
def test_world_rejects_bad_frame_counts(frames: object) -> None:
    with pytest.raises(SimulationError, match=r"frames must be a positive integer, got"):
        SyntheticWorld(SimConfig(width=32, height=16), frames=frames)  # type: ignore[arg-type]
