"""From a camera's raw frames to training images: which camera_info describes a frame (`CameraTimeline`), and how
a frame becomes a training-size image with its intrinsics (`FrameGeometry`: undistort, crop, resize).

A camera_info whose calibration or size changes mid-bag starts a new *segment*; windows never span two segments.
"""

from __future__ import annotations

import bisect
import enum
from dataclasses import dataclass

import cv2
import numpy as np

from mono_depth_ros.core.geometry import PinholeIntrinsics
from mono_depth_ros.core.wire import CameraModel
from mono_depth_ros.data.training.errors import BagDataError

__all__ = ["CameraTimeline", "FrameGeometry", "ImageFit", "Rectify", "fitted_region", "plan_geometry"]


class ImageFit(str, enum.Enum):
    """How a frame of another aspect ratio becomes the training size."""

    RESIZE = "resize"
    """Scale the whole frame (x and y independently), as depth_node does with its input: K scales the same way."""
    CROP = "crop"
    """Cut the centred region of the training aspect ratio, then scale it (no stretching; the sides are lost)."""


class Rectify(str, enum.Enum):
    """Whether frames are undistorted with their camera_info before training."""

    AUTO = "auto"
    """Undistort when the camera_info has distortion and the topic is not already rectified (no 'rect' in it)."""
    ALWAYS = "always"
    NEVER = "never"


class CameraTimeline:
    """The distinct calibrations of a camera_info topic in time: segment k starts at the header stamp of the k-th
    change. `segment_at(stamp)` is the calibration in effect at an image's stamp (the newest at or before it)."""

    def __init__(self, stamps_ns: list[int], models: list[CameraModel]) -> None:
        order = sorted(range(len(stamps_ns)), key=lambda i: stamps_ns[i])
        self.starts_ns: list[int] = []
        self.models: list[CameraModel] = []
        for index in order:
            if not self.models or models[index] != self.models[-1]:
                self.starts_ns.append(int(stamps_ns[index]))
                self.models.append(models[index])

    def __len__(self) -> int:
        return len(self.models)

    def segment_at(self, stamp_ns: int) -> int:
        """Index of the calibration in effect at `stamp_ns`, or -1 before the first camera_info."""
        return bisect.bisect_right(self.starts_ns, int(stamp_ns)) - 1


@dataclass(frozen=True)
class FrameGeometry:
    """Turns (H, W, 3) uint8 frames of one calibration into training images; `intrinsics` is their K."""

    source_size: tuple[int, int]
    """(width, height) of the frames this applies to."""
    target_size: tuple[int, int]
    crop: tuple[int, int, int, int]
    """(left, top, width, height) of the source region that is scaled to the target size."""
    intrinsics: PinholeIntrinsics
    undistort_maps: tuple[np.ndarray, np.ndarray] | None = None

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        width, height = self.source_size
        if rgb.shape[:2] != (height, width):
            raise BagDataError(
                f"a frame is {rgb.shape[1]}x{rgb.shape[0]} but its camera_info describes {width}x{height} images"
            )
        if self.undistort_maps is not None:
            rgb = cv2.remap(rgb, *self.undistort_maps, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        left, top, crop_w, crop_h = self.crop
        region = rgb[top : top + crop_h, left : left + crop_w]
        if (crop_w, crop_h) == self.target_size:
            return np.ascontiguousarray(region)
        # Area averaging when shrinking (no aliasing), linear when enlarging.
        shrinking = crop_w >= self.target_size[0] and crop_h >= self.target_size[1]
        return cv2.resize(region, self.target_size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def _needs_undistortion(model: CameraModel, topic: str, rectify: Rectify) -> bool:
    if rectify is Rectify.NEVER or not model.is_distorted():
        return False
    return rectify is Rectify.ALWAYS or "rect" not in topic  # image_rect, image_rect_color: already undistorted


def _undistort_maps(model: CameraModel) -> tuple[np.ndarray, np.ndarray]:
    if not model.roi.is_full_image() or model.binning_x > 1 or model.binning_y > 1:
        raise BagDataError(
            f"undistorting frames with a region of interest or binning is not supported (roi {model.roi}, binning "
            f"{model.binning_x}x{model.binning_y}); record the rectified topic, or set rectify: never"
        )
    size = (model.width, model.height)
    new_k = model.P[:, :3]
    if model.distortion_model == "equidistant":
        return cv2.fisheye.initUndistortRectifyMap(model.K, model.D[:4], model.R, new_k, size, cv2.CV_32FC1)
    if model.distortion_model in ("plumb_bob", "rational_polynomial"):
        return cv2.initUndistortRectifyMap(model.K, model.D, model.R, new_k, size, cv2.CV_32FC1)
    raise BagDataError(
        f"cannot undistort the distortion model {model.distortion_model!r} (plumb_bob, rational_polynomial or "
        "equidistant); record the rectified topic, or set rectify: never"
    )


def fitted_region(source_w: int, source_h: int, width: int, height: int, fit: ImageFit) -> tuple[int, int, int, int]:
    """(left, top, width, height) of the source region scaled to `width` x `height`: the whole frame (resize), or
    the largest centred region of the training aspect ratio (crop)."""
    if ImageFit(fit) is ImageFit.RESIZE:
        return 0, 0, source_w, source_h
    crop_w = min(source_w, round(source_h * width / height))
    crop_h = min(source_h, round(source_w * height / width))
    return (source_w - crop_w) // 2, (source_h - crop_h) // 2, crop_w, crop_h


def plan_geometry(
    model: CameraModel, topic: str, width: int, height: int, fit: ImageFit, rectify: Rectify
) -> FrameGeometry:
    """How frames described by `model` on `topic` become `width` x `height` training images.

    Rectified frames (or frames without distortion) use P's intrinsics, as image_proc's output does."""
    undistort = _needs_undistortion(model, topic, rectify)
    intrinsics = model.rectified_intrinsics()
    source_w, source_h = intrinsics.width, intrinsics.height
    left, top, crop_w, crop_h = fitted_region(source_w, source_h, width, height, fit)
    resized = intrinsics.cropped(left, top, crop_w, crop_h).resized(width, height)
    return FrameGeometry(
        (source_w, source_h),
        (width, height),
        (left, top, crop_w, crop_h),
        resized,
        _undistort_maps(model) if undistort else None,
    )
