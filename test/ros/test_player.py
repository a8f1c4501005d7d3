"""BagPlayer: a recorded drive republished with rclpy at its recorded rate, byte-for-byte the recorded messages.

Each test gets its own rclpy Context (test/ros/conftest.py); DDS stays on loopback in a per-run domain
(test/conftest.py).
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock
from std_msgs.msg import Float64

from mono_depth_ros.data.bag import BagError, BagWriter, iter_messages, summarise_bag, typestore_for
from mono_depth_ros.data.bag.messages import MessageFactory
from mono_depth_ros.data.recording import SIM_TOPICS, RecordingOptions, record_drive
from mono_depth_ros.launch_plan import PlaybackOptions, TopicRemap
from mono_depth_ros.ros.player import BagPlayer, MessageTypeError, message_class, rosbags_to_rclpy
from mono_depth_ros.ros.spinning import ExecutorThread

pytestmark = pytest.mark.ros

FRAMES = 6  # 10 Hz: 0.5 s of recording
TIMEOUT_S = 20.0
CAMERA_TOPICS = (SIM_TOPICS.left_image, SIM_TOPICS.left_info, SIM_TOPICS.left_depth)


@pytest.fixture(scope="module")
def drive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("player") / "drive"
    record_drive(RecordingOptions(out=out, frames=FRAMES, width=64, height=32))
    return out


class Listener:
    """A node spun in a background thread that records what arrives (message, monotonic time) per topic."""

    def __init__(self, context: Context) -> None:
        self.node = rclpy.create_node("listener", context=context)
        self.received: dict[str, list[tuple[object, float]]] = {}
        self._spinner = ExecutorThread(SingleThreadedExecutor(context=context), (self.node,), "listener-executor")

    def listen(self, topic: str, msgtype: type, qos: QoSProfile | None = None) -> None:
        qos = qos or QoSProfile(history=HistoryPolicy.KEEP_ALL, reliability=ReliabilityPolicy.RELIABLE)
        got = self.received.setdefault(topic, [])
        self.node.create_subscription(msgtype, topic, lambda m: got.append((m, time.monotonic())), qos)

    def close(self) -> None:
        self._spinner.stop(TIMEOUT_S)
        self.node.destroy_node()


@pytest.fixture
def listener(context: Context) -> Iterator[Listener]:
    node = Listener(context)
    try:
        yield node
    finally:
        node.close()


@pytest.fixture
def player_node(ros_node: Callable[[str], Node]) -> Node:
    return ros_node("bag_player")


def wait_for(done: Callable[[], bool], what: str, timeout_s: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def wait_matched(player: BagPlayer, topics: tuple[str, ...]) -> None:
    wait_for(lambda: all(player.subscriber_counts().get(t, 0) > 0 for t in topics), f"subscribers of {topics}")


def stop_after(stop: threading.Event, done: Callable[[], bool]) -> None:
    """Set `stop` once `done()` (or after TIMEOUT_S, so that a looping replay always ends)."""
    deadline = time.monotonic() + TIMEOUT_S
    while not done() and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()


def same(recorded: object, received: object) -> bool:
    """Field-by-field equality of a `rosbags` message and an rclpy message (an independent reference)."""
    if hasattr(received, "get_fields_and_field_types"):
        return all(
            same(getattr(recorded, name), getattr(received, name)) for name in received.get_fields_and_field_types()
        )
    if isinstance(recorded, np.ndarray):
        return np.array_equal(recorded, np.asarray(received), equal_nan=recorded.dtype.kind == "f")
    if isinstance(recorded, list):
        return len(recorded) == len(received) and all(same(a, b) for a, b in zip(recorded, received, strict=True))
    return recorded == received


def test_a_recorded_drive_arrives_unchanged_and_in_time(drive: Path, player_node: Node, listener: Listener) -> None:
    options = PlaybackOptions(drive)
    with BagPlayer(player_node, options) as player:
        for topic in CAMERA_TOPICS:
            listener.listen(topic, message_class(player.topics[topic]))
        wait_matched(player, CAMERA_TOPICS)
        report = player.play()
    recorded = {topic: [m.message for m in iter_messages(drive, [topic])] for topic in CAMERA_TOPICS}
    wait_for(lambda: all(len(listener.received[t]) == FRAMES for t in CAMERA_TOPICS), "every recorded frame")
    for topic in CAMERA_TOPICS:
        received = [message for message, _ in listener.received[topic]]
        assert all(same(a, b) for a, b in zip(recorded[topic], received, strict=True)), topic
        assert report.published[topic] == FRAMES
    assert report.published[SIM_TOPICS.odometry] == summarise_bag(drive).count(SIM_TOPICS.odometry)
    assert (report.passes, report.stopped) == (1, False)
    times = [t for _, t in listener.received[SIM_TOPICS.left_image]]
    gaps = np.diff(times)
    assert times[-1] - times[0] == pytest.approx(0.5, abs=0.1)
    assert gaps.min() > 0.05  # recorded 10 Hz: no burst


def test_rate_2_halves_the_duration_and_remaps_rename_topics(
    drive: Path, player_node: Node, listener: Listener
) -> None:
    remap = TopicRemap.parse("/camera/left:=/camera")
    spans = []
    for rate in (1.0, 2.0):
        with BagPlayer(player_node, PlaybackOptions(drive, rate=rate, remaps=(remap,))) as player:
            assert "/camera/image_raw" in player.topics
            assert "/camera/left/image_raw" not in player.topics
            listener.received.clear()
            listener.listen("/camera/image_raw", message_class("sensor_msgs/msg/Image"))
            wait_matched(player, ("/camera/image_raw",))
            report = player.play()
        wait_for(lambda: len(listener.received["/camera/image_raw"]) == FRAMES, "every frame")
        times = [t for _, t in listener.received["/camera/image_raw"]]
        spans.append(times[-1] - times[0])
        assert report.wall_s == pytest.approx(0.5 / rate, abs=0.1)
    assert spans[0] == pytest.approx(0.5, abs=0.1)
    assert spans[1] == pytest.approx(0.25, abs=0.1)
    assert spans[1] / spans[0] == pytest.approx(0.5, abs=0.15)


def test_clock_carries_the_bag_time_and_loop_starts_over(tmp_path: Path, player_node: Node, listener: Listener) -> None:
    bag = tmp_path / "drive"
    record_drive(RecordingOptions(out=bag, frames=3, width=64, height=32, storage="sqlite3"))
    summary = summarise_bag(bag)
    listener.listen("/clock", Clock)
    listener.listen(SIM_TOPICS.left_image, message_class("sensor_msgs/msg/Image"))
    stop = threading.Event()
    options = PlaybackOptions(bag, rate=2.0, loop=True, clock=True, topics=(SIM_TOPICS.left_image,))
    with BagPlayer(player_node, options) as player:
        assert list(player.topics) == [SIM_TOPICS.left_image]
        wait_matched(player, (SIM_TOPICS.left_image,))
        threading.Thread(
            target=stop_after, args=(stop, lambda: len(listener.received[SIM_TOPICS.left_image]) >= 7), daemon=True
        ).start()
        report = player.play(stop)
    assert report.stopped
    assert report.passes >= 3
    clock_ns = [m.clock.sec * 1_000_000_000 + m.clock.nanosec for m, _ in listener.received["/clock"]]
    assert len(clock_ns) > 10  # 50 Hz while waiting, and at each message
    assert summary.start_ns <= min(clock_ns)
    assert max(clock_ns) <= summary.end_ns
    # Within one pass the clock never goes back; a new pass starts again at the bag's start.
    assert sum(1 for a, b in itertools.pairwise(clock_ns) if b < a) == report.passes - 1


def test_latched_topics_reach_late_subscribers(tmp_path: Path, player_node: Node, listener: Listener) -> None:
    typestore = typestore_for("kilted")
    value = typestore.types["std_msgs/msg/Float64"]
    bag = tmp_path / "latched"
    with BagWriter(bag, typestore) as writer:
        writer.add_topic("/camera/depth_scale", "std_msgs/msg/Float64", latched=True)
        writer.add_topic("/ticks", "std_msgs/msg/Float64")
        for index in range(3):
            writer.write("/camera/depth_scale", value(data=1.5 + index), 10 + index)
            writer.write("/ticks", value(data=float(index)), 11 + index)
    with BagPlayer(player_node, PlaybackOptions(bag)) as player:
        report = player.play()
        assert report.published == {"/camera/depth_scale": 3, "/ticks": 3}
        # Subscribing after the replay: only the transient-local topic hands over its last message.
        late = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        listener.listen("/camera/depth_scale", Float64, late)
        wait_for(lambda: bool(listener.received["/camera/depth_scale"]), "the latched value")
        time.sleep(0.2)
        offered = {
            topic: player_node.get_publishers_info_by_topic(topic)[0].qos_profile.durability
            for topic in ("/camera/depth_scale", "/ticks")
        }
    assert [m.data for m, _ in listener.received["/camera/depth_scale"]] == [3.5]
    assert offered == {"/camera/depth_scale": DurabilityPolicy.TRANSIENT_LOCAL, "/ticks": DurabilityPolicy.VOLATILE}


def test_tf_static_is_latched_or_skipped_with_the_reason(drive: Path, player_node: Node) -> None:
    with BagPlayer(player_node, PlaybackOptions(drive)) as player:
        try:
            message_class("tf2_msgs/msg/TFMessage")
        except MessageTypeError:
            assert player.skipped == {
                "/tf_static": "tf2_msgs/msg/TFMessage: the message package tf2_msgs is not installed"
            }
        else:
            assert player.topics["/tf_static"] == "tf2_msgs/msg/TFMessage"
            assert player.skipped == {}


def test_a_recorded_definition_that_differs_from_the_installed_one_is_skipped(
    tmp_path: Path, player_node: Node
) -> None:
    from rosbags.typesys import Stores, get_types_from_msg
    from rosbags.typesys import get_typestore as empty_store

    typestore = empty_store(Stores.EMPTY)
    typestore.register(get_types_from_msg("string data\nint32 extra", "std_msgs/msg/Float64"))
    bag = tmp_path / "other"
    with BagWriter(bag, typestore) as writer:
        writer.add_topic("/value", "std_msgs/msg/Float64")
        writer.write("/value", typestore.types["std_msgs/msg/Float64"](data="a longer text", extra=3), 1)
    with BagPlayer(player_node, PlaybackOptions(bag)) as player:
        assert player.topics == {}
        assert player.skipped["/value"].startswith(
            "std_msgs/msg/Float64: the recorded definition differs from the installed one"
        )


def test_bag_errors_are_named(tmp_path: Path, drive: Path, player_node: Node) -> None:
    with pytest.raises(BagError, match=r"bag .*drive has no topic /camera/front; it has: .*/odom"):
        BagPlayer(player_node, PlaybackOptions(drive, topics=("/camera/front",)))
    (tmp_path / "empty").mkdir()
    with pytest.raises(BagError, match=r"cannot read bag .*empty"):
        BagPlayer(player_node, PlaybackOptions(tmp_path / "empty"))


def test_message_classes_and_conversion_from_rosbags() -> None:
    from sensor_msgs.msg import CameraInfo

    assert message_class("sensor_msgs/msg/CameraInfo") is CameraInfo
    with pytest.raises(MessageTypeError, match=r"'Image' is not a ROS 2 message type name"):
        message_class("Image")
    with pytest.raises(
        MessageTypeError, match=r"no_such_msgs/msg/X: the message package no_such_msgs is not installed"
    ):
        message_class("no_such_msgs/msg/X")
    with pytest.raises(MessageTypeError, match=r"std_msgs/msg/Nope: the installed std_msgs has no message Nope"):
        message_class("std_msgs/msg/Nope")
    typestore = typestore_for("kilted")
    types = typestore.types
    recorded = types["sensor_msgs/msg/CameraInfo"](
        header=MessageFactory(typestore).header(1_700_000_000_123_456_789, "camera_left_optical_frame"),
        height=32,
        width=64,
        distortion_model="plumb_bob",
        d=np.array([0.1, -0.2, 0.0, 0.0, 0.01]),
        k=np.arange(9, dtype=np.float64),
        r=np.eye(3).reshape(9),
        p=np.arange(12, dtype=np.float64),
        binning_x=0,
        binning_y=0,
        roi=types["sensor_msgs/msg/RegionOfInterest"](x_offset=1, y_offset=2, height=3, width=4, do_rectify=True),
    )
    converted = rosbags_to_rclpy(recorded, "sensor_msgs/msg/CameraInfo", typestore)
    assert isinstance(converted, CameraInfo)
    assert same(recorded, converted)
    assert (converted.header.stamp.sec, converted.header.stamp.nanosec) == (1_700_000_000, 123_456_789)
    assert converted.roi.do_rectify is True


def test_the_player_runs_alone_and_fails_with_one_line(drive: Path) -> None:
    command = [sys.executable, "-m", "mono_depth_ros.ros.player"]
    result = subprocess.run(
        [*command, str(drive), "--rate", "4", "--topic", SIM_TOPICS.odometry],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    count = summarise_bag(drive).count(SIM_TOPICS.odometry)
    assert f"done: {count} messages on 1 topics" in result.stderr
    result = subprocess.run([*command, str(drive.parent / "nope")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == f"bag_player: error: bag {drive.parent / 'nope'} does not exist"


def test_a_recorded_clock_gives_way_to_the_players_own(tmp_path: Path, player_node: Node) -> None:
    typestore = typestore_for("kilted")
    types = typestore.types
    bag = tmp_path / "clocked"
    with BagWriter(bag, typestore) as writer:
        writer.add_topic("/clock", "rosgraph_msgs/msg/Clock")
        writer.write("/clock", types["rosgraph_msgs/msg/Clock"](clock=types["builtin_interfaces/msg/Time"](1, 2)), 5)
    with BagPlayer(player_node, PlaybackOptions(bag)) as player:
        assert player.topics == {"/clock": "rosgraph_msgs/msg/Clock"}
    with BagPlayer(player_node, PlaybackOptions(bag, clock=True)) as player:
        assert player.topics == {}
        assert player.skipped == {"/clock": "the player publishes its own /clock (clock is on)"}
