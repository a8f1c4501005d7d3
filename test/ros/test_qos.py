"""QoS profiles: sensor streams best effort depth 1, outputs reliable, latched = reliable + transient local."""

from __future__ import annotations

import pytest
from rclpy.qos import DurabilityPolicy, HistoryPolicy, ReliabilityPolicy

from mono_depth_ros.ros.errors import ParameterError
from mono_depth_ros.ros.qos import QOS_CHOICES, latched_qos, qos_by_name, reliable_qos, sensor_qos


def test_sensor_qos_is_best_effort_keep_last_volatile() -> None:
    qos = sensor_qos()
    assert qos.reliability == ReliabilityPolicy.BEST_EFFORT
    assert qos.history == HistoryPolicy.KEEP_LAST
    assert qos.depth == 1
    assert qos.durability == DurabilityPolicy.VOLATILE
    assert sensor_qos(3).depth == 3


def test_reliable_and_latched_qos() -> None:
    reliable = reliable_qos()
    assert reliable.reliability == ReliabilityPolicy.RELIABLE
    assert reliable.depth == 10
    assert reliable.durability == DurabilityPolicy.VOLATILE
    latched = latched_qos()
    assert latched.reliability == ReliabilityPolicy.RELIABLE
    assert latched.durability == DurabilityPolicy.TRANSIENT_LOCAL
    assert latched.depth == 1


def test_qos_by_name() -> None:
    assert QOS_CHOICES == ("sensor", "reliable")
    assert qos_by_name("sensor").reliability == ReliabilityPolicy.BEST_EFFORT
    assert qos_by_name("reliable").reliability == ReliabilityPolicy.RELIABLE
    assert qos_by_name("reliable", 2).depth == 2
    with pytest.raises(ParameterError, match=r"QoS profile must be one of sensor, reliable, got 'fast'"):
        qos_by_name("fast")


@pytest.mark.parametrize("depth", [0, -1, True, 1.5])
def test_bad_depth_is_refused(depth: object) -> None:
    with pytest.raises(ParameterError, match=r"history depth must be a positive integer, got "):
        sensor_qos(depth)  # type: ignore[arg-type]
