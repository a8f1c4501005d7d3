"""What `DepthEstimator.predict` returns: numpy views into the one float32 buffer that crossed to the host."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mono_depth_ros.core.geometry import PinholeIntrinsics
from mono_depth_ros.core.inference.scale import ScaleOrigin
from mono_depth_ros.core.wire import XYZ_FIELDS, XYZRGB_FIELDS, PointFieldSpec

__all__ = ["DepthPrediction"]


@dataclass(frozen=True, eq=False)
class DepthPrediction:
    """Depth of one image at the output resolution (h, w): the input's, or the network's.

    The arrays are views into one contiguous float32 buffer (one device-to-host copy per frame): copy one before
    mutating it if the others must stay intact.
    """

    disparity: np.ndarray
    """(h, w) float32: the decoder's sigmoid disparity in (0, 1) (Monodepth2's `disp`), affine in inverse depth."""
    relative_depth: np.ndarray
    """(h, w) float32: the network's depth (relative units for monocular models; two-stream: including mu)."""
    metric_depth: np.ndarray
    """(h, w) float32: relative_depth * scale, metres when `is_metric`; NaN outside [min_depth, max_depth]."""
    scale: float
    """The factor applied (1.0 when nothing makes the depth metric)."""
    scale_origin: ScaleOrigin
    intrinsics: PinholeIntrinsics | None
    """Camera of the output resolution (the given intrinsics, resized for network resolution), or None."""
    cloud: np.ndarray | None = None
    """When points were asked for: the organised cloud (rows, columns, 4) float32 [x, y, z, rgb] (`points_rgb`) or
    (rows, columns, 3) [x, y, z], rows = ceil(h / stride), columns = ceil(w / stride); metres in the camera optical
    frame, NaN x, y, z where the depth is invalid. Its bytes are a PointCloud2 payload with `cloud_fields`
    (point_step 16 or 12; little-endian hosts): rgb holds the bits of the uint32 0x00RRGGBB (REP/PCL convention)."""

    @property
    def is_metric(self) -> bool:
        """Whether `metric_depth` is in metres (some scale was given or carried by the checkpoint)."""
        return self.scale_origin.is_metric

    @property
    def height(self) -> int:
        return int(self.metric_depth.shape[0])

    @property
    def width(self) -> int:
        return int(self.metric_depth.shape[1])

    @property
    def points(self) -> np.ndarray | None:
        """(rows, columns, 3) float32 x, y, z view of `cloud`, or None without points."""
        return None if self.cloud is None else self.cloud[..., :3]

    @property
    def colours(self) -> np.ndarray | None:
        """(rows, columns, 3) uint8 RGB unpacked from the cloud's rgb field, or None without coloured points."""
        if self.cloud is None or self.cloud.shape[-1] < 4:
            return None
        packed = np.ascontiguousarray(self.cloud[..., 3]).view(np.uint32)
        return np.stack(((packed >> 16) & 0xFF, (packed >> 8) & 0xFF, packed & 0xFF), axis=-1).astype(np.uint8)

    @property
    def cloud_fields(self) -> tuple[PointFieldSpec, ...] | None:
        """The PointCloud2 fields describing `cloud`'s bytes (XYZRGB_FIELDS or XYZ_FIELDS), or None."""
        if self.cloud is None:
            return None
        return XYZRGB_FIELDS if self.cloud.shape[-1] == 4 else XYZ_FIELDS
