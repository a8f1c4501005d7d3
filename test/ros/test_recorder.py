"""GraphRecorder on a real rclpy graph: a publisher node on its own context, the recorder on another."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.exceptions import InvalidHandle
from rclpy.qos import DurabilityPolicy, ReliabilityPolicy
from sensor_msgs.msg import Image
from std_msgs.msg import Float64, Header, String

from mono_depth_ros.ros.conversions import depth_to_image, numpy_to_image
from mono_depth_ros.ros.diagnostics import DiagnosticLevel, diagnostic_array
from mono_depth_ros.ros.errors import RosAdapterError
from mono_depth_ros.ros.qos import latched_qos, reliable_qos, sensor_qos
from mono_depth_ros.ros.recorder import (
    GraphRecorder,
    RecordedTopic,
    arrival_topic,
    depth_topic,
    message_type_name,
    output_topics,
)

WAIT_S = 20.0


@pytest.fixture
def publisher(ros_node: Callable[[str], rclpy.node.Node]) -> rclpy.node.Node:
    """A node on its own context that only publishes (nothing to spin)."""
    return ros_node("recorder_test_publisher")


def header(stamp_ns: int) -> Header:
    result = Header(frame_id="camera")
    result.stamp.sec, result.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
    return result


def publish_until(recorder: GraphRecorder, topic: str, count: int, send) -> None:  # type: ignore[no-untyped-def]
    """Wait for the recorder to match `topic`'s publisher, then `send(i)` for i < count (reliable: none lost)."""
    assert recorder.wait_for(lambda: recorder.publisher_count(topic) > 0, WAIT_S), recorder.problems
    for index in range(count):
        send(index)
    assert recorder.wait_for(lambda: recorder.count(topic) >= count, WAIT_S)


def test_depth_images_are_kept_as_arrays_with_stamps_and_arrival_times_and_memory_stays_bounded(publisher) -> None:  # type: ignore[no-untyped-def]
    pub = publisher.create_publisher(Image, "/rec/depth/image", reliable_qos())
    depth = np.linspace(0.5, 40.0, 6 * 8, dtype=np.float32).reshape(6, 8)
    depth[0, 0] = np.nan
    with GraphRecorder(output_topics("/rec", keep=2)) as recorder:
        publish_until(
            recorder, "/rec/depth/image", 5, lambda i: pub.publish(depth_to_image(depth + i, header(1_000 + i)))
        )
        assert recorder.qos("/rec/depth/image").reliability == ReliabilityPolicy.RELIABLE
        samples = recorder.samples("/rec/depth/image")
    assert recorder.count("/rec/depth/image") == 5
    assert [s.stamp_ns for s in samples] == [1_003, 1_004]  # only the newest two are kept
    assert samples[0].arrival_s <= samples[1].arrival_s
    np.testing.assert_array_equal(samples[1].value, depth + 4)  # NaN where there is no depth
    assert samples[1].value.dtype == np.float32
    assert recorder.count("/rec/depth_scale") == 0
    assert not recorder.subscribed("/rec/depth_scale")  # nobody publishes it: nothing to match yet


def test_best_effort_publishers_are_recorded_and_a_latched_scale_published_earlier_arrives(publisher) -> None:  # type: ignore[no-untyped-def]
    image = publisher.create_publisher(Image, "/rec/image", sensor_qos())
    scale = publisher.create_publisher(Float64, "/rec/depth_scale", latched_qos())
    scale.publish(Float64(data=12.5))  # before the recorder exists
    topics = [arrival_topic("/rec/image"), RecordedTopic("/rec/depth_scale", Float64, lambda m: m.data)]
    pixels = np.zeros((4, 6, 3), np.uint8)
    with GraphRecorder(topics) as recorder:
        assert recorder.wait_for(lambda: recorder.count("/rec/depth_scale") == 1, WAIT_S)
        assert recorder.qos("/rec/depth_scale").durability == DurabilityPolicy.TRANSIENT_LOCAL
        assert recorder.wait_for(lambda: recorder.publisher_count("/rec/image") > 0, WAIT_S)
        assert recorder.qos("/rec/image").reliability == ReliabilityPolicy.BEST_EFFORT
        # Best effort may lose a message while discovery settles: send until some arrive.
        stamp = 0
        deadline = time.monotonic() + WAIT_S
        while recorder.count("/rec/image") < 3 and time.monotonic() < deadline:
            stamp += 1
            image.publish(numpy_to_image(pixels, "rgb8", header(stamp)))
            recorder.wait_for(lambda: False, 0.02)
        (latched,) = recorder.samples("/rec/depth_scale")
        images = recorder.samples("/rec/image")
    assert latched.value == 12.5
    assert latched.stamp_ns is None  # Float64 has no header
    assert len(images) >= 3
    assert all(s.value is None for s in images)  # arrival only
    assert [s.stamp_ns for s in images] == sorted(s.stamp_ns for s in images)


