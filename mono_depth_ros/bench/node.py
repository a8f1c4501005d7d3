"""depth_node under load, measured inside one process on a real rclpy graph: a driver node publishes camera images
(best effort, as a camera driver does) and subscribes to the outputs (reliable, as RViz does); the depth node runs
beside it; one MultiThreadedExecutor spins both on a background thread. DDS stays on loopback.

- `run_node_overhead`: per frame, the node's time from the image arriving (its subscription callback) to depth,
  camera_info and points published, beside `DepthEstimator.predict` on the same frame with the same settings,
  interleaved (node, estimator, node, ...). Target: the node's median at most 1.25x the estimator's. The driver's
  round trip (publish -> depth and points received, transport and deserialisation included) is reported too.
- `run_node_overload`: images published at `factor` (3) times the node's maximum rate for `duration_s`; the maximum
  is 1 / the node's median time per frame (dequeued -> published) with frames sent one at a time, before and after
  the overload. The output rate must stay at the maximum (>= 85 %), the latency (driver's publish -> depth
  received) flat (median of the last third <= 1.25x the first third's + 5 ms), and the process's memory must not
  grow (RSS median of the last third <= the first third's + 32 MiB; the driver keeps no received messages).

The harness is `mono_depth_ros.ros.depth_graph.DepthGraph` (also used by the depth node's tests).
"""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mono_depth_ros.bench.errors import BenchmarkError
from mono_depth_ros.bench.timing import Timing
from mono_depth_ros.ros.depth_graph import DepthGraph, frame_messages
from mono_depth_ros.ros.diagnostics import MedianWindow

__all__ = [
    "DEFAULT_OVERHEAD_REPEATS",
    "DEFAULT_OVERLOAD_S",
    "TARGET_NODE_RATIO",
    "NodeOverheadResult",
    "NodeOverloadResult",
    "run_node_overhead",
    "run_node_overload",
]

DEFAULT_OVERHEAD_REPEATS = 20
DEFAULT_OVERLOAD_S = 30.0
NETWORK_SIZE = (640, 192)
IMAGE_SIZE = (640, 192)
TARGET_NODE_RATIO = 1.25
OVERLOAD_FACTOR = 3.0
MIN_OUTPUT_FRACTION = 0.85
LATENCY_GROWTH = 1.25
LATENCY_SLACK_S = 0.005
RSS_GROWTH_BYTES = 32 * 1024 * 1024
RSS_PERIOD_S = 0.2
FRAME_ID = "camera_optical_frame"
WAIT_S = 30.0


# --------------------------------------------------------------------------------------------------------------------
# Frames and models


@dataclass(frozen=True)
class BenchFrame:
    rgb: np.ndarray
    camera: Any  # CameraModel


def synthetic_frame(width: int, height: int) -> BenchFrame:
    """One frame of the synthetic street at `width` x `height` and its camera."""
    from mono_depth_ros.core.wire import CameraModel
    from mono_depth_ros.data.sim import SimConfig, SyntheticWorld

    world = SyntheticWorld(SimConfig(width=width, height=height, seed=0), frames=1)
    return BenchFrame(world.render_frame(0).left_rgb, CameraModel.from_intrinsics(world.intrinsics))


def messages(frame: BenchFrame, stamp: int) -> tuple[Any, Any]:
    """(Image rgb8, CameraInfo) of `frame` with `stamp` (ns)."""
    return frame_messages(frame.rgb, frame.camera, stamp, FRAME_ID)


@contextmanager
def untrained_checkpoint(width: int, height: int) -> Iterator[Path]:
    """A ResNet-18 checkpoint with random weights (timing does not depend on them) in a temporary folder."""
    from mono_depth_ros.core.models import Checkpoint, ModelConfig, Networks, save_checkpoint

    with tempfile.TemporaryDirectory(prefix="mono-depth-bench-") as folder:
        path = Path(folder) / "model.pt"
        save_checkpoint(Checkpoint.from_networks(Networks.build(ModelConfig(pose=False)), width, height), path)
        yield path


