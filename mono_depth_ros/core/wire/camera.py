"""sensor_msgs/CameraInfo as a validated, immutable `CameraModel`, and the intrinsics of the image it describes.

CameraInfo's K, R, P describe the camera at its calibrated (full) resolution `width` x `height`. A driver that bins
(`binning_x`, `binning_y`) or crops (`roi`) publishes smaller images; the intrinsics of those images are derived as
image_geometry does (subtract the ROI offset, divide by the binning) but with the package's pixel-centre convention
for binning (core.geometry.intrinsics): binned pixel i covers raw pixels [b*i, b*i + b), so a raw coordinate u maps
to (u + 0.5) / b - 0.5 (image_geometry uses u / b, 0.25 px off for b = 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mono_depth_ros.core.geometry.intrinsics import PinholeIntrinsics
from mono_depth_ros.core.wire.errors import CameraInfoError

__all__ = ["DISTORTION_COEFFICIENTS", "CameraModel", "RegionOfInterest"]

#: Number of distortion coefficients of the common models (for publishing an undistorted camera).
DISTORTION_COEFFICIENTS = {"plumb_bob": 5, "rational_polynomial": 8, "equidistant": 4}


@dataclass(frozen=True)
class RegionOfInterest:
    """sensor_msgs/RegionOfInterest in full-resolution pixels; all zeros means the full image."""

    x_offset: int = 0
    y_offset: int = 0
    height: int = 0
    width: int = 0
    do_rectify: bool = False

    def is_full_image(self) -> bool:
        return self.x_offset == 0 and self.y_offset == 0 and self.height == 0 and self.width == 0


def _matrix(name: str, values: Any, shape: tuple[int, int] | None) -> np.ndarray:
    """`values` (flat or already shaped) as a read-only finite float64 array of `shape` (None: any length, flat),
    or CameraInfoError naming the first bad entry."""
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise CameraInfoError(f"{name} must be numbers, got {values!r}") from None
    if shape is None:
        array = array.reshape(-1)
    elif array.size != shape[0] * shape[1]:
        size = shape[0] * shape[1]
        raise CameraInfoError(f"{name} must have {size} values ({shape[0]}x{shape[1]}), got {array.size}")
    else:
        array = array.reshape(shape)
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        index = tuple(int(i) for i in bad[0])
        where = "".join(f"[{i}]" for i in index)
        raise CameraInfoError(f"{name}{where} is {array[index]}: camera calibration must be finite")
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class CameraModel:
    """The calibration of one camera, built from sensor_msgs/CameraInfo fields and validated once.

    K (3, 3): intrinsics of the raw (distorted) image; D: distortion coefficients of `distortion_model`;
    R (3, 3): rectification rotation; P (3, 4): projection of the rectified image, P[0, 3] = -fx' * baseline for
    the right camera of a stereo pair. All are float64 read-only arrays; `width`, `height` the calibrated size.
    """

    width: int
    height: int
    distortion_model: str
    D: np.ndarray
    K: np.ndarray
    R: np.ndarray
    P: np.ndarray
    binning_x: int = 0
    binning_y: int = 0
    roi: RegionOfInterest = field(default_factory=RegionOfInterest)

    def __post_init__(self) -> None:
        if int(self.width) != self.width or int(self.height) != self.height or self.width <= 0 or self.height <= 0:
            raise CameraInfoError(
                f"camera_info size must be positive, got {self.width}x{self.height} (is the camera calibrated?)"
            )
        object.__setattr__(self, "width", int(self.width))
        object.__setattr__(self, "height", int(self.height))
        object.__setattr__(self, "distortion_model", str(self.distortion_model))
        object.__setattr__(self, "D", _matrix("D", self.D, None))
        object.__setattr__(self, "K", _matrix("K", self.K, (3, 3)))
        object.__setattr__(self, "R", _matrix("R", self.R, (3, 3)))
        object.__setattr__(self, "P", _matrix("P", self.P, (3, 4)))
        for name, matrix in (("K", self.K), ("P", self.P)):
            for label, value in (("fx", matrix[0, 0]), ("fy", matrix[1, 1])):
                if value <= 0:
                    raise CameraInfoError(
                        f"{name} focal length {label} is {value}, it must be positive (is the camera calibrated?)"
                    )
        for label in ("binning_x", "binning_y"):
            value = getattr(self, label)
            if int(value) != value or value < 0:
                raise CameraInfoError(f"{label} must be a non-negative integer, got {value}")
            object.__setattr__(self, label, int(value))
        roi = self.roi
        if not isinstance(roi, RegionOfInterest):
            roi = RegionOfInterest(
                int(roi.x_offset), int(roi.y_offset), int(roi.height), int(roi.width), bool(roi.do_rectify)
            )
            object.__setattr__(self, "roi", roi)
        if not roi.is_full_image() and (
            min(roi.x_offset, roi.y_offset) < 0
            or roi.width <= 0
            or roi.height <= 0
            or roi.x_offset + roi.width > self.width
            or roi.y_offset + roi.height > self.height
        ):
            raise CameraInfoError(
                f"roi (x_offset={roi.x_offset}, y_offset={roi.y_offset}, width={roi.width}, height={roi.height}) "
                f"must lie inside the calibrated {self.width}x{self.height} image"
            )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CameraModel):
            return NotImplemented
        return (self.width, self.height, self.distortion_model, self.binning_x, self.binning_y, self.roi) == (
            other.width,
            other.height,
            other.distortion_model,
            other.binning_x,
            other.binning_y,
            other.roi,
        ) and all(np.array_equal(getattr(self, n), getattr(other, n)) for n in ("D", "K", "R", "P"))

    __hash__ = None  # type: ignore[assignment]  # holds arrays; equality is by value

    @classmethod
    def from_message(cls, msg: Any) -> CameraModel:
        """From any object with the CameraInfo fields: rclpy or rosbags (lower-case d, k, r, p as in ROS 2, or the
        upper-case D, K, R, P of ROS 1 bags)."""

        def get(lower: str) -> Any:
            return getattr(msg, lower) if hasattr(msg, lower) else getattr(msg, lower.upper())

        roi = msg.roi
        return cls(
            width=msg.width,
            height=msg.height,
            distortion_model=msg.distortion_model,
            D=list(get("d")),
            K=list(get("k")),
            R=list(get("r")),
            P=list(get("p")),
            binning_x=msg.binning_x,
            binning_y=msg.binning_y,
            roi=RegionOfInterest(
                int(roi.x_offset), int(roi.y_offset), int(roi.height), int(roi.width), bool(roi.do_rectify)
            ),
        )

    @classmethod
    def from_intrinsics(
        cls,
        intrinsics: PinholeIntrinsics,
        baseline: float = 0.0,
        distortion_model: str = "plumb_bob",
    ) -> CameraModel:
        """An undistorted, unrectified camera (D = 0, R = I) with K = P[:, :3] from `intrinsics`, for publishing.

        `baseline` (metres) > 0 makes it the right camera of a stereo pair: P[0, 3] = -fx * baseline.
        """
        if not math.isfinite(baseline):
            raise CameraInfoError(f"baseline must be finite, got {baseline}")
        k = intrinsics.as_array()
        p = np.zeros((3, 4))
        p[:, :3] = k
        p[0, 3] = -intrinsics.fx * baseline
        return cls(
            width=intrinsics.width,
            height=intrinsics.height,
            distortion_model=distortion_model,
            D=np.zeros(DISTORTION_COEFFICIENTS.get(distortion_model, 0)),
            K=k,
            R=np.eye(3),
            P=p,
        )

    @property
    def image_size(self) -> tuple[int, int]:
        """(width, height) of the published images: the ROI (or full size) divided by the binning."""
        roi_w, roi_h = (self.width, self.height) if self.roi.is_full_image() else (self.roi.width, self.roi.height)
        return roi_w // max(1, self.binning_x), roi_h // max(1, self.binning_y)

    def _adjusted(self, matrix: np.ndarray) -> PinholeIntrinsics:
        bx, by = max(1, self.binning_x), max(1, self.binning_y)
        x0, y0 = (0, 0) if self.roi.is_full_image() else (self.roi.x_offset, self.roi.y_offset)
        width, height = self.image_size
        if width <= 0 or height <= 0:
            raise CameraInfoError(
                f"binning {self.binning_x}x{self.binning_y} leaves no pixel of the "
                f"{self.width}x{self.height} image (roi {self.roi})"
            )
        cx, cy = matrix[0, 2] - x0, matrix[1, 2] - y0
        return PinholeIntrinsics(
            fx=float(matrix[0, 0] / bx),
            fy=float(matrix[1, 1] / by),
            cx=float((cx + 0.5) / bx - 0.5),
            cy=float((cy + 0.5) / by - 0.5),
            width=width,
            height=height,
        )

    def rectified_intrinsics(self) -> PinholeIntrinsics:
        """Intrinsics of the rectified image (from P), for the published image size (binning and ROI applied)."""
        return self._adjusted(self.P)

    def raw_intrinsics(self) -> PinholeIntrinsics:
        """Intrinsics of the raw, distorted image (from K), for the published image size (binning and ROI applied).

        Only a pinhole approximation when D is not zero: undistort first for exact geometry.
        """
        return self._adjusted(self.K)

    def stereo_baseline(self) -> float:
        """-P[0, 3] / P[0, 0]: the baseline in metres for the right camera of a pair (0 for a left/mono camera)."""
        return float(-self.P[0, 3] / self.P[0, 0])

    def is_distorted(self) -> bool:
        """Whether any distortion coefficient is non-zero."""
        return bool(np.any(self.D != 0))
