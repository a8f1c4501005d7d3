"""The robust sliding window shared by the online scale estimators."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.scale import MAD_TO_SIGMA, RobustWindow, ScaleError, ScaleInputError, robust_scale


def test_robust_scale_rejects_outliers_and_reports_the_standard_error() -> None:
    generator = np.random.default_rng(0)
    samples = 2.0 * (1 + 0.05 * generator.standard_normal(400))
    polluted = np.concatenate((samples, [40.0, 0.01, 100.0, 55.0]))
    scale, uncertainty, inliers = robust_scale(polluted)
    assert scale == pytest.approx(2.0, rel=0.01)
    assert inliers <= 400
    assert inliers >= 390
    # 5 % noise over ~400 samples: a standard error of about 0.05 / 20.
    assert uncertainty == pytest.approx(0.05 / np.sqrt(400), rel=0.2)


def test_robust_scale_errors() -> None:
    with pytest.raises(ScaleInputError, match=r"robust_scale needs at least one sample, got none"):
        robust_scale([])
    with pytest.raises(ScaleInputError, match=r"robust_scale samples must be finite and positive, got -1\.0"):
        robust_scale([1.0, -1.0])
    with pytest.raises(ScaleError, match=r"robust_scale rejection must be a finite positive number, got 0"):
        robust_scale([1.0], rejection=0)


def test_window_keeps_the_newest_samples_and_converges() -> None:
    window = RobustWindow(size=5, min_samples=3, tolerance=0.01)
    assert window.estimate() is None
    for value in (9.0, 9.0, 9.0, 9.0, 9.0):
        window.add(value)
    for value in (3.0, 3.0, 3.03):
        window.add(value)
    assert len(window) == 5
    estimate = window.estimate()
    assert estimate.scale == 3.0  # the 9s left the window, or were rejected as outliers
    assert estimate.samples == 3
    assert estimate.relative_uncertainty == pytest.approx(0.0)
    assert estimate.converged
    window.clear()
    assert window.estimate() is None


def test_window_does_not_converge_with_few_or_spread_samples() -> None:
    window = RobustWindow(size=50, min_samples=10, tolerance=0.01)
    for value in (1.0, 1.5, 2.0, 2.5, 3.0, 1.2, 2.2, 2.9, 1.7, 2.4, 1.1, 2.6):
        window.add(value)
    estimate = window.estimate()
    assert estimate.samples == 12
    spread = MAD_TO_SIGMA * np.median(
        np.abs(np.array([1.0, 1.5, 2.0, 2.5, 3.0, 1.2, 2.2, 2.9, 1.7, 2.4, 1.1, 2.6]) - 2.1)
    )
    assert estimate.relative_uncertainty == pytest.approx(spread / 2.1 / np.sqrt(12))
    assert not estimate.converged


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 0}, r"window size must be an integer >= 1, got 0"),
        ({"min_samples": 1.5}, r"window min_samples must be an integer >= 1, got 1\.5"),
        ({"size": 5, "min_samples": 6}, r"window min_samples \(6\) must not exceed its size \(5\)"),
        ({"tolerance": float("inf")}, r"window tolerance must be a finite positive number, got inf"),
        ({"rejection": -1.0}, r"window rejection must be a finite positive number, got -1\.0"),
    ],
)
def test_window_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ScaleError, match=message):
        RobustWindow(**kwargs)


@pytest.mark.parametrize("sample", [0.0, -2.0, float("nan"), "3"])
def test_window_rejects_bad_samples(sample: object) -> None:
    with pytest.raises(ScaleInputError, match=rf"a scale sample must be a finite positive number, got {sample!r}"):
        RobustWindow().add(sample)
