"""A real rclpy graph: an RGB frame published as sensor_msgs/Image by one node arrives byte-exact at another.

Each test gets its own rclpy Context (the `context` fixture of test/ros/conftest.py), so nothing leaks into other
tests; DDS stays on loopback in a per-run domain (test/conftest.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from mono_depth_ros.ros.conversions import image_to_numpy, image_to_rgb, numpy_to_image

pytestmark = pytest.mark.ros

TIMEOUT_S = 20.0


@pytest.fixture
def graph(context: Context, ros_node: Callable[[str], Node]) -> Iterator[tuple[Node, Node, SingleThreadedExecutor]]:
    """A publisher node and a subscriber node spun by one executor."""
    talker, listener = ros_node("image_talker"), ros_node("image_listener")
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(talker)
    executor.add_node(listener)
    try:
        yield talker, listener, executor
    finally:
        executor.shutdown()


def spin_until(executor: SingleThreadedExecutor, done: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> bool:
    """Spin until `done()` is true or `timeout_s` passes; whether it became true."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if done():
            return True
        executor.spin_once(timeout_sec=0.05)
    return done()


@pytest.mark.parametrize("encoding", ["rgb8", "bgr8"])
def test_image_crosses_the_graph_byte_exact(
    graph: tuple[Node, Node, SingleThreadedExecutor], synthetic_frame: np.ndarray, encoding: str
) -> None:
    talker, listener, executor = graph
    qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=5, reliability=ReliabilityPolicy.RELIABLE)
    received: list[Image] = []
    listener.create_subscription(Image, "camera/image", received.append, qos)
    publisher = talker.create_publisher(Image, "camera/image", qos)
    assert spin_until(executor, lambda: publisher.get_subscription_count() > 0), "the subscriber was never matched"

    header = Header(frame_id="camera_optical_frame")
    header.stamp.sec = 1_700_000_000
    header.stamp.nanosec = 123_456_789
    frame = synthetic_frame if encoding == "rgb8" else np.ascontiguousarray(synthetic_frame[..., ::-1])
    msg = numpy_to_image(frame, encoding, header)
    publisher.publish(msg)
    # Reliable and matched: one publish should do; republishing once a second only guards against a slow
    # discovery on a loaded machine.
    deadline = time.monotonic() + TIMEOUT_S
    while not received and time.monotonic() < deadline:
        spin_until(executor, lambda: bool(received), timeout_s=1.0)
        if not received:
            publisher.publish(msg)
    assert received, f"no image arrived within {TIMEOUT_S} s"

    got = received[0]
    assert got.header.frame_id == "camera_optical_frame"
    assert (got.header.stamp.sec, got.header.stamp.nanosec) == (1_700_000_000, 123_456_789)
    assert (got.height, got.width, got.encoding) == (frame.shape[0], frame.shape[1], encoding)
    pixels = image_to_numpy(got)
    assert pixels.dtype == np.uint8
    np.testing.assert_array_equal(pixels, frame)
    np.testing.assert_array_equal(image_to_rgb(got), synthetic_frame)
