"""Pinhole camera intrinsics, with the resize and crop arithmetic used everywhere in the package.

Convention (ROS, OpenCV): integer pixel coordinates are pixel *centres*; the image covers [-0.5, W - 0.5].
Resizing by s therefore maps u to (u + 0.5) * s - 0.5, matching cv2.resize and
torch.nn.functional.interpolate(align_corners=False). Normalised intrinsics (fx/W, fy/H, cx_n, cy_n) refer to the
continuous image [0, 1], so a "centred" camera has cx = W / 2 - 0.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from mono_depth_ros.core.geometry.errors import IntrinsicsError
from mono_depth_ros.core.shapes import check_shape


@dataclass(frozen=True)
class PinholeIntrinsics:
    """Focal lengths and principal point in pixels, for an image of `width` x `height` pixels."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    def __post_init__(self) -> None:
        # Store plain Python numbers (callers pass numpy or torch scalars) so equality and hashing behave.
        for name in ("fx", "fy", "cx", "cy"):
            value = getattr(self, name)
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise IntrinsicsError(f"intrinsics {name} must be a number, got {value!r}") from None
            if not math.isfinite(number):
                raise IntrinsicsError(f"intrinsics {name} must be finite, got {value}")
            object.__setattr__(self, name, number)
        if self.fx <= 0 or self.fy <= 0:
            raise IntrinsicsError(f"focal lengths must be positive, got fx={self.fx}, fy={self.fy}")
        for name in ("width", "height"):
            object.__setattr__(self, name, _positive_integer(getattr(self, name), name))

    @classmethod
    def from_normalised(cls, fx: float, fy: float, cx: float, cy: float, width: int, height: int) -> PinholeIntrinsics:
        """Intrinsics from values normalised by the image size (fx/W, fy/H, principal point in [0, 1])."""
        return cls(fx * width, fy * height, cx * width - 0.5, cy * height - 0.5, width, height)

    @classmethod
    def from_matrix(cls, matrix: np.ndarray | torch.Tensor, width: int, height: int) -> PinholeIntrinsics:
        """Intrinsics from a 3x3 camera matrix K (or the left 3x3 block of a 3x4 projection matrix P)."""
        k = np.asarray(matrix.detach().cpu() if isinstance(matrix, torch.Tensor) else matrix, dtype=np.float64)
        if k.shape not in ((3, 3), (3, 4)):
            raise IntrinsicsError(f"camera matrix must be 3x3 (K) or 3x4 (P), got shape {k.shape}")
        if not np.all(np.isfinite(k)):
            raise IntrinsicsError(f"camera matrix must be finite, got {k.tolist()}")
        # The dataclass has no skew and assumes K's last row is (0, 0, 1): refuse what it would silently drop.
        if not np.allclose(k[2, :3], (0.0, 0.0, 1.0), rtol=0.0, atol=1e-9) or abs(k[1, 0]) > 1e-6 * abs(k[1, 1]):
            raise IntrinsicsError(
                f"camera matrix must have the form [[fx, 0, cx], [0, fy, cy], [0, 0, 1]], got {k.tolist()}"
            )
        if abs(k[0, 1]) > 1e-6 * abs(k[0, 0]):
            raise IntrinsicsError(f"camera matrix skew K[0, 1]={k[0, 1]} is not supported by PinholeIntrinsics")
        return cls(float(k[0, 0]), float(k[1, 1]), float(k[0, 2]), float(k[1, 2]), width, height)

    def normalised(self) -> tuple[float, float, float, float]:
        """(fx/W, fy/H, cx_n, cy_n): the size-independent form used by training configurations."""
        return (
            self.fx / self.width,
            self.fy / self.height,
            (self.cx + 0.5) / self.width,
            (self.cy + 0.5) / self.height,
        )

    def resized(self, width: int, height: int) -> PinholeIntrinsics:
        """The intrinsics of this image resized (not cropped) to `width` x `height`."""
        if width <= 0 or height <= 0:
            raise IntrinsicsError(f"resize target must be positive, got {width}x{height}")
        sx, sy = width / self.width, height / self.height
        return PinholeIntrinsics(
            self.fx * sx, self.fy * sy, (self.cx + 0.5) * sx - 0.5, (self.cy + 0.5) * sy - 0.5, width, height
        )

    def cropped(self, left: int, top: int, width: int, height: int) -> PinholeIntrinsics:
        """The intrinsics of the region [left, left + width) x [top, top + height) of this image."""
        if left < 0 or top < 0 or width <= 0 or height <= 0 or left + width > self.width or top + height > self.height:
            raise IntrinsicsError(
                f"crop (left={left}, top={top}, width={width}, height={height}) must lie inside the "
                f"{self.width}x{self.height} image"
            )
        return PinholeIntrinsics(self.fx, self.fy, self.cx - left, self.cy - top, width, height)

    def as_array(self) -> np.ndarray:
        """K as a float64 (3, 3) numpy array."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    def matrix(self, dtype: torch.dtype = torch.float32, device: torch.device | str | None = None) -> torch.Tensor:
        """K as a (3, 3) tensor."""
        return torch.as_tensor(self.as_array(), dtype=dtype, device=device)


def resize_camera_matrix(matrix: torch.Tensor, scale_x: float, scale_y: float) -> torch.Tensor:
    """Batch form of `PinholeIntrinsics.resized`: K of shape (*, 3, 3) for an image resized by (scale_x, scale_y)."""
    check_shape(matrix, "matrix", ["*", 3, 3])
    for name, scale in (("scale_x", scale_x), ("scale_y", scale_y)):
        if not math.isfinite(scale) or scale <= 0:
            raise IntrinsicsError(f"{name} must be a positive finite factor, got {scale}")
    out = matrix.clone()
    out[..., 0, :] = matrix[..., 0, :] * scale_x
    out[..., 1, :] = matrix[..., 1, :] * scale_y
    # Pixel centres: the principal point maps as (c + 0.5) * s - 0.5.
    out[..., 0, 2] += 0.5 * scale_x - 0.5
    out[..., 1, 2] += 0.5 * scale_y - 0.5
    return out


def _positive_integer(value: object, name: str) -> int:
    """`value` as an int when it is a positive whole number (int, or integral float/numpy scalar), else an error."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise IntrinsicsError(f"image {name} must be a positive integer, got {value!r}")
    if not float(value).is_integer() or value <= 0:
        raise IntrinsicsError(f"image {name} must be a positive integer, got {value!r}")
    return int(value)
