"""Evaluation of predicted depth images against ground truth, following monodepth2's protocol.

Per image: keep the valid ground-truth pixels (`valid_mask`), multiply the prediction by the scaling factor, clamp it
to [min_depth, max_depth], compute the metrics; then average the metrics over the images (each image weighs the
same). Images without a single valid ground-truth pixel are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from mono_depth_ros.core.arrays import as_float64
from mono_depth_ros.core.evaluation.errors import EvaluationError, ShapeError
from mono_depth_ros.core.evaluation.metrics import DepthMetrics, compute_depth_metrics, mean_metrics
from mono_depth_ros.core.evaluation.protocol import EvaluationOptions, Scaling, valid_mask
from mono_depth_ros.core.scale.alignment import global_scale, median_scale
from mono_depth_ros.core.shapes import check_shape

__all__ = ["DepthEvaluator", "EvaluationResult", "evaluate_depths"]


@dataclass(frozen=True)
class EvaluationResult:
    """The outcome of an evaluation; `per_image`, `factors` and `indices` list the evaluated (not skipped) images."""

    options: EvaluationOptions
    metrics: DepthMetrics
    """The mean over the evaluated images."""
    per_image: tuple[DepthMetrics, ...]
    factors: tuple[float, ...]
    """The factor each image's prediction was multiplied by (the same for all but MEDIAN)."""
    indices: tuple[int, ...]
    """The position of each evaluated image in the input sequence."""
    skipped: int
    """Images without any valid ground-truth pixel."""
    ratio_median: float | None = None
    """MEDIAN only: the median of the per-image factors, the scale the model is off by."""
    ratio_std: float | None = None
    """MEDIAN only: std(factors / ratio_median), monodepth2's scale-consistency figure (0 = one scale fits all)."""

    def to_dict(self) -> dict[str, object]:
        """Plain floats, ints, strings, lists and dicts (JSON-ready)."""
        return {
            "options": self.options.to_dict(),
            "metrics": self.metrics.to_dict(),
            "evaluated": len(self.per_image),
            "skipped": int(self.skipped),
            "ratio_median": None if self.ratio_median is None else float(self.ratio_median),
            "ratio_std": None if self.ratio_std is None else float(self.ratio_std),
            "factors": [float(factor) for factor in self.factors],
            "indices": [int(index) for index in self.indices],
            "per_image": [metrics.to_dict() for metrics in self.per_image],
        }


class DepthEvaluator:
    """Streaming evaluation: `add` one (gt, pred) image pair at a time, then read `result()`.

    With NONE, MEDIAN and FIXED scaling each image is scored as it is added and only its metrics are kept. GLOBAL
    scaling needs every pixel before it can score any image, so it keeps the valid (gt, pred) pixels of every image
    (16 bytes per valid pixel: about 1.5 MB per 375x1242 KITTI frame of velodyne ground truth).
    """

    def __init__(self, options: EvaluationOptions | None = None) -> None:
        self.options = options if options is not None else EvaluationOptions()
        self._added = 0
        self._skipped = 0
        self._indices: list[int] = []
        self._factors: list[float] = []
        self._metrics: list[DepthMetrics] = []
        self._pixels: list[tuple[np.ndarray, np.ndarray]] = []  # GLOBAL only

    def add(self, gt: object, pred: object) -> bool:
        """Add the next image: gt and pred are (H, W) depths in metres of identical shape (numpy or torch).

        Returns False when the image has no valid ground-truth pixel and is skipped, True otherwise.

        Raises:
            ShapeError: gt is not 2-D, or pred's shape differs from gt's (resize it first, see `resize_prediction`).
            EvaluationError: pred is not finite and positive at some valid ground-truth pixel.
        """
        index = self._added
        self._added += 1
        gt_values, pred_values = as_float64(gt, "gt", EvaluationError), as_float64(pred, "pred", EvaluationError)
        check_shape(gt_values, f"gt of image {index}", ["H", "W"])
        if pred_values.shape != gt_values.shape:
            raise ShapeError(
                f"pred of image {index} must have the shape of its gt {gt_values.shape}, got {pred_values.shape} "
                "(resize the prediction first, see resize_prediction)"
            )
        mask = valid_mask(gt_values, self.options)
        if not mask.any():
            self._skipped += 1
            return False
        gt_valid, pred_valid = gt_values[mask], pred_values[mask]
        bad = ~(np.isfinite(pred_valid) & (pred_valid > 0))
        if bad.any():
            raise EvaluationError(
                f"pred of image {index} must be finite and positive where ground truth is valid, got {int(bad.sum())} "
                f"of {bad.size} values that are not (first: {float(pred_valid[bad][0])!r})"
            )
        self._indices.append(index)
        scaling = self.options.scaling
        if scaling is Scaling.GLOBAL:
            self._pixels.append((gt_valid, pred_valid))
            return True
        if scaling is Scaling.MEDIAN:
            factor = median_scale(gt_valid, pred_valid)
        elif scaling is Scaling.FIXED:
            factor = float(self.options.fixed_factor)
        else:
            factor = 1.0
        self._factors.append(factor)
        self._metrics.append(self._score(gt_valid, pred_valid, factor))
        return True

    def result(self) -> EvaluationResult:
        """The evaluation of the images added so far (it can be called again after more are added).

        Raises:
            EvaluationError: no image was added, or every image was skipped.
        """
        if not self._indices:
            options = self.options
            raise EvaluationError(
                f"nothing to evaluate: none of the {self._added} images has a valid ground-truth pixel (finite depth "
                f"in ({options.min_depth:g}, {options.max_depth:g}) m inside the {options.crop.value!r} crop)"
                if self._added
                else "nothing to evaluate: no images were given"
            )
        factors, per_image = self._factors, self._metrics
        if self.options.scaling is Scaling.GLOBAL:
            gt_all = np.concatenate([gt for gt, _ in self._pixels])
            pred_all = np.concatenate([pred for _, pred in self._pixels])
            factor = global_scale(gt_all, pred_all)
            factors = [factor] * len(self._pixels)
            per_image = [self._score(gt, pred, factor) for gt, pred in self._pixels]
        ratio_median = ratio_std = None
        if self.options.scaling is Scaling.MEDIAN:
            ratios = np.array(factors)
            ratio_median = float(np.median(ratios))
            ratio_std = float(np.std(ratios / ratio_median))
        return EvaluationResult(
            options=self.options,
            metrics=mean_metrics(per_image),
            per_image=tuple(per_image),
            factors=tuple(factors),
            indices=tuple(self._indices),
            skipped=self._skipped,
            ratio_median=ratio_median,
            ratio_std=ratio_std,
        )

    def _score(self, gt: np.ndarray, pred: np.ndarray, factor: float) -> DepthMetrics:
        scaled = np.clip(pred * factor, self.options.min_depth, self.options.max_depth)
        return compute_depth_metrics(gt, scaled)


def evaluate_depths(
    pairs: Iterable[tuple[object, object]], options: EvaluationOptions | None = None
) -> EvaluationResult:
    """Evaluate (gt, pred) pairs of (H, W) depth images in metres (see `DepthEvaluator.add` for the rules).

    Ground truth marks missing measurements with 0 or NaN; the prediction must already have the ground truth's size
    (`resize_prediction`). The sizes may differ from one pair to the next.

    Raises:
        ShapeError, EvaluationError: as `DepthEvaluator.add` and `DepthEvaluator.result`.
    """
    evaluator = DepthEvaluator(options)
    for gt, pred in pairs:
        evaluator.add(gt, pred)
    return evaluator.result()
