"""How fast and how well online calibration finds the metric scale of a model (issue 6), offline and live.

`run_calibration_convergence` (this module) drives calibration_node's frame logic (`CalibrationPipeline`, no ROS)
with a rendered stereo drive; `run_live_metric` (`live_metric`, re-exported here) runs the real nodes on a bag.

The true scale. A relative-depth model has no metric scale of its own: on a given drive, the "known true scale" is
what one scalar must be to make its depth metric, the global factor of ground-truth depth over the network's
relative depth, i.e. the median over every valid pixel of every frame of GT / relative (`GlobalScaleAccumulator`,
the definition of "one scalar is all you need" and of evaluation's GLOBAL scaling). Valid pixels: GT finite within
the evaluation range [1e-3, 80] m (the sky is +inf) and relative depth finite and > 0. Relative depth is exactly
what the calibration estimators see (`CalibrationNetworks.relative_depth`: the network's depth, no metric factor).

Each mode then gets the same frames, every frame processed (the node processes at most `rate_hz` frames per
second; a count here is a count of processed frames), with the node's default settings (window 100, tolerance
0.02, 20 samples for odometry, 5 for stereo and ground):
  odometry  the simulator's odometry (base_link in odom at its odometry rate, up to each image's stamp; the
            pipeline interpolates it at the image stamps) and base_to_camera from the simulator's rig. Counted:
            frames with motion (the odometry moved at least min_translation since the previous frame).
  stereo    left and right images with camera_info whose right projection carries the rig's baseline. Counted:
            pairs.
  ground    the left images and the rig's camera height. Counted: frames.
For each mode: the estimate after N counted frames and its relative error against the true scale (targets:
odometry within 2 % after at most 100 frames with motion, stereo within 3 % after 20 pairs, ground within 3 % at
the end of the drive; judged at the last counted frame when the drive has fewer), the count at which the
estimator declared convergence, the count from which every later estimate stays within the target (frames needed
to converge), and the whole trajectory of estimates (`to_dict`, for a plot).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from mono_depth_ros.bench.errors import BenchmarkError
from mono_depth_ros.bench.live_metric import LiveMetricResult, run_live_metric
from mono_depth_ros.core.evaluation import EvaluationOptions
from mono_depth_ros.core.geometry import transform_to_translation_quaternion
from mono_depth_ros.core.models import load_checkpoint
from mono_depth_ros.core.numbers import check_count
from mono_depth_ros.core.scale import GlobalScaleAccumulator
from mono_depth_ros.core.wire import CameraModel
from mono_depth_ros.data.sim import SimConfig, SyntheticWorld
from mono_depth_ros.ros.calibration_config import MODES, ODOMETRY_METHODS, CalibrationSettings
from mono_depth_ros.ros.calibration_pipeline import CalibrationFrame, CalibrationNetworks, CalibrationPipeline, View
from mono_depth_ros.ros.log_once import LogOnce

__all__ = [
    "DEFAULT_CONVERGENCE_FRAMES",
    "TARGETS",
    "CalibrationConvergenceResult",
    "EstimatePoint",
    "LiveMetricResult",
    "ModeConvergence",
    "ModeTarget",
    "run_calibration_convergence",
    "run_live_metric",
]

DEFAULT_CONVERGENCE_FRAMES = 120
#: GT pixels that define the true scale: the evaluation's depth range (the sky, +inf, never counts).
TRUTH_RANGE = EvaluationOptions(scaling="none", crop="none")


class ModeTarget(NamedTuple):
    """What a mode must reach: within `tolerance` (relative) of the true scale after `count` counted frames (None:
    at the end of the drive); `unit` names what is counted."""

    tolerance: float
    count: int | None
    unit: str


TARGETS: dict[str, ModeTarget] = {
    "odometry": ModeTarget(0.02, 100, "frames with motion"),
    "stereo": ModeTarget(0.03, 20, "pairs"),
    "ground": ModeTarget(0.03, None, "frames"),
}
# Odometry verdicts of frames whose motion was not measured or too small: they are not "frames with motion".
_NO_MOTION = frozenset(("no_odometry", "too_little_motion"))


class EstimatePoint(NamedTuple):
    """The estimate after one processed frame."""

    frame: int
    """Index of the frame in the drive."""
    count: int
    """Counted frames so far (see the mode's `ModeTarget.unit`)."""
    verdict: str | None
    """What became of this frame's sample ("used", or why not; None: nothing was tried, e.g. the first odometry
    frame)."""
    scale: float | None
    relative_uncertainty: float | None
    samples: int
    converged: bool


@dataclass(frozen=True)
class ModeConvergence:
    """One mode's run over the drive."""

    mode: str
    target: ModeTarget
    true_scale: float
    trajectory: tuple[EstimatePoint, ...]
    verdicts: dict[str, int]

    def error(self, point: EstimatePoint | None) -> float | None:
        """Relative error of `point`'s estimate against the true scale (None without an estimate)."""
        if point is None or point.scale is None:
            return None
        return point.scale / self.true_scale - 1.0

    @property
    def counted(self) -> int:
        return self.trajectory[-1].count if self.trajectory else 0

    @property
    def judged(self) -> EstimatePoint | None:
        """The point the target is judged at: the last one at or before `target.count` counted frames (the end of
        the drive when that is None or the drive has fewer)."""
        limit = self.target.count if self.target.count is not None else math.inf
        eligible = [point for point in self.trajectory if point.count <= limit]
        return eligible[-1] if eligible else None

    @property
    def declared_after(self) -> int | None:
        """Counted frames when the estimator first declared convergence (what the node publishes from)."""
        return next((point.count for point in self.trajectory if point.converged), None)

    @property
    def within_target_after(self) -> int | None:
        """Counted frames from which every later estimate is within the target (None: the last one is not)."""
        result = None
        for point in reversed(self.trajectory):
            error = self.error(point)
            if error is None or abs(error) > self.target.tolerance:
                break
            result = point.count
        return result

    @property
    def passed(self) -> bool:
        error = self.error(self.judged)
        return error is not None and abs(error) <= self.target.tolerance

    def to_dict(self) -> dict[str, Any]:
        judged = self.judged
        return {
            "mode": self.mode,
            "tolerance": self.target.tolerance,
            "target_count": self.target.count,
            "unit": self.target.unit,
            "judged_count": None if judged is None else judged.count,
            "estimate": None if judged is None else judged.scale,
            "error": self.error(judged),
            "passed": self.passed,
            "declared_after": self.declared_after,
            "within_target_after": self.within_target_after,
            "verdicts": dict(self.verdicts),
            "trajectory": [point._asdict() for point in self.trajectory],
        }


@dataclass(frozen=True)
class CalibrationConvergenceResult:
    checkpoint: str
    device: str
    width: int
    height: int
    frames: int
    seed: int
    true_scale: float
    truth_pixels: int
    modes: tuple[ModeConvergence, ...]
    notes: tuple[str, ...] = ()
    """What the pipelines logged (skipped frames and why)."""

    def mode(self, name: str) -> ModeConvergence:
        for mode in self.modes:
            if mode.mode == name:
                return mode
        raise BenchmarkError(f"mode {name!r} was not run; run: {', '.join(m.mode for m in self.modes)}")

    def missed_targets(self) -> list[str]:
        missed = []
        for mode in self.modes:
            if mode.passed:
                continue
            target, judged, error = mode.target, mode.judged, mode.error(mode.judged)
            where = "at the end of the drive" if target.count is None else f"after {target.count} {target.unit}"
            got = "no estimate" if error is None else f"{error:+.1%} after {judged.count} {target.unit}"
            missed.append(f"calibration {mode.mode} within {target.tolerance:.0%} of the true scale {where} ({got})")
        return missed

    def format(self) -> str:
        lines = [
            f"calibration convergence (CalibrationPipeline, {self.device}; checkpoint {self.checkpoint}; synthetic "
            f"stereo drive seed {self.seed}, {self.frames} frames at {self.width}x{self.height}, every frame "
            "processed)",
            f"true scale {self.true_scale:.5g} (global factor GT / relative depth over {self.truth_pixels} pixels)",
            f"{'mode':9s} {'judged at':>24s} {'estimate':>9s} {'error':>8s} {'target':>7s}  {'declared conv.':>14s} "
            f"{'within target':>13s}  verdicts",
        ]
        for mode in self.modes:
            judged, error, target = mode.judged, mode.error(mode.judged), mode.target
            at = "-" if judged is None else f"{judged.count} {target.unit}"
            estimate = "-" if judged is None or judged.scale is None else f"{judged.scale:.5g}"
            verdict = "ok" if mode.passed else "MISSED"
            lines.append(
                f"{mode.mode:9s} {at:>24s} {estimate:>9s} {'-' if error is None else f'{error:+.2%}':>8s} "
                f"{f'<= {target.tolerance:.0%}':>7s}  {_after(mode.declared_after):>14s} "
                f"{_after(mode.within_target_after):>13s}  {_verdicts(mode.verdicts)}   {verdict}"
            )
        lines.append(
            "judged at: odometry after <= 100 frames with motion, stereo after 20 pairs, ground at the end; "
            "declared conv.: counted frames when the estimator first converged (the node publishes from there); "
            "within target: counted frames from which every later estimate stays within the target"
        )
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain values (JSON-ready), trajectories included."""
        return {
            "checkpoint": self.checkpoint,
            "device": self.device,
            "width": self.width,
            "height": self.height,
            "frames": self.frames,
            "seed": self.seed,
            "true_scale": self.true_scale,
            "truth_pixels": self.truth_pixels,
            "modes": [mode.to_dict() for mode in self.modes],
            "notes": list(self.notes),
        }


def _after(count: int | None) -> str:
    return "never" if count is None else f"after {count}"


def _verdicts(verdicts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(verdicts.items())) or "-"


class _Notes:
    """A logger for LogOnce that keeps what the pipelines say (and passes it on to `logging`)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.lines: list[str] = []
        self._logger = logging.getLogger(__name__)

    def info(self, message: str) -> None:
        self._logger.info("%s: %s", self.mode, message)

    def warning(self, message: str) -> None:
        self.lines.append(f"{self.mode}: {message}")
        self._logger.warning("%s: %s", self.mode, message)

    def error(self, message: str) -> None:
        self.lines.append(f"{self.mode}: {message}")
        self._logger.error("%s: %s", self.mode, message)


def rig_pose(base_from_camera: np.ndarray) -> tuple[float, ...]:
    """The calibration parameter `base_to_camera` [x, y, z, qx, qy, qz, qw] of a (4, 4) base_from_camera."""
    return tuple(float(v) for v in transform_to_translation_quaternion(torch.from_numpy(base_from_camera)))


class _ModeRun:
    """One mode's pipeline over the drive and the estimates it gives."""

    def __init__(self, mode: str, settings: CalibrationSettings) -> None:
        self.mode = mode
        self.notes = _Notes(mode)
        self.pipeline = CalibrationPipeline(settings, LogOnce(self.notes))
        if self.pipeline.networks is None:
            raise BenchmarkError(f"calibration {mode}: {self.pipeline.model_problem}")
        self.points: list[EstimatePoint] = []
        self.count = 0

    def feed(self, index: int, frame: CalibrationFrame) -> None:
        before = Counter(self.pipeline.verdicts)
        self.pipeline.process(frame)
        changed = [key for key, value in self.pipeline.verdicts.items() if value != before.get(key, 0)]
        verdict = changed[0] if changed else None
        if verdict is not None and not (self.mode == "odometry" and verdict in _NO_MOTION):
            self.count += 1
        estimate = self.pipeline.estimate
        self.points.append(
            EstimatePoint(
                index,
                self.count,
                verdict,
                None if estimate is None else float(estimate.scale),
                None if estimate is None else float(estimate.relative_uncertainty),
                0 if estimate is None else int(estimate.samples),
                False if estimate is None else bool(estimate.converged),
            )
        )

    def result(self, true_scale: float) -> ModeConvergence:
        verdicts = {key: int(value) for key, value in self.pipeline.verdicts.items()}
        return ModeConvergence(self.mode, TARGETS[self.mode], true_scale, tuple(self.points), verdicts)


def _frame_for(mode: str, stamp: float, left: np.ndarray, right: np.ndarray, cameras: tuple) -> CalibrationFrame:
    left_view = View(lambda: left, cameras[0], "left/" if mode == "stereo" else "")
    if mode != "stereo":
        return CalibrationFrame(stamp, (left_view,))
    return CalibrationFrame(stamp, (left_view, View(lambda: right, cameras[1], "right/")))


def run_calibration_convergence(
    checkpoint: Path | str,
    *,
    frames: int = DEFAULT_CONVERGENCE_FRAMES,
    seed: int = 0,
    width: int | None = None,
    height: int | None = None,
    device: str = "auto",
    modes: Sequence[str] = MODES,
    odometry_method: str = "reprojection",
    progress: Callable[[int], None] | None = None,
) -> CalibrationConvergenceResult:
    """Render a stereo drive of `frames` frames (street `seed`) at `width` x `height` (default: the checkpoint's
    size), compute the model's true scale on it and run each of `modes` over it (see the module docstring);
    mode odometry with `odometry_method` (calibration_node's parameter).

    `progress(frames_done)` is called after each frame.

    Raises:
        BenchmarkError: frames < 2, an unknown mode, a checkpoint that cannot be used (no pose network for
            odometry_method pose), or no valid ground-truth pixel at all.
        CheckpointError, SimulationError, ParameterError: an unreadable checkpoint, a size the simulator refuses, a
            device that does not exist.
    """
    frames = check_count(frames, "frames", BenchmarkError, minimum=2)
    unknown = [mode for mode in modes if mode not in MODES]
    if unknown or not modes:
        raise BenchmarkError(f"modes must be some of {', '.join(MODES)}, got {list(modes)!r}")
    if odometry_method not in ODOMETRY_METHODS:
        raise BenchmarkError(f"odometry_method must be one of {', '.join(ODOMETRY_METHODS)}, got {odometry_method!r}")
    path = Path(checkpoint)
    model = load_checkpoint(path)
    width = model.input_width if width is None else check_count(width, "width", BenchmarkError, minimum=8)
    height = model.input_height if height is None else check_count(height, "height", BenchmarkError, minimum=8)
    world = SyntheticWorld(SimConfig(width=width, height=height, stereo=True, seed=seed), frames)
    base = CalibrationSettings(
        checkpoint=str(path),
        device=device,
        base_to_camera=rig_pose(world.base_from_left_camera),
        camera_height=world.config.camera_height,
        odometry_method=odometry_method,
    )
    runs = [_ModeRun(mode, base.with_changes({"mode": mode})) for mode in dict.fromkeys(modes)]
    truth_networks = CalibrationNetworks(path, device, "ground")
    truth = GlobalScaleAccumulator()
    cameras = (
        CameraModel.from_intrinsics(world.intrinsics),
        CameraModel.from_intrinsics(world.intrinsics, baseline=world.config.baseline),
    )
    odometry_times = world.odometry_times()
    next_odometry = 0
    for index in range(frames):
        stamp = world.frame_time(index)
        # Odometry up to (and including) this image's stamp, as it would have arrived before the image was used.
        while next_odometry < odometry_times.size and (next_odometry == 0 or odometry_times[next_odometry - 1] < stamp):
            t = float(odometry_times[next_odometry])
            for run in runs:
                if run.mode == "odometry":
                    run.pipeline.add_odometry(t, world.base_pose(t))
            next_odometry += 1
        frame = world.render_frame(index)
        relative = truth_networks.relative_depth(frame.left_rgb)
        gt = np.where((frame.depth >= TRUTH_RANGE.min_depth) & (frame.depth <= TRUTH_RANGE.max_depth), frame.depth, 0)
        truth.add(gt, relative)
        for run in runs:
            run.feed(index, _frame_for(run.mode, stamp, frame.left_rgb, frame.right_rgb, cameras))
        if progress is not None:
            progress(index + 1)
    if truth.count == 0:
        raise BenchmarkError(f"no valid ground-truth pixel in {frames} frames: the true scale is undefined")
    true_scale = truth.factor()
    return CalibrationConvergenceResult(
        checkpoint=str(path),
        device=str(truth_networks.device),
        width=width,
        height=height,
        frames=frames,
        seed=seed,
        true_scale=true_scale,
        truth_pixels=truth.count,
        modes=tuple(run.result(true_scale) for run in runs),
        notes=tuple(line for run in runs for line in run.notes.lines),
    )
