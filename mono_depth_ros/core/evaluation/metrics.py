"""The standard depth metrics (Eigen et al., NeurIPS 2014; as computed by monodepth2), the one implementation.

With t = max(gt / pred, pred / gt) over N valid pixels:

- abs_rel = mean(|gt - pred| / gt), sq_rel = mean((gt - pred)^2 / gt)
- rmse = sqrt(mean((gt - pred)^2)), rmse_log = sqrt(mean((ln gt - ln pred)^2))
- log10 = mean(|log10 gt - log10 pred|)
- delta_k = mean(t < 1.25^k) for k = 1, 2, 3 (printed as a1, a2, a3)

Lower is better for the errors, higher for the deltas. Masking, scaling and clamping belong to the protocol
(`evaluate_depths`); these functions only see valid pixels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

import numpy as np

from mono_depth_ros.core.arrays import as_float64
from mono_depth_ros.core.evaluation.errors import EvaluationError, ShapeError

__all__ = ["METRIC_NAMES", "DepthMetrics", "compute_depth_metrics", "format_metrics_table", "mean_metrics"]


@dataclass(frozen=True)
class DepthMetrics:
    """The eight standard metrics of one image, or their mean over a set."""

    abs_rel: float
    sq_rel: float
    rmse: float
    rmse_log: float
    log10: float
    delta1: float
    """Fraction with max(gt/pred, pred/gt) < 1.25."""
    delta2: float
    """... < 1.25^2"""
    delta3: float
    """... < 1.25^3"""

    def to_dict(self) -> dict[str, float]:
        """The metrics by field name, as plain floats (JSON-ready)."""
        return {name: float(getattr(self, name)) for name in METRIC_NAMES}


METRIC_NAMES: tuple[str, ...] = tuple(field.name for field in fields(DepthMetrics))
# Column titles of the standard table, in field order.
_TABLE_TITLES = ("abs_rel", "sq_rel", "rmse", "rmse_log", "log10", "a1", "a2", "a3")


def compute_depth_metrics(gt: object, pred: object) -> DepthMetrics:
    """The metrics of predicted against ground-truth depth.

    Args:
        gt: (N,) ground-truth depths of the valid pixels, numpy array or torch tensor (any shape is accepted and
            flattened, as long as `pred` has the same).
        pred: (N,) predicted depths at the same pixels, already scaled and clamped.

    Computed in float64 on the host.

    Raises:
        ShapeError: `gt` and `pred` have different shapes.
        EvaluationError: no values, or a value that is not finite and positive (the message says how many and which
            array).
    """
    gt_values, pred_values = as_float64(gt, "gt", EvaluationError), as_float64(pred, "pred", EvaluationError)
    if gt_values.shape != pred_values.shape:
        raise ShapeError(f"gt and pred must have the same shape, got gt {gt_values.shape} and pred {pred_values.shape}")
    gt_values, pred_values = gt_values.ravel(), pred_values.ravel()
    if gt_values.size == 0:
        raise EvaluationError("cannot compute depth metrics of empty gt and pred (no valid pixels)")
    for name, values in (("gt", gt_values), ("pred", pred_values)):
        bad = ~(np.isfinite(values) & (values > 0))
        if bad.any():
            raise EvaluationError(
                f"{name} must hold finite positive depths, got {int(bad.sum())} of {values.size} values that are not "
                f"(first: {float(values[bad][0])!r})"
            )
    thresh = np.maximum(gt_values / pred_values, pred_values / gt_values)
    difference = gt_values - pred_values
    return DepthMetrics(
        abs_rel=float(np.mean(np.abs(difference) / gt_values)),
        sq_rel=float(np.mean(difference**2 / gt_values)),
        rmse=float(np.sqrt(np.mean(difference**2))),
        rmse_log=float(np.sqrt(np.mean((np.log(gt_values) - np.log(pred_values)) ** 2))),
        log10=float(np.mean(np.abs(np.log10(gt_values) - np.log10(pred_values)))),
        delta1=float(np.mean(thresh < 1.25)),
        delta2=float(np.mean(thresh < 1.25**2)),
        delta3=float(np.mean(thresh < 1.25**3)),
    )


def mean_metrics(metrics: Iterable[DepthMetrics]) -> DepthMetrics:
    """The field-wise mean of per-image metrics (each image weighs the same, whatever its pixel count).

    Raises:
        EvaluationError: `metrics` is empty.
    """
    rows = [[getattr(item, name) for name in METRIC_NAMES] for item in metrics]
    if not rows:
        raise EvaluationError("cannot average an empty list of depth metrics")
    return DepthMetrics(*(float(value) for value in np.mean(np.array(rows, dtype=np.float64), axis=0)))


def format_metrics_table(rows: Mapping[str, DepthMetrics]) -> str:
    """The standard results table: a header (abs_rel sq_rel rmse rmse_log log10 a1 a2 a3), then one line per label
    with three decimals. Without rows, only the header."""
    label_width = max((len(label) for label in rows), default=0)
    lines = [" ".join([" " * label_width, *(f"{title:>8}" for title in _TABLE_TITLES)])]
    for label, metrics in rows.items():
        values = (getattr(metrics, name) for name in METRIC_NAMES)
        lines.append(" ".join([f"{label:<{label_width}}", *(f"{value:8.3f}" for value in values)]))
    return "\n".join(lines)
