"""Median, global and Wasserstein-optimal scale alignment."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import wasserstein_distance as scipy_wasserstein

from mono_depth_ros.core.evaluation import EvaluationOptions, evaluate_depths
from mono_depth_ros.core.scale import (
    GlobalScaleAccumulator,
    ScaleError,
    ScaleInputError,
    global_scale,
    median_scale,
    wasserstein_distance,
    wasserstein_optimal_scale,
)


def _depths(seed: int, shape: tuple[int, ...] = (12, 20)) -> np.ndarray:
    return np.random.default_rng(seed).uniform(1.0, 40.0, shape)


def test_median_scale_is_the_ratio_of_medians_over_pixels_valid_in_both() -> None:
    reference = np.array([[2.0, 4.0, 6.0], [np.nan, 0.0, np.inf]])
    prediction = np.array([[1.0, 1.0, 3.0], [1.0, 1.0, 1.0]])
    assert median_scale(reference, prediction) == pytest.approx(4.0 / 1.0)
    mask = np.array([[True, False, True], [True, True, True]])
    assert median_scale(reference, prediction, mask) == pytest.approx(np.median([2.0, 6.0]) / np.median([1.0, 3.0]))
    # A prediction that is not positive at a pixel removes that pixel from both medians.
    assert median_scale(reference, np.array([[-1.0, 1.0, 3.0], [1.0, 1.0, 1.0]])) == pytest.approx(5.0 / 2.0)


def test_median_scale_accepts_torch_tensors() -> None:
    gt = _depths(0)
    assert median_scale(torch.from_numpy(gt).float(), torch.from_numpy(gt / 3).float()) == pytest.approx(3.0)


_ONES = np.ones((2, 2))


@pytest.mark.parametrize(
    ("reference", "prediction", "mask", "message"),
    [
        (np.ones((2, 3)), np.ones((3, 2)), None, r"median_scale needs reference and prediction of one shape, "
         r"got \(2, 3\) and \(3, 2\)"),
        (np.zeros((2, 2)), _ONES, None, r"median_scale has no pixel where reference and prediction are both finite "
         r"and positive \(and masked in\), out of 4"),
        (_ONES, _ONES, _ONES, r"median_scale mask must be a boolean array, got dtype float64"),
        (_ONES, _ONES, np.ones(4, dtype=bool), r"median_scale mask must have the shape \(2, 2\) of the depths, "
         r"got \(4,\)"),
        (_ONES, "deep", None, r"median_scale prediction must be a numeric array, got str"),
    ],
)  # fmt: skip
def test_median_scale_errors(reference: object, prediction: object, mask: object, message: str) -> None:
    with pytest.raises(ScaleInputError, match=message):
        median_scale(reference, prediction, mask)


def test_global_scale_is_the_median_of_the_per_pixel_ratios() -> None:
    reference = np.array([2.0, 2.0, 2.0, 4.0, 4.0])
    prediction = np.ones(5)
    assert global_scale(reference, prediction) == pytest.approx(2.0)
    with pytest.raises(ScaleInputError, match=r"global_scale has no pixel where"):
        global_scale(np.full(3, np.nan), prediction[:3])


def test_accumulator_matches_the_global_scale_exactly_below_capacity() -> None:
    accumulator = GlobalScaleAccumulator(capacity=10_000)
    images = [
        (_depths(seed), _depths(seed) / np.random.default_rng(seed + 100).uniform(2.0, 3.0, (12, 20)))
        for seed in range(5)
    ]
    for reference, prediction in images:
        assert accumulator.add(reference, prediction) == reference.size
    reference_all = np.concatenate([reference.ravel() for reference, _ in images])
    prediction_all = np.concatenate([prediction.ravel() for _, prediction in images])
    assert accumulator.count == reference_all.size
    assert accumulator.factor() == global_scale(reference_all, prediction_all)
    # It is the same factor the evaluator's GLOBAL protocol applies.
    result = evaluate_depths(images, EvaluationOptions(scaling="global", crop="none", max_depth=100.0))
    assert result.factors[0] == accumulator.factor()


def test_accumulator_memory_is_bounded_and_its_sample_stays_uniform() -> None:
    accumulator = GlobalScaleAccumulator(capacity=8_000, seed=3)
    generator = np.random.default_rng(7)
    # Ratios drift from image to image: a reservoir that favoured early or late images would be biased.
    all_ratios = []
    for index in range(40):
        reference = generator.uniform(1.0, 30.0, (25, 40))
        ratios = 1.0 + index / 20 + generator.uniform(-0.2, 0.2, reference.shape)
        all_ratios.append(ratios.ravel())
        accumulator.add(reference, reference / ratios, mask=np.ones(reference.shape, dtype=bool))
    assert accumulator.count == 40_000
    assert accumulator._ratios.size == 8_000
    assert accumulator.factor() == pytest.approx(np.median(np.concatenate(all_ratios)), rel=0.03)
    # Seeded: the same stream gives the same factor.
    again = GlobalScaleAccumulator(capacity=8_000, seed=3)
    for ratios in all_ratios:
        again.add(np.full(ratios.size, 2.0), 2.0 / ratios)
    assert again.factor() == pytest.approx(accumulator.factor(), rel=1e-12)


def test_accumulator_errors_and_empty_images() -> None:
    accumulator = GlobalScaleAccumulator()
    with pytest.raises(ScaleError, match=r"GlobalScaleAccumulator has no valid pixel yet"):
        accumulator.factor()
    assert accumulator.add(np.zeros((2, 2)), np.ones((2, 2))) == 0
    assert accumulator.count == 0
    with pytest.raises(
        ScaleInputError, match=r"GlobalScaleAccumulator.add needs reference and prediction of one shape"
    ):
        accumulator.add(np.ones(3), np.ones(4))
    for capacity in (0, 2.5, True):
        with pytest.raises(
            ScaleError, match=rf"GlobalScaleAccumulator capacity must be an integer >= 1, got {capacity!r}"
        ):
            GlobalScaleAccumulator(capacity=capacity)


def test_wasserstein_distance_matches_scipy_for_unequal_sizes() -> None:
    first, second = _depths(1, (137,)), _depths(2, (59,)) * 1.3
    assert wasserstein_distance(first, second) == pytest.approx(scipy_wasserstein(first, second), rel=1e-12)
    assert wasserstein_distance(first, first) == 0.0
    with pytest.raises(ScaleInputError, match=r"wasserstein_distance first must not be empty"):
        wasserstein_distance(np.array([]), second)
    with pytest.raises(ScaleInputError, match=r"wasserstein_distance second must be finite, got 1 non-finite values"):
        wasserstein_distance(first, np.array([1.0, np.inf]))


@pytest.mark.parametrize("reference_size", [500, 317])
def test_wasserstein_optimal_scale_is_the_minimiser_over_a_dense_grid(reference_size: int) -> None:
    generator = np.random.default_rng(4)
    prediction = generator.uniform(1.0, 10.0, 500)
    reference = (prediction * 0.7 * generator.uniform(0.8, 1.2, 500))[:reference_size]
    best = wasserstein_optimal_scale(prediction, reference)
    # A coarse grid, then a fine one around its best point (W1 is convex in s).
    coarse = np.linspace(0.1, 2.0, 381)
    centre = coarse[np.argmin([scipy_wasserstein(s * prediction, reference) for s in coarse])]
    grid = np.linspace(centre - 0.005, centre + 0.005, 1001)
    distances = np.array([scipy_wasserstein(s * prediction, reference) for s in grid])
    assert best == pytest.approx(grid[np.argmin(distances)], abs=2e-5)
    assert scipy_wasserstein(best * prediction, reference) <= distances.min() + 1e-12


def test_wasserstein_optimal_scale_recovers_a_known_scale_and_clips_to_its_range() -> None:
    reference = _depths(5)
    reference[0, :5] = 0.0  # missing ground truth is left out of both distributions
    prediction = _depths(5) / 0.4
    assert wasserstein_optimal_scale(prediction, reference) == pytest.approx(0.4, rel=1e-9)
    assert wasserstein_optimal_scale(torch.from_numpy(prediction), torch.from_numpy(reference)) == pytest.approx(0.4)
    assert wasserstein_optimal_scale(prediction, reference, low=0.5, high=1.0) == 0.5
    assert wasserstein_optimal_scale(prediction / 10, reference) == 2.0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"low": 0.0}, ScaleError, r"wasserstein_optimal_scale low must be a finite positive number, got 0\.0"),
        ({"high": float("nan")}, ScaleError, r"optimal_scale high must be a finite positive number, got nan"),
        ({"low": 2.0, "high": 1.0}, ScaleError, r"optimal_scale low \(2\.0\) must be below high \(1\.0\)"),
        ({"reference": np.ones(4), "mask": np.ones(3, dtype=bool)}, ScaleInputError,
         r"takes a mask only for arrays of one shape, got prediction \(3,\) and reference \(4,\)"),
        ({"reference": np.zeros(4)}, ScaleInputError,
         r"wasserstein_optimal_scale reference has no finite positive value, out of 4"),
        ({"reference": np.zeros(3)}, ScaleInputError,
         r"wasserstein_optimal_scale has no pixel where reference and prediction"),
    ],
)  # fmt: skip
def test_wasserstein_optimal_scale_errors(kwargs: dict, error: type[Exception], message: str) -> None:
    arguments = {"prediction": np.ones(3), "reference": np.ones(3), **kwargs}
    with pytest.raises(error, match=message):
        wasserstein_optimal_scale(**arguments)
