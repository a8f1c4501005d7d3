"""Learning curves of a training run: validation Abs Rel (median-scaled and metric) against wall-clock time, and the
training loss against the step, read from the run's validation.csv and losses.csv (core.training.logging).

    curves = read_learning_curves("runs/mono")
    plot_learning_curves(curves, "runs/mono/learning_curves.png", target=0.20)
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mono_depth_ros.core.training.logging import LOSSES_FILE, VALIDATION_FILE
from mono_depth_ros.plots.errors import PlotError
from mono_depth_ros.plots.figures import load_pyplot, save_png

__all__ = ["CURVES_FILE", "LearningCurves", "ValidationPoint", "plot_learning_curves", "read_learning_curves"]

CURVES_FILE = "learning_curves.png"
"""Where `mono-depth-ros train` leaves the plot in its --out folder."""


@dataclass(frozen=True)
class ValidationPoint:
    step: int
    elapsed_s: float | None
    """Wall-clock seconds of the run at this validation (None in logs written before the column existed)."""
    abs_rel_median: float
    abs_rel_metric: float
    metric_source: str


@dataclass(frozen=True)
class LearningCurves:
    name: str
    validation: tuple[ValidationPoint, ...]
    loss_steps: tuple[int, ...]
    losses: tuple[float, ...]
    """The total training loss of each logged step."""

    @property
    def best_median(self) -> ValidationPoint | None:
        return min(self.validation, key=lambda point: point.abs_rel_median, default=None)


def read_learning_curves(folder: Path | str, *, name: str | None = None) -> LearningCurves:
    """The curves of the run in `folder` (its losses.csv is required, validation.csv optional).

    Raises:
        PlotError: no losses.csv in `folder`, or a row that is not a number where one is expected.
    """
    folder = Path(folder)
    losses_path = folder / LOSSES_FILE
    if not losses_path.is_file():
        raise PlotError(f"{str(folder)!r} holds no {LOSSES_FILE}: is it the --out folder of a training run?")
    loss_rows = _rows(losses_path)
    validation_rows = _rows(folder / VALIDATION_FILE) if (folder / VALIDATION_FILE).is_file() else []
    try:
        points = tuple(
            ValidationPoint(
                step=int(row["step"]),
                elapsed_s=float(row["elapsed_s"]) if row.get("elapsed_s") else None,
                abs_rel_median=float(row["abs_rel_median"]),
                abs_rel_metric=float(row["abs_rel_metric"]),
                metric_source=row.get("metric_source") or "none",
            )
            for row in validation_rows
        )
        steps = tuple(int(row["step"]) for row in loss_rows)
        totals = tuple(float(row["total"]) for row in loss_rows)
    except (KeyError, TypeError, ValueError) as error:
        raise PlotError(f"{str(folder)!r}: a training log row is not what the trainer writes ({error})") from None
    return LearningCurves(name or folder.name, points, steps, totals)


def plot_learning_curves(
    runs: LearningCurves | Sequence[LearningCurves],
    out: Path | str,
    *,
    target: float | None = None,
    title: str | None = None,
) -> Path:
    """Write a PNG (written atomically) with two panels: validation Abs Rel against minutes (solid median-scaled,
    dashed metric where the run is metric; against steps when a log has no times) and the training loss.

    Raises:
        PlotError: matplotlib is not installed, or there is nothing to plot.
    """
    curves = [runs] if isinstance(runs, LearningCurves) else list(runs)
    if not curves or not any(run.validation or run.losses for run in curves):
        raise PlotError("no training logs to plot")
    pyplot = load_pyplot()
    timed = all(point.elapsed_s is not None for run in curves for point in run.validation)
    figure, (accuracy, loss) = pyplot.subplots(1, 2, figsize=(11, 4))
    try:
        for index, run in enumerate(curves):
            colour = f"C{index}"
            x = [(p.elapsed_s or 0.0) / 60 if timed else p.step for p in run.validation]
            accuracy.plot(x, [p.abs_rel_median for p in run.validation], "o-", color=colour,
                          label=f"{run.name}: median-scaled")  # fmt: skip
            if any(p.metric_source != "none" for p in run.validation):
                accuracy.plot(x, [p.abs_rel_metric for p in run.validation], "s--", color=colour,
                              label=f"{run.name}: metric (no GT scaling)")  # fmt: skip
            loss.plot(run.loss_steps, _smoothed(run.losses), color=colour, label=run.name)
        if target is not None:
            accuracy.axhline(target, color="grey", linestyle=":", label=f"target {target:g}")
        accuracy.set_xlabel("wall-clock minutes" if timed else "step")
        accuracy.set_ylabel("held-out Abs Rel")
        accuracy.set_ylim(bottom=0)
        accuracy.grid(alpha=0.3)
        accuracy.legend(fontsize=8)
        loss.set_xlabel("step")
        loss.set_ylabel("training loss (moving average of 20 steps)")
        loss.grid(alpha=0.3)
        if len(curves) > 1:
            loss.legend(fontsize=8)
        figure.suptitle(title or ", ".join(run.name for run in curves))
        figure.tight_layout()
        return save_png(figure, out)
    finally:
        pyplot.close(figure)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def _smoothed(values: Sequence[float], window: int = 20) -> list[float]:
    """Trailing moving average (the first values average what there is)."""
    out, total = [], 0.0
    for index, value in enumerate(values):
        total += value
        if index >= window:
            total -= values[index - window]
        out.append(total / min(index + 1, window))
    return out
