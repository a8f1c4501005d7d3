"""calibration_node: estimates online the one scale that makes the network's relative depth metric, and publishes it
on `depth_scale` (std_msgs/Float64, reliable + transient local) once its uncertainty is small; state on
`/diagnostics` (shared/DESIGN.md sections 2 and 4).

Inputs per mode (parameter `mode`, fixed at start-up; `input_qos`, sensor data by default; the newest frame wins):
  odometry  `image`, `camera_info`, `odom` (nav_msgs/Odometry). Odometry keeps a deeper (best-effort) history than
            images: every sample counts for interpolation.
  stereo    `left/image`, `left/camera_info`, `right/image`, `right/camera_info`: a rectified pair with equal stamps.
  ground    `image`, `camera_info`.
With `image_transport` compressed, every `image` is `image/compressed`. What each mode estimates from them is
calibration_pipeline's (ROS-free); the parameters and settings are calibration_config's.

A thin adapter: callbacks rate-limit (`rate_hz`) and hand the newest input to a `LatestWorker`; the worker runs
`CalibrationPipeline` (decoding checks, networks, core estimator) and publishes each new converged scale. Parameter
changes go through `ParameterGuard` to the pipeline. Bad input is logged once and skipped; nothing is published
until the estimate converges.
"""

from __future__ import annotations

import threading
import time
from functools import partial

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from nav_msgs.msg import Odometry
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Float64, Header

from mono_depth_ros.core.scale import ScaleEstimate
from mono_depth_ros.core.wire import CameraModel, WireFormatError
from mono_depth_ros.ros.calibration_config import (
    CALIBRATION_PARAMETERS,
    CalibrationSettings,
    Estimator,
    pose_matrix,
)
from mono_depth_ros.ros.calibration_pipeline import CalibrationFrame, CalibrationNetworks, CalibrationPipeline, View
from mono_depth_ros.ros.conversions import camera_info_to_model, image_to_rgb
from mono_depth_ros.ros.diagnostics import DiagnosticLevel, diagnostic_array, diagnostics_timer
from mono_depth_ros.ros.log_once import LogOnce
from mono_depth_ros.ros.parameters import ParameterGuard, declare_parameters
from mono_depth_ros.ros.qos import latched_qos, qos_by_name, reliable_qos
from mono_depth_ros.ros.worker import LatestWorker

__all__ = ["CalibrationNode", "make_calibration_node", "odometry_pose", "stamp_seconds"]

ODOMETRY_HISTORY = 100
STEREO_SYNC_S = 1e-3
STOP_TIMEOUT_S = 10.0
_LEVELS = {
    "no_model": DiagnosticLevel.ERROR,
    "collecting": DiagnosticLevel.WARN,
    "converged": DiagnosticLevel.OK,
    "frozen": DiagnosticLevel.OK,
}


def stamp_seconds(header: Header) -> float:
    return int(header.stamp.sec) + int(header.stamp.nanosec) * 1e-9


def odometry_pose(msg: Odometry) -> np.ndarray:
    """odom_from_base (4, 4) of an Odometry message (a zero quaternion gives NaN: the track refuses the sample)."""
    position, q = msg.pose.pose.position, msg.pose.pose.orientation
    return pose_matrix([position.x, position.y, position.z, q.x, q.y, q.z, q.w])


