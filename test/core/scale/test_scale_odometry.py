"""Odometry scale: pose-network motion (ground truth / a known scale, plus noise) against the synthetic odometry."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from mono_depth_ros.core.scale import (
    OdometryScaleEstimator,
    OdometryTrack,
    SampleVerdict,
    ScaleError,
    ScaleInputError,
    camera_motion,
    interpolate_pose,
    rotation_angle,
)
from mono_depth_ros.data.sim import SimConfig, SyntheticWorld

TRUE_SCALE = 4.7  # metres per unit of the simulated network
_TWO = np.tile(np.eye(4), (2, 1, 1))


@pytest.fixture(scope="module")
def world() -> SyntheticWorld:
    # Poses only (nothing is rendered): 12 s of driving with turns.
    return SyntheticWorld(SimConfig(width=32, height=16, seed=4, max_yaw_rate=0.15), frames=121)


def _network_translation(motion: np.ndarray, generator: np.random.Generator, noise: float) -> np.ndarray:
    """What a pose network with the true scale TRUE_SCALE would give: the camera translation in its units, with
    multiplicative noise on the length and a small direction error."""
    translation = motion[:3, 3] / TRUE_SCALE
    direction = Rotation.from_rotvec(generator.normal(0.0, noise, 3)).as_matrix()
    return direction @ translation * (1 + noise * generator.standard_normal())


def _feed_odometry(track: OdometryTrack, world: SyntheticWorld, until: float) -> None:
    for stamp in world.odometry_times():
        if stamp <= until and (track.newest_stamp is None or stamp > track.newest_stamp):
            assert track.add(stamp, world.base_pose(stamp)) is SampleVerdict.USED


def test_camera_motion_points_forward_for_a_forward_drive(world: SyntheticWorld) -> None:
    a, b = world.base_pose(1.0), world.base_pose(1.1)
    motion = camera_motion(a, b, world.base_from_left_camera)
    # It is the second camera pose seen from the first: the world's own camera poses agree.
    expected = np.linalg.inv(a @ world.base_from_left_camera) @ (b @ world.base_from_left_camera)
    np.testing.assert_allclose(motion, expected, atol=1e-12)
    speed = np.linalg.norm(world.base_twist(1.05)[0])
    assert motion[2, 3] == pytest.approx(speed * 0.1, rel=0.05)  # forward: +z of the optical frame
    assert abs(motion[0, 3]) < 0.05 * motion[2, 3]


def test_interpolate_pose_is_linear_in_translation_and_slerp_in_rotation() -> None:
    first = np.eye(4)
    second = np.eye(4)
    second[:3, :3] = Rotation.from_rotvec([0.0, 0.0, 0.8]).as_matrix()
    second[:3, 3] = [2.0, -4.0, 1.0]
    middle = interpolate_pose([1.0, 3.0], np.stack((first, second)), 1.5)
    np.testing.assert_allclose(middle[:3, 3], [0.5, -1.0, 0.25])
    np.testing.assert_allclose(Rotation.from_matrix(middle[:3, :3]).as_rotvec(), [0.0, 0.0, 0.2], atol=1e-12)
    np.testing.assert_allclose(interpolate_pose([1.0, 3.0], np.stack((first, second)), 3.0), second)
    assert rotation_angle(second) == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("stamps", "poses", "at", "message"),
    [
        ([0.0, 1.0], _TWO, 1.5, r"interpolate_pose time 1\.5 is outside the stamps' range \[0\.0, 1\.0\]"),
        ([0.0, 1.0], _TWO, float("nan"), r"interpolate_pose time nan is outside"),
        ([1.0, 1.0], _TWO, 1.0, r"interpolate_pose stamps must be finite and strictly increasing"),
        ([0.0, 1.0, 2.0], _TWO, 1.0, r"interpolate_pose poses must have shape \(N, 4, 4\) with N=3, got \(2, 4, 4\)"),
    ],
)  # fmt: skip
def test_interpolate_pose_errors(stamps: list, poses: np.ndarray, at: float, message: str) -> None:
    with pytest.raises(ScaleInputError, match=message):
        interpolate_pose(stamps, poses, at)


def test_camera_motion_errors() -> None:
    with pytest.raises(
        ScaleInputError, match=r"camera_motion base_from_camera must be a \(4, 4\) transform, got shape \(3, 3\)"
    ):
        camera_motion(np.eye(4), np.eye(4), np.eye(3))


def test_odometry_scale_within_two_percent_after_100_frames(world: SyntheticWorld) -> None:
    generator = np.random.default_rng(1)
    track = OdometryTrack()
    estimator = OdometryScaleEstimator(window=100, min_translation=0.2)
    _feed_odometry(track, world, world.duration)
    verdicts = []
    for index in range(1, 101):
        start, end = world.frame_time(index - 1), world.frame_time(index)
        motion = track.motion(start, end, world.base_from_left_camera)
        network = _network_translation(motion, generator, noise=0.08)
        if index % 17 == 0:  # a pose network that gets it badly wrong now and then
            network = network * 3.0
        verdicts.append(estimator.add(end, network, motion[:3, 3], rotation=rotation_angle(motion)))
    assert verdicts.count(SampleVerdict.USED) == 100
    estimate = estimator.estimate()
    assert estimate.scale == pytest.approx(TRUE_SCALE, rel=0.02)
    assert estimate.converged
    assert estimate.samples <= 100 - 5  # the bad ones were rejected
    assert estimate.relative_uncertainty < 0.01


def test_motion_that_is_too_small_or_not_finite_is_not_used() -> None:
    estimator = OdometryScaleEstimator(min_translation=0.2)
    assert estimator.add(0.1, [0.0, 0.0, 0.01], [0.0, 0.0, 0.05]) is SampleVerdict.TOO_LITTLE_MOTION
    assert estimator.add(0.2, [0.0, 0.0, np.nan], [0.0, 0.0, 1.0]) is SampleVerdict.NOT_FINITE
    assert estimator.add(0.3, [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]) is SampleVerdict.NOT_FINITE
    assert estimator.add(float("inf"), [0.0, 0.0, 0.1], [0.0, 0.0, 1.0]) is SampleVerdict.NOT_FINITE
    assert estimator.add(0.4, [0.0, 0.0, 0.1], [0.0, 0.0, 1.0], rotation=float("nan")) is SampleVerdict.NOT_FINITE
    assert estimator.estimate() is None
    assert estimator.add(0.5, [0.0, 0.0, 0.1], [0.0, 0.0, 1.0]) is SampleVerdict.USED
    assert estimator.estimate().scale == pytest.approx(10.0)


def test_injected_jump_and_time_backwards_are_not_used() -> None:
    estimator = OdometryScaleEstimator(min_samples=3)
    for step in range(1, 6):
        assert estimator.add(0.1 * step, [0.0, 0.0, 0.25], [0.0, 0.0, 1.0]) is SampleVerdict.USED
    # 50 m in 0.1 s: faster than max_speed; a 1 rad turn in 0.1 s: faster than max_rotation_rate.
    assert estimator.add(0.6, [0.0, 0.0, 0.25], [0.0, 0.0, 50.0]) is SampleVerdict.JUMP
    assert estimator.add(0.7, [0.0, 0.0, 0.25], [0.0, 0.0, 1.0], rotation=1.0) is SampleVerdict.JUMP
    assert estimator.add(0.8, [0.0, 0.0, 0.25], [0.0, 0.0, 9.0], interval_s=0.1) is SampleVerdict.JUMP
    assert estimator.estimate() == (4.0, 0.0, 5, True)
    assert estimator.add(0.8, [0.0, 0.0, 0.1], [0.0, 0.0, 1.0]) is SampleVerdict.TIME_BACKWARDS  # a duplicate
    assert estimator.estimate().samples == 5
    # A bag that loops: time goes back, the window starts over.
    assert estimator.add(0.05, [0.0, 0.0, 0.1], [0.0, 0.0, 1.0]) is SampleVerdict.TIME_BACKWARDS
    assert estimator.estimate() is None
    assert estimator.add(0.15, [0.0, 0.0, 0.5], [0.0, 0.0, 1.0]) is SampleVerdict.USED
    assert estimator.estimate().scale == pytest.approx(2.0)
    estimator.clear()
    assert estimator.estimate() is None


def test_track_detects_reset_jump_and_time_backwards(world: SyntheticWorld) -> None:
    track = OdometryTrack()
    times = world.odometry_times()[:150]  # 3 s at 50 Hz
    for stamp in times[:100]:
        assert track.add(stamp, world.base_pose(stamp)) is SampleVerdict.USED
    base_from_camera = world.base_from_left_camera
    assert track.motion(1.0, 1.5, base_from_camera) is not None
    assert track.newest_stamp == times[99]
    assert track.motion(1.0, 2.5, base_from_camera) is None  # newer than the newest odometry
    assert track.pose_at(-1.0) is None
    # A reset: the odometry restarts at its origin; nothing spanning it is measured.
    assert track.add(times[100], np.eye(4)) is SampleVerdict.RESET
    assert track.motion(1.9, times[100], base_from_camera) is None
    assert track.add(times[100] + 0.02, np.eye(4)) is SampleVerdict.USED
    # A jump: the pose teleports 30 m sideways within 20 ms.
    teleported = np.eye(4)
    teleported[1, 3] = 30.0
    assert track.add(times[100] + 0.04, teleported) is SampleVerdict.JUMP
    assert len(track) == 1
    # A duplicate stamp is dropped; an earlier stamp starts over (a bag that loops).
    assert track.add(times[100] + 0.04, teleported) is SampleVerdict.TIME_BACKWARDS
    assert len(track) == 1
    assert track.add(0.0, world.base_pose(0.0)) is SampleVerdict.TIME_BACKWARDS
    assert track.add(0.02, world.base_pose(0.02)) is SampleVerdict.USED
    assert track.motion(0.0, 0.02, base_from_camera) is not None
    bad = np.eye(4)
    bad[0, 3] = np.nan
    assert track.add(0.04, bad) is SampleVerdict.NOT_FINITE
    with pytest.raises(ScaleInputError, match=r"odom_from_base must be a \(4, 4\) transform, got shape \(3, 3\)"):
        track.add(0.06, np.eye(3))


def test_estimate_ignores_an_injected_reset_in_the_odometry(world: SyntheticWorld) -> None:
    """End to end: odometry with a reset in the middle; the frame pairs spanning it get no motion."""
    generator = np.random.default_rng(2)
    track = OdometryTrack()
    estimator = OdometryScaleEstimator(window=100)
    reset_at = 5.0
    offset = None  # after the reset the odometry reports poses relative to where the robot was then
    skipped = 0
    odometry = iter(world.odometry_times())
    stamp = next(odometry)
    for index in range(1, 101):
        end = world.frame_time(index)
        while stamp is not None and stamp <= end:
            pose = world.base_pose(stamp)
            if stamp >= reset_at:
                offset = np.linalg.inv(pose) if offset is None else offset
                pose = offset @ pose
            track.add(stamp, pose)
            stamp = next(odometry, None)
        motion = track.motion(world.frame_time(index - 1), end, world.base_from_left_camera)
        if motion is None:
            skipped += 1
            continue
        truth = camera_motion(
            world.base_pose(world.frame_time(index - 1)), world.base_pose(end), world.base_from_left_camera
        )
        np.testing.assert_allclose(motion, truth, atol=1e-6)  # the reset never leaks into a measured motion
        estimator.add(end, _network_translation(truth, generator, noise=0.05), motion[:3, 3])
    assert skipped == 1
    assert estimator.estimate().scale == pytest.approx(TRUE_SCALE, rel=0.02)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window": 0}, r"window must be an integer >= 1, got 0"),
        ({"min_translation": 0.0}, r"min_translation must be a finite positive number, got 0\.0"),
        ({"max_speed": float("nan")}, r"max_speed must be a finite positive number, got nan"),
        ({"max_rotation_rate": -1}, r"max_rotation_rate must be a finite positive number, got -1"),
        ({"min_samples": 0}, r"min_samples must be an integer >= 1, got 0"),
        ({"tolerance": 0.0}, r"window tolerance must be a finite positive number, got 0\.0"),
    ],
)
def test_estimator_settings_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ScaleError, match=message):
        OdometryScaleEstimator(**kwargs)


def test_estimator_and_track_input_errors() -> None:
    with pytest.raises(ScaleInputError, match=r"network_translation must have shape \(3,\), got \(2,\)"):
        OdometryScaleEstimator().add(0.0, [1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ScaleError, match=r"reset_radius must be a finite positive number, got 0"):
        OdometryTrack(reset_radius=0)


def test_check_motion_and_add_scale_take_samples_measured_another_way() -> None:
    estimator = OdometryScaleEstimator(min_translation=0.2, min_samples=2, tolerance=10.0)
    forward = np.array([0.0, 0.0, 1.0])
    assert estimator.check_motion(0.1, 0.1 * forward, interval_s=0.1) is SampleVerdict.TOO_LITTLE_MOTION
    assert estimator.check_motion(0.2, 10.0 * forward, interval_s=0.1) is SampleVerdict.JUMP  # 100 m/s
    assert estimator.check_motion(0.3, forward, interval_s=0.1, rotation=0.5) is SampleVerdict.JUMP  # 5 rad/s
    assert estimator.check_motion(0.3, forward) is SampleVerdict.TIME_BACKWARDS  # the same stamp again
    assert estimator.check_motion(0.4, forward, interval_s=0.1, rotation=0.01) is SampleVerdict.USED
    for bad in (0.0, -2.0, float("nan"), float("inf")):
        assert estimator.add_scale(bad) is SampleVerdict.NOT_FINITE
    assert estimator.estimate() is None
    assert estimator.add_scale(6.0) is SampleVerdict.USED
    assert estimator.add_scale(8.0) is SampleVerdict.USED
    assert estimator.estimate().scale == pytest.approx(7.0)
    assert estimator.check_motion(0.35, forward) is SampleVerdict.TIME_BACKWARDS  # earlier: a new run
    assert estimator.estimate() is None
