"""`run_demo`: the main job end to end on a synthetic drive, and what it leaves in its folder.

1. `bench.live_metric.run_live_session` records a stereo drive through the synthetic street into a bag, starts
   depth_node and calibration_node through the package's launcher (`mono-depth-ros launch`, DDS on loopback with a
   domain of its own), replays the bag at camera rate and records what the nodes publish;
2. the depth images published after the first depth_scale are scored against the bag's ground truth with the core
   evaluation module, without any ground-truth scaling (metric Abs Rel, delta < 1.25), beside the per-image
   median-scaled values;
3. the folder gets `frames/frame_<stamp>.png` (camera frame above its colour-mapped metric depth, fixed 2-80 m
   logarithmic scale), `points.ply` (the last published PointCloud2, coloured), `scale.png` (depth_scale over time),
   `metrics.json`, and the run's `drive` bag and `launcher.log`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mono_depth_ros.assets import DEMO_MODEL
from mono_depth_ros.bench.live_metric import (
    LIVE_CALIBRATIONS,
    LiveMetricResult,
    LiveSession,
    depths_after_first_scale,
    run_live_session,
)
from mono_depth_ros.data.bag.frames import iter_rgb_frames
from mono_depth_ros.data.recording import SIM_TOPICS
from mono_depth_ros.demo.outputs import depth_panel, write_json, write_ply, write_png
from mono_depth_ros.errors import ConfigError
from mono_depth_ros.plots import SCALE_FILE, PlotError, plot_scale_over_time

__all__ = ["DEFAULT_DEMO_FRAMES", "DEMO_CALIBRATIONS", "TARGET_DEMO_ABS_REL", "DemoResult", "run_demo"]

DEFAULT_DEMO_FRAMES = 200
"""20 s at 10 Hz: stereo calibration converges in about 2.5 s, odometry in about 13 s (docs/BENCHMARKS.md)."""
DEMO_CALIBRATIONS = LIVE_CALIBRATIONS
TARGET_DEMO_ABS_REL = 0.15
PICTURED_FRAMES = 4


@dataclass(frozen=True)
class DemoResult:
    live: LiveMetricResult
    session: LiveSession
    """The run with everything recorded (depth images, scales, diagnostics, point clouds)."""
    folder: Path
    pictures: tuple[Path, ...]
    point_cloud: Path | None
    points: int
    scale_plot: str
    """The plot's path, or why there is none."""
    metrics_file: Path

    @property
    def met(self) -> bool:
        metric = self.live.metric
        return metric is not None and metric.abs_rel <= TARGET_DEMO_ABS_REL

    def format(self) -> str:
        live = self.live
        metric, median = live.metric, live.median_scaled
        latency = (
            "n/a"
            if live.latency is None
            else f"median {live.latency.median_ms:.0f} ms, p90 {live.latency.p90_ms:.0f} ms"
        )
        rate = "n/a" if live.output_rate_hz is None else f"{live.output_rate_hz:.1f} Hz"
        first = "never" if live.scale_converged_s is None else f"{live.scale_converged_s:.1f} s into the drive"
        last = live.scale_over_time[-1][1] if live.scale_over_time else None
        state = live.calibration_states[-1] if live.calibration_states else None
        lines = [
            f"demo: a {live.frames}-frame synthetic stereo drive ({live.width}x{live.height}, 10 Hz) through "
            f"depth_node and calibration_node (calibration {live.calibration}), model {Path(live.checkpoint).name}",
            f"frames: {live.frames_in} in, {live.frames_out} depth images out at {rate} ({live.frames_before_scale} "
            f"before the first scale), {live.frames_evaluated} evaluated; latency image -> depth {latency}",
            f"scale: first depth_scale {first}, last {'n/a' if last is None else f'{last:.4f}'}"
            + ("" if state is None else f" (calibration_node {state[1]}, {state[3]} samples)"),
        ]
        if metric is None or median is None:
            lines.append("metric depth: nothing to evaluate (no depth image after the first scale)")
        else:
            verdict = "ok" if self.met else "MISSED"
            lines.append(
                f"metric depth, no ground-truth scaling: Abs Rel {metric.abs_rel:.4f}, delta < 1.25 "
                f"{metric.delta1:.3f} (target Abs Rel <= {TARGET_DEMO_ABS_REL:g}: {verdict}); median-scaled Abs Rel "
                f"{median.abs_rel:.4f}"
            )
        cloud = f"{self.point_cloud} ({self.points} points)" if self.point_cloud else "no point cloud"
        lines.append(f"wrote {self.folder}: {len(self.pictures)} frame pictures in frames/, {cloud}, scale plot "
                     f"{self.scale_plot}, {self.metrics_file.name}")  # fmt: skip
        return "\n".join(lines)


