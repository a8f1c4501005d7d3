"""Metric depth from the live graph (issue 6): the real depth and calibration nodes on a replayed simulated drive.

`run_live_metric`:
1. writes a stereo `simulate` bag (`record_drive`) into a temporary folder (or `out_dir`);
2. runs it through the live graph (`live_graph.record_live_run`): the package's launcher starts depth_node and
   calibration_node (mode `calibration`) as subprocesses on a DDS domain of their own (a random ROS_DOMAIN_ID in
   1..101, ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST); a `GraphRecorder` records `/camera/depth/image`,
   `/camera/depth_scale`, `/diagnostics` and when the camera images arrive; once both nodes report and every
   replayed topic has its subscribers, the package's `BagPlayer` replays the camera topics (and /odom) at `rate`
   times the camera rate. At 1.0 a node slower than the camera drops frames (the newest wins, as on a robot): the
   frames evaluated are those it published, and the report says how many went in and out; pass a lower `rate`
   for every frame to be processed (the calibration node's `rate_hz`, 2 by default, is wall-clock: a slower
   replay also gives it more frames of the drive);
3. matches each depth image by header stamp with the bag's `/camera/left/depth_ground_truth` and evaluates
   (core.evaluation, whole image, depths in [1e-3, 80] m; pixels the node left NaN, outside its depth range, do
   not count and lower the coverage) the frames whose camera image arrived after the first `depth_scale`: metric
   Abs Rel with no ground-truth scaling, and the per-image median-scaled Abs Rel of the same frames. Target:
   metric within 10 % (relative) of the median-scaled value, read as metric <= 1.1 x median-scaled: the one
   calibrated scale costs at most a tenth more error than a per-image ground-truth scale would (a metric value
   below the median-scaled one passes: median scaling is not the Abs Rel optimum of an image).

Latency: replayed stamps are the bag's, so publish -> receive cannot come from header stamps; it is the time from a
camera image's arrival at the recorder to the arrival of its depth image (same stamp), beside the depth node's own
figure (image arrival -> published, from its diagnostics). The scale over time is every `depth_scale` received and
the calibration node's diagnostics (state, scale, samples), in seconds from the start of the replay.
"""

from __future__ import annotations

import contextlib
import json
import math
import shlex
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mono_depth_ros.atomic import atomic_write
from mono_depth_ros.bench.errors import BenchmarkError
from mono_depth_ros.bench.live_graph import LivePlan, LiveRecording, record_live_run
from mono_depth_ros.bench.timing import Timing
from mono_depth_ros.core.evaluation import (
    DepthEvaluator,
    DepthMetrics,
    EvaluationError,
    EvaluationOptions,
    Scaling,
    valid_mask,
)
from mono_depth_ros.core.models import load_checkpoint
from mono_depth_ros.core.numbers import is_positive_number
from mono_depth_ros.core.wire import stamp_ns
from mono_depth_ros.data.bag import iter_messages
from mono_depth_ros.data.bag.frames import message_to_depth
from mono_depth_ros.data.recording import SIM_TOPICS, RecordingOptions, record_drive
from mono_depth_ros.ros.recorder import DiagnosticRecord

__all__ = [
    "DEFAULT_LIVE_FRAMES",
    "LIVE_CALIBRATIONS",
    "TARGET_METRIC_RATIO",
    "LiveMetricResult",
    "LiveSession",
    "depths_after_first_scale",
    "run_live_metric",
    "run_live_session",
]

DEFAULT_LIVE_FRAMES = 200
LIVE_CALIBRATIONS = ("stereo", "odometry", "ground")
TARGET_METRIC_RATIO = 0.10
"""Metric Abs Rel within this fraction (relative) of the median-scaled Abs Rel."""
STARTUP_TIMEOUT_S = 180.0
EVALUATION = EvaluationOptions(crop="none", scaling="none")


