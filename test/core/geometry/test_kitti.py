"""KITTI readers on the real slice in ../shared/data, and their errors on broken copies."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mono_depth_ros.core.geometry import (
    CalibrationFileError,
    GeometryError,
    KittiCalibration,
    KittiFileError,
    PinholeIntrinsics,
    ShapeError,
    read_kitti_calibration,
    read_kitti_depth_png,
    read_velodyne_scan,
    velodyne_depth_map,
)

DRIVE = "2011_09_26_drive_0001_sync"


@pytest.fixture(scope="module")
def calibration(kitti_root: Path) -> KittiCalibration:
    return read_kitti_calibration(kitti_root / "2011_09_26")


@pytest.fixture
def calibration_copy(kitti_root: Path, tmp_path: Path) -> Path:
    """A writable copy of the day's two calibration files."""
    for name in ("calib_cam_to_cam.txt", "calib_velo_to_cam.txt"):
        (tmp_path / name).write_text((kitti_root / "2011_09_26" / name).read_text())
    return tmp_path


def _replace_line(path: Path, key: str, line: str | None) -> None:
    lines = [existing for existing in path.read_text().splitlines() if not existing.startswith(f"{key}:")]
    path.write_text("\n".join([*lines, *([line] if line is not None else [])]) + "\n")


def test_rectified_intrinsics_of_the_colour_cameras(calibration: KittiCalibration) -> None:
    expected = PinholeIntrinsics(721.5377, 721.5377, 609.5593, 172.854, 1242, 375)
    assert calibration.intrinsics(2) == expected
    assert calibration.intrinsics(3) == expected


def test_stereo_baseline_is_0_5327_m(calibration: KittiCalibration) -> None:
    assert calibration.stereo_baseline(2, 3) == pytest.approx(0.5327, abs=1e-3)
    # Camera 2 sits about 6 cm right of camera 0 (grey left), camera 1 about 54 cm right of it.
    assert calibration.camera_offset(2)[0] == pytest.approx(0.06, abs=0.005)
    assert calibration.stereo_baseline(0, 1) == pytest.approx(0.537, abs=0.005)


def test_velodyne_to_image_is_the_camera_matrix_times_the_rigid_transform(calibration: KittiCalibration) -> None:
    velodyne_to_camera = calibration.velodyne_to_camera(2)
    np.testing.assert_allclose(velodyne_to_camera[:3, :3] @ velodyne_to_camera[:3, :3].T, np.eye(3), atol=1e-5)
    camera_matrix = calibration.intrinsics(2).as_array()
    np.testing.assert_allclose(camera_matrix @ velodyne_to_camera[:3], calibration.velodyne_to_image(2), atol=1e-9)


def test_projected_velodyne_scan_reproduces_the_ground_truth_depth(
    kitti_root: Path, calibration: KittiCalibration
) -> None:
    scan = read_velodyne_scan(kitti_root / "2011_09_26" / DRIVE / "velodyne_points" / "data" / "0000000005.bin")
    assert scan.dtype == np.float32
    assert scan.shape[1] == 4
    depth = velodyne_depth_map(scan, calibration, camera=2)
    truth_path = kitti_root / "kitti_depth_mini" / "train" / DRIVE / "proj_depth" / "groundtruth" / "image_02"
    truth = read_kitti_depth_png(truth_path / "0000000005.png")
    assert depth.shape == truth.shape == (375, 1242)
    assert depth.dtype == truth.dtype == np.float32
    both = np.isfinite(depth) & np.isfinite(truth)
    assert both.sum() > 5000
    relative = np.abs(depth[both] - truth[both]) / truth[both]
    assert np.median(relative) <= 0.01


def test_depth_map_keeps_the_nearest_point_and_drops_the_rest(calibration: KittiCalibration) -> None:
    velodyne_to_camera = calibration.velodyne_to_camera(2)
    camera_to_velodyne = np.linalg.inv(velodyne_to_camera)
    intrinsics = calibration.intrinsics(2)

    def velodyne_point(u: float, v: float, depth: float) -> np.ndarray:
        camera = np.array([(u - intrinsics.cx) / intrinsics.fx * depth, (v - intrinsics.cy) / intrinsics.fy * depth])
        return (camera_to_velodyne @ np.array([*camera, depth, 1.0]))[:3]

    points = np.array(
        [
            velodyne_point(100.2, 50.4, 12.0),  # lands on (row 50, column 100)
            velodyne_point(99.8, 49.7, 8.0),  # same pixel, nearer: wins
            velodyne_point(300.0, 200.0, 20.0),
            velodyne_point(5000.0, 200.0, 20.0),  # outside the image
            -velodyne_point(600.0, 180.0, 5.0),  # behind the camera (mirrored through the velodyne origin)
        ]
    )
    depth = velodyne_depth_map(points, calibration, 2, width=intrinsics.width, height=intrinsics.height)
    assert depth[50, 100] == pytest.approx(8.0, abs=1e-4)
    assert depth[200, 300] == pytest.approx(20.0, abs=1e-4)
    assert np.isfinite(depth).sum() == 2


