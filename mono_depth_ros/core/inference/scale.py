"""Which factor turns the network's relative depth into metres, and where it comes from.

Precedence: a scale given with the request > what the checkpoint carries (`Checkpoint.metric_scale`):
  per_image  exp(scale CNN(image)) (adaptive scaling), computed with each prediction;
  stereo     real baseline / training baseline when the rig's real baseline is given, else the stored factor
             (the rig the model was trained for);
  global     the stored factor (a One Scalar transfer);
  none       1, and the prediction is not metric.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

from mono_depth_ros.core.inference.errors import InferenceConfigError
from mono_depth_ros.core.models import MetricScale, ScaleSource
from mono_depth_ros.core.numbers import is_positive_number

__all__ = ["ScaleOrigin", "ScalePlan", "plan_scale"]


class ScaleOrigin(str, Enum):
    """Where a prediction's scale came from."""

    GIVEN = "given"
    """Passed with the request (a calibration node's estimate, a fixed factor)."""
    STEREO_BASELINE = "stereo_baseline"
    """A stereo-trained model rescaled by the real / training baseline."""
    STEREO = "stereo"
    """A stereo-trained model's own factor (for the rig it was trained for)."""
    GLOBAL = "global"
    """The checkpoint's transferred global factor (One Scalar)."""
    PER_IMAGE = "per_image"
    """The checkpoint's per-image scale CNN (adaptive scaling)."""
    NONE = "none"
    """Nothing makes the depth metric: factor 1, relative units."""

    @property
    def is_metric(self) -> bool:
        return self is not ScaleOrigin.NONE


class ScalePlan(NamedTuple):
    """The scale of a prediction: a fixed `factor`, or None when the per-image scale CNN computes it."""

    factor: float | None
    origin: ScaleOrigin


def _positive(value: object, name: str) -> float:
    if not is_positive_number(value):
        raise InferenceConfigError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def plan_scale(
    metric_scale: MetricScale,
    stereo_baseline: float | None,
    *,
    scale: float | None = None,
    real_baseline: float | None = None,
) -> ScalePlan:
    """The scale for one prediction (see the module docstring for the precedence).

    `real_baseline` (metres) applies to stereo-trained checkpoints only, and is exclusive with `scale`: either is
    an InferenceConfigError naming the values otherwise.
    """
    if scale is not None:
        given = _positive(scale, "scale")
        if real_baseline is not None:
            raise InferenceConfigError(
                f"give either scale ({scale!r}) or real_baseline ({real_baseline!r}), not both: a given scale "
                "replaces the checkpoint's"
            )
        return ScalePlan(given, ScaleOrigin.GIVEN)
    source = metric_scale.source
    if real_baseline is not None:
        baseline = _positive(real_baseline, "real_baseline")
        if source is not ScaleSource.STEREO or stereo_baseline is None:
            raise InferenceConfigError(
                f"real_baseline {real_baseline!r} applies to stereo-trained checkpoints (metric scale source "
                f"'stereo'), but this checkpoint's is {source.value!r}"
            )
        return ScalePlan(baseline / stereo_baseline, ScaleOrigin.STEREO_BASELINE)
    # The checkpoint's own source names the origin (the two enums share these values).
    origin = ScaleOrigin(source.value)
    if origin is ScaleOrigin.PER_IMAGE:
        return ScalePlan(None, origin)
    return ScalePlan(float(metric_scale.factor) if origin.is_metric else 1.0, origin)