def _node_parameters(checkpoint: Path, device: str, stride: int) -> dict[str, Any]:
    return {
        "checkpoint": str(checkpoint),
        "device": device,
        "scale_source": "fixed",
        "scale": 1.0,
        "publish_points": True,
        "points_rgb": True,
        "points_stride": stride,
    }


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# --------------------------------------------------------------------------------------------------------------------
# Overhead


@dataclass(frozen=True)
class NodeOverheadResult:
    network: tuple[int, int]
    image: tuple[int, int]
    device: str
    node: Timing
    """Image arriving at the node -> depth, camera_info and points published."""
    estimator: Timing
    """DepthEstimator.predict on the same frame, same settings."""
    round_trip: Timing
    """Driver publishes the image -> it has received depth, camera_info and points."""

    @property
    def ratio(self) -> float:
        return self.node.median_ms / self.estimator.median_ms if self.estimator.median_ms > 0 else math.inf

    def missed_targets(self) -> list[str]:
        if self.ratio <= TARGET_NODE_RATIO:
            return []
        return [f"depth_node <= {TARGET_NODE_RATIO:g}x the DepthEstimator's time (got {self.ratio:.2f}x)"]

    def format(self) -> str:
        ok = "ok" if self.ratio <= TARGET_NODE_RATIO else "MISSED"
        return "\n".join(
            [
                f"depth_node overhead ({self.device}, network {self.network[0]}x{self.network[1]}, image "
                f"{self.image[0]}x{self.image[1]} rgb8, points with rgb; in-process rclpy graph, MultiThreadedExecutor"
                f"; {self.node.repeats} interleaved pairs)",
                f"{'':28s} {'median ms':>9s} {'p90 ms':>7s}",
                f"{'node: arrival -> published':28s} {self.node.median_ms:9.1f} {self.node.p90_ms:7.1f}",
                f"{'DepthEstimator.predict':28s} {self.estimator.median_ms:9.1f} {self.estimator.p90_ms:7.1f}",
                f"{'driver round trip':28s} {self.round_trip.median_ms:9.1f} {self.round_trip.p90_ms:7.1f}",
                f"ratio node / estimator = {self.ratio:.3f}   target <= {TARGET_NODE_RATIO:g}x {ok}",
            ]
        )


def run_node_overhead(
    repeats: int = DEFAULT_OVERHEAD_REPEATS,
    *,
    network_size: tuple[int, int] = NETWORK_SIZE,
    image_size: tuple[int, int] = IMAGE_SIZE,
    device: str = "auto",
    points_stride: int = 1,
    warmup: int = 3,
    progress: Callable[[str], None] | None = None,
) -> NodeOverheadResult:
    """Time `repeats` interleaved (node, estimator) pairs on one frame (see the module docstring)."""
    from mono_depth_ros.core.inference import DepthEstimator

    frame = synthetic_frame(*image_size)
    intrinsics = frame.camera.rectified_intrinsics()
    with untrained_checkpoint(*network_size) as checkpoint:
        estimator = DepthEstimator(checkpoint, device=device, min_depth=0.1, max_depth=100.0)
        node_ns: list[int] = []
        estimator_ns: list[int] = []
        trip_ns: list[int] = []
        with DepthGraph(_node_parameters(checkpoint, device, points_stride), namespace="/bench_overhead") as graph:
            if not graph.wait_connected():
                raise BenchmarkError("the bench driver and the depth node did not connect")
            for index in range(warmup + repeats):
                image, info = messages(frame, 1_000_000_000 + index)
                start = time.perf_counter_ns()
                graph.exchange(image, info)
                trip = time.perf_counter_ns() - start
                latency = graph.node.latency_s.last
                start = time.perf_counter_ns()
                estimator.predict(
                    frame.rgb, intrinsics=intrinsics, points=True, points_rgb=True, points_stride=points_stride
                )
                elapsed = time.perf_counter_ns() - start
                if index >= warmup:
                    node_ns.append(round(latency * 1e9))
                    estimator_ns.append(elapsed)
                    trip_ns.append(trip)
                if progress is not None:
                    progress(f"overhead {index + 1}/{warmup + repeats}")
    return NodeOverheadResult(
        network_size,
        image_size,
        str(estimator.device),
        Timing.from_samples_ns(node_ns),
        Timing.from_samples_ns(estimator_ns),
        Timing.from_samples_ns(trip_ns),
    )


