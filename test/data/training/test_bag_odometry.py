from __future__ import annotations

import numpy as np
import pytest
import torch

from mono_depth_ros.core.geometry import quaternion_to_matrix
from mono_depth_ros.data.training import BagDataError, OdometryTrack, slerp


def _yaw(angle: float) -> np.ndarray:
    return np.array([0.0, 0.0, np.sin(angle / 2), np.cos(angle / 2)])


def test_slerp_halves_the_angle_and_takes_the_short_arc() -> None:
    half = slerp(_yaw(0.0), _yaw(1.0), np.array(0.5))
    np.testing.assert_allclose(half, _yaw(0.5), atol=1e-12)
    # -q is the same rotation: interpolating towards it must not go the long way round.
    np.testing.assert_allclose(slerp(_yaw(0.0), -_yaw(1.0), np.array(0.25)), _yaw(0.25), atol=1e-12)
    np.testing.assert_allclose(slerp(_yaw(0.3), _yaw(0.3), np.array(0.7)), _yaw(0.3), atol=1e-12)


def test_poses_interpolate_translation_linearly_and_rotation_by_slerp() -> None:
    track = OdometryTrack(
        np.array([100, 0, 200]),  # unsorted on purpose
        np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 0.0], [3.0, 2.0, 0.0]]),
        np.array([_yaw(0.2), _yaw(0.0), _yaw(0.6)]),
    )
    poses = track.poses_at(np.array([50, 100, 150, 200, -1, 201]))
    np.testing.assert_allclose(poses[0, :3, 3], [0.5, 1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(poses[1, :3, 3], [1.0, 2.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(poses[2, :3, 3], [2.0, 2.0, 0.0], atol=1e-12)
    expected = quaternion_to_matrix(torch.tensor(_yaw(0.4))).numpy()
    np.testing.assert_allclose(poses[2, :3, :3], expected, atol=1e-12)
    np.testing.assert_allclose(poses[3, 3], [0, 0, 0, 1])
    assert np.isnan(poses[4]).all()
    assert np.isnan(poses[5]).all()


def test_an_empty_track_gives_nan() -> None:
    track = OdometryTrack(np.zeros(0, np.int64), np.zeros((0, 3)), np.zeros((0, 4)))
    assert np.isnan(track.poses_at(np.array([1]))).all()


def test_a_zero_quaternion_is_refused_with_its_stamp() -> None:
    with pytest.raises(BagDataError, match=r"odometry at 7 ns has orientation \[0.0, 0.0, 0.0, 0.0\], not a rotation"):
        OdometryTrack(np.array([7]), np.zeros((1, 3)), np.zeros((1, 4)))
