"""The evaluation crops of the KITTI protocol, as fractions of the image size so that they apply at any resolution.

Garg et al. (ECCV 2016) and Eigen et al. (NeurIPS 2014) evaluate only the part of the image the velodyne covers;
the fractions are those of monodepth2's evaluation (for 375x1242: Garg rows 153-370, Eigen rows 124-341, both
columns 44-1196, inclusive).
"""

from __future__ import annotations

from enum import Enum
from numbers import Integral

import numpy as np

from mono_depth_ros.core.evaluation.errors import EvaluationError

__all__ = ["Crop", "crop_bounds", "crop_mask"]


class Crop(str, Enum):
    """Which evaluation crop to apply."""

    NONE = "none"
    GARG = "garg"
    EIGEN = "eigen"


# (top, bottom, left, right) as fractions of (height, height, width, width); half-open [top, bottom) x [left, right).
_FRACTIONS = {
    Crop.GARG: (0.40810811, 0.99189189, 0.03594771, 0.96405229),
    Crop.EIGEN: (0.3324324, 0.91351351, 0.0359477, 0.96405229),
}


def crop_bounds(height: int, width: int, crop: Crop | str) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the crop: rows [top, bottom), columns [left, right), truncated to integers.

    Raises:
        EvaluationError: a size that is not a positive integer, or an unknown crop name.
    """
    for name, size in (("height", height), ("width", width)):
        if isinstance(size, bool) or not isinstance(size, Integral) or size <= 0:
            raise EvaluationError(f"crop {name} must be a positive integer, got {size!r}")
    crop = _as_crop(crop)
    if crop is Crop.NONE:
        return 0, int(height), 0, int(width)
    top, bottom, left, right = _FRACTIONS[crop]
    return int(top * height), int(bottom * height), int(left * width), int(right * width)


def crop_mask(height: int, width: int, crop: Crop | str) -> np.ndarray:
    """(H, W) bool mask, True inside the crop (everywhere for `Crop.NONE`).

    Raises:
        EvaluationError: as `crop_bounds`.
    """
    top, bottom, left, right = crop_bounds(height, width, crop)
    mask = np.zeros((int(height), int(width)), dtype=bool)
    mask[top:bottom, left:right] = True
    return mask


def _as_crop(crop: Crop | str) -> Crop:
    try:
        return Crop(crop)
    except ValueError:
        choices = ", ".join(item.value for item in Crop)
        raise EvaluationError(f"crop must be one of {choices}, got {crop!r}") from None