@dataclass(frozen=True)
class LiveMetricResult:
    calibration: str
    checkpoint: str
    frames: int
    width: int
    height: int
    rate: float
    frames_in: int
    """Camera images that reached the recorder."""
    frames_out: int
    """Depth images received."""
    frames_evaluated: int
    frames_before_scale: int
    """Depth images whose camera image arrived before the first depth_scale (not evaluated)."""
    scale_converged_s: float | None
    """First depth_scale received, seconds after the replay started."""
    metric: DepthMetrics | None
    median_scaled: DepthMetrics | None
    ratio_median: float | None
    """Median over the evaluated frames of median(GT) / median(metric depth): 1 when the scale is right."""
    coverage: float | None
    """Share of valid ground-truth pixels of the evaluated frames where the node published a depth."""
    input_rate_hz: float | None
    output_rate_hz: float | None
    latency: Timing | None
    """Camera image arrival -> its depth image's arrival, at the recorder."""
    node_latency_ms: float | None
    """The depth node's median image arrival -> published (its last diagnostics)."""
    node_frames_dropped: int | None
    scale_over_time: tuple[tuple[float, float], ...]
    """(seconds since the replay started, depth_scale received)."""
    calibration_states: tuple[tuple[float, str, float | None, int | None], ...]
    """(seconds, state, scale, samples) from the calibration node's diagnostics."""
    playback: str
    launcher: str
    """The launcher's command line."""

    @property
    def metric_ratio(self) -> float | None:
        """metric Abs Rel / median-scaled Abs Rel."""
        if self.metric is None or self.median_scaled is None or self.median_scaled.abs_rel <= 0:
            return None
        return self.metric.abs_rel / self.median_scaled.abs_rel

    def missed_targets(self) -> list[str]:
        ratio = self.metric_ratio
        if self.frames_out == self.frames_before_scale:
            return [f"live {self.calibration}: no depth image after the scale converged to evaluate"]
        if ratio is None:
            return [
                f"live {self.calibration}: no depth where ground truth is valid (coverage "
                f"{0.0 if self.coverage is None else self.coverage:.1%}; depth outside the node's range is NaN)"
            ]
        if ratio - 1.0 > TARGET_METRIC_RATIO:
            return [
                f"live {self.calibration}: metric Abs Rel within {TARGET_METRIC_RATIO:.0%} of the median-scaled one "
                f"(got {self.metric.abs_rel:.4f} vs {self.median_scaled.abs_rel:.4f}, {ratio - 1.0:+.1%})"
            ]
        return []

    def format(self) -> str:
        def number(value: float | None, spec: str, unit: str = "") -> str:
            return "n/a" if value is None else f"{value:{spec}}{unit}"

        ratio = self.metric_ratio
        verdict = "ok" if not self.missed_targets() else "MISSED"
        lines = [
            f"live metric depth (calibration {self.calibration}; launcher: depth_node + calibration_node; stereo drive "
            f"of {self.frames} frames at {self.width}x{self.height} replayed at {self.rate:g}x the camera rate)",
            f"frames: {self.frames_in} camera images in, {self.frames_out} depth images out "
            f"({self.frames_before_scale} before the first depth_scale), {self.frames_evaluated} evaluated; node "
            f"dropped {number(self.node_frames_dropped, 'd')}",
            f"rates: input {number(self.input_rate_hz, '.2f', ' Hz')}, output "
            f"{number(self.output_rate_hz, '.2f', ' Hz')}"
            f"; latency image -> depth at the recorder median {number(self._latency('median_ms'), '.1f', ' ms')}, p90 "
            f"{number(self._latency('p90_ms'), '.1f', ' ms')}; node's own {number(self.node_latency_ms, '.1f', ' ms')}",
            f"scale: first depth_scale {number(self.scale_converged_s, '.2f', ' s')} into the replay, "
            f"{len(self.scale_over_time)} received, last {number(self._last_scale(), '.5g')}; "
            f"median GT/depth ratio {number(self.ratio_median, '.4f')}; coverage {number(self.coverage, '.1%')}",
            f"calibration_node at the end: {self._last_state()}",
            f"Abs Rel metric (no GT scaling) {number(None if self.metric is None else self.metric.abs_rel, '.4f')}, "
            f"median-scaled {number(None if self.median_scaled is None else self.median_scaled.abs_rel, '.4f')}, "
            f"ratio {number(ratio, '.3f')}   target within {TARGET_METRIC_RATIO:.0%} {verdict}",
            f"replay: {self.playback}",
        ]
        return "\n".join(lines)

    def _latency(self, field: str) -> float | None:
        return None if self.latency is None else getattr(self.latency, field)

    def _last_state(self) -> str:
        if not self.calibration_states:
            return "no diagnostics"
        _, state, scale, samples = self.calibration_states[-1]
        shown = "n/a" if scale is None else f"{scale:.4g}"
        return f"{state}, scale {shown} from {'n/a' if samples is None else samples} samples"

    def _last_scale(self) -> float | None:
        return self.scale_over_time[-1][1] if self.scale_over_time else None

    def to_dict(self) -> dict[str, Any]:
        """Plain values (JSON-ready)."""
        values = asdict(self)
        values["metric_ratio"] = self.metric_ratio
        return values