def run_demo(
    out: Path | str,
    *,
    frames: int = DEFAULT_DEMO_FRAMES,
    calibration: str = "stereo",
    checkpoint: Path | str = DEMO_MODEL,
    device: str = "auto",
    rate: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Run the demo into the folder `out` (created; it must not hold a previous demo's `drive`)."""
    if calibration not in DEMO_CALIBRATIONS:
        raise ConfigError(f"calibration must be one of {', '.join(DEMO_CALIBRATIONS)}, got {calibration!r}")
    folder = Path(out)
    if (folder / "drive").exists():
        raise ConfigError(f"{folder} already holds a demo (its drive bag); choose another --out or remove it")
    session = run_live_session(
        checkpoint, folder, calibration=calibration, frames=frames, rate=rate, device=device, record_points=True,
        progress=progress,
    )  # fmt: skip
    pictures = _pictures(session, folder / "frames")
    point_cloud, points = _point_cloud(session, folder / "points.ply")
    scale_plot = _scale_plot(session.result, folder / SCALE_FILE)
    metrics_file = write_json(folder / "metrics.json", _metrics(session.result))
    return DemoResult(session.result, session, folder, pictures, point_cloud, points, scale_plot, metrics_file)


def _pictures(session: LiveSession, folder: Path) -> tuple[Path, ...]:
    depths = depths_after_first_scale(session.recording) or {s.stamp_ns: s.value for s in session.recording.depths}
    if not depths:
        return ()
    stamps = sorted(depths)
    chosen = {stamps[int(i)] for i in np.linspace(0, len(stamps) - 1, min(PICTURED_FRAMES, len(stamps)))}
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for frame in iter_rgb_frames(session.plan.bag, SIM_TOPICS.left_image):
        if frame.stamp_ns in chosen:
            path = folder / f"frame_{frame.stamp_ns}.png"
            written.append(write_png(path, depth_panel(frame.pixels, depths[frame.stamp_ns])))
    return tuple(written)


def _point_cloud(session: LiveSession, path: Path) -> tuple[Path | None, int]:
    if not session.recording.points:
        return None, 0
    xyz, rgb = session.recording.points[-1].value
    return path, write_ply(path, xyz.reshape(-1, 3), None if rgb is None else rgb.reshape(-1, 3))


def _scale_plot(result: LiveMetricResult, path: Path) -> str:
    times = [t for t, _ in result.scale_over_time]
    scales = [s for _, s in result.scale_over_time]
    # The right value: the last scale times the remaining median GT / depth ratio of the evaluated frames.
    right = scales[-1] * result.ratio_median if scales and result.ratio_median else None
    try:
        return str(plot_scale_over_time(times, scales, path, right_scale=right,
                                        title=f"depth_scale from calibration {result.calibration}"))  # fmt: skip
    except PlotError as error:
        return f"not plotted ({error})"


def _metrics(result: LiveMetricResult) -> dict[str, Any]:
    """metrics.json: the core evaluation's metrics (metric and median-scaled) and the run's numbers."""
    values = result.to_dict()
    values["target_abs_rel"] = TARGET_DEMO_ABS_REL
    values["met"] = result.metric is not None and result.metric.abs_rel <= TARGET_DEMO_ABS_REL
    values["latency"] = None if result.latency is None else dataclasses.asdict(result.latency)
    return values
