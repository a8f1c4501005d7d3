"""calibration_node's parameter specs and settings: combinations refused with reasons, the pose and the estimator
each mode gets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mono_depth_ros.core.scale import GroundScaleEstimator, OdometryScaleEstimator, StereoScaleEstimator
from mono_depth_ros.ros.calibration_config import (
    CALIBRATION_PARAMETERS,
    DEFAULT_MIN_SAMPLES,
    CalibrationSettings,
    checkpoint_file,
    pose_matrix,
)
from mono_depth_ros.ros.errors import ParameterError
from mono_depth_ros.ros.parameters import check_parameter

SPECS = {spec.name: spec for spec in CALIBRATION_PARAMETERS}


def test_defaults_are_valid_settings_and_match_the_dataclass() -> None:
    settings = CalibrationSettings.from_values({spec.name: spec.default for spec in CALIBRATION_PARAMETERS})
    assert settings == CalibrationSettings()
    assert settings.base_to_camera == (1.0, 0.0, 1.65, -0.5, 0.5, -0.5, 0.5)


def test_single_values_out_of_range_are_refused_by_their_spec() -> None:
    assert (
        check_parameter(SPECS["mode"], "lidar")
        == "parameter 'mode' must be one of odometry, stereo, ground, got 'lidar'"
    )
    reason = check_parameter(SPECS["image_transport"], "theora")
    assert reason == "parameter 'image_transport' must be one of raw, compressed, got 'theora'"
    assert check_parameter(SPECS["rate_hz"], 0.0) == "parameter 'rate_hz' must be at least 0.01, got 0.0"


def test_a_bad_pose_or_device_is_refused_naming_the_value() -> None:
    with pytest.raises(ParameterError, match=r"non-zero quaternion, got \[1\.0, 2\.0, 3\.0\]"):
        CalibrationSettings().with_changes({"base_to_camera": [1.0, 2.0, 3.0]})
    with pytest.raises(ParameterError, match=r"non-zero quaternion, got \[0\.0, 0\.0, 0\.0, 0\.0, 0\.0, 0\.0, 0\.0\]"):
        CalibrationSettings().with_changes({"base_to_camera": [0.0] * 7})
    with pytest.raises(
        ParameterError, match=r"parameter 'device': device must be auto, cpu, cuda or cuda:N, got 'tpu'"
    ):
        CalibrationSettings().with_changes({"device": "tpu"})


def test_unknown_names_are_ignored_and_lists_become_tuples() -> None:
    settings = CalibrationSettings().with_changes({"use_sim_time": True, "base_to_camera": [0, 0, 0, 0, 0, 0, 2]})
    assert settings.base_to_camera == (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0)
    np.testing.assert_allclose(settings.base_from_camera(), np.eye(4), atol=1e-12)  # the quaternion is normalised


def test_the_default_camera_looks_along_the_base_x_axis() -> None:
    base_from_camera = CalibrationSettings().base_from_camera()
    assert base_from_camera.dtype == np.float64
    np.testing.assert_allclose(base_from_camera[:3, 3], [1.0, 0.0, 1.65])
    np.testing.assert_allclose(base_from_camera[:3, :3] @ [0.0, 0.0, 1.0], [1.0, 0.0, 0.0], atol=1e-12)  # optical z
    np.testing.assert_allclose(base_from_camera[:3, :3] @ [0.0, 1.0, 0.0], [0.0, 0.0, -1.0], atol=1e-12)  # image down


def test_pose_matrix_of_a_zero_quaternion_is_not_finite() -> None:
    pose = pose_matrix([1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0])
    assert np.isnan(pose[:3, :3]).all()
    np.testing.assert_array_equal(pose[:3, 3], [1.0, 2.0, 3.0])


def test_each_mode_gets_its_estimator_with_the_window_settings() -> None:
    odometry = CalibrationSettings(window=50, min_translation=0.5, tolerance=0.1).make_estimator()
    assert isinstance(odometry, OdometryScaleEstimator)
    assert odometry.min_translation == 0.5
    assert odometry.window.size == 50
    assert odometry.window.min_samples == DEFAULT_MIN_SAMPLES["odometry"]
    assert odometry.window.tolerance == 0.1
    stereo = CalibrationSettings(mode="stereo", min_samples=2).make_estimator()
    assert isinstance(stereo, StereoScaleEstimator)
    assert stereo.window.min_samples == 2
    ground = CalibrationSettings(mode="ground", camera_height=1.2).make_estimator()
    assert isinstance(ground, GroundScaleEstimator)
    assert ground.camera_height == 1.2
    assert ground.window.min_samples == DEFAULT_MIN_SAMPLES["ground"]


def test_checkpoint_file_refuses_an_empty_name_and_expands_the_home_directory() -> None:
    with pytest.raises(ParameterError, match=r"parameter 'checkpoint' is empty: name a mono_depth_ros checkpoint"):
        checkpoint_file("  ")
    assert checkpoint_file("~/model.pt") == Path.home() / "model.pt"