# --------------------------------------------------------------------------------------------------------------------
# Overload


@dataclass(frozen=True)
class NodeOverloadResult:
    duration_s: float
    device: str
    max_rate_hz: float
    """1 / service_alone_ms."""
    service_alone_ms: float
    """The node's median time per frame (dequeued -> published), frames sent one at a time before and after."""
    service_loaded_ms: float
    """The same over the overload's frames."""
    input_rate_hz: float
    output_rate_hz: float
    latency_first_ms: float
    latency_last_ms: float
    rss_first_mib: float
    rss_last_mib: float
    sent: int
    published: int

    @property
    def busy_fraction(self) -> float:
        """Output rate x time per frame under overload: 1 when the worker never waits for a frame."""
        return self.output_rate_hz * self.service_loaded_ms / 1000.0

    def missed_targets(self) -> list[str]:
        missed = []
        if self.output_rate_hz < MIN_OUTPUT_FRACTION * self.max_rate_hz:
            missed.append(
                f"overload output rate >= {MIN_OUTPUT_FRACTION:.0%} of the maximum {self.max_rate_hz:.2f} Hz (got "
                f"{self.output_rate_hz:.2f} Hz)"
            )
        if self.latency_last_ms > LATENCY_GROWTH * self.latency_first_ms + 1000 * LATENCY_SLACK_S:
            missed.append(
                f"overload latency flat (last third {self.latency_last_ms:.1f} ms vs first third "
                f"{self.latency_first_ms:.1f} ms)"
            )
        if (self.rss_last_mib - self.rss_first_mib) * 1024 * 1024 > RSS_GROWTH_BYTES:
            missed.append(
                f"overload memory flat (RSS {self.rss_first_mib:.0f} -> {self.rss_last_mib:.0f} MiB, allowed +"
                f"{RSS_GROWTH_BYTES / 1024 / 1024:.0f} MiB)"
            )
        return missed

    def format(self) -> str:
        ok = "ok" if not self.missed_targets() else "MISSED"
        return "\n".join(
            [
                f"depth_node overload ({self.device}, {self.duration_s:g} s at {self.input_rate_hz:.1f} Hz = "
                f"{self.input_rate_hz / self.max_rate_hz:.1f}x the node's maximum {self.max_rate_hz:.2f} Hz; "
                f"{self.sent} images sent, {self.published} depth images received)",
                f"node time per frame (dequeued -> published): {self.service_alone_ms:.1f} ms frame by frame, "
                f"{self.service_loaded_ms:.1f} ms under overload; busy {self.busy_fraction:.0%} of the time",
                f"output rate {self.output_rate_hz:.2f} Hz ({self.output_rate_hz / self.max_rate_hz:.0%} of the "
                f"maximum; target >= {MIN_OUTPUT_FRACTION:.0%})",
                f"latency median (publish -> received) first third {self.latency_first_ms:.1f} ms, last third "
                f"{self.latency_last_ms:.1f} ms (target <= {LATENCY_GROWTH:g}x + {1000 * LATENCY_SLACK_S:g} ms)",
                f"RSS median first third {self.rss_first_mib:.0f} MiB, last third {self.rss_last_mib:.0f} MiB "
                f"(target growth <= {RSS_GROWTH_BYTES / 1024 / 1024:.0f} MiB)   {ok}",
            ]
        )


def _thirds_median(samples: list[tuple[float, float]], start: float, end: float) -> tuple[float, float]:
    """Medians of the values whose times fall in the first and in the last third of [start, end]."""
    third = (end - start) / 3.0
    first = [v for t, v in samples if t < start + third]
    last = [v for t, v in samples if t >= end - third]
    if not first or not last:
        raise BenchmarkError(f"too few samples to compare thirds ({len(samples)} in {end - start:.1f} s)")
    return statistics.median(first), statistics.median(last)


def _frame_by_frame(graph: DepthGraph, frame: BenchFrame, count: int, first_stamp: int) -> list[float]:
    """The node's time per frame (dequeued -> published, s) for `count` frames sent one at a time."""
    times = []
    for index in range(count):
        graph.exchange(*messages(frame, first_stamp + index))
        graph.wait_for(lambda: graph.node.worker.idle, WAIT_S)  # the worker records the time after publishing
        times.append(graph.node.service_s.last)
    return times


