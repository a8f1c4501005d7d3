"""depth_node: camera image (+ camera_info) in; metric depth (32FC1, metres, NaN invalid), its camera_info and a
PointCloud2 out, all with the input image's header (shared/DESIGN.md section 4).

A thin adapter: callbacks only hand the newest image to a `LatestWorker` (a frame arriving while one is processed
replaces the waiting one; nothing queues), and the worker decodes it, runs `DepthPipeline` (ROS-free: model, scale,
checks) and publishes. Parameter changes go through `ParameterGuard`; a change of the checkpoint or of another
estimator setting builds a new estimator in the parameter callback and swaps it in between frames (a failure keeps
the old one and is the parameter-set result's reason). See depth_pipeline for what is published before a scale is
known.
"""

from __future__ import annotations

import time
from typing import NamedTuple

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, CompressedImage, Image, PointCloud2
from std_msgs.msg import Float64

from mono_depth_ros.core.wire import CameraModel, WireFormatError, stamp_ns
from mono_depth_ros.errors import MonoDepthError
from mono_depth_ros.ros.conversions import (
    camera_info_to_model,
    camera_model_to_camera_info,
    cloud_to_pointcloud2,
    compressed_image_to_numpy,
    copy_header,
    depth_to_image,
    image_to_numpy,
)
from mono_depth_ros.ros.depth_config import DEPTH_PARAMETERS, ESTIMATOR_PARAMETERS, DepthSettings
from mono_depth_ros.ros.depth_pipeline import ActiveModel, DepthPipeline, Frame, build_model
from mono_depth_ros.ros.diagnostics import (
    DIAGNOSTICS_PERIOD_S,
    DiagnosticLevel,
    MedianWindow,
    RateMeter,
    diagnostic_array,
    diagnostics_timer,
)
from mono_depth_ros.ros.log_once import LogOnce
from mono_depth_ros.ros.parameters import ParameterGuard, ParameterValue, declare_parameters
from mono_depth_ros.ros.qos import latched_qos, qos_by_name, reliable_qos
from mono_depth_ros.ros.worker import LatestWorker

__all__ = ["DIAGNOSTICS_PERIOD_S", "DepthNode", "make_depth_node"]

STOP_TIMEOUT_S = 10.0


class _Pending(NamedTuple):
    message: Image | CompressedImage
    camera: CameraModel | None
    received_s: float


