"""The evaluation protocol end to end: scaling modes, clamping, skipped images, results and their errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from mono_depth_ros.core.evaluation import (
    DepthEvaluator,
    DepthMetrics,
    EvaluationError,
    EvaluationOptions,
    Scaling,
    ShapeError,
    compute_depth_metrics,
    evaluate_depths,
)

PERFECT = DepthMetrics(0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0)


def _options(scaling: Scaling | str = Scaling.NONE, **kwargs: object) -> EvaluationOptions:
    return EvaluationOptions(crop="none", scaling=scaling, **kwargs)


def _approx(metrics: DepthMetrics) -> dict[str, object]:
    return {name: pytest.approx(value, abs=1e-9) for name, value in metrics.to_dict().items()}


@pytest.fixture
def images() -> list[np.ndarray]:
    """Two 3x4 ground-truth images in metres with missing pixels (0)."""
    first = np.array([[0.0, 2.0, 4.0, 8.0], [10.0, 0.0, 20.0, 30.0], [5.0, 6.0, 0.0, 7.0]])
    second = np.array([[1.0, 1.5, 0.0, 0.0], [3.0, 45.0, 60.0, 0.0], [0.0, 12.0, 14.0, 16.0]])
    return [first, second]


def _valid(gt: np.ndarray) -> np.ndarray:
    return gt[gt > 0]


def test_ten_percent_over_estimate_without_scaling(images: list[np.ndarray]) -> None:
    result = evaluate_depths([(gt, gt * 1.1) for gt in images], _options())
    for gt, metrics in zip(images, result.per_image, strict=True):
        valid = _valid(gt)
        assert metrics.abs_rel == pytest.approx(0.1)
        assert metrics.sq_rel == pytest.approx(0.01 * valid.mean())
        assert metrics.rmse == pytest.approx(0.1 * math.sqrt(np.mean(valid**2)))
        assert metrics.delta1 == 1.0
    assert result.metrics.abs_rel == pytest.approx(0.1)
    assert result.metrics.sq_rel == pytest.approx(0.01 * np.mean([_valid(gt).mean() for gt in images]))
    assert result.factors == (1.0, 1.0)
    assert result.ratio_median is None
    assert result.ratio_std is None


@pytest.mark.parametrize(
    "options",
    [_options("median"), _options("global"), _options("fixed", fixed_factor=1 / 1.1)],
    ids=["median", "global", "fixed"],
)
def test_scaling_recovers_a_constant_scale_error(images: list[np.ndarray], options: EvaluationOptions) -> None:
    result = evaluate_depths([(gt, gt * 1.1) for gt in images], options)
    assert result.metrics.to_dict() == _approx(PERFECT)
    assert result.factors == pytest.approx((1 / 1.1, 1 / 1.1))


def test_fixed_factor_one_is_no_scaling(images: list[np.ndarray]) -> None:
    pairs = [(gt, gt * 1.3) for gt in images]
    fixed = evaluate_depths(pairs, _options("fixed", fixed_factor=1.0))
    assert fixed.metrics == evaluate_depths(pairs, _options()).metrics
    assert fixed.per_image == evaluate_depths(pairs, _options()).per_image


def test_median_scaling_reports_the_ratio_spread(images: list[np.ndarray]) -> None:
    result = evaluate_depths([(images[0], images[0] / 2), (images[1], images[1] / 4)], _options("median"))
    assert result.factors == pytest.approx((2.0, 4.0))
    assert result.metrics.to_dict() == _approx(PERFECT)
    assert result.ratio_median == pytest.approx(3.0)
    assert result.ratio_std == pytest.approx(np.std([2 / 3, 4 / 3]))


def test_global_scaling_is_one_factor_for_all_pixels() -> None:
    # Three valid pixels off by 2, two off by 4: the median ratio over all five pixels is 2.
    first, second = np.array([[1.0, 2.0, 3.0]]), np.array([[4.0, 8.0, 0.0]])
    result = evaluate_depths([(first, first / 2), (second, second / 4)], _options("global"))
    assert result.factors == (2.0, 2.0)
    assert result.per_image[0].to_dict() == _approx(PERFECT)
    assert result.per_image[1].abs_rel == pytest.approx(0.5)
    assert result.metrics.abs_rel == pytest.approx(0.25)
    # Per-image median scaling would have hidden the second image's error.
    assert evaluate_depths([(first, first / 2), (second, second / 4)], _options("median")).metrics.abs_rel == 0


def test_scaled_prediction_is_clamped_to_the_depth_range() -> None:
    gt = np.array([[10.0, 40.0, 70.0, 79.0]])
    result = evaluate_depths([(gt, np.full_like(gt, 100.0))], _options())
    assert result.metrics == compute_depth_metrics(gt.ravel(), np.full(4, 80.0))
    near = evaluate_depths([(gt, np.full_like(gt, 1e-6))], _options(min_depth=0.5))
    assert near.metrics == compute_depth_metrics(gt.ravel(), np.full(4, 0.5))
    # With a fixed factor the clamp applies after scaling: 30 * 5.4 = 162 -> 80.
    fixed = evaluate_depths([(gt, np.full_like(gt, 30.0))], _options("fixed", fixed_factor=5.4))
    assert fixed.metrics == compute_depth_metrics(gt.ravel(), np.full(4, 80.0))


def test_ground_truth_outside_the_range_or_crop_is_ignored() -> None:
    gt = np.array([[5.0, 90.0, 80.0, 0.0005]])
    pred = np.array([[5.0, 1.0, 1.0, 1.0]])
    assert evaluate_depths([(gt, pred)], _options()).metrics == PERFECT
    # The default Garg crop keeps only the lower middle of the image.
    gt = np.full((375, 1242), 10.0)
    pred = np.full_like(gt, 20.0)
    pred[200:300, 100:1100] = 10.0
    assert evaluate_depths([(gt, pred)], EvaluationOptions(scaling="none")).metrics.abs_rel == pytest.approx(
        1 - (100 * 1000) / ((371 - 153) * (1197 - 44))
    )


def test_images_without_valid_ground_truth_are_skipped_and_counted(images: list[np.ndarray]) -> None:
    empty = np.zeros((3, 4))
    pairs = [(empty, np.ones((3, 4))), (images[0], images[0] + 1), (np.full((3, 4), 95.0), np.ones((3, 4)))]
    pairs.append((images[1], images[1]))
    result = evaluate_depths(pairs, _options())
    assert result.skipped == 2
    assert result.indices == (1, 3)
    assert len(result.per_image) == len(result.factors) == 2
    assert result.per_image[1] == PERFECT


def test_predictions_may_be_anything_where_ground_truth_is_missing(images: list[np.ndarray]) -> None:
    pred = images[0].copy()
    pred[images[0] == 0] = np.nan
    pred[0, 0] = -1.0
    assert evaluate_depths([(images[0], pred)], _options()).metrics == PERFECT


def test_torch_inputs_and_varying_sizes(images: list[np.ndarray]) -> None:
    big = np.full((5, 7), 3.0)
    pairs = [(torch.from_numpy(images[0]), torch.from_numpy(images[0]).float()), (big, torch.full((5, 7), 6.0))]
    result = evaluate_depths(pairs, _options())
    assert result.per_image[0].abs_rel == pytest.approx(0.0, abs=1e-7)
    assert result.per_image[1].abs_rel == pytest.approx(1.0)


def test_streaming_evaluator_matches_the_batch_function(images: list[np.ndarray]) -> None:
    evaluator = DepthEvaluator(_options("global"))
    assert evaluator.add(images[0], images[0] * 2)
    assert not evaluator.add(np.zeros((2, 2)), np.ones((2, 2)))
    first = evaluator.result()
    assert evaluator.add(images[1], images[1] * 3)
    assert first.indices == (0,)
    assert evaluator.result() == evaluate_depths(
        [(images[0], images[0] * 2), (np.zeros((2, 2)), np.ones((2, 2))), (images[1], images[1] * 3)],
        _options("global"),
    )
    assert DepthEvaluator().options == EvaluationOptions()


def test_result_to_dict_is_json_ready(images: list[np.ndarray]) -> None:
    result = evaluate_depths(
        [(gt, gt * 2) for gt in images] + [(np.zeros((3, 4)), np.ones((3, 4)))], _options("median")
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert data["options"]["scaling"] == "median"
    assert data["metrics"]["abs_rel"] == pytest.approx(0.0)
    assert data["evaluated"] == 2
    assert data["skipped"] == 1
    assert data["factors"] == pytest.approx([0.5, 0.5])
    assert data["indices"] == [0, 1]
    assert data["ratio_median"] == pytest.approx(0.5)
    assert data["ratio_std"] == pytest.approx(0.0)
    assert len(data["per_image"]) == 2
    assert set(data["per_image"][0]) == set(data["metrics"])


def test_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(ShapeError, match=r"pred of image 1 must have the shape of its gt \(4, 6\), got \(2, 3\)"):
        evaluate_depths([(np.ones((2, 2)), np.ones((2, 2))), (np.ones((4, 6)), np.ones((2, 3)))], _options())


def test_ground_truth_must_be_an_image() -> None:
    with pytest.raises(ShapeError, match=r"gt of image 0 must have shape \(H, W\), got \(1, 2, 2\)"):
        evaluate_depths([(np.ones((1, 2, 2)), np.ones((1, 2, 2)))], _options())


def test_invalid_prediction_at_valid_pixels(images: list[np.ndarray]) -> None:
    pred = images[1].copy()
    pred[1, 1] = np.inf
    pred[2, 3] = 0.0
    with pytest.raises(EvaluationError, match=r"pred of image 1 must be finite and positive where ground truth is "):
        evaluate_depths([(images[0], images[0]), (images[1], pred)], _options())
    with pytest.raises(EvaluationError, match=r"got 2 of 8 values that are not \(first: inf\)"):
        evaluate_depths([(images[1], pred)], _options())


def test_all_skipped_is_an_error() -> None:
    message = (
        r"none of the 2 images has a valid ground-truth pixel \(finite depth in \(0\.001, 80\) m inside the 'garg'"
    )
    with pytest.raises(EvaluationError, match=message):
        evaluate_depths([(np.zeros((375, 1242)), np.ones((375, 1242)))] * 2)


def test_no_images_is_an_error() -> None:
    with pytest.raises(EvaluationError, match="nothing to evaluate: no images were given"):
        evaluate_depths([])