def test_diagnostics_become_records(publisher) -> None:  # type: ignore[no-untyped-def]
    pub = publisher.create_publisher(DiagnosticArray, "/diagnostics", reliable_qos())
    values = {"scale": 3.25, "state": "converged", "samples": None}
    message = diagnostic_array(publisher, "calibration: scale", DiagnosticLevel.WARN, "collecting", values)
    with GraphRecorder(output_topics("/rec")) as recorder:
        publish_until(recorder, "/diagnostics", 1, lambda _: pub.publish(message))
        ((record,),) = [sample.value for sample in recorder.samples("/diagnostics")]
    assert (record.name, record.hardware_id, record.level, record.message) == (
        "calibration: scale",
        "recorder_test_publisher",
        1,
        "collecting",
    )
    assert record.values == {"scale": "3.25", "state": "converged", "samples": "n/a"}
    assert record.number("scale") == 3.25
    assert record.number("samples") is None
    assert record.number("missing") is None


def test_a_topic_of_another_type_or_an_unreadable_message_is_reported_not_raised(publisher) -> None:  # type: ignore[no-untyped-def]
    publisher.create_publisher(String, "/rec/typed", reliable_qos())
    colour = publisher.create_publisher(Image, "/rec/colour_as_depth", reliable_qos())
    topics = [RecordedTopic("/rec/typed", Image), depth_topic("/rec/colour_as_depth")]
    with GraphRecorder(topics) as recorder:
        assert recorder.wait_for(lambda: "/rec/typed" in recorder.problems, WAIT_S)
        rgb = numpy_to_image(np.zeros((2, 2, 3), np.uint8), "rgb8", header(1))
        assert recorder.wait_for(lambda: recorder.publisher_count("/rec/colour_as_depth") > 0, WAIT_S)
        colour.publish(rgb)
        assert recorder.wait_for(lambda: recorder.failures["/rec/colour_as_depth"] == 1, WAIT_S)
        colour.publish(depth_to_image(np.ones((2, 2), np.float32), header(2)))  # the recorder still records
        assert recorder.wait_for(lambda: recorder.count("/rec/colour_as_depth") == 1, WAIT_S)
    assert (
        recorder.problems["/rec/typed"] == "/rec/typed is published as std_msgs/msg/String, not sensor_msgs/msg/Image"
    )
    assert not recorder.subscribed("/rec/typed")
    assert "/rec/colour_as_depth: a message could not be converted: " in recorder.problems["/rec/colour_as_depth"]
    assert "rgb8" in recorder.problems["/rec/colour_as_depth"]


def test_topic_lists_and_bad_requests() -> None:
    names = [topic.name for topic in output_topics("/", camera_info=True, points=True, inputs=("/cam/image",))]
    assert names == ["/depth/image", "/depth_scale", "/diagnostics", "/depth/camera_info", "/points", "/cam/image"]
    assert [t.name for t in output_topics("camera/")][:2] == ["/camera/depth/image", "/camera/depth_scale"]
    bounded = output_topics("/c", keep=3, keep_events=50, camera_info=True, inputs=("/c/image",))
    assert [t.keep for t in bounded] == [3, 50, 50, 3, 50]
    assert message_type_name(Image) == "sensor_msgs/msg/Image"
    with pytest.raises(RosAdapterError, match=r"absolute name \(starting with '/'\), got 'depth'"):
        RecordedTopic("depth", Image)
    with pytest.raises(RosAdapterError, match=r"keep of recorded topic /d must be a positive integer or None, got 0"):
        depth_topic("/d", keep=0)
    with pytest.raises(RosAdapterError, match=r"history depth of recorded topic /d must be a positive integer, got 0"):
        RecordedTopic("/d", Image, depth=0)
    with pytest.raises(RosAdapterError, match=r"needs at least one topic, got none"):
        GraphRecorder([])
    with pytest.raises(RosAdapterError, match=r"recorded topics must be unique, got /d more than once"):
        GraphRecorder([arrival_topic("/d"), depth_topic("/d")])
    with GraphRecorder([arrival_topic("/d")]) as recorder:
        with pytest.raises(RosAdapterError, match=r"/e is not recorded; recorded topics: /d"):
            recorder.samples("/e")
        assert recorder.qos("/d") is None
        assert recorder.publisher_count("/d") == 0


def test_a_node_created_on_the_recorders_context_publishes_to_it_and_is_destroyed_with_it() -> None:
    with GraphRecorder([RecordedTopic("/rec/scale", Float64, lambda m: m.data)]) as recorder:
        node = recorder.create_node("recorder_test_extra")
        assert node.context is recorder.context
        pub = node.create_publisher(Float64, "/rec/scale", reliable_qos())
        publish_until(recorder, "/rec/scale", 2, lambda i: pub.publish(Float64(data=float(i))))
    assert [s.value for s in recorder.samples("/rec/scale")] == [0.0, 1.0]
    assert not recorder.context.ok()
    with pytest.raises(InvalidHandle, match=r"destruction was requested"):
        node.create_publisher(Float64, "/rec/other", reliable_qos())
