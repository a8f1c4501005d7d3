"""The calibration benchmarks on a tiny untrained checkpoint: the offline convergence run against the true scale,
the judging rules, and the live graph (launcher, nodes, recorder, replay) end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from mono_depth_ros.bench.calibration import (
    TARGETS,
    EstimatePoint,
    ModeConvergence,
    run_calibration_convergence,
    run_live_metric,
)
from mono_depth_ros.bench.errors import BenchmarkError
from mono_depth_ros.bench.live_metric import TARGET_METRIC_RATIO
from mono_depth_ros.core.inference import DepthEstimator
from mono_depth_ros.core.models import ModelConfig, save_checkpoint
from mono_depth_ros.core.scale import global_scale
from mono_depth_ros.data.sim import SimConfig, SyntheticWorld


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoint) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("calibration") / "tiny.pt"
    return save_checkpoint(tiny_checkpoint(ModelConfig(), 96, 64), path)


@pytest.fixture
def one_thread() -> Iterator[None]:
    """One intra-op thread while the test runs (two threads on a shared two-core machine crawl); restored after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_each_mode_runs_over_the_drive_and_is_judged_against_the_true_scale(checkpoint: Path, one_thread) -> None:  # type: ignore[no-untyped-def]
    frames = 6
    done: list[int] = []
    result = run_calibration_convergence(checkpoint, frames=frames, seed=3, device="cpu", progress=done.append)
    assert done == list(range(1, frames + 1))
    assert (result.width, result.height, result.frames, result.device) == (96, 64, frames, "cpu")

    # The true scale: the global factor of GT (within 80 m) over the network's relative depth, all frames.
    world = SyntheticWorld(SimConfig(width=96, height=64, stereo=True, seed=3), frames)
    estimator = DepthEstimator(checkpoint, device="cpu", warmup=False)
    gts, relatives = [], []
    for index in range(frames):
        frame = world.render_frame(index)
        gts.append(np.where(frame.depth <= 80.0, frame.depth, np.nan))
        relatives.append(estimator.predict(frame.left_rgb, encoding="rgb8", scale=1.0).relative_depth.copy())
    assert result.true_scale == pytest.approx(global_scale(np.stack(gts), np.stack(relatives)), rel=1e-9)
    assert result.truth_pixels == int(np.isfinite(np.stack(gts)).sum())

    assert [mode.mode for mode in result.modes] == ["odometry", "stereo", "ground"]
    for mode in result.modes:
        assert [point.frame for point in mode.trajectory] == list(range(frames))
        assert mode.true_scale == result.true_scale
        assert sum(mode.verdicts.values()) == sum(point.verdict is not None for point in mode.trajectory)
        # Fewer counted frames than the target's count: judged at the last one.
        assert mode.judged == mode.trajectory[-1]
        if mode.judged.scale is not None:
            assert mode.error(mode.judged) == pytest.approx(mode.judged.scale / result.true_scale - 1.0)
        assert mode.passed == (f"calibration {mode.mode} within" not in " ".join(result.missed_targets()))
    odometry, stereo = result.mode("odometry"), result.mode("stereo")
    # The first frame has no previous one to measure motion from; every later one moved > 0.2 m.
    assert odometry.trajectory[0].verdict is None
    assert [point.count for point in odometry.trajectory] == list(range(frames))
    assert [point.count for point in stereo.trajectory] == list(range(1, frames + 1))
    assert stereo.verdicts.get("used", 0) + stereo.verdicts.get("too_few_stereo_pixels", 0) == frames

    text = result.format()
    assert f"true scale {result.true_scale:.5g}" in text
    for name in ("odometry", "stereo", "ground"):
        assert any(line.startswith(name) for line in text.splitlines())
    data = json.loads(json.dumps(result.to_dict()))
    assert len(data["modes"][1]["trajectory"]) == frames
    assert data["modes"][1]["unit"] == "pairs"


def point(count: int, scale: float | None, converged: bool = False) -> EstimatePoint:
    return EstimatePoint(count, count, "used", scale, None if scale is None else 0.01, count, converged)


def test_judging_counts_the_target_frames_and_the_frames_needed_to_stay_within_it() -> None:
    true = 10.0
    trajectory = [
        point(1, None),
        point(5, 11.0),
        point(10, 10.25, converged=True),
        point(19, 9.6),
        point(20, 10.2),
        point(21, 10.1),
        point(30, 12.0),
    ]
    stereo = ModeConvergence("stereo", TARGETS["stereo"], true, tuple(trajectory), {"used": 7})
    assert stereo.judged.count == 20  # the last at or before 20 pairs
    assert stereo.error(stereo.judged) == pytest.approx(0.02)
    assert stereo.passed
    assert stereo.declared_after == 10
    assert stereo.within_target_after is None  # the last estimate (+20 %) is off again
    settled = ModeConvergence("stereo", TARGETS["stereo"], true, tuple(trajectory[:-1]), {})
    assert settled.within_target_after == 20  # 9.6 at 19 is -4 %
    ground = ModeConvergence("ground", TARGETS["ground"], true, tuple(trajectory), {})
    assert ground.judged.count == 30  # ground: at the end of the drive
    assert not ground.passed
    empty = ModeConvergence("odometry", TARGETS["odometry"], true, (point(1, None),), {})
    assert empty.error(empty.judged) is None
    assert not empty.passed
    assert empty.declared_after is None


