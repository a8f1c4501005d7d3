"""Pictures of what the project measured (matplotlib, imported on use): learning curves of a training run."""

from mono_depth_ros.plots.errors import PlotError
from mono_depth_ros.plots.learning_curves import (
    CURVES_FILE,
    LearningCurves,
    ValidationPoint,
    plot_learning_curves,
    read_learning_curves,
)

__all__ = [
    "CURVES_FILE",
    "LearningCurves",
    "PlotError",
    "ValidationPoint",
    "plot_learning_curves",
    "read_learning_curves",
]
