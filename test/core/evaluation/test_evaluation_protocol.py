"""Evaluation options, the valid-pixel mask and prediction resizing."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from mono_depth_ros.core.evaluation import (
    Crop,
    EvaluationError,
    EvaluationOptions,
    Scaling,
    ShapeError,
    crop_mask,
    resize_prediction,
    valid_mask,
)
from mono_depth_ros.errors import ConfigError


def test_defaults_are_the_kitti_monocular_protocol() -> None:
    options = EvaluationOptions()
    assert (options.min_depth, options.max_depth) == (1e-3, 80.0)
    assert options.crop is Crop.GARG
    assert options.scaling is Scaling.MEDIAN
    assert options.fixed_factor is None


def test_names_become_enums_and_options_are_frozen() -> None:
    options = EvaluationOptions(crop="eigen", scaling="fixed", fixed_factor=5.4)
    assert options.crop is Crop.EIGEN
    assert options.scaling is Scaling.FIXED
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.max_depth = 100.0  # type: ignore[misc]


def test_options_to_dict_is_json_ready() -> None:
    options = EvaluationOptions(max_depth=np.float64(50.0), scaling=Scaling.FIXED, fixed_factor=5)
    assert json.loads(json.dumps(options.to_dict())) == {
        "min_depth": 0.001,
        "max_depth": 50.0,
        "crop": "garg",
        "scaling": "fixed",
        "fixed_factor": 5.0,
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_depth": 0.0}, r"min_depth must be a finite positive number, got 0\.0"),
        ({"min_depth": -1}, r"min_depth must be a finite positive number, got -1"),
        ({"max_depth": math.inf}, r"max_depth must be a finite positive number, got inf"),
        ({"max_depth": math.nan}, r"max_depth must be a finite positive number, got nan"),
        ({"max_depth": "80"}, r"max_depth must be a finite positive number, got '80'"),
        ({"max_depth": True}, r"max_depth must be a finite positive number, got True"),
        ({"min_depth": 80.0}, r"min_depth \(80\.0\) must be below max_depth \(80\.0\)"),
        ({"crop": "kitti"}, r"crop must be one of none, garg, eigen, got 'kitti'"),
        ({"scaling": "mean"}, r"scaling must be one of none, median, global, fixed, got 'mean'"),
        ({"scaling": "fixed"}, r"scaling 'fixed' needs a fixed_factor, got None"),
        ({"scaling": "fixed", "fixed_factor": 0.0}, r"fixed_factor must be a finite positive number, got 0\.0"),
        ({"scaling": "fixed", "fixed_factor": math.nan}, r"fixed_factor must be a finite positive number, got nan"),
        ({"fixed_factor": 5.4}, r"fixed_factor \(5\.4\) is only used with scaling 'fixed', got scaling 'median'"),
    ],
)
def test_invalid_options(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EvaluationOptions(**kwargs)


def test_valid_mask_drops_missing_out_of_range_and_cropped_pixels() -> None:
    gt = np.array([[0.0, np.nan, 5.0], [80.0, 79.9, np.inf], [1e-3, 2e-3, -4.0]])
    expected = np.array([[False, False, True], [False, True, False], [False, True, False]])
    np.testing.assert_array_equal(valid_mask(gt, EvaluationOptions(crop=Crop.NONE)), expected)
    np.testing.assert_array_equal(valid_mask(torch.from_numpy(gt), EvaluationOptions(crop="none")), expected)


def test_valid_mask_applies_the_crop() -> None:
    gt = np.full((375, 1242), 10.0, dtype=np.float32)
    np.testing.assert_array_equal(valid_mask(gt, EvaluationOptions()), crop_mask(375, 1242, Crop.GARG))
    np.testing.assert_array_equal(valid_mask(gt, EvaluationOptions(crop="eigen")), crop_mask(375, 1242, Crop.EIGEN))


def test_valid_mask_needs_an_image() -> None:
    with pytest.raises(ShapeError, match=r"gt must have shape \(H, W\), got \(1, 4, 5\)"):
        valid_mask(np.ones((1, 4, 5)), EvaluationOptions())


def test_resize_prediction_is_bilinear() -> None:
    pred = np.array([[1.0, 3.0], [1.0, 3.0]])
    resized = resize_prediction(pred, 4, 4)
    assert resized.dtype == np.float32
    # Half-pixel centres: the output columns sit at input x = -0.25, 0.25, 0.75, 1.25 (edges clamped).
    np.testing.assert_allclose(resized, np.tile([1.0, 1.5, 2.5, 3.0], (4, 1)))
    np.testing.assert_allclose(resize_prediction(np.full((6, 20), 7.0), 375, 1242), 7.0)
    assert resize_prediction(torch.ones(4, 8), 375, 1242).shape == (375, 1242)


def test_resize_prediction_to_the_same_size_is_a_copy_in_float32() -> None:
    pred = np.arange(6.0).reshape(2, 3)
    resized = resize_prediction(pred, 2, 3)
    np.testing.assert_array_equal(resized, pred)
    assert resized.dtype == np.float32


@pytest.mark.parametrize(
    ("height", "width", "message"),
    [
        (0, 4, r"resize height must be a positive integer, got 0"),
        (4, 4.0, r"resize width must be a positive integer, got 4\.0"),
        (False, 4, r"resize height must be a positive integer, got False"),
    ],
)
def test_resize_prediction_errors(height: object, width: object, message: str) -> None:
    with pytest.raises(EvaluationError, match=message):
        resize_prediction(np.ones((2, 2)), height, width)


def test_resize_prediction_needs_an_image() -> None:
    with pytest.raises(ShapeError, match=r"pred must have shape \(h, w\), got \(1, 2, 2\)"):
        resize_prediction(np.ones((1, 2, 2)), 4, 4)
