"""The calibration's scale over time: every depth_scale the graph published, and the value that was right."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mono_depth_ros.plots.errors import PlotError
from mono_depth_ros.plots.figures import load_pyplot, save_png

__all__ = ["SCALE_FILE", "plot_scale_over_time"]

SCALE_FILE = "scale.png"


def plot_scale_over_time(
    times_s: Sequence[float],
    scales: Sequence[float],
    out: Path | str,
    *,
    right_scale: float | None = None,
    title: str = "depth_scale over time",
) -> Path:
    """Write a PNG of `scales` against `times_s` (seconds into the drive), with `right_scale` (the factor that would
    have made the depth exactly right at the median, when known) as a dashed line.

    Raises:
        PlotError: matplotlib is not installed, or no scale was published.
    """
    if not scales:
        raise PlotError("no depth_scale was published: nothing to plot")
    if len(times_s) != len(scales):
        raise PlotError(f"{len(times_s)} times for {len(scales)} scales")
    pyplot = load_pyplot()
    figure, axes = pyplot.subplots(figsize=(7, 3.2))
    try:
        axes.step(list(times_s), list(scales), where="post", marker=".", label="published depth_scale")
        if right_scale is not None:
            axes.axhline(right_scale, color="grey", linestyle="--", label=f"fits the ground truth: {right_scale:.4g}")
        axes.set_xlabel("seconds into the drive")
        axes.set_ylabel("scale")
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
        axes.set_title(title)
        figure.tight_layout()
        return save_png(figure, out)
    finally:
        pyplot.close(figure)