def test_depth_map_size_can_be_chosen(calibration: KittiCalibration) -> None:
    assert velodyne_depth_map(np.zeros((0, 3)), calibration, 2, width=64, height=32).shape == (32, 64)


def test_depth_png_is_metres_with_nan_for_missing(tmp_path: Path) -> None:
    raw = np.array([[0, 256], [2560, 65535]], dtype=np.uint16)
    path = tmp_path / "depth.png"
    cv2.imwrite(str(path), raw)
    depth = read_kitti_depth_png(path)
    assert depth.dtype == np.float32
    assert np.isnan(depth[0, 0])
    np.testing.assert_allclose(depth[[0, 1, 1], [1, 0, 1]], [1.0, 10.0, 65535 / 256])


def test_depth_png_errors(tmp_path: Path) -> None:
    with pytest.raises(KittiFileError, match=r"KITTI depth PNG not found: .*missing\.png"):
        read_kitti_depth_png(tmp_path / "missing.png")
    eight_bit = tmp_path / "eight_bit.png"
    cv2.imwrite(str(eight_bit), np.zeros((2, 2), dtype=np.uint8))
    with pytest.raises(KittiFileError, match="must be single-channel uint16, got uint8"):
        read_kitti_depth_png(eight_bit)
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"not a png")
    with pytest.raises(KittiFileError, match=r"cannot decode KITTI depth PNG .*garbage\.png"):
        read_kitti_depth_png(garbage)


def test_velodyne_scan_errors(tmp_path: Path) -> None:
    with pytest.raises(KittiFileError, match=r"velodyne scan not found: .*missing\.bin"):
        read_velodyne_scan(tmp_path / "missing.bin")
    truncated = tmp_path / "truncated.bin"
    np.zeros(5, dtype=np.float32).tofile(truncated)
    with pytest.raises(KittiFileError, match="holds 5 float32 values, not a multiple of 4"):
        read_velodyne_scan(truncated)


def test_missing_calibration_file_is_named(calibration_copy: Path) -> None:
    (calibration_copy / "calib_velo_to_cam.txt").unlink()
    with pytest.raises(CalibrationFileError, match=r"calibration file not found: .*calib_velo_to_cam\.txt"):
        read_kitti_calibration(calibration_copy)


def test_missing_key_is_named(calibration_copy: Path) -> None:
    _replace_line(calibration_copy / "calib_cam_to_cam.txt", "P_rect_02", None)
    with pytest.raises(CalibrationFileError, match=r"calib_cam_to_cam.txt: missing entry 'P_rect_02'"):
        read_kitti_calibration(calibration_copy)


@pytest.mark.parametrize(
    ("file", "key", "line", "message"),
    [
        ("calib_cam_to_cam.txt", "R_rect_00", "R_rect_00: 1 0 0 0 1 0 0 0 x", "'R_rect_00' is not a list of numbers"),
        ("calib_cam_to_cam.txt", "S_rect_02", "S_rect_02: 1242", "'S_rect_02' must have 2 numbers, got 1"),
        ("calib_cam_to_cam.txt", "S_rect_03", "S_rect_03: 1242.5 375", "'S_rect_03' must be a positive integer size"),
        ("calib_velo_to_cam.txt", "T", "T: 0 nan 0", "'T' has non-finite values"),
        ("calib_velo_to_cam.txt", "T", "T 0 0 0", r":\d+: expected 'key: values'"),
        ("calib_cam_to_cam.txt", "P_rect_03", "P_rect_03: " + " ".join(["0"] * 12), "P_rect_03 is not a projection"),
    ],
)
def test_malformed_entries_name_file_and_key(
    calibration_copy: Path, file: str, key: str, line: str, message: str
) -> None:
    _replace_line(calibration_copy / file, key, line)
    with pytest.raises(CalibrationFileError, match=f"{file}.*{message}"):
        read_kitti_calibration(calibration_copy)


def test_unknown_camera_and_bad_points_are_rejected(calibration: KittiCalibration) -> None:
    with pytest.raises(GeometryError, match=r"camera must be one of \[0, 1, 2, 3\], got 7"):
        calibration.intrinsics(7)
    with pytest.raises(ShapeError, match=r"points must have shape \(N, 3\) or \(N, 4\), got \(10, 2\)"):
        velodyne_depth_map(np.zeros((10, 2)), calibration, 2)
    with pytest.raises(GeometryError, match="depth map size must be positive, got 0x10"):
        velodyne_depth_map(np.zeros((1, 3)), calibration, 2, width=0, height=10)
