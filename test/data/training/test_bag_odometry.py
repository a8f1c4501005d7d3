from __future__ import annotations

import numpy as np
import pytest
import torch

from mono_depth_ros.core.geometry import quaternion_to_matrix
from mono_depth_ros.data.training import BagDataError, OdometryTrack


def _yaw(angle: float) -> np.ndarray:
    return np.array([0.0, 0.0, np.sin(angle / 2), np.cos(angle / 2)])


def test_poses_interpolate_translation_linearly_and_rotation_by_slerp() -> None:
    track = OdometryTrack(
        np.array([100, 0, 200, 200]),  # unsorted, and a repeated stamp (the last one counts)
        np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 0.0], [9.0, 9.0, 9.0], [3.0, 2.0, 0.0]]),
        np.array([_yaw(0.2), _yaw(0.0), _yaw(1.0), -_yaw(0.6)]),  # -q: the same rotation
    )
    assert len(track) == 3
    poses = track.poses_at(np.array([50, 100, 150, 200, -1, 201]))
    np.testing.assert_allclose(poses[0, :3, 3], [0.5, 1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(poses[1, :3, 3], [1.0, 2.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(poses[2, :3, 3], [2.0, 2.0, 0.0], atol=1e-12)
    expected = quaternion_to_matrix(torch.tensor(_yaw(0.4))).numpy()
    np.testing.assert_allclose(poses[2, :3, :3], expected, atol=1e-12)
    np.testing.assert_allclose(poses[3, 3], [0, 0, 0, 1])
    assert np.isnan(poses[4]).all()  # no extrapolation
    assert np.isnan(poses[5]).all()


def test_interpolation_is_exact_at_epoch_stamps() -> None:
    """Stamps near 1.7e9 s: interpolation runs in seconds from the first sample, not in epoch seconds."""
    start = 1_700_000_000 * 10**9
    track = OdometryTrack(np.array([start, start + 20_000_000]), np.array([[0.0, 0, 0], [0.3, 0, 0]]),
                          np.array([_yaw(0.0), _yaw(0.0)]))  # fmt: skip
    np.testing.assert_allclose(track.poses_at(np.array([start + 1]))[0, 0, 3], 0.3 / 20_000_000, rtol=1e-6)


def test_an_empty_track_gives_nan() -> None:
    track = OdometryTrack(np.zeros(0, np.int64), np.zeros((0, 3)), np.zeros((0, 4)))
    assert np.isnan(track.poses_at(np.array([1]))).all()


def test_a_zero_quaternion_is_refused_with_its_stamp() -> None:
    with pytest.raises(
        BagDataError,
        match=r"odometry at 7 ns has position \[0.0, 0.0, 0.0\] and orientation \[0.0, 0.0, 0.0, 0.0\], not a pose",
    ):
        OdometryTrack(np.array([7]), np.zeros((1, 3)), np.zeros((1, 4)))