def _rate(arrivals: list[float]) -> float | None:
    if len(arrivals) < 2 or arrivals[-1] <= arrivals[0]:
        return None
    return (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])


def _evaluate(bag: Path, outputs: dict[int, np.ndarray]) -> tuple[DepthEvaluator, DepthEvaluator, int, int]:
    """Metric and median-scaled evaluators over `outputs` (stamp -> depth) against the bag's ground truth; also
    (valid GT pixels with a prediction, valid GT pixels)."""
    metric = DepthEvaluator(EVALUATION)
    median = DepthEvaluator(EvaluationOptions(crop="none", scaling=Scaling.MEDIAN))
    covered = total = 0
    for item in iter_messages(bag, [SIM_TOPICS.left_depth]):
        prediction = outputs.get(stamp_ns(item.message.header))
        if prediction is None:
            continue
        gt = message_to_depth(item.message)
        if gt.shape != prediction.shape:
            raise BenchmarkError(f"depth image {prediction.shape} does not match its ground truth {gt.shape}")
        valid = valid_mask(gt, EVALUATION)
        predicted = valid & np.isfinite(prediction) & (prediction > 0)
        covered, total = covered + int(predicted.sum()), total + int(valid.sum())
        gt = np.where(predicted, gt, np.nan)  # pixels without a prediction do not count
        metric.add(gt, prediction)
        median.add(gt, prediction)
    return metric, median, covered, total


@dataclass(frozen=True)
class LiveSession:
    """A live run with everything it recorded (the demo writes pictures and a point cloud from it)."""

    plan: LivePlan
    recording: LiveRecording
    result: LiveMetricResult


def run_live_session(
    checkpoint: Path | str,
    folder: Path | str,
    *,
    calibration: str = "stereo",
    frames: int = DEFAULT_LIVE_FRAMES,
    rate: float = 1.0,
    width: int | None = None,
    height: int | None = None,
    seed: int = 0,
    device: str = "auto",
    params_file: Path | str | None = None,
    startup_timeout_s: float = STARTUP_TIMEOUT_S,
    record_points: bool = False,
    progress: Callable[[str], None] | None = None,
) -> LiveSession:
    """`run_live_metric` in `folder` (kept: the bag `drive`, which must not exist yet, and `launcher.log`), returning
    the recording too; `record_points` also records the newest point clouds."""
    if calibration not in LIVE_CALIBRATIONS:
        raise BenchmarkError(f"calibration must be one of {', '.join(LIVE_CALIBRATIONS)}, got {calibration!r}")
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 2:
        raise BenchmarkError(f"frames must be an integer >= 2, got {frames!r}")
    if not is_positive_number(rate):
        raise BenchmarkError(f"rate must be a positive finite number, got {rate!r}")
    path = Path(checkpoint).expanduser().absolute()
    model = load_checkpoint(path)
    say = progress or (lambda _line: None)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    plan = LivePlan(
        checkpoint=path,
        folder=folder,
        calibration=calibration,
        frames=frames,
        width=width or model.input_width,
        height=height or model.input_height,
        rate=float(rate),
        seed=seed,
        device=device,
        params_file=None if params_file is None else Path(params_file).expanduser().absolute(),
        startup_timeout_s=startup_timeout_s,
        record_points=record_points,
    )
    say(f"recording {frames} frames")
    record_drive(
        RecordingOptions(out=plan.bag, frames=frames, width=plan.width, height=plan.height, stereo=True, seed=seed)
    )
    recording = record_live_run(plan, say)
    return LiveSession(plan, recording, _summarise(plan, recording))