def test_convergence_refuses_what_it_cannot_run(checkpoint: Path, tmp_path: Path, one_thread, tiny_checkpoint) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BenchmarkError, match=r"frames must be an integer >= 2, got 1"):
        run_calibration_convergence(checkpoint, frames=1)
    with pytest.raises(BenchmarkError, match=r"modes must be some of odometry, stereo, ground, got \['lidar'\]"):
        run_calibration_convergence(checkpoint, modes=("lidar",))
    with pytest.raises(BenchmarkError, match=r"odometry_method must be one of reprojection, pose, got 'lidar'"):
        run_calibration_convergence(checkpoint, odometry_method="lidar")
    posed_off = save_checkpoint(tiny_checkpoint(ModelConfig(pose=False), 96, 64), tmp_path / "no_pose.pt")
    with pytest.raises(BenchmarkError, match=r"calibration odometry: .*has no pose network"):
        run_calibration_convergence(posed_off, frames=2, modes=("odometry",), odometry_method="pose", device="cpu")
    # Reprojection needs the depth network only.
    result = run_calibration_convergence(posed_off, frames=2, modes=("odometry",), device="cpu")
    assert [mode.mode for mode in result.modes] == ["odometry"]


def test_live_metric_refuses_bad_requests_before_starting_anything(tmp_path: Path) -> None:
    missing = tmp_path / "none.pt"
    with pytest.raises(BenchmarkError, match=r"calibration must be one of stereo, odometry, ground, got 'lidar'"):
        run_live_metric(missing, calibration="lidar")
    with pytest.raises(BenchmarkError, match=r"frames must be an integer >= 2, got 1"):
        run_live_metric(missing, frames=1)
    with pytest.raises(BenchmarkError, match=r"rate must be a positive finite number, got 0"):
        run_live_metric(missing, rate=0)


@pytest.mark.ros
def test_live_metric_runs_the_launched_nodes_on_a_replayed_drive(
    checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real graph: the launcher's depth_node and calibration_node (stereo) on a replayed 10-frame drive; a
    loose tolerance makes the untrained model's scale converge at once, so frames get evaluated."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the nodes' torch (they inherit the environment)
    params = tmp_path / "params.yaml"
    params.write_text("/**:\n  ros__parameters:\n    tolerance: 10.0\n    min_samples: 1\n    rate_hz: 50.0\n")
    out = tmp_path / "run"
    lines: list[str] = []
    # A quarter of the camera rate leaves the node 400 ms a frame, so a loaded CI machine drops few frames (the newest
    # frame wins in depth_node; at 1x a busy machine was seen to publish 4 of 10).
    result = run_live_metric(
        checkpoint, frames=10, rate=0.25, device="cpu", params_file=params, out_dir=out, progress=lines.append
    )
    assert lines == ["recording 10 frames", "waiting for the nodes", "replaying at 0.25x"]
    assert result.frames_in == 10
    assert result.frames_out >= 4, result.format()  # the first image comes before its camera_info
    assert result.frames_evaluated == result.frames_out - result.frames_before_scale > 0
    assert result.scale_over_time
    assert all(scale > 0 for _, scale in result.scale_over_time)
    assert result.scale_converged_s == result.scale_over_time[0][0]
    assert result.latency.repeats == result.frames_out
    assert result.metric is not None
    assert result.median_scaled is not None
    assert result.metric_ratio == pytest.approx(result.metric.abs_rel / result.median_scaled.abs_rel)
    assert (result.metric_ratio - 1.0 > TARGET_METRIC_RATIO) == bool(result.missed_targets())
    assert 0 < result.coverage <= 1
    assert any(state == "converged" for _, state, _, _ in result.calibration_states)
    assert "calibration:=stereo" in result.launcher
    assert "Abs Rel metric (no GT scaling)" in result.format()
    assert "calibration_node at the end: converged, scale " in result.format()
    saved = json.loads((out / "live_metric.json").read_text())
    assert saved["frames_out"] == result.frames_out
    assert saved["metric"]["abs_rel"] == result.metric.abs_rel
    log = (out / "launcher.log").read_text()
    assert "SIGINT received; stopping depth_node, calibration_node" in log  # a clean stop, nothing killed
    assert (out / "drive").is_dir()


@pytest.mark.ros
def test_a_node_that_cannot_start_is_reported_with_the_launchers_words(
    checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    with pytest.raises(
        BenchmarkError, match=r"the launcher exited with code 1 before the benchmark ended:\n(.|\n)*cuda:7"
    ):
        run_live_metric(checkpoint, frames=2, device="cuda:7", out_dir=tmp_path / "run", startup_timeout_s=60)
