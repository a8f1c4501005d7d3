"""The standard depth metrics on hand-computed examples, their mean, the table, and their errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mono_depth_ros.core.evaluation import (
    METRIC_NAMES,
    DepthMetrics,
    EvaluationError,
    ShapeError,
    compute_depth_metrics,
    format_metrics_table,
    mean_metrics,
)


def _approx(metrics: DepthMetrics) -> dict[str, object]:
    return {name: pytest.approx(value, abs=1e-12) for name, value in metrics.to_dict().items()}


def test_hand_computed_values() -> None:
    metrics = compute_depth_metrics(np.array([1.0, 2.0, 4.0]), np.array([1.0, 4.0, 2.0]))
    # gt - pred = (0, -2, 2); max(gt/pred, pred/gt) = (1, 2, 2).
    expected = DepthMetrics(
        abs_rel=(0 / 1 + 2 / 2 + 2 / 4) / 3,
        sq_rel=(0 / 1 + 4 / 2 + 4 / 4) / 3,
        rmse=math.sqrt((0 + 4 + 4) / 3),
        rmse_log=math.sqrt((0 + math.log(2) ** 2 + math.log(2) ** 2) / 3),
        log10=(0 + math.log10(2) + math.log10(2)) / 3,
        delta1=1 / 3,  # only the exact pixel: 2 > 1.25^3 = 1.953
        delta2=1 / 3,
        delta3=1 / 3,
    )
    assert metrics.to_dict() == _approx(expected)
    assert metrics.abs_rel == pytest.approx(0.5)
    assert metrics.sq_rel == pytest.approx(1.0)


def test_delta_thresholds_are_strict_powers_of_1_25() -> None:
    # Ratios 1, 1.2, 1.5, 1.9: below 1.25 twice, below 1.5625 three times, below 1.953125 four times.
    metrics = compute_depth_metrics([10.0, 10.0, 10.0, 10.0], [10.0, 12.0, 15.0, 19.0])
    assert (metrics.delta1, metrics.delta2, metrics.delta3) == (0.5, 0.75, 1.0)
    # The threshold is symmetric: under-estimating by the same ratio counts the same.
    assert compute_depth_metrics([12.0, 15.0], [10.0, 10.0]).delta1 == 0.5


def test_ground_truth_against_itself_is_perfect() -> None:
    gt = np.array([0.5, 3.0, 20.0, 79.0])
    metrics = compute_depth_metrics(gt, gt.copy())
    assert metrics == DepthMetrics(0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0)


def test_ten_percent_over_estimate() -> None:
    gt = np.array([1.0, 2.0, 5.0, 40.0])
    metrics = compute_depth_metrics(gt, gt * 1.1)
    assert metrics.abs_rel == pytest.approx(0.1)
    assert metrics.sq_rel == pytest.approx(0.01 * gt.mean())
    assert metrics.rmse == pytest.approx(0.1 * math.sqrt(np.mean(gt**2)))
    assert metrics.rmse_log == pytest.approx(math.log(1.1))
    assert metrics.log10 == pytest.approx(math.log10(1.1))
    assert (metrics.delta1, metrics.delta2, metrics.delta3) == (1.0, 1.0, 1.0)


def test_accepts_torch_tensors_and_any_matching_shape() -> None:
    gt = torch.tensor([[1.0, 2.0], [4.0, 8.0]], dtype=torch.float32)
    pred = gt * 2
    from_torch = compute_depth_metrics(gt, pred)
    from_numpy = compute_depth_metrics(gt.numpy().ravel(), pred.numpy().ravel())
    assert from_torch == from_numpy
    assert from_torch.abs_rel == pytest.approx(1.0)
    assert compute_depth_metrics(gt.to(torch.bfloat16), pred.to(torch.bfloat16)).abs_rel == pytest.approx(1.0)


def test_values_are_plain_floats() -> None:
    metrics = compute_depth_metrics(np.array([1.0, 2.0], dtype=np.float32), np.array([2.0, 2.0], dtype=np.float32))
    assert all(type(value) is float for value in metrics.to_dict().values())
    assert (
        tuple(metrics.to_dict())
        == METRIC_NAMES
        == (
            "abs_rel",
            "sq_rel",
            "rmse",
            "rmse_log",
            "log10",
            "delta1",
            "delta2",
            "delta3",
        )
    )


@pytest.mark.parametrize(
    ("gt", "pred", "message"),
    [
        ([], [], r"empty gt and pred"),
        (
            [1.0, 0.0],
            [1.0, 1.0],
            r"gt must hold finite positive depths, got 1 of 2 values that are not \(first: 0\.0\)",
        ),
        ([1.0, 2.0], [-1.0, 1.0], r"pred must hold finite positive depths, got 1 of 2 .*first: -1\.0"),
        ([1.0, 2.0], [np.nan, np.inf], r"pred must hold finite positive depths, got 2 of 2 .*first: nan"),
        ([np.inf], [1.0], r"gt must hold finite positive depths, got 1 of 1 .*first: inf"),
        (["a"], [1.0], r"gt must be a numeric array, got list"),
    ],
)
def test_invalid_values_are_rejected(gt: list, pred: list, message: str) -> None:
    with pytest.raises(EvaluationError, match=message):
        compute_depth_metrics(gt, pred)


def test_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(ShapeError, match=r"got gt \(3,\) and pred \(2,\)"):
        compute_depth_metrics([1.0, 2.0, 3.0], [1.0, 2.0])


def test_mean_metrics_is_field_wise() -> None:
    first = DepthMetrics(0.1, 0.2, 3.0, 0.3, 0.04, 0.9, 0.95, 1.0)
    second = DepthMetrics(0.3, 0.4, 5.0, 0.5, 0.06, 0.7, 0.85, 0.9)
    mean = mean_metrics([first, second])
    assert mean.to_dict() == _approx(DepthMetrics(0.2, 0.3, 4.0, 0.4, 0.05, 0.8, 0.9, 0.95))
    assert mean_metrics(iter([first])) == first


def test_mean_of_nothing_is_an_error() -> None:
    with pytest.raises(EvaluationError, match="empty list of depth metrics"):
        mean_metrics([])


def test_metrics_table() -> None:
    table = format_metrics_table(
        {
            "median": DepthMetrics(0.1154, 0.9031, 4.863, 0.1931, 0.05, 0.8771, 0.9591, 0.9812),
            "stereo": DepthMetrics(0.1, 0.8, 4.5, 0.18, 0.04, 0.9, 0.96, 0.98),
        }
    )
    lines = table.splitlines()
    assert lines[0].split() == ["abs_rel", "sq_rel", "rmse", "rmse_log", "log10", "a1", "a2", "a3"]
    assert lines[1] == "median    0.115    0.903    4.863    0.193    0.050    0.877    0.959    0.981"
    assert lines[2].startswith("stereo    0.100    0.800")
    # Columns line up: every line has the same length.
    assert len({len(line) for line in lines}) == 1


def test_metrics_table_without_rows_is_the_header() -> None:
    assert format_metrics_table({}).split() == ["abs_rel", "sq_rel", "rmse", "rmse_log", "log10", "a1", "a2", "a3"]
