"""The shared array conversions: numpy, torch and nested sequences in, numpy out, the caller's error type out."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mono_depth_ros.core.arrays import as_float64, as_mask, positive_values


class CallerError(ValueError):
    """A subpackage's own error type."""


def test_as_float64_takes_sequences_numpy_and_torch():
    assert as_float64([[1, 2]], "depth", CallerError).dtype == np.float64
    half = torch.tensor([1.5, 2.5], dtype=torch.float16, requires_grad=False)
    np.testing.assert_array_equal(as_float64(half, "depth", CallerError), [1.5, 2.5])
    graded = torch.ones(2, requires_grad=True) * 2
    np.testing.assert_array_equal(as_float64(graded, "depth", CallerError), [2.0, 2.0])


def test_as_float64_names_the_value_in_the_callers_error():
    with pytest.raises(CallerError, match=r"^depth must be a numeric array, got str: "):
        as_float64("deep", "depth", CallerError)


def test_as_mask_defaults_to_everything_and_checks_dtype_and_shape():
    assert as_mask(None, (2, 3), "mask", CallerError).all()
    assert as_mask(torch.tensor([True, False]), (2,), "mask", CallerError).tolist() == [True, False]
    with pytest.raises(CallerError, match=r"^valid must be a boolean array, got dtype int64$"):
        as_mask(np.array([1, 0], dtype=np.int64), (2,), "valid", CallerError)
    with pytest.raises(CallerError, match=r"^mask must have the shape \(3,\) of the depths, got \(2,\)$"):
        as_mask(np.array([True, False]), (3,), "mask", CallerError)


def test_positive_values_are_finite_and_above_zero():
    values = np.array([1.0, 0.0, -1.0, np.nan, np.inf, 1e-9])
    assert positive_values(values).tolist() == [True, False, False, False, False, True]
