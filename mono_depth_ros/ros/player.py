"""Replay a rosbag2 (mcap or sqlite3) into a live graph with rclpy, where `ros2 bag play` is not available.

A rosbag2 stores each message as the CDR bytes a ROS 2 publisher sends, so the player publishes those bytes as
they are (`Publisher.publish(bytes)`): no deserialisation, no per-message Python work, whatever the message size.
Before playing, the first message of each topic is deserialised into the installed rclpy message class and
serialised back; a topic whose message package is not installed, or whose recorded definition does not match the
installed one (the round trip changes its length or fails), is skipped with the reason, and the rest plays.

Timing follows the recorded receive times scaled by `rate`; `/clock` carries the bag's time when `clock` is set
(at 50 Hz and at each message), topics recorded transient-local (/tf_static) are published latched, and `loop`
starts over after the last message (the bag's time then jumps back, as with `ros2 bag play --loop`).

Run it alone with `python -m mono_depth_ros.ros.player BAG [--rate R] [--loop] [--remap FROM:=TO] [--clock]`.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import rclpy
from rclpy.node import Node
from rclpy.publisher import Publisher
from rclpy.serialization import deserialize_message, serialize_message
from rclpy.signals import SignalHandlerOptions
from rclpy.utilities import remove_ros_args
from rosbags.highlevel import AnyReader
from rosbags.interfaces import Connection, QosDurability
from rosbags.typesys.store import Typestore
from rosgraph_msgs.msg import Clock

from mono_depth_ros.core.wire.stamps import NS_PER_S
from mono_depth_ros.data.bag import BagError
from mono_depth_ros.errors import MonoDepthError
from mono_depth_ros.launch_plan.playback import PlaybackOptions, add_playback_options, playback_options
from mono_depth_ros.ros.qos import latched_qos, reliable_qos

__all__ = ["BagPlayer", "PlaybackReport", "main", "message_class", "rosbags_to_rclpy"]

CLOCK_HZ = 50.0
LATCHED_TOPICS = ("/tf_static",)


class MessageTypeError(BagError):
    """A recorded message type that has no usable rclpy class here."""


@cache
def message_class(msgtype: str) -> type:
    """The rclpy class of `msgtype` ('sensor_msgs/msg/Image'); a MessageTypeError names a missing package."""
    package, _, name = msgtype.partition("/msg/")
    if not package or not name or "/" in name:
        raise MessageTypeError(f"{msgtype!r} is not a ROS 2 message type name (package/msg/Name)")
    try:
        return getattr(importlib.import_module(f"{package}.msg"), name)
    except ImportError:
        raise MessageTypeError(f"{msgtype}: the message package {package} is not installed") from None
    except AttributeError:
        raise MessageTypeError(f"{msgtype}: the installed {package} has no message {name}") from None


def rosbags_to_rclpy(message: object, msgtype: str, typestore: Typestore) -> object:
    """A `rosbags` message object as the rclpy message it describes (through CDR, the wire format of both)."""
    return deserialize_message(bytes(typestore.serialize_cdr(message, msgtype)), message_class(msgtype))


def _check_layout(raw: bytes, msgtype: str) -> None:
    """Raise a MessageTypeError unless the installed class reads `raw` and writes back as many bytes."""
    cls = message_class(msgtype)
    try:
        again = serialize_message(deserialize_message(raw, cls))
    except Exception as error:  # the C typesupport raises several types for malformed CDR
        raise MessageTypeError(
            f"{msgtype}: the recorded message does not match the installed definition ({error})"
        ) from None
    if len(again) != len(raw):
        raise MessageTypeError(
            f"{msgtype}: the recorded definition differs from the installed one ({len(raw)} bytes read back as "
            f"{len(again)})"
        )


def _is_latched(connection: Connection) -> bool:
    if connection.topic in LATCHED_TOPICS:
        return True
    profiles = getattr(connection.ext, "offered_qos_profiles", None) or []
    return any(getattr(p, "durability", None) == QosDurability.TRANSIENT_LOCAL for p in profiles)


@dataclass
class PlaybackReport:
    """What a replay did: messages per published topic, skipped recorded topics with the reason, passes over the
    bag, wall-clock seconds, and whether it was stopped before the end."""

    published: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    passes: int = 0
    wall_s: float = 0.0
    stopped: bool = False

    def summary(self) -> str:
        total = sum(self.published.values())
        state = "stopped" if self.stopped else "done"
        return (
            f"{state}: {total} messages on {len(self.published)} topics in {self.wall_s:.2f} s, {self.passes} pass(es)"
        )


class BagPlayer:
    """Publishes a bag's messages through `node` at their recorded rate (see the module docstring).

    Opening reads the bag's topics and creates the publishers, so subscribers can match before `play`:

    >>> with BagPlayer(node, PlaybackOptions(bag, rate=2.0)) as player:
    ...     report = player.play(stop_event)
    """

    def __init__(self, node: Node, options: PlaybackOptions) -> None:
        self._node = node
        self._options = options
        try:
            self._reader = AnyReader([options.bag])
            self._reader.open()
        except Exception as error:  # rosbags raises several unrelated types for unreadable bags
            raise BagError(f"cannot read bag {options.bag}: {error}") from None
        try:
            if not self._reader.is2:
                raise BagError(f"bag {options.bag} is a ROS 1 bag; convert it with rosbags-convert first")
            self.skipped: dict[str, str] = {}
            self._publishers: dict[int, tuple[str, Publisher]] = {}
            self._create_publishers()
        except BaseException:
            self._reader.close()
            raise
        self._clock = node.create_publisher(Clock, "/clock", reliable_qos(1)) if options.clock else None

    def _selected_connections(self) -> list[Connection]:
        connections = list(self._reader.connections)
        if not self._options.topics:
            return connections
        available = {c.topic for c in connections}
        missing = [t for t in self._options.topics if t not in available]
        if missing:
            listing = ", ".join(sorted(available))
            raise BagError(f"bag {self._options.bag} has no topic {', '.join(missing)}; it has: {listing}")
        return [c for c in connections if c.topic in self._options.topics]

    def _create_publishers(self) -> None:
        types: dict[str, str] = {}
        for connection in self._selected_connections():
            topic, msgtype = connection.topic, connection.msgtype
            if self._options.clock and self._options.rename(topic) == "/clock":
                self.skipped[topic] = "the player publishes its own /clock (clock is on)"
                continue
            if types.setdefault(topic, msgtype) != msgtype:
                self.skipped[f"{topic} ({msgtype})"] = f"the topic is also recorded as {types[topic]}"
                continue
            try:
                first = next(self._reader.messages(connections=[connection]), None)
                if first is not None:
                    _check_layout(bytes(first[2]), msgtype)
            except MessageTypeError as error:
                self.skipped[topic] = str(error)
                continue
            published = self._options.rename(topic)
            qos = latched_qos() if _is_latched(connection) else reliable_qos()
            publisher = self._node.create_publisher(message_class(msgtype), published, qos)
            self._publishers[connection.id] = (published, publisher)

    @property
    def topics(self) -> dict[str, str]:
        """Published topic name -> its message type, for what this player publishes."""
        by_id = {c.id: c for c in self._reader.connections}
        return {name: by_id[cid].msgtype for cid, (name, _) in self._publishers.items()}

    def subscriber_counts(self) -> dict[str, int]:
        """Published topic -> subscriptions matched with its publisher (to wait for listeners before `play`)."""
        return {name: publisher.get_subscription_count() for name, publisher in self._publishers.values()}

    def _bag_time(self, wall_now: float, pass_start: float, next_stamp_ns: int) -> int:
        """The bag's time at `wall_now`: never before its start (the gap between passes) nor past the next message."""
        elapsed_ns = round((wall_now - pass_start) * self._options.rate * NS_PER_S)
        return max(self._reader.start_time, min(next_stamp_ns, self._reader.start_time + elapsed_ns))

    def _publish_clock(self, stamp_ns: int) -> None:
        if self._clock is not None:
            message = Clock()
            message.clock.sec, message.clock.nanosec = divmod(stamp_ns, NS_PER_S)
            self._clock.publish(message)

    def _wait_until(self, due: float, pass_start: float, stamp_ns: int, stop: threading.Event) -> bool:
        """Sleep until the monotonic time `due` (of the message stamped `stamp_ns`), publishing /clock meanwhile;
        False when `stop` was set."""
        period = 1.0 / CLOCK_HZ
        while True:
            now = time.monotonic()
            if now >= due:
                return not stop.is_set()
            if self._clock is not None:
                self._publish_clock(self._bag_time(now, pass_start, stamp_ns))
                wake = min(due, now + period)
            else:
                wake = due
            if stop.wait(wake - now):
                return False

    def play(self, stop: threading.Event | None = None) -> PlaybackReport:
        """Publish the bag (over and over with `loop`) until its end or until `stop` is set."""
        stop = threading.Event() if stop is None else stop
        options = self._options
        report = PlaybackReport(skipped=dict(self.skipped))
        connections = [c for c in self._reader.connections if c.id in self._publishers]
        started = time.monotonic()
        if options.delay_s and stop.wait(options.delay_s):
            report.stopped = True
            return report
        start_ns = self._reader.start_time
        span_s = (self._reader.end_time - start_ns) / NS_PER_S
        count = sum(c.msgcount for c in connections)
        # Between passes, the mean spacing of the messages, so the last and first are not sent at once.
        gap_s = span_s / max(count - 1, 1)
        pass_start = time.monotonic()
        while connections:
            report.passes += 1
            for connection, stamp_ns, raw in self._reader.messages(connections=connections):
                due = pass_start + (stamp_ns - start_ns) / NS_PER_S / options.rate
                if not self._wait_until(due, pass_start, stamp_ns, stop):
                    report.stopped = True
                    report.wall_s = time.monotonic() - started
                    return report
                name, publisher = self._publishers[connection.id]
                self._publish_clock(stamp_ns)
                publisher.publish(raw if isinstance(raw, bytes) else bytes(raw))
                report.published[name] = report.published.get(name, 0) + 1
            if not options.loop or stop.is_set():
                break
            pass_start += (span_s + gap_s) / options.rate
        report.stopped = stop.is_set()
        report.wall_s = time.monotonic() - started
        return report

    def close(self) -> None:
        for _, publisher in self._publishers.values():
            self._node.destroy_publisher(publisher)
        self._publishers.clear()
        if self._clock is not None:
            self._node.destroy_publisher(self._clock)
            self._clock = None
        self._reader.close()

    def __enter__(self) -> BagPlayer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mono_depth_ros.ros.player",
        description="Publish a rosbag2's messages at their recorded rate with rclpy (ros2 bag play without ROS).",
        epilog="ROS arguments (--ros-args -r ... ) apply to the player node.",
    )
    parser.add_argument("bag", type=Path, help="rosbag2 folder or file (mcap or sqlite3)")
    add_playback_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Play a bag; SIGINT/SIGTERM stop it. Exit code 0, or 1 with one line naming what failed."""
    argv = list(sys.argv if argv is None else argv)
    args = _parser().parse_args(remove_ros_args(argv)[1:])
    try:
        options = playback_options(args.bag, args)
    except MonoDepthError as error:
        print(f"bag_player: error: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()
    rclpy.init(args=argv, signal_handler_options=SignalHandlerOptions.NO)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _signum, _frame: stop.set())
    node = rclpy.create_node("bag_player")
    try:
        with BagPlayer(node, options) as player:
            for topic, reason in player.skipped.items():
                node.get_logger().warning(f"skipping {topic}: {reason}")
            report = player.play(stop)
        node.get_logger().info(f"{options.bag}: {report.summary()}")
        return 0
    except MonoDepthError as error:
        print(f"bag_player: error: {error}", file=sys.stderr)
        return 1
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    sys.exit(main())