def run_node_overload(
    duration_s: float = DEFAULT_OVERLOAD_S,
    *,
    factor: float = OVERLOAD_FACTOR,
    network_size: tuple[int, int] = NETWORK_SIZE,
    image_size: tuple[int, int] = IMAGE_SIZE,
    device: str = "auto",
    calibration_frames: int = 10,
    progress: Callable[[str], None] | None = None,
) -> NodeOverloadResult:
    """Publish at `factor` x the node's maximum rate for `duration_s` and watch rate, latency and memory.

    The maximum rate is 1 / the node's median time per frame sent one at a time, `calibration_frames` before and as
    many after the overload (the median of both: a shared machine's load drifts)."""
    frame = synthetic_frame(*image_size)
    with (
        untrained_checkpoint(*network_size) as checkpoint,
        DepthGraph(_node_parameters(checkpoint, device, 1), namespace="/bench_overload", keep_messages=False) as graph,
    ):
        if not graph.wait_connected():
            raise BenchmarkError("the bench driver and the depth node did not connect")
        alone = _frame_by_frame(graph, frame, calibration_frames + 1, 1_000_000_000)[1:]  # not the first's one-offs
        max_rate = 1.0 / statistics.median(alone)
        period = 1.0 / (factor * max_rate)
        device_name = str(graph.node.pipeline.model.estimator.device)
        if progress is not None:
            progress(f"overload at {factor * max_rate:.1f} Hz for {duration_s:g} s")

        graph.node.service_s = loaded = MedianWindow(1_000_000)  # every frame of the overload
        sent: dict[int, float] = {}
        rss: list[tuple[float, float]] = []
        first_stamp = 2_000_000_000
        start = time.monotonic()
        next_send = next_rss = start
        index = 0
        while (now := time.monotonic()) < start + duration_s:
            if now >= next_rss:
                rss.append((now, float(_rss_bytes())))
                next_rss += RSS_PERIOD_S
            if now >= next_send:
                image, info = messages(frame, first_stamp + index)
                sent[first_stamp + index] = time.monotonic()
                graph.send(image, info)
                index += 1
                next_send += period
            time.sleep(max(0.0, min(next_send, next_rss) - time.monotonic()))
        end = time.monotonic()
        graph.wait_for(lambda: graph.node.worker.idle, WAIT_S)
        time.sleep(0.5)  # the last outputs in flight
        service_loaded = loaded.median()
        graph.node.service_s = MedianWindow()
        alone += _frame_by_frame(graph, frame, calibration_frames, 3_000_000_000)
        with graph.inbox.condition:
            arrivals = sorted(
                (sent[s], o.received_s) for s, o in graph.inbox.outputs.items() if s in sent and o.depth is not None
            )
    service_alone = statistics.median(alone)
    max_rate = 1.0 / service_alone
    received = [(sent_s, got_s - sent_s) for sent_s, got_s in arrivals]
    # Throughput in the steady state: outputs received while images were still arriving, first to last.
    in_window = [got_s for _, got_s in arrivals if got_s <= end]
    if len(in_window) < 2 or service_loaded is None:
        raise BenchmarkError(f"only {len(in_window)} depth images arrived in {duration_s:g} s of overload")
    output_rate = (len(in_window) - 1) / (in_window[-1] - in_window[0])
    latency_first, latency_last = _thirds_median(received, start, end)
    rss_first, rss_last = _thirds_median(rss, start, end)
    return NodeOverloadResult(
        duration_s=duration_s,
        device=device_name,
        max_rate_hz=max_rate,
        service_alone_ms=1000.0 * service_alone,
        service_loaded_ms=1000.0 * service_loaded,
        input_rate_hz=len(sent) / (end - start),
        output_rate_hz=output_rate,
        latency_first_ms=1000.0 * latency_first,
        latency_last_ms=1000.0 * latency_last,
        rss_first_mib=rss_first / 1024 / 1024,
        rss_last_mib=rss_last / 1024 / 1024,
        sent=len(sent),
        published=len(received),
    )
