from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.geometry import PinholeIntrinsics
from mono_depth_ros.core.wire import CameraModel
from mono_depth_ros.data.training import BagDataError, CameraTimeline, ImageFit, Rectify, plan_geometry

from .conftest import camera


def test_timeline_segments_change_only_when_the_calibration_does() -> None:
    a, b = camera(fx=50.0), camera(fx=60.0)
    timeline = CameraTimeline([30, 10, 20, 40], [b, a, a, b])
    assert len(timeline) == 2
    assert timeline.starts_ns == [10, 30]
    assert [timeline.segment_at(s) for s in (5, 10, 29, 30, 1000)] == [-1, 0, 0, 1, 1]


def test_resize_scales_the_intrinsics_with_pixel_centres() -> None:
    geometry = plan_geometry(camera(64, 48, fx=50.0), "/cam/image_raw", 32, 32, ImageFit.RESIZE, Rectify.AUTO)
    k = geometry.intrinsics
    assert (k.fx, k.fy) == pytest.approx((25.0, 50.0 * 32 / 48))
    assert (k.cx, k.cy) == pytest.approx((31.5 * 0.5 + 0.25 - 0.5, (23.5 + 0.5) * 32 / 48 - 0.5))
    frame = np.zeros((48, 64, 3), np.uint8)
    frame[:, 32:] = 200
    out = geometry.apply(frame)
    assert out.shape == (32, 32, 3)
    assert out[:, :16].max() == 0
    assert out[:, 16:].min() == 200


def test_crop_keeps_the_training_aspect_ratio_around_the_centre() -> None:
    geometry = plan_geometry(camera(64, 48, fx=50.0), "/cam/image_raw", 32, 16, ImageFit.CROP, Rectify.AUTO)
    assert geometry.crop == (0, 8, 64, 32)
    assert geometry.intrinsics.fx == pytest.approx(25.0)
    assert geometry.intrinsics.fy == pytest.approx(25.0)  # no stretching
    assert geometry.intrinsics.cy == pytest.approx((23.5 - 8 + 0.5) * 0.5 - 0.5)
    frame = np.arange(48, dtype=np.uint8)[:, None, None].repeat(64, 1).repeat(3, 2)
    out = geometry.apply(frame)
    assert out[0, 0, 0] == pytest.approx(8.5, abs=1)  # rows 8 and 9 averaged
    assert out[-1, 0, 0] == pytest.approx(38.5, abs=1)


def test_a_frame_of_another_size_than_its_camera_info_is_refused() -> None:
    geometry = plan_geometry(camera(64, 48), "/cam/image_raw", 32, 32, ImageFit.RESIZE, Rectify.AUTO)
    with pytest.raises(BagDataError, match="a frame is 10x20 but its camera_info describes 64x48 images"):
        geometry.apply(np.zeros((20, 10, 3), np.uint8))


def _distorted(model: str = "plumb_bob") -> CameraModel:
    k = PinholeIntrinsics(60.0, 60.0, 31.5, 23.5, 64, 48).as_array()
    p = np.zeros((3, 4))
    p[:, :3] = k
    coefficients = [-0.3, 0.1, 0.0, 0.0, 0.0] if model != "equidistant" else [0.1, 0.0, 0.0, 0.0]
    return CameraModel(64, 48, model, coefficients, k, np.eye(3), p)


@pytest.mark.parametrize("model", ["plumb_bob", "equidistant"])
def test_distorted_raw_frames_are_undistorted_and_rectified_topics_are_not(model: str) -> None:
    distorted = _distorted(model)
    raw = plan_geometry(distorted, "/cam/image_raw", 64, 48, ImageFit.RESIZE, Rectify.AUTO)
    assert raw.undistort_maps is not None
    assert plan_geometry(distorted, "/cam/image_rect", 64, 48, ImageFit.RESIZE, Rectify.AUTO).undistort_maps is None
    assert plan_geometry(distorted, "/cam/image_raw", 64, 48, ImageFit.RESIZE, Rectify.NEVER).undistort_maps is None
    assert plan_geometry(camera(), "/cam/image_raw", 64, 48, ImageFit.RESIZE, Rectify.ALWAYS).undistort_maps is None
    # The principal point does not move under radial distortion; pixels away from it do.
    map_x, map_y = raw.undistort_maps
    assert map_x[23, 31] == pytest.approx(31.0, abs=0.05)
    assert map_y[23, 31] == pytest.approx(23.0, abs=0.05)
    assert abs(map_x[0, 0] - 0.0) > 0.5


def test_an_unknown_distortion_model_cannot_be_undistorted() -> None:
    with pytest.raises(BagDataError, match="cannot undistort the distortion model 'weird'"):
        plan_geometry(_distorted("weird"), "/cam/image_raw", 64, 48, ImageFit.RESIZE, Rectify.AUTO)
