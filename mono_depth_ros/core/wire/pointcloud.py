"""sensor_msgs/PointCloud2 payloads: packing (N, 3) / (H, W, 3) points (+ RGB) and unpacking them again.

Layout written: float32 x, y, z at offsets 0, 4, 8 and, with colours, a float32 `rgb` at offset 12 whose four bytes
are the uint32 0x00RRGGBB (the PCL / RViz convention), little-endian, point_step 12 or 16, rows unpadded.
Everything is vectorised: the points are written into one (N, 3|4) float32 buffer and the colour bytes through a
uint8 view of it; no per-point Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np

from mono_depth_ros.core.wire.buffers import Allocator, BytesLike, exact_payload, finish_output, new_output
from mono_depth_ros.core.wire.errors import PointCloudLayoutError

__all__ = [
    "XYZRGB_FIELDS",
    "XYZ_FIELDS",
    "PackedCloud",
    "PointFieldSpec",
    "PointFieldType",
    "pack_points",
    "unpack_cloud_message",
    "unpack_points",
]


class PointFieldType(IntEnum):
    """sensor_msgs/PointField datatype constants."""

    INT8 = 1
    UINT8 = 2
    INT16 = 3
    UINT16 = 4
    INT32 = 5
    UINT32 = 6
    FLOAT32 = 7
    FLOAT64 = 8


_FIELD_DTYPES: dict[int, np.dtype] = {
    PointFieldType.INT8: np.dtype(np.int8),
    PointFieldType.UINT8: np.dtype(np.uint8),
    PointFieldType.INT16: np.dtype(np.int16),
    PointFieldType.UINT16: np.dtype(np.uint16),
    PointFieldType.INT32: np.dtype(np.int32),
    PointFieldType.UINT32: np.dtype(np.uint32),
    PointFieldType.FLOAT32: np.dtype(np.float32),
    PointFieldType.FLOAT64: np.dtype(np.float64),
}


@dataclass(frozen=True)
class PointFieldSpec:
    """One sensor_msgs/PointField: `count` values of `datatype` at byte `offset` inside a point."""

    name: str
    offset: int
    datatype: int
    count: int = 1


XYZ_FIELDS: tuple[PointFieldSpec, ...] = (
    PointFieldSpec("x", 0, PointFieldType.FLOAT32),
    PointFieldSpec("y", 4, PointFieldType.FLOAT32),
    PointFieldSpec("z", 8, PointFieldType.FLOAT32),
)
XYZRGB_FIELDS: tuple[PointFieldSpec, ...] = (*XYZ_FIELDS, PointFieldSpec("rgb", 12, PointFieldType.FLOAT32))


@dataclass(frozen=True)
class PackedCloud:
    """The payload fields of a sensor_msgs/PointCloud2 (everything but the header).

    `data` is bytes, or the buffer the caller's `allocate` returned (see core.wire.buffers).
    """

    height: int
    width: int
    fields: tuple[PointFieldSpec, ...]
    point_step: int
    row_step: int
    is_dense: bool
    is_bigendian: bool
    data: BytesLike


def pack_points(points: Any, colours: Any = None, *, organized: bool, allocate: Allocator | None = None) -> PackedCloud:
    """Pack points (N, 3) or (H, W, 3) (metres, any float dtype, written as float32) and optional colours of the
    same shape (uint8 RGB) into PointCloud2 fields.

    organized=True keeps every point, NaN ones included, with height x width = H x W ((1, N) for (N, 3) input);
    is_dense is True only when every point is finite. organized=False drops points with a non-finite coordinate
    (and their colours) and writes a 1 x M cloud with is_dense True.
    `allocate(nbytes)`, when given, provides the buffer the points are written into (returned as `data`);
    otherwise `data` is bytes.
    """
    xyz = np.asarray(points)
    if xyz.ndim not in (2, 3) or xyz.shape[-1] != 3:
        raise PointCloudLayoutError(f"points must have shape (N, 3) or (H, W, 3), got {xyz.shape}")
    if not np.issubdtype(xyz.dtype, np.floating):
        raise PointCloudLayoutError(f"points must be floating point (metres), got dtype {xyz.dtype}")
    rgb = None
    if colours is not None:
        rgb = np.asarray(colours)
        if rgb.shape != xyz.shape:
            raise PointCloudLayoutError(f"colours must have the points' shape {xyz.shape}, got {rgb.shape}")
        if rgb.dtype != np.uint8:
            raise PointCloudLayoutError(f"colours must be uint8 RGB, got dtype {rgb.dtype}")
        rgb = rgb.reshape(-1, 3)
    height, width = (xyz.shape[0], xyz.shape[1]) if xyz.ndim == 3 else (1, xyz.shape[0])
    flat = xyz.reshape(-1, 3)
    if organized:
        if height == 0 or width == 0:
            raise PointCloudLayoutError(f"an organized cloud needs at least one point, got shape {xyz.shape}")
        # min and max propagate NaN and expose +-inf: exact, and no (N, 3) boolean temporary.
        is_dense = bool(np.isfinite(flat.min()) and np.isfinite(flat.max()))
    else:
        finite = np.isfinite(flat).all(axis=1)
        if not finite.all():
            flat = flat[finite]
            rgb = rgb[finite] if rgb is not None else None
        height, width, is_dense = 1, flat.shape[0], True
    fields = XYZ_FIELDS if rgb is None else XYZRGB_FIELDS
    point_step = 4 * len(fields)
    # Explicit little-endian dtypes: the message says is_bigendian False whatever the host's byte order.
    view, target = new_output(flat.shape[0] * point_step, allocate)
    buffer = view.view("<f4").reshape(flat.shape[0], len(fields))
    # Column by column: numpy copies one long strided column ~4x faster than rows of 3 values.
    for column in range(3):
        buffer[:, column] = flat[:, column]
    if rgb is not None:
        # The uint32 0x00RRGGBB in little-endian byte order is the byte sequence B, G, R, 0.
        raw = buffer.view(np.uint8)
        raw[:, 12] = rgb[:, 2]
        raw[:, 13] = rgb[:, 1]
        raw[:, 14] = rgb[:, 0]
        raw[:, 15] = 0
    return PackedCloud(
        height=int(height),
        width=int(width),
        fields=fields,
        point_step=point_step,
        row_step=point_step * int(width),
        is_dense=is_dense,
        is_bigendian=False,
        data=finish_output(view, target),
    )


def _field_dtype(field: Any) -> np.dtype:
    try:
        return _FIELD_DTYPES[int(field.datatype)]
    except (KeyError, ValueError, TypeError):
        raise PointCloudLayoutError(
            f"field {field.name!r} has unknown datatype {field.datatype!r}; expected 1..8 (INT8..FLOAT64)"
        ) from None


def unpack_points(
    fields: Sequence[Any],
    point_step: int,
    data: Any,
    height: int,
    width: int,
    is_bigendian: bool | int,
    *,
    row_step: int | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """(xyz (N, 3) float32, rgb (N, 3) uint8 or None) of a PointCloud2 payload, N = height * width, in row order.

    `fields` are any objects with name/offset/datatype/count (rclpy PointField, rosbags, PointFieldSpec). x, y, z
    may be of any numeric datatype (converted to float32); colour is read from an `rgb` or `rgba` field of 4 bytes
    holding 0x00RRGGBB. Invalid points stay NaN: nothing is dropped.
    """
    by_name = {str(f.name): f for f in fields}
    names = ", ".join(by_name) or "none"
    point_step, height, width = int(point_step), int(height), int(width)
    if point_step <= 0 or height < 0 or width < 0:
        raise PointCloudLayoutError(
            f"invalid point cloud geometry: point_step {point_step}, height {height}, width {width}"
        )
    row_step = point_step * width if row_step is None else int(row_step)
    if row_step < point_step * width:
        raise PointCloudLayoutError(
            f"row_step {row_step} is smaller than width*point_step = {width}*{point_step} = {point_step * width}"
        )
    order = ">" if is_bigendian else "<"
    formats: dict[str, tuple[np.dtype, int]] = {}
    for axis in ("x", "y", "z"):
        if axis not in by_name:
            raise PointCloudLayoutError(f"point cloud has no {axis!r} field (fields: {names})")
        formats[axis] = (_field_dtype(by_name[axis]), int(by_name[axis].offset))
    colour_field = by_name.get("rgb", by_name.get("rgba"))
    if colour_field is not None:
        if _field_dtype(colour_field).itemsize != 4:
            raise PointCloudLayoutError(
                f"colour field {colour_field.name!r} must be 4 bytes (FLOAT32 or UINT32), got datatype "
                f"{colour_field.datatype}"
            )
        # Whatever the declared type, the four bytes are the integer 0x00RRGGBB.
        formats["rgb"] = (np.dtype(np.uint32), int(colour_field.offset))
    for name, (dtype, offset) in formats.items():
        if offset < 0 or offset + dtype.itemsize > point_step:
            raise PointCloudLayoutError(
                f"field {name!r} at offset {offset} ({dtype.itemsize} bytes) does not fit in point_step {point_step}"
            )
    expected = height * row_step
    buffer = exact_payload(
        data,
        expected,
        what="point cloud data",
        rule=f"height*row_step = {height}*{row_step} = {expected}",
        error=PointCloudLayoutError,
    )
    count = height * width
    xyz = np.empty((count, 3), dtype=np.float32)
    if count == 0:
        return xyz, (np.empty((0, 3), dtype=np.uint8) if colour_field is not None else None)
    record = np.dtype(
        {
            "names": list(formats),
            "formats": [dtype.newbyteorder(order) for dtype, _ in formats.values()],
            "offsets": [offset for _, offset in formats.values()],
            "itemsize": point_step,
        }
    )
    records = np.ndarray((height, width), dtype=record, buffer=buffer, strides=(row_step, point_step)).reshape(-1)
    for column, axis in enumerate("xyz"):
        xyz[:, column] = records[axis]
    if colour_field is None:
        return xyz, None
    packed = records["rgb"].astype(np.uint32)
    rgb = np.empty((count, 3), dtype=np.uint8)
    rgb[:, 0] = (packed >> 16) & 0xFF
    rgb[:, 1] = (packed >> 8) & 0xFF
    rgb[:, 2] = packed & 0xFF
    return xyz, rgb


def unpack_cloud_message(msg: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """`unpack_points` on any object with the sensor_msgs/PointCloud2 fields (rclpy message, rosbags dataclass)."""
    return unpack_points(
        msg.fields, msg.point_step, msg.data, msg.height, msg.width, msg.is_bigendian, row_step=msg.row_step
    )