def run_live_metric(
    checkpoint: Path | str,
    *,
    out_dir: Path | str | None = None,
    **options: Any,
) -> LiveMetricResult:
    """Run the live graph on a simulated drive and evaluate its metric depth (see the module docstring).

    `options` are those of `run_live_session`: `calibration`, `frames`, `rate`, `width` x `height` (default: the
    checkpoint's size), `seed`, `device`, `params_file` (ROS parameters YAML for both nodes, e.g. a calibration
    `tolerance` or `rate_hz`), `startup_timeout_s`, `progress(line)`. The nodes inherit this process's environment
    (OMP_NUM_THREADS, CUDA_VISIBLE_DEVICES, ...). With `out_dir` the bag (`drive`, which must not exist yet),
    `launcher.log` (the launcher's and the nodes' output) and `live_metric.json` stay there; without, everything goes
    into a temporary folder that is removed.

    Raises:
        BenchmarkError: an unknown calibration, frames < 2, a rate that is not positive, a launcher that exits, or
            nodes that do not come up within `startup_timeout_s`.
        CheckpointError, BagError, SimulationError: an unreadable checkpoint, a bag that cannot be written, a size
            the simulator refuses.
    """
    with contextlib.ExitStack() as stack:
        folder = Path(out_dir) if out_dir is not None else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        result = run_live_session(checkpoint, folder, **options).result
        if out_dir is not None:
            with atomic_write(folder / "live_metric.json", "w") as stream:
                json.dump(result.to_dict(), stream, indent=1)
        return result


def _statuses(recording: LiveRecording, node: str) -> list[tuple[float, DiagnosticRecord]]:
    """(arrival, status) of `node`'s diagnostics, oldest first."""
    return [(s.arrival_s, r) for s in recording.diagnostics for r in s.value if r.hardware_id == node]


def depths_after_first_scale(recording: LiveRecording) -> dict[int, np.ndarray]:
    """stamp -> depth image of the frames the metrics score: those whose camera image arrived after the first
    depth_scale did (at the recorder; the node gets both as fast)."""
    if not recording.scales:
        return {}
    first_scale = recording.scales[0].arrival_s
    arrived = {sample.stamp_ns: sample.arrival_s for sample in recording.inputs}
    return {s.stamp_ns: s.value for s in recording.depths if arrived.get(s.stamp_ns, -math.inf) > first_scale}


def _summarise(plan: LivePlan, recording: LiveRecording) -> LiveMetricResult:
    inputs, depths, scales, started = recording.inputs, recording.depths, recording.scales, recording.started
    arrived = {sample.stamp_ns: sample.arrival_s for sample in inputs}
    first_scale = scales[0].arrival_s if scales else None
    after = depths_after_first_scale(recording)
    metric = median = ratio_median = coverage = None
    evaluated = 0
    if after:
        metric_eval, median_eval, covered, total = _evaluate(plan.bag, after)
        coverage = covered / total if total else None
        # Without a single pixel where both ground truth and the node's depth are valid (a scale so wrong that all
        # depth falls outside the node's range) there is nothing to score: metrics stay None, coverage says why.
        with contextlib.suppress(EvaluationError):
            metric_result, median_result = metric_eval.result(), median_eval.result()
            metric, median, ratio_median = metric_result.metrics, median_result.metrics, median_result.ratio_median
            evaluated = len(metric_result.indices)
    latencies = [round((s.arrival_s - arrived[s.stamp_ns]) * 1e9) for s in depths if s.stamp_ns in arrived]
    depth_status = _statuses(recording, "depth_node")
    last = depth_status[-1][1] if depth_status else None
    states = tuple(
        (arrival - started, r.values.get("state", ""), r.number("scale"), _int(r.number("samples")))
        for arrival, r in _statuses(recording, "calibration_node")
        if arrival >= started
    )
    return LiveMetricResult(
        calibration=plan.calibration,
        checkpoint=str(plan.checkpoint),
        frames=plan.frames,
        width=plan.width,
        height=plan.height,
        rate=plan.rate,
        frames_in=len(inputs),
        frames_out=len(depths),
        frames_evaluated=evaluated,
        frames_before_scale=len(depths) - len(after),
        scale_converged_s=None if first_scale is None else first_scale - started,
        metric=metric,
        median_scaled=median,
        ratio_median=ratio_median,
        coverage=coverage,
        input_rate_hz=_rate([s.arrival_s for s in inputs]),
        output_rate_hz=_rate([s.arrival_s for s in depths]),
        latency=Timing.from_samples_ns(latencies) if latencies else None,
        node_latency_ms=None if last is None else last.number("latency_ms"),
        node_frames_dropped=None if last is None else _int(last.number("frames_dropped")),
        scale_over_time=tuple((s.arrival_s - started, float(s.value)) for s in scales),
        calibration_states=states,
        playback=recording.playback,
        launcher=shlex.join(plan.launcher_argv()),
    )


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
