"""CameraModel: CameraInfo fields, validation, binning / ROI intrinsics and the stereo baseline."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from mono_depth_ros.core.geometry.intrinsics import PinholeIntrinsics
from mono_depth_ros.core.wire import CameraInfoError, CameraModel, RegionOfInterest, WireFormatError

K = [718.856, 0.0, 607.1928, 0.0, 718.856, 185.2157, 0.0, 0.0, 1.0]
P = [707.0, 0.0, 604.0, 0.0, 0.0, 707.0, 180.0, 0.0, 0.0, 0.0, 1.0, 0.0]
D = [-0.37, 0.2, 0.001, -0.0005, 0.0]


def make_model(**overrides: object) -> CameraModel:
    fields: dict[str, object] = {
        "width": 1242,
        "height": 375,
        "distortion_model": "plumb_bob",
        "D": D,
        "K": K,
        "R": np.eye(3).ravel().tolist(),
        "P": P,
    }
    fields.update(overrides)
    return CameraModel(**fields)  # type: ignore[arg-type]


def message_like(**overrides: object) -> SimpleNamespace:
    """An object with the ROS 2 CameraInfo field names (as an rclpy or rosbags message has them)."""
    fields: dict[str, object] = {
        "width": 1242,
        "height": 375,
        "distortion_model": "plumb_bob",
        "d": D,
        "k": K,
        "r": np.eye(3).ravel().tolist(),
        "p": P,
        "binning_x": 0,
        "binning_y": 0,
        "roi": SimpleNamespace(x_offset=0, y_offset=0, height=0, width=0, do_rectify=False),
    }
    fields.update(overrides)
    return SimpleNamespace(**fields)


def test_fields_are_shaped_read_only_arrays() -> None:
    model = make_model()
    assert model.K.shape == (3, 3)
    assert model.R.shape == (3, 3)
    assert model.P.shape == (3, 4)
    assert model.D.shape == (5,)
    np.testing.assert_array_equal(model.K.ravel(), K)
    np.testing.assert_array_equal(model.P.ravel(), P)
    with pytest.raises(ValueError, match="read-only"):
        model.K[0, 0] = 1.0
    assert model.is_distorted()


def test_raw_and_rectified_intrinsics() -> None:
    model = make_model()
    assert model.raw_intrinsics() == PinholeIntrinsics(718.856, 718.856, 607.1928, 185.2157, 1242, 375)
    assert model.rectified_intrinsics() == PinholeIntrinsics(707.0, 707.0, 604.0, 180.0, 1242, 375)
    assert model.image_size == (1242, 375)


def test_from_message_reads_ros2_and_ros1_field_names() -> None:
    model = CameraModel.from_message(message_like())
    assert model == make_model()
    ros1 = SimpleNamespace(**{k.upper() if len(k) == 1 else k: v for k, v in vars(message_like()).items()})
    assert CameraModel.from_message(ros1) == model


def test_equality_is_by_value() -> None:
    assert make_model() == make_model()
    assert make_model() != make_model(P=[*P[:3], -50.0, *P[4:]])
    assert make_model() != make_model(roi=RegionOfInterest(0, 0, 100, 100))


@pytest.mark.parametrize("binning", [0, 1])
def test_binning_zero_and_one_mean_full_resolution(binning: int) -> None:
    model = make_model(binning_x=binning, binning_y=binning)
    assert model.rectified_intrinsics() == make_model().rectified_intrinsics()


def test_binning_divides_focal_lengths_with_pixel_centre_convention() -> None:
    model = make_model(binning_x=2, binning_y=3)
    rectified = model.rectified_intrinsics()
    assert (rectified.width, rectified.height) == (621, 125)
    assert rectified.fx == pytest.approx(707.0 / 2)
    assert rectified.fy == pytest.approx(707.0 / 3)
    # Binned pixel i covers raw pixels [b*i, b*i + b): its centre is raw b*i + (b - 1) / 2.
    assert rectified.cx == pytest.approx((604.0 - 0.5) / 2)
    assert rectified.cy == pytest.approx((180.0 - 1.0) / 3)


def test_roi_then_binning_matches_crop_then_resize() -> None:
    roi = RegionOfInterest(x_offset=100, y_offset=40, height=300, width=1000, do_rectify=False)
    model = make_model(binning_x=2, binning_y=2, roi=roi)
    assert model.image_size == (500, 150)
    # Independently: the full-resolution intrinsics cropped to the ROI, then downscaled 2x.
    full = PinholeIntrinsics.from_matrix(np.array(P).reshape(3, 4), 1242, 375)
    expected = full.cropped(100, 40, 1000, 300).resized(500, 150)
    got = model.rectified_intrinsics()
    np.testing.assert_allclose(got.as_array(), expected.as_array(), rtol=0, atol=1e-9)
    assert (got.width, got.height) == (expected.width, expected.height)
    raw = model.raw_intrinsics()
    assert raw.cx == pytest.approx((607.1928 - 100 + 0.5) / 2 - 0.5)


def test_right_camera_baseline() -> None:
    fx, baseline = 707.0, 0.537
    right = make_model(P=[fx, 0.0, 604.0, -fx * baseline, 0.0, fx, 180.0, 0.0, 0.0, 0.0, 1.0, 0.0])
    assert right.stereo_baseline() == pytest.approx(baseline)
    assert make_model().stereo_baseline() == 0.0
    # Binning scales P[0, 0] and P[0, 3] together: the baseline does not change.
    assert make_model(P=right.P, binning_x=2).stereo_baseline() == pytest.approx(baseline)


def test_from_intrinsics_for_publishing() -> None:
    intrinsics = PinholeIntrinsics(500.0, 480.0, 319.5, 95.5, 640, 192)
    model = CameraModel.from_intrinsics(intrinsics, baseline=0.25)
    assert (model.width, model.height, model.distortion_model) == (640, 192, "plumb_bob")
    np.testing.assert_array_equal(model.D, np.zeros(5))
    np.testing.assert_array_equal(model.K, intrinsics.as_array())
    np.testing.assert_array_equal(model.R, np.eye(3))
    np.testing.assert_array_equal(model.P[:, :3], intrinsics.as_array())
    assert model.P[0, 3] == -500.0 * 0.25
    assert model.stereo_baseline() == pytest.approx(0.25)
    assert model.rectified_intrinsics() == intrinsics
    assert model.raw_intrinsics() == intrinsics
    assert not model.is_distorted()
    assert CameraModel.from_intrinsics(intrinsics, distortion_model="rational_polynomial").D.shape == (8,)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"K": [718.0, 0.0, float("nan"), 0.0, 718.0, 185.0, 0.0, 0.0, 1.0]}, r"K\[0\]\[2\] is nan"),
        ({"P": [*P[:5], float("inf"), *P[6:]]}, r"P\[1\]\[1\] is inf"),
        ({"R": [float("nan")] * 9}, r"R\[0\]\[0\] is nan"),
        ({"D": [0.0, float("-inf")]}, r"D\[1\] is -inf"),
        ({"K": [0.0] * 9}, r"K focal length fx is 0.0, it must be positive \(is the camera calibrated\?\)"),
        ({"P": [707.0, 0, 604.0, 0, 0, -707.0, 180.0, 0, 0, 0, 1.0, 0]}, r"P focal length fy is -707.0"),
        ({"K": K[:8]}, r"K must have 9 values \(3x3\), got 8"),
        ({"P": K}, r"P must have 12 values \(3x4\), got 9"),
        ({"width": 0, "height": 0}, r"camera_info size must be positive, got 0x0"),
        ({"binning_x": -1}, r"binning_x must be a non-negative integer, got -1"),
        ({"roi": RegionOfInterest(1000, 0, 100, 300)}, r"roi \(x_offset=1000.*inside the calibrated 1242x375 image"),
        ({"K": ["a"] * 9}, r"K must be numbers"),
    ],
)
def test_invalid_calibration_is_rejected(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(CameraInfoError, match=message):
        make_model(**overrides)


def test_camera_info_error_is_a_wire_format_error() -> None:
    assert issubclass(CameraInfoError, WireFormatError)
    with pytest.raises(ValueError, match="is nan"):
        CameraModel.from_message(message_like(k=[float("nan")] * 9))
