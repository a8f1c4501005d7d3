"""Learning curves from a run's CSV logs: reading what the trainer writes, plotting it, and the errors."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import pytest

from mono_depth_ros.core.evaluation import DepthMetrics
from mono_depth_ros.core.models import ScaleSource
from mono_depth_ros.core.training import LOSSES_FILE, TrainingLog, ValidationResult
from mono_depth_ros.plots import PlotError, plot_learning_curves, read_learning_curves


def _metrics(abs_rel: float) -> DepthMetrics:
    return DepthMetrics(abs_rel, 1.0, 5.0, 0.2, 0.07, 0.8, 0.9, 0.95)


def _run(folder: Path, *, source: ScaleSource = ScaleSource.NONE) -> Path:
    """A run's logs as the trainer writes them: 30 steps, validation at 0, 10, 20 and 30."""
    log = TrainingLog(folder, ("total", "photometric"), tensorboard=False)
    for step in range(1, 31):
        log.log_step(step, 0, 1e-4, 1.0, {"total": 1.0 / step, "photometric": 0.5}, elapsed_s=2.0 * step)
    for step, abs_rel in ((0, 0.6), (10, 0.3), (20, 0.2), (30, 0.25)):
        result = ValidationResult(step, _metrics(abs_rel), _metrics(abs_rel + 0.1), source, 1.0, 1.0, 4)
        log.log_validation(result, elapsed_s=2.0 * step + 1)
    log.close()
    return folder


def test_the_trainers_logs_read_back(tmp_path: Path) -> None:
    curves = read_learning_curves(_run(tmp_path / "mono"))
    assert curves.name == "mono"
    assert [point.step for point in curves.validation] == [0, 10, 20, 30]
    assert [point.elapsed_s for point in curves.validation] == [1.0, 21.0, 41.0, 61.0]
    assert curves.validation[2].abs_rel_median == 0.2
    assert curves.validation[2].abs_rel_metric == pytest.approx(0.3)
    assert curves.best_median == curves.validation[2]
    assert curves.loss_steps == tuple(range(1, 31))
    assert curves.losses[3] == 0.25
    assert read_learning_curves(tmp_path / "mono", name="other").name == "other"


def test_the_plot_is_a_png_of_both_panels(tmp_path: Path) -> None:
    mono = read_learning_curves(_run(tmp_path / "mono"))
    stereo = read_learning_curves(_run(tmp_path / "stereo", source=ScaleSource.STEREO))
    out = plot_learning_curves([mono, stereo], tmp_path / "curves.png", target=0.2, title="two runs")
    assert out == tmp_path / "curves.png"
    pixels = matplotlib.image.imread(out)
    assert pixels.shape[0] > 200
    assert pixels.shape[1] > 2 * pixels.shape[0]  # two panels side by side
    assert pixels[..., :3].std() > 0.05  # something was drawn
    assert not list(tmp_path.glob(".curves.png.*"))  # no temporary file left


def test_a_log_without_times_is_plotted_against_steps(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / LOSSES_FILE).write_text("step,epoch,learning_rate,steps_per_second,total\n1,0,0.1,1.0,0.5\n")
    curves = read_learning_curves(folder)
    assert curves.validation == ()
    assert plot_learning_curves(curves, tmp_path / "old.png").is_file()


def test_errors_name_the_folder_and_the_problem(tmp_path: Path) -> None:
    with pytest.raises(PlotError, match=r"'.*nowhere' holds no losses.csv: is it the --out folder"):
        read_learning_curves(tmp_path / "nowhere")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / LOSSES_FILE).write_text("step,total\n1,lots\n")
    with pytest.raises(PlotError, match=r"'.*broken': a training log row is not what the trainer writes"):
        read_learning_curves(broken)
    with pytest.raises(PlotError, match=r"no training logs to plot"):
        plot_learning_curves([], tmp_path / "empty.png")
