"""The evaluation protocol: which pixels count, how the prediction is scaled, and resizing predictions to GT size.

Scaling, in monodepth2's terms:

- `NONE`: the prediction is metric and used as is (stereo-trained models, models made metric online).
- `MEDIAN`: per image, factor = median(gt) / median(pred) over its valid pixels; the standard for monocular (M)
  models, which are only defined up to scale. It hides any scale error, so also look at the spread of the factors.
- `GLOBAL`: one factor for the whole set, the median over all valid pixels of all images of gt / pred. This is the
  "one scalar" of scale transfer (see DESIGN.md, method 4): a single global factor, as a robot would apply it, so a
  model whose scale drifts from image to image is penalised, unlike with `MEDIAN`.
- `FIXED`: a given factor, e.g. 5.4 for a monodepth2 stereo model (real baseline 0.54 m / training baseline 0.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import cv2
import numpy as np

from mono_depth_ros.core.arrays import as_float64
from mono_depth_ros.core.evaluation.crops import Crop, crop_mask
from mono_depth_ros.core.evaluation.errors import EvaluationError
from mono_depth_ros.core.numbers import is_positive_number
from mono_depth_ros.core.shapes import check_shape
from mono_depth_ros.errors import ConfigError

__all__ = ["EvaluationOptions", "Scaling", "resize_prediction", "valid_mask"]


class Scaling(str, Enum):
    """How predictions are scaled before they are compared with ground truth (see the module docstring)."""

    NONE = "none"
    MEDIAN = "median"
    GLOBAL = "global"
    FIXED = "fixed"


@dataclass(frozen=True)
class EvaluationOptions:
    """The settings of one evaluation; the defaults are the KITTI Eigen-split protocol for monocular models.

    `crop` and `scaling` also accept their string values ("garg", "median", ...), converted to the enums.

    Raises:
        ConfigError: a depth bound that is not finite and positive, min_depth >= max_depth, an unknown crop or
            scaling name, or a `fixed_factor` that is missing (scaling FIXED), given without FIXED, or not finite and
            positive.
    """

    min_depth: float = 1e-3
    max_depth: float = 80.0
    crop: Crop = Crop.GARG
    scaling: Scaling = Scaling.MEDIAN
    fixed_factor: float | None = None

    def __post_init__(self) -> None:
        for name in ("min_depth", "max_depth"):
            value = getattr(self, name)
            if not is_positive_number(value):
                raise ConfigError(f"evaluation {name} must be a finite positive number, got {value!r}")
        if self.min_depth >= self.max_depth:
            raise ConfigError(f"evaluation min_depth ({self.min_depth!r}) must be below max_depth ({self.max_depth!r})")
        object.__setattr__(self, "crop", _as_enum(Crop, self.crop, "crop"))
        object.__setattr__(self, "scaling", _as_enum(Scaling, self.scaling, "scaling"))
        if self.scaling is Scaling.FIXED:
            if self.fixed_factor is None:
                raise ConfigError("evaluation scaling 'fixed' needs a fixed_factor, got None")
            if not is_positive_number(self.fixed_factor):
                raise ConfigError(
                    f"evaluation fixed_factor must be a finite positive number, got {self.fixed_factor!r}"
                )
        elif self.fixed_factor is not None:
            raise ConfigError(
                f"evaluation fixed_factor ({self.fixed_factor!r}) is only used with scaling 'fixed', "
                f"got scaling {self.scaling.value!r}"
            )

    def to_dict(self) -> dict[str, float | str | None]:
        """Plain values (JSON-ready)."""
        factor = None if self.fixed_factor is None else float(self.fixed_factor)
        return {
            "min_depth": float(self.min_depth),
            "max_depth": float(self.max_depth),
            "crop": self.crop.value,
            "scaling": self.scaling.value,
            "fixed_factor": factor,
        }


def valid_mask(gt: object, options: EvaluationOptions) -> np.ndarray:
    """(H, W) bool: where ground truth is finite, strictly between min_depth and max_depth, and inside the crop.

    `gt` is (H, W) depth in metres (numpy or torch); 0 or NaN mark missing measurements and are never valid.

    Raises:
        ShapeError: `gt` is not 2-D.
    """
    depth = as_float64(gt, "gt", EvaluationError)
    sizes = check_shape(depth, "gt", ["H", "W"])
    with np.errstate(invalid="ignore"):
        inside = np.isfinite(depth) & (depth > options.min_depth) & (depth < options.max_depth)
    return inside & crop_mask(sizes["H"], sizes["W"], options.crop)


def resize_prediction(pred: object, height: int, width: int) -> np.ndarray:
    """Bilinear resize of an (h, w) prediction to (height, width) float32, for comparison with full-size ground truth.

    monodepth2 resizes the *disparity* and then inverts it; pass a disparity and invert the result to match its
    numbers exactly (resizing depth gives slightly different values at depth edges).

    Raises:
        ShapeError: `pred` is not 2-D.
        EvaluationError: a size that is not a positive integer.
    """
    values = as_float64(pred, "pred", EvaluationError)
    check_shape(values, "pred", ["h", "w"])
    for name, size in (("height", height), ("width", width)):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size <= 0:
            raise EvaluationError(f"resize {name} must be a positive integer, got {size!r}")
    values = values.astype(np.float32)
    if values.shape == (height, width):
        return values
    return cv2.resize(values, (int(width), int(height)), interpolation=cv2.INTER_LINEAR)


def _as_enum(kind: type[Enum], value: object, name: str) -> Enum:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(item.value for item in kind)
        raise ConfigError(f"evaluation {name} must be one of {choices}, got {value!r}") from None
