"""The drive: speed and yaw-rate bounds, pose/twist consistency, camera extrinsics."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.data.sim import SimConfig, SimulationError, SyntheticWorld
from mono_depth_ros.data.sim.trajectory import Trajectory


@pytest.fixture(scope="module")
def drive() -> Trajectory:
    """A 5-minute drive: long enough to visit the profiles' extremes."""
    return Trajectory(SimConfig(seed=11), duration=300.0, look_ahead=100.0)


def test_starts_at_the_identity(drive: Trajectory) -> None:
    np.testing.assert_allclose(drive.base_poses(np.array([0.0]))[0], np.eye(4), atol=1e-12)


def test_speed_stays_within_bounds(drive: Trajectory) -> None:
    times = np.linspace(0.0, 300.0, 30001)
    linear, angular = drive.base_twists(times)
    assert linear[:, 0].min() >= 5.0
    assert linear[:, 0].max() <= 15.0
    # The profile really moves through its range (not a constant speed).
    assert linear[:, 0].max() - linear[:, 0].min() > 4.0
    np.testing.assert_array_equal(linear[:, 1:], 0.0)
    np.testing.assert_array_equal(angular[:, :2], 0.0)


def test_turns_are_gentle(drive: Trajectory) -> None:
    times = np.linspace(0.0, 300.0, 30001)
    _, angular = drive.base_twists(times)
    assert np.abs(angular[:, 2]).max() <= 0.1 + 1e-12
    assert np.abs(angular[:, 2]).max() > 0.02  # it does turn
    assert np.abs(drive.heading(times)).max() <= 0.5 + 1e-12


def test_finite_differences_of_poses_match_the_twist(drive: Trajectory) -> None:
    step = 1e-4
    times = np.linspace(0.5, 299.5, 57)
    before, after = drive.base_poses(times - step), drive.base_poses(times + step)
    linear, angular = drive.base_twists(times)
    poses = drive.base_poses(times)
    # Velocity in odom, expressed in base_link.
    world_velocity = (after[:, :3, 3] - before[:, :3, 3]) / (2 * step)
    body_velocity = np.einsum("nji,nj->ni", poses[:, :3, :3], world_velocity)
    np.testing.assert_allclose(body_velocity, linear, atol=1e-6)
    yaw_after = np.arctan2(after[:, 1, 0], after[:, 0, 0])
    yaw_before = np.arctan2(before[:, 1, 0], before[:, 0, 0])
    np.testing.assert_allclose((yaw_after - yaw_before) / (2 * step), angular[:, 2], atol=1e-7)


def test_poses_are_planar_rotations(drive: Trajectory) -> None:
    poses = drive.base_poses(np.linspace(0.0, 300.0, 11))
    np.testing.assert_allclose(poses[:, 2, :], np.tile([0.0, 0.0, 1.0, 0.0], (11, 1)), atol=0)
    rotations = poses[:, :3, :3]
    np.testing.assert_allclose(rotations @ rotations.transpose(0, 2, 1), np.tile(np.eye(3), (11, 1, 1)), atol=1e-12)


def test_times_outside_the_drive_are_refused(drive: Trajectory) -> None:
    with pytest.raises(SimulationError, match=r"time -0\.5 s is outside the trajectory \[0\.000, 300\.000\] s"):
        drive.base_poses(np.array([-0.5]))
    with pytest.raises(SimulationError, match=r"outside the trajectory"):
        drive.base_twists(np.array([300.5]))


def test_same_seed_same_drive_and_different_seed_different_drive() -> None:
    times = np.linspace(0.0, 20.0, 9)
    first = Trajectory(SimConfig(seed=4), 20.0, 50.0).base_poses(times)
    again = Trajectory(SimConfig(seed=4), 20.0, 50.0).base_poses(times)
    other = Trajectory(SimConfig(seed=5), 20.0, 50.0).base_poses(times)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 1.0


def test_camera_poses_follow_the_base(small_world: SyntheticWorld) -> None:
    for index in (0, 7, 29):
        time = small_world.frame_time(index)
        assert time == pytest.approx(index / 10.0)
        frame_left, frame_right = small_world.camera_poses(index)
        base = small_world.base_pose(time)
        np.testing.assert_allclose(frame_left, base @ small_world.base_from_left_camera, atol=1e-12)
        np.testing.assert_allclose(frame_right, base @ small_world.base_from_right_camera, atol=1e-12)
        assert frame_left[2, 3] == pytest.approx(1.65)  # camera height above the ground plane
        # Right camera: +0.54 m along the left optical x axis, same orientation.
        right_in_left = np.linalg.inv(frame_left) @ frame_right
        expected = np.eye(4)
        expected[0, 3] = 0.54
        np.testing.assert_allclose(right_in_left, expected, atol=1e-12)


def test_extrinsics_match_the_rig_convention(small_world: SyntheticWorld) -> None:
    left = small_world.base_from_left_camera
    # Optical z (forward) = base x, optical x (right) = base -y, optical y (down) = base -z.
    np.testing.assert_array_equal(left[:3, :3], [[0, 0, 1], [-1, 0, 0], [0, -1, 0]])
    np.testing.assert_array_equal(left[:3, 3], [1.0, 0.0, 1.65])
    np.testing.assert_allclose(small_world.base_from_right_camera[:3, 3], [1.0, -0.54, 1.65])


def test_world_twist_is_in_base_link(small_world: SyntheticWorld) -> None:
    linear, angular = small_world.base_twist(1.0)
    assert linear.shape == angular.shape == (3,)
    assert 5.0 <= linear[0] <= 15.0
    np.testing.assert_array_equal([linear[1], linear[2], angular[0], angular[1]], 0.0)
    with pytest.raises(SimulationError, match=r"frame index must be an integer in \[0, 29\], got 30"):
        small_world.frame_time(30)


def test_odometry_times_cover_the_drive_at_the_odometry_rate(small_world: SyntheticWorld) -> None:
    times = small_world.odometry_times()
    assert times[0] == 0.0
    assert times[-1] == pytest.approx(small_world.duration)
    np.testing.assert_allclose(np.diff(times), 1.0 / 50.0)
    poses = small_world.trajectory.base_poses(times)  # all valid query times
    assert poses.shape == (len(times), 4, 4)