class DepthNode(Node):
    """The depth node; `**node_options` go to rclpy's Node (context, parameter_overrides, ...)."""

    def __init__(self, name: str = "depth_node", **node_options: object) -> None:
        super().__init__(name, **node_options)
        self._log = LogOnce(self.get_logger())
        settings = DepthSettings.from_values(declare_parameters(self, DEPTH_PARAMETERS))
        self._pipeline = DepthPipeline(build_model(settings), self._log)
        self._report_model(self._pipeline.model)
        self._camera: CameraModel | None = None
        self.input_rate, self.output_rate = RateMeter(), RateMeter()
        # Arrival -> published, dequeued -> published, and the estimator alone (seconds).
        self.latency_s, self.service_s, self.predict_s = MedianWindow(), MedianWindow(), MedianWindow()
        self.last_scale: tuple[float, str] | None = None

        out_qos, in_qos = qos_by_name(settings.output_qos), qos_by_name(settings.input_qos)
        self._depth_pub = self.create_publisher(Image, "depth/image", out_qos)
        self._info_pub = self.create_publisher(CameraInfo, "depth/camera_info", out_qos)
        self._points_pub = self.create_publisher(PointCloud2, "points", out_qos)
        self._diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", reliable_qos())
        # Input callbacks in their own group: a slow parameter change (a model load) never holds them up.
        inputs = MutuallyExclusiveCallbackGroup()
        if settings.image_transport == "compressed":
            self.create_subscription(CompressedImage, "image/compressed", self._on_image, in_qos, callback_group=inputs)
        else:
            self.create_subscription(Image, "image", self._on_image, in_qos, callback_group=inputs)
        self.create_subscription(CameraInfo, "camera_info", self._on_camera_info, in_qos, callback_group=inputs)
        self.create_subscription(CameraInfo, "right/camera_info", self._on_right_info, in_qos, callback_group=inputs)
        self.create_subscription(Float64, "depth_scale", self._on_scale, latched_qos(), callback_group=inputs)
        self._worker: LatestWorker[_Pending] = LatestWorker(self._process, f"{name}-inference", self._on_error)
        self._guard = ParameterGuard(self, DEPTH_PARAMETERS, self._apply)
        diagnostics_timer(self, self._publish_diagnostics)

    @property
    def worker(self) -> LatestWorker[_Pending]:
        return self._worker

    @property
    def pipeline(self) -> DepthPipeline:
        return self._pipeline

    @property
    def camera(self) -> CameraModel | None:
        """The latest valid camera_info (None before one arrived)."""
        return self._camera

    def destroy_node(self) -> None:
        self._worker.stop(STOP_TIMEOUT_S)
        super().destroy_node()

    # ------------------------------------------------------------------------------------------------------------
    # Callbacks (executor threads): take the message, never wait for the network.

    def _on_image(self, msg: Image | CompressedImage) -> None:
        now = time.monotonic()
        self.input_rate.tick(now)
        self._worker.submit(_Pending(msg, self._camera, now))

    def _on_camera_info(self, msg: CameraInfo) -> None:
        try:
            self._camera = camera_info_to_model(msg)
        except WireFormatError as exc:
            self._log.warn("camera_info_invalid", f"ignoring camera_info: {exc}")

    def _on_right_info(self, msg: CameraInfo) -> None:
        try:
            self._pipeline.set_right_camera(camera_info_to_model(msg))
        except WireFormatError as exc:
            self._log.warn("right_camera_info", f"ignoring right/camera_info: {exc}")

    def _on_scale(self, msg: Float64) -> None:
        self._pipeline.set_topic_scale(msg.data)

    def _apply(self, changes: dict[str, ParameterValue]) -> str | None:
        """Apply accepted parameter changes; the reason when they cannot be (the old model stays)."""
        current = self._pipeline.model
        try:
            settings = current.settings.with_changes(changes)
            rebuild = not ESTIMATOR_PARAMETERS.isdisjoint(changes)
            model = build_model(settings) if rebuild else ActiveModel(settings, current.estimator)
            self._pipeline.swap(model)
        except MonoDepthError as exc:
            return str(exc)
        if rebuild:
            self._report_model(model)
        return None

    # ------------------------------------------------------------------------------------------------------------
    # The worker thread.

    def _process(self, pending: _Pending) -> None:
        dequeued = time.monotonic()
        msg = pending.message
        try:
            if isinstance(msg, CompressedImage):
                pixels, encoding = compressed_image_to_numpy(msg)
            else:
                pixels, encoding = image_to_numpy(msg), msg.encoding
        except WireFormatError as exc:
            self._log.warn(f"decode:{type(exc).__name__}", f"skipping an image that cannot be decoded: {exc}")
            return
        started = time.monotonic()
        result = self._pipeline.run(Frame(pixels, encoding, stamp_ns(msg.header), pending.camera))
        if result is None:
            return
        prediction, _ = result
        self.predict_s.add(time.monotonic() - started)
        header = copy_header(msg.header)
        self._depth_pub.publish(depth_to_image(prediction.metric_depth, header))
        self._info_pub.publish(camera_model_to_camera_info(pending.camera, header))
        if prediction.cloud is not None and prediction.cloud_fields is not None:
            self._points_pub.publish(cloud_to_pointcloud2(prediction.cloud, prediction.cloud_fields, header))
        done = time.monotonic()
        self.output_rate.tick(done)
        self.latency_s.add(done - pending.received_s)
        self.service_s.add(done - dequeued)
        self.last_scale = (prediction.scale, prediction.scale_origin.value)

    def _on_error(self, exc: BaseException) -> None:
        self._log.error(f"error:{type(exc).__name__}", f"a frame failed and was skipped: {type(exc).__name__}: {exc}")

    # ------------------------------------------------------------------------------------------------------------

    def _report_model(self, model: ActiveModel) -> None:
        estimator = model.estimator
        width, height = estimator.network_size
        self.get_logger().info(
            f"model {model.settings.checkpoint} on {estimator.device} ({estimator.effective_precision}, "
            f"{width}x{height}), scale_source {model.settings.scale_source.value}"
        )
        for warning in estimator.warnings:
            self._log.warn(f"estimator:{warning}", warning)

    def _publish_diagnostics(self) -> None:
        now = time.monotonic()
        model = self._pipeline.model
        reason = self._pipeline.skip_reason
        level = DiagnosticLevel.OK if reason is None else DiagnosticLevel.WARN
        latency = self.latency_s.median()
        predict = self.predict_s.median()
        scale = self.last_scale
        values = {
            "input_rate_hz": self.input_rate.rate(now),
            "output_rate_hz": self.output_rate.rate(now),
            "latency_ms": None if latency is None else 1000.0 * latency,
            "inference_ms": None if predict is None else 1000.0 * predict,
            "frames_processed": self._worker.processed,
            "frames_dropped": self._worker.dropped,
            "frames_failed": self._worker.failed,
            "depth_scales_rejected": self._pipeline.rejected_scales,
            "scale": None if scale is None else scale[0],
            "scale_origin": None if scale is None else scale[1],
            "scale_source": model.settings.scale_source.value,
            "checkpoint": model.settings.checkpoint,
            "device": str(model.estimator.device),
            "precision": model.estimator.effective_precision,
        }
        message = "publishing depth" if reason is None else reason
        self._diagnostics_pub.publish(diagnostic_array(self, f"{self.get_name()}: depth", level, message, values))


def make_depth_node(args: list[str] | None = None) -> DepthNode:
    """The node factory for `run_node` (parameters and remappings come from the --ros-args rclpy.init parsed)."""
    del args
    return DepthNode()
