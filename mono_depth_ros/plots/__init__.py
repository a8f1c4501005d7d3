"""Pictures of what the project measured (matplotlib, imported on use): learning curves of a training run, the
calibration's scale over time; `plots.depth` colours depth images (OpenCV, imported from there)."""

from mono_depth_ros.plots.errors import PlotError
from mono_depth_ros.plots.learning_curves import (
    CURVES_FILE,
    LearningCurves,
    ValidationPoint,
    plot_learning_curves,
    read_learning_curves,
)
from mono_depth_ros.plots.scale import SCALE_FILE, plot_scale_over_time

__all__ = [
    "CURVES_FILE",
    "SCALE_FILE",
    "LearningCurves",
    "PlotError",
    "ValidationPoint",
    "plot_learning_curves",
    "plot_scale_over_time",
    "read_learning_curves",
]
