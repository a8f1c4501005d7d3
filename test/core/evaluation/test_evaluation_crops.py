"""The Garg and Eigen crops at KITTI's size, and their errors."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.evaluation import Crop, EvaluationError, crop_bounds, crop_mask


@pytest.mark.parametrize(
    ("crop", "bounds"),
    [
        # int(0.40810811 * 375) = 153, int(0.99189189 * 375) = 371, int(0.03594771 * 1242) = 44, int(0.96405229 * 1242)
        # = 1197.
        (Crop.GARG, (153, 371, 44, 1197)),
        # int(0.3324324 * 375) = 124, int(0.91351351 * 375) = 342.
        (Crop.EIGEN, (124, 342, 44, 1197)),
        (Crop.NONE, (0, 375, 0, 1242)),
    ],
)
def test_bounds_at_kitti_size(crop: Crop, bounds: tuple[int, int, int, int]) -> None:
    assert crop_bounds(375, 1242, crop) == bounds
    top, bottom, left, right = bounds
    mask = crop_mask(375, 1242, crop)
    assert mask.shape == (375, 1242)
    assert mask.dtype == np.bool_
    assert mask.sum() == (bottom - top) * (right - left)
    assert mask[top, left]
    assert mask[bottom - 1, right - 1]
    if crop is not Crop.NONE:
        assert not mask[top - 1, left]
        assert not mask[bottom, left]
        assert not mask[top, left - 1]
        assert not mask[top, right]


def test_crop_names_and_numpy_sizes_are_accepted() -> None:
    assert crop_bounds(np.int64(375), np.int32(1242), "eigen") == crop_bounds(375, 1242, Crop.EIGEN)
    assert Crop("garg") is Crop.GARG


def test_crop_scales_with_the_image() -> None:
    assert crop_bounds(192, 640, Crop.GARG) == (78, 190, 23, 616)


@pytest.mark.parametrize(
    ("height", "width", "message"),
    [
        (0, 10, r"crop height must be a positive integer, got 0"),
        (10, -3, r"crop width must be a positive integer, got -3"),
        (2.5, 10, r"crop height must be a positive integer, got 2\.5"),
        (True, 10, r"crop height must be a positive integer, got True"),
    ],
)
def test_invalid_sizes(height: object, width: object, message: str) -> None:
    with pytest.raises(EvaluationError, match=message):
        crop_mask(height, width, Crop.GARG)


def test_unknown_crop() -> None:
    with pytest.raises(EvaluationError, match=r"crop must be one of none, garg, eigen, got 'garg_crop'"):
        crop_mask(375, 1242, "garg_crop")
