"""depth_node's frame logic, free of rclpy: which model and scale apply, whether a frame can be used, and the
prediction for it. The node only converts messages, calls `DepthPipeline.run` and publishes.

Scale (parameter `scale_source`; never relative depth published as metres):
  topic     the latest valid `depth_scale`; before one arrived, a checkpoint that is metric by itself (stereo,
            global factor, per-image network) uses its own scale, a relative-only one publishes nothing (logged
            once: "waiting for depth_scale").
  fixed     the `scale` parameter.
  baseline  a stereo-trained checkpoint rescaled by real / training baseline, the real one from the latest
            `right/camera_info` (baseline = -P[0,3] / P[0,0]); nothing is published before one arrived.
  model     what the checkpoint carries; refused for a checkpoint that carries nothing.
Bad input (an encoding the network cannot take, an image whose size disagrees with camera_info, no camera_info yet,
a non-positive or non-finite scale) is skipped and logged once per kind for the node's life, through the injected
`log` (`LogOnce`): a stream where every other frame is bad must not flood the log; `skip_reason` and the node's
diagnostics say what is happening now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np

from mono_depth_ros.core.geometry import PinholeIntrinsics
from mono_depth_ros.core.inference import ENCODINGS, DepthEstimator, DepthPrediction
from mono_depth_ros.core.models import Checkpoint, ScaleSource, load_checkpoint
from mono_depth_ros.core.numbers import is_positive_number
from mono_depth_ros.core.wire import CameraModel, UnsupportedEncodingError, image_to_rgb8
from mono_depth_ros.ros.depth_config import DepthSettings, ScaleMode
from mono_depth_ros.ros.errors import ParameterError

__all__ = [
    "ActiveModel",
    "DepthPipeline",
    "Frame",
    "ScaleChoice",
    "build_model",
    "camera_intrinsics",
    "choose_scale",
    "estimator_input",
    "scale_mode_problem",
]


class OnceLog(Protocol):
    """What the pipeline logs through (`mono_depth_ros.ros.log_once.LogOnce`)."""

    def warn(self, key: str, message: str) -> bool: ...


class ScaleChoice(NamedTuple):
    """The `scale` and `real_baseline` for DepthEstimator.predict, or `waiting` (why nothing can be published)."""

    scale: float | None = None
    real_baseline: float | None = None
    waiting: str | None = None


def scale_mode_problem(mode: ScaleMode, checkpoint: Checkpoint) -> str | None:
    """Why `mode` cannot work with `checkpoint` (naming both), or None."""
    source = checkpoint.metric_scale.source
    where = f"checkpoint {checkpoint.path}" if checkpoint.path is not None else "the checkpoint"
    if mode is ScaleMode.BASELINE and (source is not ScaleSource.STEREO or checkpoint.stereo_baseline is None):
        return (
            f"scale_source 'baseline' needs a stereo-trained checkpoint (metric scale source 'stereo' with a "
            f"training baseline), but {where} has source {source.value!r}"
        )
    if mode is ScaleMode.MODEL and source is ScaleSource.NONE:
        return (
            f"scale_source 'model' needs a checkpoint that carries a metric scale (stereo, global or per_image), "
            f"but {where} has none; use topic, fixed or baseline"
        )
    return None


def choose_scale(
    mode: ScaleMode,
    checkpoint: Checkpoint,
    *,
    topic_scale: float | None,
    fixed_scale: float,
    right_baseline: float | None,
) -> ScaleChoice:
    """The scale of the next prediction (see the module docstring)."""
    if mode is ScaleMode.FIXED:
        return ScaleChoice(scale=fixed_scale)
    if mode is ScaleMode.MODEL:
        return ScaleChoice()
    if mode is ScaleMode.BASELINE:
        if right_baseline is None:
            return ScaleChoice(waiting="waiting for right/camera_info (scale_source 'baseline' reads the baseline)")
        return ScaleChoice(real_baseline=right_baseline)
    if topic_scale is not None:
        return ScaleChoice(scale=topic_scale)
    if checkpoint.metric_scale.source is ScaleSource.NONE:
        return ScaleChoice(waiting="waiting for depth_scale (the model is relative-only: nothing is published yet)")
    return ScaleChoice()  # the checkpoint's own metric scale until the calibration's arrives


def estimator_input(pixels: np.ndarray, encoding: str) -> tuple[np.ndarray, str]:
    """(pixels, encoding) the estimator takes: as is for its encodings, else converted to rgb8 (mono16, rgb16,
    ...); UnsupportedEncodingError for encodings without a colour meaning (32FC1, 8UC3, ...)."""
    if encoding in ENCODINGS:
        return pixels, encoding
    return image_to_rgb8(pixels, encoding), "rgb8"


def camera_intrinsics(camera: CameraModel) -> tuple[PinholeIntrinsics, bool]:
    """(intrinsics of the published image, whether they only approximate a distorted camera).

    An undistorted camera's image is the rectified one: P. A distorted camera's image is raw: K, a pinhole
    approximation (rectify the image, e.g. with image_proc, for exact points)."""
    if camera.is_distorted():
        return camera.raw_intrinsics(), True
    return camera.rectified_intrinsics(), False


@dataclass(frozen=True)
class ActiveModel:
    """The estimator and the settings it runs with; replaced as a whole, so a frame never mixes two."""

    settings: DepthSettings
    estimator: DepthEstimator


def build_model(settings: DepthSettings) -> ActiveModel:
    """Load the checkpoint `settings` names and build its estimator; CheckpointError when it cannot be loaded,
    ParameterError when none is named or it does not fit `scale_source`."""
    path = settings.checkpoint_path
    if path is None:
        raise ParameterError(
            "parameter 'checkpoint' is empty: name a mono_depth_ros checkpoint (--ros-args -p checkpoint:=model.pt)"
        )
    checkpoint = load_checkpoint(path)
    problem = scale_mode_problem(settings.scale_source, checkpoint)
    if problem is not None:
        raise ParameterError(problem)
    size = None
    if settings.input_width or settings.input_height:
        size = (settings.input_width or checkpoint.input_width, settings.input_height or checkpoint.input_height)
    estimator = DepthEstimator(
        checkpoint,
        device=settings.device,
        precision=settings.precision,
        input_size=size,
        flip_postprocess=settings.flip_postprocess,
        min_depth=settings.min_depth,
        max_depth=settings.max_depth,
    )
    return ActiveModel(settings, estimator)


@dataclass(frozen=True)
class Frame:
    """One decoded input image and the camera it was taken with (None before any camera_info)."""

    pixels: np.ndarray
    encoding: str
    stamp_ns: int
    camera: CameraModel | None


class DepthPipeline:
    """The state between frames (model, scales, last stamp) and the per-frame decision and prediction."""

    def __init__(self, model: ActiveModel, log: OnceLog) -> None:
        self._model = model
        self._log = log
        self.topic_scale: float | None = None
        self.right_baseline: float | None = None
        self.last_stamp_ns: int | None = None
        self.rejected_scales = 0
        self.skip_reason: str | None = None
        """Why the last frame was not used (None: it was), for diagnostics."""

    @property
    def model(self) -> ActiveModel:
        return self._model

    def swap(self, model: ActiveModel) -> None:
        """Use `model` from the next frame on (the frame being processed finishes with the old one)."""
        problem = scale_mode_problem(model.settings.scale_source, model.estimator.checkpoint)
        if problem is not None:
            raise ParameterError(problem)
        self._model = model

    def set_topic_scale(self, value: object) -> bool:
        """Take a `depth_scale` value; a non-positive or non-finite one is logged once and ignored (the previous
        valid one stays). Whether it was taken."""
        if not is_positive_number(value):
            self.rejected_scales += 1
            self._log.warn("depth_scale", f"ignoring depth_scale {value!r}: a scale must be a positive finite number")
            return False
        self.topic_scale = float(value)
        return True

    def set_right_camera(self, camera: CameraModel) -> bool:
        """Take the right camera of a stereo pair (its baseline); one without a positive baseline is logged once and
        ignored. Whether it was taken."""
        baseline = camera.stereo_baseline()
        if not is_positive_number(baseline):
            self._log.warn(
                "right_camera_info",
                f"ignoring right/camera_info: baseline -P[0,3]/P[0,0] is {baseline!r}, it must be positive "
                "(is it the right camera of the pair?)",
            )
            return False
        self.right_baseline = baseline
        return True

    def run(self, frame: Frame) -> tuple[DepthPrediction, DepthSettings] | None:
        """The prediction for `frame` and the settings it was made with, or None when the frame cannot be used
        (the reason is logged once)."""
        model = self._model  # one read: a swap takes effect at the next frame
        settings, estimator = model.settings, model.estimator
        self._note_stamp(frame.stamp_ns)
        if frame.camera is None:
            return self._skip("camera_info", "waiting for camera_info: nothing is published until one arrives")
        try:
            pixels, encoding = estimator_input(frame.pixels, frame.encoding)
        except UnsupportedEncodingError as exc:
            return self._skip(f"encoding:{frame.encoding}", f"skipping images of encoding {frame.encoding!r}: {exc}")
        height, width = int(pixels.shape[0]), int(pixels.shape[1])
        if (width, height) != frame.camera.image_size:
            camera_width, camera_height = frame.camera.image_size
            return self._skip(
                "size",
                f"skipping a {width}x{height} image: camera_info describes {camera_width}x{camera_height} images",
            )
        choice = choose_scale(
            settings.scale_source,
            estimator.checkpoint,
            topic_scale=self.topic_scale,
            fixed_scale=settings.scale,
            right_baseline=self.right_baseline,
        )
        if choice.waiting is not None:
            return self._skip(f"waiting:{settings.scale_source.value}", choice.waiting)
        intrinsics, approximate = camera_intrinsics(frame.camera)
        if approximate:
            self._log.warn(
                "distortion",
                "camera_info has distortion: points use K as a pinhole approximation (rectify the image for exact "
                "geometry)",
            )
        prediction = estimator.predict(
            pixels,
            encoding=encoding,
            intrinsics=intrinsics,
            scale=choice.scale,
            real_baseline=choice.real_baseline,
            points=settings.publish_points,
            points_stride=settings.points_stride,
            points_rgb=settings.points_rgb,
        )
        self.skip_reason = None
        return prediction, settings

    def _skip(self, key: str, message: str) -> None:
        self.skip_reason = message
        self._log.warn(key, message)

    def _note_stamp(self, stamp_ns: int) -> None:
        last, self.last_stamp_ns = self.last_stamp_ns, stamp_ns
        if last is not None and stamp_ns < last:
            self._log.warn(
                "time_backwards",
                f"input time went backwards by {(last - stamp_ns) / 1e9:.3f} s (a bag loop?): carrying on with the new "
                "stamps",
            )
