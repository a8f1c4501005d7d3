"""calibration_node's frame logic, free of rclpy: the networks, the mode's core estimator (core.scale) and what
becomes of each frame and odometry sample. The node only converts messages, calls `CalibrationPipeline.process`
and publishes the scale it returns.

Modes (`CalibrationSettings.mode`, fixed at start-up):
  odometry  The odometry's motion between the previous processed frame and this one, interpolated at both stamps
            and moved into the camera frame with `base_to_camera` (`OdometryTrack`), against (odometry_method)
            reprojection: the scale whose depth, at the network's size, best warps the previous image onto this
            one with that motion (`reprojection_scale`); or pose: the pose network's translation
            (`OdometryScaleEstimator.add`). Convention, as in training (core.training.objective):
            pose(previous, current).transform() = current_from_previous; it is inverted to previous_from_current,
            the direction of `camera_motion` (+z when driving forward). Only translation norms enter the estimate,
            and they are the same either way. A frame waits up to ODOMETRY_WAIT_S for odometry to reach its stamp.
  stereo    A rectified pair with equal stamps -> StereoSGBM depth (baseline from the right P) against the relative
            depth of the left image.
  ground    The ground plane of the relative depth at the known `camera_height`.
Relative depth is the depth network's own output with no metric factor (DepthEstimator.predict(scale=1.0)).

Bad input (no camera_info yet, an unsupported encoding, a size that disagrees with camera_info, odometry that jumps
or resets, time that goes backwards, a checkpoint that cannot be loaded) is logged once through the injected `log`
(`LogOnce`) and skipped; no scale is returned until the estimate converges. A stamp earlier than the previous
frame's (a bag that loops) starts the window over.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np
import torch

from mono_depth_ros.core.geometry import invert_transform
from mono_depth_ros.core.inference import (
    DepthEstimator,
    image_to_device,
    resolve_device,
    to_network_input,
)
from mono_depth_ros.core.models import CheckpointError, load_checkpoint
from mono_depth_ros.core.scale import (
    GroundScaleEstimator,
    OdometryTrack,
    ReprojectionFit,
    SampleVerdict,
    ScaleEstimate,
    ScaleInputError,
    StereoScaleEstimator,
    reprojection_scale,
    rotation_angle,
    stereo_baseline,
    stereo_depth,
)
from mono_depth_ros.core.wire import CameraModel, WireFormatError
from mono_depth_ros.errors import MonoDepthError
from mono_depth_ros.ros.calibration_config import (
    ESTIMATOR_PARAMETERS,
    MODEL_PARAMETERS,
    CalibrationSettings,
    checkpoint_file,
)
from mono_depth_ros.ros.depth_pipeline import camera_intrinsics
from mono_depth_ros.ros.parameters import ParameterValue

__all__ = [
    "ODOMETRY_WAIT_S",
    "REPROJECTION_RANGE",
    "REPROJECTION_SPAN",
    "CalibrationFrame",
    "CalibrationNetworks",
    "CalibrationPipeline",
    "View",
    "frame_images",
]

#: The scales (metres per relative unit) `reprojection_scale` searches: wide, since a relative model's unit is its own.
REPROJECTION_RANGE = (1e-3, 1e4)
#: Once there is an estimate, the search spans this factor either way of it first (4x cheaper); the whole range
#: when that finds nothing, so a poor first estimate cannot lock the search out.
REPROJECTION_SPAN = 8.0
ODOMETRY_WAIT_S = 0.5
"""How long a frame waits for odometry to reach its stamp (odometry often arrives after the image)."""


class OnceLog(Protocol):
    """What the pipeline logs through (`mono_depth_ros.ros.log_once.LogOnce`)."""

    def warn(self, key: str, message: str) -> bool: ...

    def error(self, key: str, message: str) -> bool: ...

    def clear(self, key: str) -> bool: ...


class CalibrationNetworks:
    """The networks a mode needs, from one checkpoint: the pose network (odometry_method pose) or the depth network
    (every other mode and method, through DepthEstimator). CheckpointError when the file cannot be loaded or lacks
    the pose network the pose method needs."""

    def __init__(self, path: Path | str, device: str, mode: str, odometry_method: str = "reprojection") -> None:
        path = checkpoint_file(str(path))
        checkpoint = load_checkpoint(path)
        self.checkpoint_path = path
        self.size = (checkpoint.input_width, checkpoint.input_height)
        self.device = resolve_device(device)
        self.depth: DepthEstimator | None = None
        self.pose = None
        if mode == "odometry" and odometry_method == "pose":
            if "pose" not in checkpoint.state_dicts:
                raise CheckpointError(
                    path, "has no pose network: odometry_method 'pose' needs one (use odometry_method reprojection)"
                )
            self.pose = checkpoint.build_networks().pose.to(self.device).eval()
        else:
            self.depth = DepthEstimator(checkpoint, device=self.device, warmup=False)

    @classmethod
    def for_settings(cls, settings: CalibrationSettings) -> CalibrationNetworks:
        return cls(settings.checkpoint, settings.device, settings.mode, settings.odometry_method)

    def network_input(self, rgb: np.ndarray) -> torch.Tensor:
        """(1, 3, h, w) float32 in [0, 1] at the network size, for the pose network or the reprojection search."""
        pixels = image_to_device(rgb, "rgb8", self.device)
        return to_network_input(pixels, "rgb8", self.size, channels_last=False)

    def motion(self, previous: torch.Tensor, current: torch.Tensor) -> np.ndarray:
        """previous_from_current (4, 4) float64 in relative units (see the module docstring for the convention)."""
        with torch.inference_mode():
            current_from_previous = self.pose(previous, current).transform()[0].double()
            return invert_transform(current_from_previous).cpu().numpy()

    def relative_depth(self, rgb: np.ndarray, resolution: str = "input") -> np.ndarray:
        """(H, W) float32 relative depth at the image's size ("input") or (h, w) at the network's ("network"): the
        network's depth, no metric factor."""
        return self.depth.predict(rgb, encoding="rgb8", scale=1.0, resolution=resolution).relative_depth.copy()


