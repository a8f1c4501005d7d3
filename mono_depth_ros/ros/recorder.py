"""`GraphRecorder`: a node that records what a live graph publishes (depth images, depth_scale, /diagnostics, or
any topic) with each message's arrival time, for benchmarks, the demo and tests.

    topics = output_topics("/camera", inputs=("/camera/left/image_raw",))
    with GraphRecorder(topics, domain_id=7) as recorder:
        recorder.wait_for(lambda: recorder.count("/camera/depth/image") >= 10, timeout_s=30.0)
        depth = recorder.samples("/camera/depth/image")[-1].value      # (H, W) float32 metres

Each `RecordedTopic` names a topic, its message class, how a message becomes the stored value (`convert`; None
stores only the arrival time and the header stamp, e.g. for input images whose arrival is all that matters) and how
many samples are kept (`keep`: the newest N, bounded memory; None keeps all). Counts cover every message received,
kept or not.

QoS: with `qos=None` (the default) the recorder waits until the topic has a publisher and then subscribes with what
every publisher offers: reliable only if all of them are reliable (a best-effort subscription matches both kinds,
but may lose messages), transient local only if all of them are (so a latched `depth_scale` published before the
recorder started still arrives). The choice is made once, from the publishers present when the first appears; give
an explicit `qos` for a topic whose publishers come and go with different profiles. A topic published with another
message type than the one asked for is not subscribed and is listed in `problems`.

The recorder has its own rclpy context (`domain_id` chooses the DDS domain; the discovery range comes from the
environment) and spins it on a background thread; `create_node` adds a node to that context that is not spun
(e.g. for a bag player, which only publishes).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image, PointCloud2
from std_msgs.msg import Float64

from mono_depth_ros.core.wire import stamp_ns
from mono_depth_ros.data.bag.frames import message_to_depth
from mono_depth_ros.errors import MonoDepthError
from mono_depth_ros.ros.conversions import camera_info_to_model, pointcloud2_to_numpy
from mono_depth_ros.ros.errors import RosAdapterError
from mono_depth_ros.ros.spinning import ExecutorThread

__all__ = [
    "DiagnosticRecord",
    "GraphRecorder",
    "RecordedTopic",
    "Sample",
    "arrival_topic",
    "depth_topic",
    "diagnostic_records",
    "message_type_name",
    "output_topics",
]

POLL_S = 0.1
"""How often the recorder looks for the publishers of topics it has not subscribed to yet."""
STOP_TIMEOUT_S = 10.0


class Sample(NamedTuple):
    """One received message."""

    arrival_s: float
    """time.monotonic() when the recorder's callback ran."""
    stamp_ns: int | None
    """The message header's stamp in nanoseconds (None for messages without a header)."""
    value: Any
    """What `RecordedTopic.convert` made of the message (None when it has no convert)."""


class DiagnosticRecord(NamedTuple):
    """One diagnostic_msgs/DiagnosticStatus, as plain values."""

    name: str
    hardware_id: str
    level: int
    message: str
    values: dict[str, str]

    def number(self, key: str) -> float | None:
        """The value of `key` as a float; None when it is absent or not a number (e.g. "n/a")."""
        try:
            return float(self.values[key])
        except (KeyError, ValueError):
            return None


def diagnostic_records(message: DiagnosticArray) -> tuple[DiagnosticRecord, ...]:
    """The statuses of a DiagnosticArray as `DiagnosticRecord`s."""
    return tuple(
        DiagnosticRecord(
            status.name,
            status.hardware_id,
            status.level[0] if isinstance(status.level, (bytes, bytearray)) else int(status.level),
            status.message,
            {item.key: item.value for item in status.values},
        )
        for status in message.status
    )


def message_type_name(message_type: type) -> str:
    """'sensor_msgs/msg/Image' for sensor_msgs.msg.Image (the graph's name of the type)."""
    return f"{message_type.__module__.split('.')[0]}/msg/{message_type.__name__}"


def _check_keep(keep: object, name: str) -> None:
    if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep < 1):
        raise RosAdapterError(f"keep of recorded topic {name} must be a positive integer or None, got {keep!r}")


def _check_depth(depth: object, name: str) -> None:
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise RosAdapterError(f"history depth of recorded topic {name} must be a positive integer, got {depth!r}")


