"""Diagnostics: rates over a sliding window, medians, and the DiagnosticArray a node publishes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rclpy.clock import ClockType
from rclpy.node import Node

from mono_depth_ros.ros.diagnostics import (
    DIAGNOSTICS_PERIOD_S,
    DiagnosticLevel,
    MedianWindow,
    RateMeter,
    diagnostic_array,
    diagnostics_timer,
    format_value,
)
from mono_depth_ros.ros.errors import RosAdapterError


def test_rate_meter_measures_and_decays() -> None:
    meter = RateMeter(window_s=2.0)
    assert meter.rate(0.0) == 0.0
    for i in range(11):
        meter.tick(i * 0.1)  # 10 Hz for one second
    assert meter.rate(1.0) == pytest.approx(10.0)
    assert meter.rate(2.0) == pytest.approx(5.0)  # no ticks for a second: the rate falls
    assert meter.rate(3.5) == 0.0  # every tick left the window


def test_rate_meter_refuses_a_bad_window() -> None:
    with pytest.raises(RosAdapterError, match=r"window_s must be a positive number of seconds, got 0"):
        RateMeter(0)


def test_median_window_keeps_the_last_values() -> None:
    window = MedianWindow(3)
    assert window.median() is None
    assert window.last is None
    for value in (10.0, 1.0, 2.0, 3.0):
        window.add(value)
    assert len(window) == 3
    assert window.median() == 2.0
    assert window.last == 3.0
    with pytest.raises(RosAdapterError, match=r"size must be a positive integer, got 0"):
        MedianWindow(0)


def test_format_value() -> None:
    assert format_value(0.123456) == "0.1235"
    assert format_value(None) == "n/a"
    assert format_value(7) == "7"
    assert format_value("topic") == "topic"


@pytest.fixture
def node(ros_node: Callable[[str], Node]) -> Node:
    return ros_node("diagnostics_test_node")


def test_diagnostic_array(node: Node) -> None:
    array = diagnostic_array(node, "depth_node: inference", DiagnosticLevel.WARN, "slow", {"rate_hz": 9.87654, "n": 3})
    assert len(array.status) == 1
    status = array.status[0]
    assert status.level == b"\x01"
    assert status.name == "depth_node: inference"
    assert status.message == "slow"
    assert status.hardware_id == "diagnostics_test_node"
    assert [(kv.key, kv.value) for kv in status.values] == [("rate_hz", "9.877"), ("n", "3")]
    assert array.header.stamp.sec > 0


def test_diagnostics_timer_runs_on_the_steady_clock_in_its_own_group(node: Node) -> None:
    timer = diagnostics_timer(node, lambda: None, period_s=0.5)
    assert timer.timer_period_ns == 500_000_000
    assert timer.clock.clock_type == ClockType.STEADY_TIME
    assert timer.callback_group is not node.default_callback_group
    assert diagnostics_timer(node, lambda: None).timer_period_ns == round(DIAGNOSTICS_PERIOD_S * 1e9)
