"""The depth node benchmarks: tiny real runs on an in-process rclpy graph, and their verdicts."""

from __future__ import annotations

import pytest

from mono_depth_ros.bench.node import (
    TARGET_NODE_RATIO,
    NodeOverheadResult,
    NodeOverloadResult,
    run_node_overhead,
    run_node_overload,
)
from mono_depth_ros.bench.timing import Timing

pytestmark = pytest.mark.ros

TINY = {"network_size": (96, 64), "image_size": (160, 64), "device": "cpu"}


def test_a_tiny_overhead_run_gives_sane_numbers() -> None:
    steps: list[str] = []
    result = run_node_overhead(3, warmup=1, progress=steps.append, **TINY)
    assert steps == ["overhead 1/4", "overhead 2/4", "overhead 3/4", "overhead 4/4"]
    assert (result.network, result.image, result.device) == ((96, 64), (160, 64), "cpu")
    for timing in (result.node, result.estimator, result.round_trip):
        assert timing.repeats == 3
        assert 0 < timing.median_ms < 10_000
    # The driver's round trip contains the node's arrival -> published time.
    assert result.round_trip.median_ms > result.node.median_ms
    table = result.format()
    assert "in-process rclpy graph, MultiThreadedExecutor; 3 interleaved pairs" in table
    assert f"ratio node / estimator = {result.ratio:.3f}" in table


def test_a_tiny_overload_run_gives_sane_numbers() -> None:
    # A 640x192 network (~5 Hz on one thread) at 2x. Faster networks need input rates (96x64 at 3x: ~100 Hz; 320x96
    # at 2x: ~30 Hz) at which the in-process driver and the node's executor starve each other on 2 cores: CI saw 0-1
    # outputs in the window. The full benchmark runs 640x192 too.
    result = run_node_overload(4.0, factor=2.0, calibration_frames=3, **{**TINY, "network_size": (640, 192)})
    assert result.device == "cpu"
    assert result.input_rate_hz > result.max_rate_hz  # overloaded
    assert 0 < result.published < result.sent  # frames were dropped rather than queued
    assert result.output_rate_hz > 0
    assert result.latency_first_ms > 0
    assert result.rss_first_mib > 0
    assert result.service_alone_ms > 0
    assert result.service_loaded_ms > 0
    assert "4 s at" in result.format()


def timing(median_ms: float) -> Timing:
    return Timing(median_ms, median_ms, 5)


def test_verdicts() -> None:
    fast = NodeOverheadResult((640, 192), (640, 192), "cpu", timing(110.0), timing(100.0), timing(130.0))
    assert fast.missed_targets() == []
    slow = NodeOverheadResult((640, 192), (640, 192), "cpu", timing(130.0), timing(100.0), timing(150.0))
    assert slow.missed_targets() == [f"depth_node <= {TARGET_NODE_RATIO:g}x the DepthEstimator's time (got 1.30x)"]
    flat = NodeOverloadResult(30.0, "cpu", 5.0, 200.0, 200.0, 15.0, 4.9, 300.0, 310.0, 700.0, 705.0, 450, 147)
    assert flat.missed_targets() == []
    assert "ok" in flat.format()
    bad = NodeOverloadResult(30.0, "cpu", 5.0, 200.0, 330.0, 15.0, 3.0, 300.0, 900.0, 700.0, 800.0, 450, 90)
    missed = bad.missed_targets()
    assert missed[0] == "overload output rate >= 85% of the maximum 5.00 Hz (got 3.00 Hz)"
    assert missed[1] == "overload latency flat (last third 900.0 ms vs first third 300.0 ms)"
    assert missed[2] == "overload memory flat (RSS 700 -> 800 MiB, allowed +32 MiB)"
    assert "MISSED" in bad.format()
