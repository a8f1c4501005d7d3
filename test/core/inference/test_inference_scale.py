"""Metric scale: metric = relative * scale, under each source and with the documented precedence."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest
import torch

from mono_depth_ros.core.inference import (
    DepthEstimator,
    InferenceConfigError,
    ScaleOrigin,
    ScalePlan,
    plan_scale,
    to_network_input,
)
from mono_depth_ros.core.models import Checkpoint, MetricScale, ScaleSource, TrainingMode

CheckpointFactory = Callable[..., Checkpoint]

STEREO = {
    "training_mode": TrainingMode.STEREO,
    "stereo_baseline": 0.54,
    "metric_scale": MetricScale(ScaleSource.STEREO, 1.0),
}


@pytest.fixture(scope="module")
def plain_relative_depth(make_checkpoint: CheckpointFactory, image: np.ndarray) -> np.ndarray:
    """The relative depth of the test image by the same networks without any metric scale."""
    return DepthEstimator(make_checkpoint(), device="cpu", warmup=False).predict(image).relative_depth


@pytest.mark.parametrize(
    ("checkpoint_fields", "options", "scale", "origin"),
    [
        ({}, {}, 1.0, ScaleOrigin.NONE),
        ({}, {"scale": 2.5}, 2.5, ScaleOrigin.GIVEN),
        (STEREO, {}, 1.0, ScaleOrigin.STEREO),
        (STEREO, {"real_baseline": 0.27}, 0.5, ScaleOrigin.STEREO_BASELINE),
        (STEREO, {"scale": 3.0}, 3.0, ScaleOrigin.GIVEN),
        ({"metric_scale": MetricScale(ScaleSource.GLOBAL, 37.5)}, {}, 37.5, ScaleOrigin.GLOBAL),
        ({"metric_scale": MetricScale(ScaleSource.GLOBAL, 37.5)}, {"scale": 0.25}, 0.25, ScaleOrigin.GIVEN),
    ],
)
def test_metric_depth_is_relative_depth_times_the_scale(
    make_checkpoint: CheckpointFactory,
    image: np.ndarray,
    plain_relative_depth: np.ndarray,
    checkpoint_fields: dict[str, object],
    options: dict[str, float],
    scale: float,
    origin: ScaleOrigin,
) -> None:
    estimator = DepthEstimator(make_checkpoint(checkpoint=checkpoint_fields), device="cpu", warmup=False)
    prediction = estimator.predict(image, **options)
    assert prediction.scale == pytest.approx(scale, rel=1e-12)
    assert prediction.scale_origin is origin
    assert prediction.is_metric is (origin is not ScaleOrigin.NONE)
    np.testing.assert_allclose(prediction.metric_depth, prediction.relative_depth * np.float32(scale), rtol=1e-6)
    # The scale never touches relative depth.
    np.testing.assert_array_equal(prediction.relative_depth, plain_relative_depth)


def test_per_image_scale_comes_from_the_scale_network(make_checkpoint: CheckpointFactory, image: np.ndarray) -> None:
    checkpoint = make_checkpoint(scale_cnn=True, checkpoint={"metric_scale": MetricScale(ScaleSource.PER_IMAGE)})
    estimator = DepthEstimator(checkpoint, device="cpu", warmup=False)
    assert estimator.scale_network is not None
    prediction = estimator.predict(image)
    with torch.inference_mode():
        images = to_network_input(torch.from_numpy(image), "rgb8", estimator.network_size)
        expected = float(torch.exp(estimator.scale_network(images))[0])
    assert prediction.scale_origin is ScaleOrigin.PER_IMAGE
    assert prediction.is_metric
    assert prediction.scale == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(prediction.metric_depth, prediction.relative_depth * prediction.scale, rtol=1e-6)
    other = estimator.predict(np.ascontiguousarray(image[::-1]))
    assert other.scale != prediction.scale  # a scale per image
    given = estimator.predict(image, scale=2.0)
    assert given.scale_origin is ScaleOrigin.GIVEN
    assert given.scale == 2.0


def test_two_stream_depth_includes_mu(make_checkpoint: CheckpointFactory, image: np.ndarray) -> None:
    estimator = DepthEstimator(make_checkpoint(two_stream=True), device="cpu", warmup=False)
    prediction = estimator.predict(image, resolution="network")
    with torch.inference_mode():
        images = to_network_input(torch.from_numpy(image), "rgb8", estimator.network_size)
        output = estimator.network(images)
    assert output.mu is not None
    np.testing.assert_allclose(prediction.relative_depth, output.depths[0][0, 0].numpy(), rtol=1e-5)
    # Mean-normalised depth times mu: the mean depth is mu (up to the inverse-depth round trip).
    assert float(prediction.relative_depth.mean()) == pytest.approx(float(output.mu[0]), rel=1e-4)


def test_plan_scale_precedence_and_errors() -> None:
    none, stereo = MetricScale(), MetricScale(ScaleSource.STEREO, 2.0)
    assert plan_scale(none, None) == ScalePlan(1.0, ScaleOrigin.NONE)
    assert plan_scale(stereo, 0.5) == ScalePlan(2.0, ScaleOrigin.STEREO)
    assert plan_scale(stereo, 0.5, real_baseline=0.25) == ScalePlan(0.5, ScaleOrigin.STEREO_BASELINE)
    assert plan_scale(MetricScale(ScaleSource.PER_IMAGE), None) == ScalePlan(None, ScaleOrigin.PER_IMAGE)
    assert plan_scale(MetricScale(ScaleSource.GLOBAL, 4.0), None, scale=3) == ScalePlan(3.0, ScaleOrigin.GIVEN)
    assert not ScaleOrigin.NONE.is_metric
    assert all(origin.is_metric for origin in ScaleOrigin if origin is not ScaleOrigin.NONE)
    message = "real_baseline must be a positive finite number, got nan"
    with pytest.raises(InferenceConfigError, match=re.escape(message)):
        plan_scale(stereo, 0.5, real_baseline=math.nan)
    with pytest.raises(InferenceConfigError, match="but this checkpoint's is 'global'"):
        plan_scale(MetricScale(ScaleSource.GLOBAL, 4.0), None, real_baseline=0.5)