class View(NamedTuple):
    """One image of a frame, decoded only when the frame is processed."""

    decode: Callable[[], np.ndarray]
    """The (H, W, 3) uint8 RGB image; raises WireFormatError when it cannot be decoded."""
    camera: CameraModel | None
    """The latest camera_info when the image arrived (None before any)."""
    name: str
    """"" for a single camera, "left/" or "right/" for a stereo pair (how log messages call it)."""


class CalibrationFrame(NamedTuple):
    """One input: a single image, or a stereo pair (left first), with its stamp in seconds."""

    stamp: float
    views: tuple[View, ...]


def frame_images(views: Sequence[View], log: OnceLog) -> list[np.ndarray] | None:
    """The RGB image of each view, checked against its camera; None when one cannot be used (logged once)."""
    images = []
    for view in views:
        name, camera = view.name, view.camera
        if camera is None:
            log.warn(f"camera_info:{name}", f"waiting for {name}camera_info: nothing is estimated yet")
            return None
        try:
            rgb = view.decode()
        except WireFormatError as exc:
            log.warn(f"decode:{type(exc).__name__}", f"skipping images that cannot be used: {exc}")
            return None
        if (rgb.shape[1], rgb.shape[0]) != camera.image_size:
            log.warn(
                f"size:{name}", f"skipping a {rgb.shape[1]}x{rgb.shape[0]} {name}image: {name}camera_info "
                f"describes {camera.image_size[0]}x{camera.image_size[1]}"
            )  # fmt: skip
            return None
        images.append(rgb)
    return images


