"""Header stamps (builtin_interfaces/Time: sec, nanosec) as integer nanoseconds, exact for any stamp."""

from __future__ import annotations

__all__ = ["NS_PER_S", "stamp_ns"]

NS_PER_S = 1_000_000_000


def stamp_ns(header: object) -> int:
    """The stamp of a std_msgs/Header (rclpy message or rosbags dataclass) in integer nanoseconds."""
    stamp = header.stamp  # type: ignore[attr-defined]
    return int(stamp.sec) * NS_PER_S + int(stamp.nanosec)