class CalibrationNode(Node):
    """The calibration node; `**node_options` go to rclpy's Node (context, parameter_overrides, ...)."""

    def __init__(self, name: str = "calibration_node", **node_options: object) -> None:
        super().__init__(name, **node_options)
        self._log = LogOnce(self.get_logger())
        settings = CalibrationSettings.from_values(declare_parameters(self, CALIBRATION_PARAMETERS))
        self.pipeline = CalibrationPipeline(settings, self._log)
        self.track, self.verdicts = self.pipeline.track, self.pipeline.verdicts
        self._pairing = threading.Lock()  # the stereo images waiting for their partner
        self._last_accepted = -float("inf")
        self._cameras: dict[str, CameraModel] = {}
        self._stereo: dict[str, Image | CompressedImage] = {}
        self.published = 0

        self._scale_pub = self.create_publisher(Float64, "depth_scale", latched_qos())
        self._diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", reliable_qos())
        qos, group = qos_by_name(settings.input_qos), MutuallyExclusiveCallbackGroup()
        compressed = settings.image_transport == "compressed"
        image_type, suffix = (CompressedImage, "image/compressed") if compressed else (Image, "image")
        for prefix in ("left/", "right/") if settings.mode == "stereo" else ("",):
            on_info = partial(self._on_camera_info, prefix)
            self.create_subscription(CameraInfo, f"{prefix}camera_info", on_info, qos, callback_group=group)
            on_image = partial(self._on_image, prefix)
            self.create_subscription(image_type, prefix + suffix, on_image, qos, callback_group=group)
        if settings.mode == "odometry":
            history = qos_by_name(settings.input_qos, ODOMETRY_HISTORY)
            self.create_subscription(Odometry, "odom", self._on_odometry, history, callback_group=group)
        self.worker: LatestWorker[CalibrationFrame] = LatestWorker(self._process, f"{name}-estimate", self._on_error)
        self._guard = ParameterGuard(self, CALIBRATION_PARAMETERS, self.pipeline.apply)
        diagnostics_timer(self, self.publish_diagnostics)

    @property
    def settings(self) -> CalibrationSettings:
        return self.pipeline.settings

    @property
    def networks(self) -> CalibrationNetworks | None:
        return self.pipeline.networks

    @property
    def estimate(self) -> ScaleEstimate | None:
        return self.pipeline.estimate

    @property
    def frozen(self) -> bool:
        return self.pipeline.frozen

    @property
    def _estimator(self) -> Estimator:
        return self.pipeline.estimator

    def destroy_node(self) -> None:
        self.worker.stop(STOP_TIMEOUT_S)
        super().destroy_node()

    # Callbacks (executor threads) ------------------------------------------------------------------------------

    def _on_camera_info(self, prefix: str, msg: CameraInfo) -> None:
        try:
            self._cameras[prefix] = camera_info_to_model(msg)
            self._log.clear(f"camera_info:{prefix}")
        except WireFormatError as exc:
            self._log.warn(f"camera_info:{prefix}", f"ignoring {prefix}camera_info: {exc}")

    def _on_image(self, prefix: str, msg: Image | CompressedImage) -> None:
        if self.pipeline.frozen:
            return
        if prefix == "":
            self._submit(CalibrationFrame(stamp_seconds(msg.header), (self._view(msg, ""),)))
            return
        with self._pairing:
            self._stereo[prefix] = msg
            left, right = self._stereo.get("left/"), self._stereo.get("right/")
            if left is None or right is None:
                return
            if abs(stamp_seconds(left.header) - stamp_seconds(right.header)) > STEREO_SYNC_S:
                return
            self._stereo.clear()
        views = (self._view(left, "left/"), self._view(right, "right/"))
        self._submit(CalibrationFrame(stamp_seconds(left.header), views))

    def _view(self, msg: Image | CompressedImage, prefix: str) -> View:
        """The image decoded lazily (on the worker), with the latest camera_info of its prefix."""
        return View(partial(image_to_rgb, msg), self._cameras.get(prefix), prefix)

    def _submit(self, frame: CalibrationFrame) -> None:
        now = time.monotonic()
        if now - self._last_accepted < 1.0 / self.pipeline.settings.rate_hz:
            return
        self._last_accepted = now
        self.worker.submit(frame)

    def _on_odometry(self, msg: Odometry) -> None:
        self.pipeline.add_odometry(stamp_seconds(msg.header), odometry_pose(msg))

    # The worker thread -----------------------------------------------------------------------------------------

    def _process(self, frame: CalibrationFrame) -> None:
        scale = self.pipeline.process(frame)
        # Each new converged estimate is published (the transient-local topic keeps the last).
        if scale is not None:
            self._scale_pub.publish(Float64(data=scale))
            self.published += 1

    def _on_error(self, exc: BaseException) -> None:
        self._log.error(f"error:{type(exc).__name__}", f"a frame failed and was skipped: {type(exc).__name__}: {exc}")

    def publish_diagnostics(self) -> None:
        settings = self.pipeline.settings
        state, estimate = self.pipeline.status()
        values = {
            "state": state,
            "mode": settings.mode,
            "scale": None if estimate is None else estimate.scale,
            "relative_uncertainty": None if estimate is None else estimate.relative_uncertainty,
            "samples": 0 if estimate is None else estimate.samples,
            "published": self.published,
            "frames_processed": self.worker.processed,
            "frames_dropped": self.worker.dropped,
            "frames_failed": self.worker.failed,
            **{f"count_{key}": count for key, count in sorted(self.verdicts.items())},
            "checkpoint": settings.checkpoint,
        }
        message = f"no_model: {self.pipeline.model_problem}" if state == "no_model" else state
        status = diagnostic_array(self, f"{self.get_name()}: scale", _LEVELS[state], message, values)
        self._diagnostics_pub.publish(status)


def make_calibration_node(args: list[str] | None = None) -> CalibrationNode:
    """The node factory for `run_node` (parameters and remappings come from the --ros-args rclpy.init parsed)."""
    del args
    return CalibrationNode()
