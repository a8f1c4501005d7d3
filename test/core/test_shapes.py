"""check_shape: the kornia-style shape specs every tensor function relies on."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mono_depth_ros.core.shapes import ShapeError, check_shape
from mono_depth_ros.errors import MonoDepthError


def test_exact_dimensions_pass_and_bind_nothing() -> None:
    assert check_shape(torch.zeros(3, 3), "matrix", [3, 3]) == {}


def test_symbolic_dimensions_are_bound_and_returned() -> None:
    assert check_shape(torch.zeros(2, 4, 5), "image", [2, "H", "W"]) == {"H": 4, "W": 5}


@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
def test_star_accepts_any_number_of_leading_dimensions(batch: tuple[int, ...]) -> None:
    assert check_shape(torch.zeros(*batch, 7, 3), "points", ["*", "N", 3]) == {"N": 7}


def test_numpy_arrays_are_checked_like_tensors() -> None:
    assert check_shape(np.zeros((4, 6)), "depth", ["H", "W"]) == {"H": 4, "W": 6}


def test_extra_dimensions_without_star_are_rejected() -> None:
    with pytest.raises(ShapeError, match=r"matrix must have shape \(3, 3\), got \(1, 3, 3\)"):
        check_shape(torch.zeros(1, 3, 3), "matrix", [3, 3])


def test_too_few_dimensions_are_rejected_even_with_star() -> None:
    with pytest.raises(ShapeError, match=r"depth must have shape \(\*, H, W\), got \(5,\)"):
        check_shape(torch.zeros(5), "depth", ["*", "H", "W"])


def test_wrong_fixed_size_names_argument_spec_and_shape() -> None:
    with pytest.raises(ShapeError, match=r"points must have shape \(\*, N, 3\), got \(4, 2\)"):
        check_shape(torch.zeros(4, 2), "points", ["*", "N", 3])


def test_a_symbol_must_agree_within_one_spec() -> None:
    with pytest.raises(ShapeError, match=r"square must have shape \(N, N\) with N=3, got \(3, 4\)"):
        check_shape(torch.zeros(3, 4), "square", ["N", "N"])


def test_bound_sizes_carry_across_calls() -> None:
    bound: dict[str, int] = {}
    check_shape(torch.zeros(3, 4, 5), "image", ["*", 3, "H", "W"], bound)
    assert bound == {"H": 4, "W": 5}
    check_shape(torch.zeros(2, 4, 5), "depth", ["*", "H", "W"], bound)
    with pytest.raises(ShapeError, match=r"depth must have shape \(\*, H, W\) with H=4, got \(6, 5\)"):
        check_shape(torch.zeros(6, 5), "depth", ["*", "H", "W"], bound)


def test_failed_check_leaves_bound_untouched() -> None:
    bound = {"H": 4}
    with pytest.raises(ShapeError):
        check_shape(torch.zeros(4, 2, 3), "image", ["H", "W", 4], bound)
    assert bound == {"H": 4}


def test_value_without_shape_is_rejected_by_type_name() -> None:
    with pytest.raises(ShapeError, match=r"camera_matrix must be a tensor or array of shape \(3, 3\), got list"):
        check_shape([[1, 0, 0]], "camera_matrix", [3, 3])


def test_shape_error_is_a_value_error_and_a_package_error() -> None:
    assert issubclass(ShapeError, ValueError)
    assert issubclass(ShapeError, MonoDepthError)
