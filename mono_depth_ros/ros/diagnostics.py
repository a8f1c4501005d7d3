"""Diagnostics of the nodes: event rates over a sliding window, recent-value medians (latency), the
diagnostic_msgs/DiagnosticArray a node publishes on `/diagnostics` and the timer that publishes it."""

from __future__ import annotations

import statistics
import threading
from collections import deque
from collections.abc import Callable, Mapping
from enum import Enum

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.timer import Timer

from mono_depth_ros.ros.errors import RosAdapterError

__all__ = [
    "DIAGNOSTICS_PERIOD_S",
    "DiagnosticLevel",
    "MedianWindow",
    "RateMeter",
    "diagnostic_array",
    "diagnostics_timer",
    "format_value",
]

DIAGNOSTICS_PERIOD_S = 1.0


class DiagnosticLevel(Enum):
    """diagnostic_msgs/DiagnosticStatus levels."""

    OK = 0
    WARN = 1
    ERROR = 2
    STALE = 3


class RateMeter:
    """Events per second over the last `window_s` seconds; thread-safe (ticks from a worker, reads from a timer).

    The rate is (ticks in the window - 1) / (now - oldest tick in the window): 0 with fewer than two ticks, and it
    falls to 0 when the events stop.
    """

    def __init__(self, window_s: float = 5.0) -> None:
        if isinstance(window_s, bool) or not isinstance(window_s, (int, float)) or not window_s > 0:
            raise RosAdapterError(f"window_s must be a positive number of seconds, got {window_s!r}")
        self.window_s = float(window_s)
        self._ticks: deque[float] = deque()
        self._lock = threading.Lock()

    def _expire(self, now_s: float) -> None:
        while self._ticks and self._ticks[0] < now_s - self.window_s:
            self._ticks.popleft()

    def tick(self, now_s: float) -> None:
        with self._lock:
            self._ticks.append(now_s)
            self._expire(now_s)

    def rate(self, now_s: float) -> float:
        with self._lock:
            self._expire(now_s)
            if len(self._ticks) < 2:
                return 0.0
            span = now_s - self._ticks[0]
            return (len(self._ticks) - 1) / span if span > 0 else 0.0


class MedianWindow:
    """The median of the last `size` values (e.g. latencies in seconds); thread-safe."""

    def __init__(self, size: int = 100) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise RosAdapterError(f"size must be a positive integer, got {size!r}")
        self._values: deque[float] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, value: float) -> None:
        with self._lock:
            self._values.append(float(value))

    @property
    def last(self) -> float | None:
        """The newest value, or None before the first."""
        with self._lock:
            return self._values[-1] if self._values else None

    def median(self) -> float | None:
        """The median of the values held, or None before the first."""
        with self._lock:
            return statistics.median(self._values) if self._values else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)


def format_value(value: object) -> str:
    """A diagnostic value as text: floats with 4 significant digits, None as "n/a"."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def diagnostic_array(
    node: Node, name: str, level: DiagnosticLevel, message: str, values: Mapping[str, object]
) -> DiagnosticArray:
    """A DiagnosticArray with one status (`name`, `level`, `message`, `values` as key/value text), stamped with the
    node's clock; hardware_id is the node's name."""
    status = DiagnosticStatus()
    status.level = bytes([level.value])
    status.name = name
    status.message = message
    status.hardware_id = node.get_name()
    status.values = [KeyValue(key=str(key), value=format_value(value)) for key, value in values.items()]
    array = DiagnosticArray()
    array.header.stamp = node.get_clock().now().to_msg()
    array.status = [status]
    return array


def diagnostics_timer(node: Node, publish: Callable[[], None], period_s: float = DIAGNOSTICS_PERIOD_S) -> Timer:
    """A timer of `node` calling `publish` every `period_s` seconds, in its own callback group (never held up by
    the inputs) and on the steady clock, so diagnostics keep their period when sim time jumps (a bag loop)."""
    return node.create_timer(
        period_s,
        publish,
        callback_group=MutuallyExclusiveCallbackGroup(),
        clock=Clock(clock_type=ClockType.STEADY_TIME),
    )