class CalibrationPipeline:
    """The state between frames (networks, estimator, previous frame, odometry track) and what each frame does to
    the estimate. Thread-safe: frames (the worker), odometry (a callback) and parameter changes may interleave.

    Counters: `verdicts` (what became of each sample: "used" or why not; odometry problems as "odom_<verdict>").
    """

    def __init__(self, settings: CalibrationSettings, log: OnceLog) -> None:
        self._log = log
        self._lock = threading.RLock()  # estimator, networks and frame state: the worker vs parameter changes
        self._odometry = threading.Condition()  # the track: odometry callbacks vs a frame waiting for its stamp
        self.settings = settings
        self.estimator = settings.make_estimator()
        self._base_from_camera = settings.base_from_camera()
        self.networks: CalibrationNetworks | None = None
        self.model_problem: str | None = None
        self._load(settings)
        self.track = OdometryTrack()
        self._previous: tuple[float, torch.Tensor] | None = None
        self._last_stamp: float | None = None
        self.estimate: ScaleEstimate | None = None
        self.frozen = False
        self.verdicts: Counter[str] = Counter()

    def _load(self, settings: CalibrationSettings) -> None:
        """Load the networks at start-up: no checkpoint named is a configuration error (ParameterError: the node
        does not start), one that does not load is logged and survived (a valid `checkpoint` set later loads)."""
        checkpoint_file(settings.checkpoint)
        try:
            self.networks = CalibrationNetworks.for_settings(settings)
        except MonoDepthError as exc:
            self.model_problem = str(exc)
            self._log.error("model", f"no model, nothing is estimated: {exc}")

    def status(self) -> tuple[str, ScaleEstimate | None]:
        """(state: no_model, frozen, converged or collecting; the current estimate)."""
        estimate = self.estimate
        if self.networks is None:
            return "no_model", estimate
        if estimate is not None and estimate.converged:
            return ("frozen" if self.frozen else "converged"), estimate
        return "collecting", estimate

    def add_odometry(self, stamp: float, odom_from_base: np.ndarray) -> SampleVerdict:
        """Add one odometry pose (4, 4) to the track; a reset, jump or bad sample is counted and logged once."""
        with self._odometry:
            verdict = self.track.add(stamp, odom_from_base)
            self._odometry.notify_all()
        if verdict is not SampleVerdict.USED:
            self.verdicts[f"odom_{verdict.value}"] += 1
            self._log.warn(
                f"odom:{verdict.value}",
                f"odometry {verdict.value.replace('_', ' ')} at {stamp:.3f} s: no motion is measured across it",
            )
        return verdict

    def apply(self, changes: dict[str, ParameterValue]) -> str | None:
        """Apply accepted parameter changes (for ParameterGuard); the reason when they cannot be (nothing changes)."""
        try:
            settings = self.settings.with_changes(changes)
            reload = not MODEL_PARAMETERS.isdisjoint(changes)
            networks = CalibrationNetworks.for_settings(settings) if reload else None
            estimator = settings.make_estimator() if not ESTIMATOR_PARAMETERS.isdisjoint(changes) else None
        except MonoDepthError as exc:
            return str(exc)
        with self._lock:
            self.settings = settings
            if networks is not None:
                self.networks, self.model_problem = networks, None
                self._log.clear("model")
            if estimator is not None:
                self.estimator, self._base_from_camera = estimator, settings.base_from_camera()
                self.reset()
            if not settings.freeze_when_converged:
                self.frozen = False
        return None

    def process(self, frame: CalibrationFrame) -> float | None:
        """Feed the estimator `frame`; the scale to publish (each new converged estimate), else None."""
        with self._lock:
            if self.frozen:
                return None
            if self._last_stamp is not None and frame.stamp < self._last_stamp:
                self._log.warn(
                    "time", f"time went back {self._last_stamp - frame.stamp:.3f} s (a bag loop?): starting over"
                )
                self.reset()
            self._last_stamp = frame.stamp
            images = frame_images(frame.views, self._log)
            if images is None:
                return None
            if self.networks is None:
                self._log.error("model", f"no model, nothing is estimated: {self.model_problem}")
                return None
            verdict = self._sample(frame, images)
            if verdict is None:
                return None
            self.verdicts[verdict] += 1
            self.estimate = self.estimator.estimate()
            if verdict != "used" or not self.estimate.converged:
                return None
            self.frozen = self.settings.freeze_when_converged
            return float(self.estimate.scale)

    def reset(self) -> None:
        """Start the estimate over (a published scale stays latched)."""
        with self._lock:
            self.estimator.clear()
            self._previous = None
            self.estimate = None
            self.frozen = False

    def _sample(self, frame: CalibrationFrame, images: list[np.ndarray]) -> str | None:
        """Feed the estimator one sample; what became of it ("used", or why not), None when nothing was tried."""
        networks, estimator, camera = self.networks, self.estimator, frame.views[0].camera
        if isinstance(estimator, GroundScaleEstimator):
            camera_matrix = camera_intrinsics(camera)[0].as_array()
            return "used" if estimator.add(networks.relative_depth(images[0]), camera_matrix) else "no_ground_plane"
        if isinstance(estimator, StereoScaleEstimator):
            try:
                baseline = stereo_baseline(frame.views[1].camera.P)
            except ScaleInputError as exc:
                self._log.warn("baseline", f"skipping stereo pairs: {exc}")
                return None
            metric = stereo_depth(images[0], images[1], camera_intrinsics(camera)[0].fx, baseline)
            return "used" if estimator.add(metric, networks.relative_depth(images[0])) else "too_few_stereo_pixels"
        return self._odometry_sample(frame.stamp, images[0], camera)

    def _odometry_sample(self, stamp: float, rgb: np.ndarray, camera: CameraModel) -> str | None:
        current = self.networks.network_input(rgb)
        previous, self._previous = self._previous, (stamp, current)
        if previous is None:
            return None
        with self._odometry:
            self._odometry.wait_for(lambda: (self.track.newest_stamp or -np.inf) >= stamp, ODOMETRY_WAIT_S)
            motion = self.track.motion(previous[0], stamp, self._base_from_camera)
        if motion is None:
            self._log.warn("no_odometry", "frames without odometry covering them (none yet, late, or a reset or jump "
                           "in between) are skipped")  # fmt: skip
            return "no_odometry"
        self._log.clear("no_odometry")
        interval, angle = stamp - previous[0], rotation_angle(motion)
        if self.settings.odometry_method == "pose":
            network = self.networks.motion(previous[1], current)
            return self.estimator.add(stamp, network[:3, 3], motion[:3, 3], interval_s=interval, rotation=angle).value
        verdict = self.estimator.check_motion(stamp, motion[:3, 3], interval_s=interval, rotation=angle)
        if verdict is not SampleVerdict.USED:
            return verdict.value
        fit = self._reprojection_fit(rgb, camera, previous[1], current, motion)
        return "no_reprojection_fit" if fit is None else self.estimator.add_scale(fit.scale).value

    def _reprojection_fit(
        self, rgb: np.ndarray, camera: CameraModel, previous: torch.Tensor, current: torch.Tensor, motion: np.ndarray
    ) -> ReprojectionFit | None:
        """`reprojection_scale` at the network's size: previous and current (1, 3, h, w) network inputs, the
        current image's relative depth at that size, K resized alike; near the estimate first, then everywhere."""
        height, width = current.shape[-2:]
        arguments = (
            current[0],
            previous[0],
            torch.from_numpy(self.networks.relative_depth(rgb, resolution="network")).to(current.device),
            torch.from_numpy(motion),
            camera_intrinsics(camera)[0].resized(width, height).matrix(device=current.device),
        )
        ranges = [REPROJECTION_RANGE]
        if self.estimate is not None:
            ranges.insert(0, (self.estimate.scale / REPROJECTION_SPAN, self.estimate.scale * REPROJECTION_SPAN))
        for low, high in ranges:
            fit = reprojection_scale(*arguments, low=low, high=high)
            if fit is not None:
                return fit
        return None