@dataclass(frozen=True)
class RecordedTopic:
    """A topic to record (see the module docstring)."""

    name: str
    """Absolute topic name."""
    message_type: type
    convert: Callable[[Any], Any] | None = None
    """Message -> stored value (must copy what it keeps: the message is not kept); None stores nothing."""
    keep: int | None = None
    """The newest samples kept; None: all of them."""
    qos: QoSProfile | None = None
    """None: match the publishers once one appears."""
    depth: int = 10
    """History depth of the matched subscription."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.startswith("/"):
            raise RosAdapterError(f"a recorded topic must be an absolute name (starting with '/'), got {self.name!r}")
        _check_keep(self.keep, self.name)
        _check_depth(self.depth, self.name)


def _depth_value(message: Image) -> np.ndarray:
    # message_to_depth may return a view of the message's buffer: keep a copy.
    return np.array(message_to_depth(message), dtype=np.float32, copy=True)


def _cloud_value(message: PointCloud2) -> tuple[np.ndarray, np.ndarray | None]:
    points, colours = pointcloud2_to_numpy(message)
    return np.array(points, copy=True), None if colours is None else np.array(colours, copy=True)


def depth_topic(name: str, *, keep: int | None = None) -> RecordedTopic:
    """A REP 118 depth image topic stored as (H, W) float32 metres (NaN: no depth)."""
    return RecordedTopic(name, Image, _depth_value, keep=keep)


def arrival_topic(name: str, message_type: type = Image, *, keep: int | None = None) -> RecordedTopic:
    """A topic of which only arrival times and header stamps are recorded (e.g. the camera images going in)."""
    return RecordedTopic(name, message_type, None, keep=keep)


def output_topics(
    namespace: str = "/camera",
    *,
    keep: int | None = None,
    keep_events: int | None = None,
    camera_info: bool = False,
    points: bool = False,
    keep_points: int | None = None,
    inputs: Iterable[str] = (),
) -> list[RecordedTopic]:
    """What the depth and calibration nodes of `namespace` publish: `depth/image` (float32 metres), `depth_scale`
    (float) and `/diagnostics` (`DiagnosticRecord` tuples); with `camera_info` also `depth/camera_info`
    (CameraModel), with `points` also `points` ((rows, cols, 3) xyz and (rows, cols, 3) uint8 rgb or None); and
    the arrival of each image topic in `inputs` (for latency). `keep` bounds the images, camera infos and clouds
    kept (`keep_points` the clouds alone, when given), `keep_events` the scales, diagnostics and input arrivals (a
    few bytes each; None: all)."""
    prefix = "/" + namespace.strip("/")
    prefix = "" if prefix == "/" else prefix
    topics = [
        depth_topic(f"{prefix}/depth/image", keep=keep),
        RecordedTopic(f"{prefix}/depth_scale", Float64, lambda message: float(message.data), keep=keep_events),
        RecordedTopic("/diagnostics", DiagnosticArray, diagnostic_records, keep=keep_events, depth=100),
    ]
    if camera_info:
        topics.append(RecordedTopic(f"{prefix}/depth/camera_info", CameraInfo, camera_info_to_model, keep=keep))
    if points:
        topics.append(RecordedTopic(f"{prefix}/points", PointCloud2, _cloud_value, keep=keep_points or keep))
    topics.extend(arrival_topic(name, keep=keep_events) for name in inputs)
    return topics


def matching_qos(offered: Sequence[QoSProfile], depth: int) -> QoSProfile:
    """A subscription profile every one of the `offered` publisher profiles is compatible with."""
    reliable = all(p.reliability == ReliabilityPolicy.RELIABLE for p in offered)
    latched = all(p.durability == DurabilityPolicy.TRANSIENT_LOCAL for p in offered)
    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=depth,
        reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT,
        durability=DurabilityPolicy.TRANSIENT_LOCAL if latched else DurabilityPolicy.VOLATILE,
    )


class _Log:
    """The samples of one topic."""

    def __init__(self, keep: int | None) -> None:
        self.samples: deque[Sample] = deque(maxlen=keep)
        self.count = 0


def _stamp_ns(message: Any) -> int | None:
    header = getattr(message, "header", None)
    return None if header is None else stamp_ns(header)


class GraphRecorder:
    """Records `topics` on its own rclpy context, spun on a background thread (see the module docstring).

    Use as a context manager, or call `close()`. `clock` gives the arrival times (time.monotonic by default).

    Raises:
        RosAdapterError: no topic, or a topic named twice.
    """

    def __init__(
        self,
        topics: Sequence[RecordedTopic],
        *,
        node_name: str = "graph_recorder",
        domain_id: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        names = [topic.name for topic in topics]
        if not names:
            raise RosAdapterError("a GraphRecorder needs at least one topic, got none")
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise RosAdapterError(f"recorded topics must be unique, got {', '.join(twice)} more than once")
        self.topics = {topic.name: topic for topic in topics}
        self.problems: dict[str, str] = {}
        """Topic -> why it is not recorded (a publisher of another message type), or why its last unreadable
        message was dropped."""
        self.failures: Counter[str] = Counter()
        """Topic -> messages that `convert` could not read (a MonoDepthError, e.g. an unsupported encoding)."""
        self._clock = clock
        self._logs = {topic.name: _Log(topic.keep) for topic in topics}
        self._subscriptions: dict[str, Any] = {}
        self._profiles: dict[str, QoSProfile] = {}
        self.condition = threading.Condition()
        self.context = Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self._spinner: ExecutorThread | None = None
        self.node: Any = None
        self._extra_nodes: list[Any] = []
        try:
            self.node = rclpy.create_node(node_name, context=self.context)
            for topic in topics:
                if topic.qos is not None:
                    self._subscribe(topic, topic.qos)
            self.node.create_timer(POLL_S, self._find_publishers)
            executor = SingleThreadedExecutor(context=self.context)
            self._spinner = ExecutorThread(executor, (self.node,), f"{node_name}-executor")
        except BaseException:
            self.close()
            raise

    def _find_publishers(self) -> None:
        for name, topic in self.topics.items():
            if name in self._subscriptions or name in self.problems:  # subscribed, or refused for its type
                continue
            publishers = self.node.get_publishers_info_by_topic(name)
            if not publishers:
                continue
            expected = message_type_name(topic.message_type)
            types = sorted({info.topic_type for info in publishers} - {expected})
            if types:
                self.problems[name] = f"{name} is published as {', '.join(types)}, not {expected}"
                continue
            self._subscribe(topic, matching_qos([info.qos_profile for info in publishers], topic.depth))

    def _subscribe(self, topic: RecordedTopic, qos: QoSProfile) -> None:
        log = self._logs[topic.name]

        def store(message: Any) -> None:
            arrival = self._clock()
            try:
                value = None if topic.convert is None else topic.convert(message)
            except MonoDepthError as error:  # a message the converter cannot read: counted, never raised here
                with self.condition:
                    self.failures[topic.name] += 1
                    self.problems[topic.name] = f"{topic.name}: a message could not be converted: {error}"
                return
            with self.condition:
                log.samples.append(Sample(arrival, _stamp_ns(message), value))
                log.count += 1
                self.condition.notify_all()

        self._profiles[topic.name] = qos
        self._subscriptions[topic.name] = self.node.create_subscription(topic.message_type, topic.name, store, qos)

    # ------------------------------------------------------------------------------------------------------------

    def _log(self, name: str) -> _Log:
        try:
            return self._logs[name]
        except KeyError:
            raise RosAdapterError(f"{name} is not recorded; recorded topics: {', '.join(self._logs)}") from None

    def samples(self, name: str) -> list[Sample]:
        """The kept samples of topic `name`, oldest first (a copy)."""
        log = self._log(name)
        with self.condition:
            return list(log.samples)

    def count(self, name: str) -> int:
        """Messages received on `name` so far (kept or not)."""
        log = self._log(name)
        with self.condition:
            return log.count

    def subscribed(self, name: str) -> bool:
        """Whether the recorder has subscribed to `name` (at once with an explicit QoS, else once it is published)."""
        self._log(name)
        return name in self._subscriptions

    def qos(self, name: str) -> QoSProfile | None:
        """The profile the recorder subscribed to `name` with (None before it subscribed)."""
        self._log(name)
        return self._profiles.get(name)

    def publisher_count(self, name: str) -> int:
        """Publishers matched with the recorder's subscription of `name` (0 before it subscribed)."""
        self._log(name)
        subscription = self._subscriptions.get(name)
        if subscription is None:
            return 0
        if hasattr(subscription, "get_publisher_count"):
            return int(subscription.get_publisher_count())
        return int(self.node.count_publishers(name))  # Humble: publishers in the graph

    def wait_for(self, done: Callable[[], bool], timeout_s: float) -> bool:
        """Wait until `done()` is true (checked whenever a message arrives, and every 50 ms); False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self.condition:
            while not done():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.condition.wait(min(left, 0.05))
        return True

    def clear(self) -> None:
        """Forget every sample and count (the subscriptions stay)."""
        with self.condition:
            for log in self._logs.values():
                log.samples.clear()
                log.count = 0

    def create_node(self, name: str) -> Any:
        """A node on the recorder's context that is not spun (publishing needs no spinning: e.g. a BagPlayer's);
        `close()` destroys it."""
        node = rclpy.create_node(name, context=self.context)
        self._extra_nodes.append(node)
        return node

    def close(self) -> None:
        """Stop spinning, destroy the nodes and shut the context down (safe to call twice)."""
        for node in self._extra_nodes:
            node.destroy_node()
        self._extra_nodes.clear()
        if self._spinner is not None:
            self._spinner.stop(STOP_TIMEOUT_S)
            self._spinner = None
        if self.node is not None:
            self.node.destroy_node()
            self.node = None
        rclpy.try_shutdown(context=self.context)

    def __enter__(self) -> GraphRecorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
