"""Evaluation core: the standard depth metrics, the KITTI crops, the scaling protocols (none, per-image median, one
global factor, fixed) and the KITTI depth-benchmark frames. ROS-free (numpy, OpenCV; torch tensors are accepted).

The one implementation of every metric: the CLI's `eval`, training validation and the benchmarks all call
`evaluate_depths` / `DepthEvaluator` (or `compute_depth_metrics` on already masked pixels).
"""

from mono_depth_ros.core.evaluation.crops import Crop, crop_bounds, crop_mask
from mono_depth_ros.core.evaluation.errors import EvaluationDataError, EvaluationError, ShapeError
from mono_depth_ros.core.evaluation.evaluator import DepthEvaluator, EvaluationResult, evaluate_depths
from mono_depth_ros.core.evaluation.kitti import (
    KittiEvalFiles,
    KittiEvalFrame,
    find_kitti_eval_files,
    find_kitti_eval_frames,
)
from mono_depth_ros.core.evaluation.metrics import (
    METRIC_NAMES,
    DepthMetrics,
    compute_depth_metrics,
    format_metrics_table,
    mean_metrics,
)
from mono_depth_ros.core.evaluation.protocol import EvaluationOptions, Scaling, resize_prediction, valid_mask

__all__ = [
    "METRIC_NAMES",
    "Crop",
    "DepthEvaluator",
    "DepthMetrics",
    "EvaluationDataError",
    "EvaluationError",
    "EvaluationOptions",
    "EvaluationResult",
    "KittiEvalFiles",
    "KittiEvalFrame",
    "Scaling",
    "ShapeError",
    "compute_depth_metrics",
    "crop_bounds",
    "crop_mask",
    "evaluate_depths",
    "find_kitti_eval_files",
    "find_kitti_eval_frames",
    "format_metrics_table",
    "mean_metrics",
    "resize_prediction",
    "valid_mask",
]
