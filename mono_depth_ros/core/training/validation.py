"""Validation against ground truth: Abs Rel (and the other standard metrics) of the current networks on a fixed
held-out set, median-scaled per image and metric (the scale the checkpoint would carry), through core.evaluation.

Also the scale that depends on ground truth: the One Scalar global factor (median of GT / prediction over every
valid pixel of a set, `core.scale.GlobalScaleAccumulator`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from mono_depth_ros.core.evaluation import Crop, DepthEvaluator, DepthMetrics, EvaluationOptions, Scaling
from mono_depth_ros.core.models import DepthNetwork, MetricScale, ScaleCNN, ScaleSource
from mono_depth_ros.core.shapes import check_shape
from mono_depth_ros.core.training.errors import TrainingDataError

__all__ = [
    "EVALUATION_MAX_DEPTH",
    "ValidationResult",
    "ValidationSet",
    "global_scale_factor",
    "iterate_batches",
    "predict_depths",
    "predict_log_scales",
    "validate",
]

EVALUATION_MAX_DEPTH = 80.0
"""Ground truth beyond 80 m (and the sky) is not scored, as in the KITTI protocol."""
_OPTIONS = {
    "median": EvaluationOptions(min_depth=1e-3, max_depth=EVALUATION_MAX_DEPTH, crop=Crop.NONE, scaling=Scaling.MEDIAN),
    "metric": EvaluationOptions(min_depth=1e-3, max_depth=EVALUATION_MAX_DEPTH, crop=Crop.NONE, scaling=Scaling.NONE),
}


@dataclass(frozen=True)
class ValidationSet:
    """Held-out images with ground truth, at the training size."""

    images: np.ndarray
    """(N, H, W, 3) uint8 RGB."""
    depths: np.ndarray
    """(N, H, W) float ground-truth z-depth in metres; NaN, inf, 0 where unknown."""
    camera_matrix: np.ndarray
    """(3, 3) K of the images."""
    name: str = "validation set"

    def __post_init__(self) -> None:
        sizes = check_shape(self.images, "validation images", ["N", "H", "W", 3])
        check_shape(self.depths, "validation depths", ["N", "H", "W"], sizes)
        if self.images.dtype != np.uint8:
            raise TrainingDataError(f"validation images must be uint8, got {self.images.dtype}")
        if sizes["N"] < 1:
            raise TrainingDataError(f"{self.name} has no images")

    def __len__(self) -> int:
        return int(self.images.shape[0])


@dataclass(frozen=True)
class ValidationResult:
    """The metrics of one validation pass (means over the images)."""

    step: int
    median: DepthMetrics
    """Each prediction scaled by median(GT) / median(prediction) of its image (scale-free quality)."""
    metric: DepthMetrics
    """Predictions times the checkpoint's metric scale (stereo 1, global factor, per-image CNN, or 1 for none)."""
    metric_source: ScaleSource
    metric_factor: float
    """The factor used for `metric` (mean over the images for the per-image CNN)."""
    median_ratio: float
    """Median over the images of their median-scaling factors: the scale the predictions are off by."""
    images: int

    @property
    def abs_rel_median(self) -> float:
        return self.median.abs_rel

    @property
    def abs_rel_metric(self) -> float:
        return self.metric.abs_rel

    def format(self) -> str:
        return (
            f"step {self.step}: Abs Rel {self.abs_rel_median:.4f} (median-scaled), {self.abs_rel_metric:.4f} (metric, "
            f"{self.metric_source.value} x{self.metric_factor:.4g}); delta<1.25 {self.median.delta1:.3f} / "
            f"{self.metric.delta1:.3f}; scale ratio {self.median_ratio:.4g} over {self.images} images"
        )


