"""KITTI raw calibration, velodyne scans and depth-benchmark ground truth (numpy).

Frames: the velodyne frame; camera 0's unrectified frame (what calib_velo_to_cam.txt maps to); and the rectified
frame of camera k, the optical frame in which `P_rect_0k` projects. `R_rect_00` rotates camera 0's frame into the
common rectified orientation; `P_rect_0k = K [I | t_k]` then adds camera k's offset t_k from rectified camera 0, so
`P_rect_0k @ R_rect_00 @ T_velo_to_cam` maps velodyne points to camera k's pixels (KITTI raw devkit).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mono_depth_ros.core.geometry.errors import CalibrationFileError, GeometryError, KittiFileError
from mono_depth_ros.core.geometry.intrinsics import PinholeIntrinsics
from mono_depth_ros.core.shapes import ShapeError

__all__ = [
    "CAMERA_TO_CAMERA_FILE",
    "VELODYNE_TO_CAMERA_FILE",
    "KittiCalibration",
    "read_kitti_calibration",
    "read_kitti_depth_png",
    "read_velodyne_scan",
    "velodyne_depth_map",
]

CAMERA_TO_CAMERA_FILE = "calib_cam_to_cam.txt"
VELODYNE_TO_CAMERA_FILE = "calib_velo_to_cam.txt"
CAMERAS = (0, 1, 2, 3)
# The depth benchmark stores metres * 256 in uint16; 0 means no measurement.
_DEPTH_PNG_SCALE = 256.0


@dataclass(frozen=True, eq=False)
class KittiCalibration:
    """The calibration of one KITTI recording day; cameras are numbered 0-3 (2 = left colour, 3 = right colour)."""

    projections: dict[int, np.ndarray]
    """P_rect_0k, (3, 4) float64: rectified camera-0 coordinates -> camera k's homogeneous pixels."""
    rectifications: dict[int, np.ndarray]
    """R_rect_0k, (3, 3) float64."""
    image_sizes: dict[int, tuple[int, int]]
    """S_rect_0k as (width, height) of the rectified images."""
    velodyne_to_camera0: np.ndarray
    """(4, 4) float64 rigid transform from the velodyne frame to camera 0's unrectified frame."""
    directory: Path
    """The day directory the files were read from."""

    def _check_camera(self, camera: int) -> None:
        if camera not in self.projections:
            raise GeometryError(f"camera must be one of {sorted(self.projections)}, got {camera!r}")

    def intrinsics(self, camera: int) -> PinholeIntrinsics:
        """Rectified intrinsics of camera k, from P_rect_0k, for the S_rect_0k image size."""
        self._check_camera(camera)
        width, height = self.image_sizes[camera]
        return PinholeIntrinsics.from_matrix(self.projections[camera][:, :3], width, height)

    def camera_offset(self, camera: int) -> np.ndarray:
        """t_k (3,) with P_rect_0k = K [I | t_k]: camera k coordinates = rectified camera 0 coordinates + t_k."""
        self._check_camera(camera)
        projection = self.projections[camera]
        return np.linalg.solve(projection[:, :3], projection[:, 3])

    def stereo_baseline(self, left: int = 2, right: int = 3) -> float:
        """Distance in metres between the optical centres of two rectified cameras."""
        return float(np.linalg.norm(self.camera_offset(left) - self.camera_offset(right)))

    def velodyne_to_camera(self, camera: int) -> np.ndarray:
        """(4, 4) rigid transform from the velodyne frame to camera k's rectified optical frame."""
        self._check_camera(camera)
        rectified_from_camera0 = np.eye(4)
        rectified_from_camera0[:3, :3] = self.rectifications[0]
        camera_from_rectified = np.eye(4)
        camera_from_rectified[:3, 3] = self.camera_offset(camera)
        return camera_from_rectified @ rectified_from_camera0 @ self.velodyne_to_camera0

    def velodyne_to_image(self, camera: int) -> np.ndarray:
        """(3, 4) P_rect_0k @ R_rect_00 @ T_velo_to_cam: velodyne points -> camera k's homogeneous pixels."""
        self._check_camera(camera)
        rectified_from_camera0 = np.eye(4)
        rectified_from_camera0[:3, :3] = self.rectifications[0]
        return self.projections[camera] @ rectified_from_camera0 @ self.velodyne_to_camera0


def read_kitti_calibration(day_directory: str | Path) -> KittiCalibration:
    """Parse calib_cam_to_cam.txt and calib_velo_to_cam.txt of a KITTI raw day directory (e.g. .../2011_09_26).

    Raises:
        CalibrationFileError: a file is missing or unreadable, or an entry is missing or malformed (the message names
            the file and the key).
    """
    directory = Path(day_directory)
    cameras_path = directory / CAMERA_TO_CAMERA_FILE
    velodyne_path = directory / VELODYNE_TO_CAMERA_FILE
    cameras = _read_entries(cameras_path)
    velodyne = _read_entries(velodyne_path)
    projections = {k: _matrix(cameras, cameras_path, f"P_rect_0{k}", (3, 4)) for k in CAMERAS}
    rectifications = {k: _matrix(cameras, cameras_path, f"R_rect_0{k}", (3, 3)) for k in CAMERAS}
    image_sizes = {k: _image_size(cameras, cameras_path, f"S_rect_0{k}") for k in CAMERAS}
    for k, projection in projections.items():
        if projection[0, 0] <= 0 or projection[1, 1] <= 0 or projection[2, 2] == 0:
            raise CalibrationFileError(f"{cameras_path}: P_rect_0{k} is not a projection matrix: {projection.tolist()}")
    velodyne_to_camera0 = np.eye(4)
    velodyne_to_camera0[:3, :3] = _matrix(velodyne, velodyne_path, "R", (3, 3))
    velodyne_to_camera0[:3, 3] = _matrix(velodyne, velodyne_path, "T", (3,))
    return KittiCalibration(projections, rectifications, image_sizes, velodyne_to_camera0, directory)


