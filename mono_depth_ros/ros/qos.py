"""QoS profiles of the nodes (shared/DESIGN.md section 4): sensor streams in best effort with a depth of 1 (the
newest frame wins, no backlog), outputs reliable, calibration results latched (transient local)."""

from __future__ import annotations

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

from mono_depth_ros.ros.errors import ParameterError

__all__ = ["QOS_CHOICES", "latched_qos", "qos_by_name", "reliable_qos", "sensor_qos"]

QOS_CHOICES: tuple[str, ...] = ("sensor", "reliable")
"""The names the `input_qos` / `output_qos` override parameters accept."""


def _depth(depth: object) -> int:
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ParameterError(f"a QoS history depth must be a positive integer, got {depth!r}")
    return depth


def sensor_qos(depth: int = 1) -> QoSProfile:
    """Best effort, keep last `depth`, volatile: a late subscriber gets no history and nothing queues."""
    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=_depth(depth),
        reliability=ReliabilityPolicy.BEST_EFFORT,
        durability=DurabilityPolicy.VOLATILE,
    )


def reliable_qos(depth: int = 10) -> QoSProfile:
    """Reliable, keep last `depth`, volatile: what RViz and recorders subscribe with (a best-effort subscriber
    connects to it too)."""
    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=_depth(depth),
        reliability=ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.VOLATILE,
    )


def latched_qos() -> QoSProfile:
    """Reliable, transient local, keep last 1: a late subscriber gets the last value (e.g. `depth_scale`)."""
    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=1,
        reliability=ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.TRANSIENT_LOCAL,
    )


def qos_by_name(name: str, depth: int | None = None) -> QoSProfile:
    """The profile a QoS override parameter names ("sensor" or "reliable"), with each profile's default depth
    unless `depth` is given."""
    if name == "sensor":
        return sensor_qos() if depth is None else sensor_qos(depth)
    if name == "reliable":
        return reliable_qos() if depth is None else reliable_qos(depth)
    raise ParameterError(f"QoS profile must be one of {', '.join(QOS_CHOICES)}, got {name!r}")
