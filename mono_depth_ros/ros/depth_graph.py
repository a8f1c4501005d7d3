"""`DepthGraph`: depth_node and a driver node on their own rclpy context, spun by a MultiThreadedExecutor on a
background thread, as the depth node's tests and `mono_depth_ros.bench.node` use it.

The driver publishes camera images and camera_info best effort (as a camera driver does), `depth_scale` latched and
`right/camera_info` reliable, and subscribes reliably (as RViz does) to `depth/image`, `depth/camera_info`,
`points`, `/rosout` (the node's log lines) and `/diagnostics`. Outputs are collected per input stamp.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import Log
from rclpy.context import Context
from rclpy.executors import MultiThreadedExecutor
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, CompressedImage, Image, PointCloud2
from std_msgs.msg import Float64, Header

from mono_depth_ros.core.wire import CameraModel, stamp_ns
from mono_depth_ros.ros.conversions import camera_model_to_camera_info, numpy_to_image
from mono_depth_ros.ros.depth_node import DepthNode
from mono_depth_ros.ros.errors import RosAdapterError
from mono_depth_ros.ros.qos import latched_qos, reliable_qos, sensor_qos
from mono_depth_ros.ros.spinning import ExecutorThread

__all__ = ["DepthGraph", "Outputs", "frame_messages", "stamp_ns"]

WAIT_S = 30.0


@dataclass
class Outputs:
    """What the driver received for one input stamp."""

    depth: Any = None
    info: Any = None
    points: Any = None
    received_s: float = 0.0

    def complete(self, points: bool) -> bool:
        return self.depth is not None and self.info is not None and (self.points is not None or not points)


@dataclass
class _Inbox:
    outputs: dict[int, Outputs] = field(default_factory=dict)
    logs: list[Any] = field(default_factory=list)
    diagnostics: list[Any] = field(default_factory=list)
    condition: threading.Condition = field(default_factory=threading.Condition)


class DepthGraph:
    """A depth node and a driver node on their own rclpy context, spun by a MultiThreadedExecutor thread.

    `parameters` are the depth node's (parameter overrides); `namespace` keeps concurrent graphs apart;
    `keep_messages=False` records only that (and when) each output arrived, so that a long run's memory is the
    node's, not the received messages'. Use as a context manager, or call `close()`.
    """

    def __init__(
        self, parameters: Mapping[str, Any], *, namespace: str = "/depth_graph", keep_messages: bool = True
    ) -> None:
        self.context = Context()
        rclpy.init(context=self.context)
        self.inbox = _Inbox()
        self.keep_messages = keep_messages
        self.node: Any = None
        self._spinner: ExecutorThread | None = None
        try:
            overrides = [Parameter(name, value=value) for name, value in parameters.items()]
            self.node = DepthNode(context=self.context, namespace=namespace, parameter_overrides=overrides)
            self.driver = rclpy.create_node("depth_driver", namespace=namespace, context=self.context)
            compressed = parameters.get("image_transport") == "compressed"
            image_type, image_topic = (CompressedImage, "image/compressed") if compressed else (Image, "image")
            self.image_pub = self.driver.create_publisher(image_type, image_topic, sensor_qos())
            self.info_pub = self.driver.create_publisher(CameraInfo, "camera_info", sensor_qos())
            self.right_info_pub = self.driver.create_publisher(CameraInfo, "right/camera_info", reliable_qos())
            self.scale_pub = self.driver.create_publisher(Float64, "depth_scale", latched_qos())
            self.driver.create_subscription(Image, "depth/image", self._on("depth"), reliable_qos())
            self.driver.create_subscription(CameraInfo, "depth/camera_info", self._on("info"), reliable_qos())
            self.driver.create_subscription(PointCloud2, "points", self._on("points"), reliable_qos())
            rosout = QoSProfile(
                history=HistoryPolicy.KEEP_LAST,
                depth=1000,
                reliability=ReliabilityPolicy.RELIABLE,
                durability=DurabilityPolicy.TRANSIENT_LOCAL,
            )
            self.driver.create_subscription(Log, "/rosout", self._on_log, rosout)
            self.driver.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, reliable_qos())
            executor = MultiThreadedExecutor(num_threads=4, context=self.context)
            self._spinner = ExecutorThread(executor, (self.node, self.driver), "depth-graph-executor")
        except BaseException:
            self.close()
            raise

    def _on(self, kind: str) -> Callable[[Any], None]:
        def store(msg: Any) -> None:
            now = time.monotonic()
            with self.inbox.condition:
                outputs = self.inbox.outputs.setdefault(stamp_ns(msg.header), Outputs())
                setattr(outputs, kind, msg if self.keep_messages else True)
                outputs.received_s = now
                self.inbox.condition.notify_all()

        return store

    def _on_log(self, msg: Any) -> None:
        if msg.name.endswith(self.node.get_name()):
            with self.inbox.condition:
                self.inbox.logs.append(msg)
                self.inbox.condition.notify_all()

    def _on_diagnostics(self, msg: Any) -> None:
        statuses = [status for status in msg.status if status.hardware_id == self.node.get_name()]
        if statuses:
            with self.inbox.condition:
                self.inbox.diagnostics.extend(statuses)
                self.inbox.condition.notify_all()

    def __enter__(self) -> DepthGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.node is not None:
            self.node.worker.stop(WAIT_S)  # no publishing while the graph is torn down
        if self._spinner is not None:
            self._spinner.stop(10.0)
        for node in (self.node, getattr(self, "driver", None)):
            if node is not None:
                node.destroy_node()
        rclpy.try_shutdown(context=self.context)

    # ------------------------------------------------------------------------------------------------------------

    def wait_for(self, done: Callable[[], bool], timeout_s: float = WAIT_S) -> bool:
        """Wait until `done()` (checked whenever something arrives, and every 50 ms)."""
        deadline = time.monotonic() + timeout_s
        with self.inbox.condition:
            while not done():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.inbox.condition.wait(min(left, 0.05))
        return True

    def wait_connected(self, timeout_s: float = WAIT_S) -> bool:
        """Until the driver's image and camera_info publishers and the node's outputs are matched."""
        node = self.node
        return self.wait_for(
            lambda: (
                self.image_pub.get_subscription_count() > 0
                and self.info_pub.get_subscription_count() > 0
                and all(p.get_subscription_count() > 0 for p in (node._depth_pub, node._info_pub, node._points_pub))
            ),
            timeout_s,
        )

    def outputs(self, stamp: int) -> Outputs | None:
        with self.inbox.condition:
            return self.inbox.outputs.get(stamp)

    def send(self, image: Any, info: Any | None = None) -> None:
        if info is not None:
            self.info_pub.publish(info)
        self.image_pub.publish(image)

    def exchange(self, image: Any, info: Any | None, *, points: bool = True, timeout_s: float = WAIT_S) -> Outputs:
        """Publish `image` (after `info`) until its outputs arrive (best effort: a message sent before discovery
        settles may be lost), and return them; BenchmarkError after `timeout_s`."""
        stamp = stamp_ns(image.header)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.send(image, info)
            if self.wait_for(lambda: self._complete(stamp, points), min(2.0, deadline - time.monotonic())):
                return self.inbox.outputs[stamp]
        raise RosAdapterError(f"no depth output for stamp {stamp} within {timeout_s} s")

    def _complete(self, stamp: int, points: bool) -> bool:
        outputs = self.inbox.outputs.get(stamp)
        return outputs is not None and outputs.complete(points)

    def wait_processed(self, count: int, timeout_s: float = WAIT_S) -> bool:
        """Until the node's worker has finished `count` frames."""
        return self.wait_for(lambda: self.node.worker.processed >= count and self.node.worker.idle, timeout_s)

    def logs_containing(self, text: str) -> list[str]:
        with self.inbox.condition:
            return [log.msg for log in self.inbox.logs if text in log.msg]


def frame_messages(rgb: np.ndarray, camera: CameraModel, stamp: int, frame_id: str) -> tuple[Image, CameraInfo]:
    """(Image rgb8, CameraInfo) of an RGB frame and its camera, stamped `stamp` (ns)."""
    header = Header(frame_id=frame_id)
    header.stamp.sec, header.stamp.nanosec = divmod(stamp, 1_000_000_000)
    return numpy_to_image(rgb, "rgb8", header), camera_model_to_camera_info(camera, header)