def _read_entries(path: Path) -> dict[str, str]:
    """`key: values` lines of a KITTI calibration file, values unparsed (some, like calib_time, are not numbers)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalibrationFileError(f"KITTI calibration file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CalibrationFileError(f"cannot read KITTI calibration file {path}: {error}") from error
    entries = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, separator, values = line.partition(":")
        if not separator:
            raise CalibrationFileError(f"{path}:{number}: expected 'key: values', got {line.strip()!r}")
        entries[key.strip()] = values.strip()
    return entries


def _matrix(entries: dict[str, str], path: Path, key: str, shape: tuple[int, ...]) -> np.ndarray:
    if key not in entries:
        raise CalibrationFileError(f"{path}: missing entry {key!r}")
    try:
        values = np.array([float(token) for token in entries[key].split()], dtype=np.float64)
    except ValueError:
        raise CalibrationFileError(f"{path}: entry {key!r} is not a list of numbers: {entries[key]!r}") from None
    expected = int(np.prod(shape))
    if values.size != expected:
        raise CalibrationFileError(f"{path}: entry {key!r} must have {expected} numbers, got {values.size}")
    if not np.all(np.isfinite(values)):
        raise CalibrationFileError(f"{path}: entry {key!r} has non-finite values: {entries[key]!r}")
    return values.reshape(shape)


def _image_size(entries: dict[str, str], path: Path, key: str) -> tuple[int, int]:
    width, height = _matrix(entries, path, key, (2,))
    if width != int(width) or height != int(height) or width <= 0 or height <= 0:
        raise CalibrationFileError(f"{path}: entry {key!r} must be a positive integer size, got {width} {height}")
    return int(width), int(height)


def read_velodyne_scan(path: str | Path) -> np.ndarray:
    """A KITTI velodyne .bin file as (N, 4) float32 rows (x, y, z, reflectance) in the velodyne frame (metres)."""
    path = Path(path)
    try:
        raw = np.fromfile(path, dtype="<f4")
    except FileNotFoundError:
        raise KittiFileError(f"velodyne scan not found: {path}") from None
    except OSError as error:
        raise KittiFileError(f"cannot read velodyne scan {path}: {error}") from error
    if raw.size % 4:
        raise KittiFileError(f"velodyne scan {path} holds {raw.size} float32 values, not a multiple of 4")
    return raw.reshape(-1, 4).astype(np.float32, copy=False)


def read_kitti_depth_png(path: str | Path) -> np.ndarray:
    """A KITTI depth-benchmark PNG as (H, W) float32 metres (uint16 / 256), NaN where it holds 0 (no measurement)."""
    path = Path(path)
    if not path.is_file():
        raise KittiFileError(f"KITTI depth PNG not found: {path}")
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise KittiFileError(f"cannot decode KITTI depth PNG {path}")
    if image.dtype != np.uint16 or image.ndim != 2:
        raise KittiFileError(
            f"KITTI depth PNG {path} must be single-channel uint16, got {image.dtype} with shape {image.shape}"
        )
    depth = image.astype(np.float32) / _DEPTH_PNG_SCALE
    depth[image == 0] = np.nan
    return depth


def velodyne_depth_map(
    points: np.ndarray,
    calibration: KittiCalibration,
    camera: int = 2,
    width: int | None = None,
    height: int | None = None,
) -> np.ndarray:
    """Sparse depth image of a velodyne scan seen by rectified camera k.

    Args:
        points: (N, 3) or (N, 4) velodyne points (a fourth column, reflectance, is ignored).
        calibration: the day's calibration.
        camera: camera number (2 = left colour).
        width, height: image size; default S_rect_0k.

    Returns:
        (H, W) float32 depth along camera k's optical axis in metres. Points in front of the camera (z > 0) go to the
        nearest pixel centre; where several land on one pixel the nearest wins; NaN where none lands.
    """
    if not isinstance(points, np.ndarray) or points.ndim != 2 or points.shape[1] not in (3, 4):
        shape = getattr(points, "shape", type(points).__name__)
        raise ShapeError(f"points must have shape (N, 3) or (N, 4), got {shape}")
    projection = calibration.velodyne_to_image(camera)
    default_width, default_height = calibration.image_sizes[camera]
    width = default_width if width is None else int(width)
    height = default_height if height is None else int(height)
    if width <= 0 or height <= 0:
        raise GeometryError(f"depth map size must be positive, got {width}x{height}")
    homogeneous = np.concatenate((points[:, :3].astype(np.float64), np.ones((len(points), 1))), axis=1)
    image_points = homogeneous @ projection.T
    depth = image_points[:, 2]
    in_front = depth > 0
    image_points, depth = image_points[in_front], depth[in_front]
    u = image_points[:, 0] / depth
    v = image_points[:, 1] / depth
    # Test in floating point before rounding, so far-off points never reach the integer cast.
    inside = (u >= -0.5) & (u < width - 0.5) & (v >= -0.5) & (v < height - 0.5)
    columns = np.rint(u[inside]).astype(np.int64).clip(0, width - 1)
    rows = np.rint(v[inside]).astype(np.int64).clip(0, height - 1)
    nearest = np.full((height, width), np.inf, dtype=np.float64)
    # Unbuffered minimum: repeated pixels keep their smallest depth, in one vectorised call.
    np.minimum.at(nearest, (rows, columns), depth[inside])
    nearest[np.isinf(nearest)] = np.nan
    return nearest.astype(np.float32)