def iterate_batches(images: np.ndarray, batch_size: int, device: torch.device) -> Iterator[torch.Tensor]:
    """(N, H, W, 3) uint8 -> (b, 3, H, W) float batches in [0, 1] on `device`."""
    for start in range(0, int(images.shape[0]), batch_size):
        chunk = torch.from_numpy(np.ascontiguousarray(images[start : start + batch_size])).to(device)
        yield chunk.permute(0, 3, 1, 2).float().div_(255.0)


@torch.no_grad()
def predict_depths(
    network: DepthNetwork, images: np.ndarray, device: torch.device, *, batch_size: int = 8
) -> torch.Tensor:
    """(N, H, W) float32 depth (CPU) of the network's finest scale for (N, H, W, 3) uint8 images, in eval mode
    (the network's training flag is restored)."""
    was_training = network.training
    network.eval()
    try:
        depths = [network(batch).depths[0][:, 0].float().cpu() for batch in iterate_batches(images, batch_size, device)]
    finally:
        network.train(was_training)
    return torch.cat(depths)


@torch.no_grad()
def predict_log_scales(
    network: ScaleCNN, images: np.ndarray, device: torch.device, *, batch_size: int = 32
) -> torch.Tensor:
    """(N,) float32 log scales (CPU) of the per-image scale CNN, in eval mode."""
    was_training = network.training
    network.eval()
    try:
        logs = [network(batch).float().cpu() for batch in iterate_batches(images, batch_size, device)]
    finally:
        network.train(was_training)
    return torch.cat(logs)


def _valid_reference(depths: torch.Tensor) -> torch.Tensor:
    """(*, H, W) bool: ground truth that the evaluation scores (finite, in (0, 80) m)."""
    return torch.isfinite(depths) & (depths > 0) & (depths < EVALUATION_MAX_DEPTH)


def global_scale_factor(
    network: DepthNetwork, images: np.ndarray, depths: np.ndarray, device: torch.device, *, batch_size: int = 8
) -> float:
    """One Scalar: the median of GT / prediction over every valid pixel of the set (GT finite and below 80 m)."""
    from mono_depth_ros.core.scale import GlobalScaleAccumulator

    predictions = predict_depths(network, images, device, batch_size=batch_size)
    reference = torch.from_numpy(np.asarray(depths, dtype=np.float32))
    accumulator = GlobalScaleAccumulator()
    for gt, prediction in zip(reference, predictions, strict=True):
        accumulator.add(gt, prediction, _valid_reference(gt))
    if accumulator.count == 0:
        raise TrainingDataError("the source set has no valid ground-truth pixel (finite depth below 80 m)")
    return accumulator.factor()


def validate(
    depth_network: DepthNetwork,
    validation_set: ValidationSet,
    metric_scale: MetricScale,
    device: torch.device,
    *,
    step: int = 0,
    scale_cnn: ScaleCNN | None = None,
    batch_size: int = 8,
) -> ValidationResult:
    """Score the networks on `validation_set` (median-scaled and metric); see `ValidationResult`."""
    predictions = predict_depths(depth_network, validation_set.images, device, batch_size=batch_size)
    count = predictions.shape[0]
    if metric_scale.source is ScaleSource.PER_IMAGE and scale_cnn is not None:
        factors = predict_log_scales(scale_cnn, validation_set.images, device).exp().double().numpy()
    else:
        factors = np.full(count, float(metric_scale.factor) if metric_scale.source is not ScaleSource.NONE else 1.0)
    median = DepthEvaluator(_OPTIONS["median"])
    metric = DepthEvaluator(_OPTIONS["metric"])
    for index in range(count):
        gt = validation_set.depths[index]
        prediction = predictions[index].double().numpy()
        median.add(gt, prediction)
        metric.add(gt, prediction * factors[index])
    median_result, metric_result = median.result(), metric.result()
    return ValidationResult(
        step=int(step),
        median=median_result.metrics,
        metric=metric_result.metrics,
        metric_source=metric_scale.source,
        metric_factor=float(np.mean(factors)),
        median_ratio=float(median_result.ratio_median or 1.0),
        images=len(median_result.per_image),
    )
