"""PointCloud2 payloads: layout, packed rgb against a per-point struct reference, organized vs dense, round trips."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from mono_depth_ros.core.wire import (
    XYZ_FIELDS,
    XYZRGB_FIELDS,
    PackedCloud,
    PointCloudLayoutError,
    PointFieldSpec,
    PointFieldType,
    pack_points,
    unpack_points,
)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def reference_bytes(points: np.ndarray, colours: np.ndarray | None) -> bytes:
    """The PointCloud2 data of (N, 3) points written one point at a time with struct (little-endian)."""
    out = []
    for index, (x, y, z) in enumerate(points.tolist()):
        if colours is None:
            out.append(struct.pack("<fff", x, y, z))
        else:
            r, g, b = (int(c) for c in colours[index])
            out.append(struct.pack("<fffI", x, y, z, (r << 16) | (g << 8) | b))
    return b"".join(out)


def unpack(cloud: PackedCloud) -> tuple[np.ndarray, np.ndarray | None]:
    return unpack_points(
        cloud.fields,
        cloud.point_step,
        cloud.data,
        cloud.height,
        cloud.width,
        cloud.is_bigendian,
        row_step=cloud.row_step,
    )


def test_field_layout() -> None:
    assert [(f.name, f.offset, f.datatype, f.count) for f in XYZRGB_FIELDS] == [
        ("x", 0, 7, 1),
        ("y", 4, 7, 1),
        ("z", 8, 7, 1),
        ("rgb", 12, 7, 1),
    ]
    # The ROS constants.
    assert (PointFieldType.INT8, PointFieldType.UINT32, PointFieldType.FLOAT32, PointFieldType.FLOAT64) == (1, 6, 7, 8)


def test_xyz_cloud_layout(rng: np.random.Generator) -> None:
    points = rng.normal(size=(10, 3)).astype(np.float32)
    cloud = pack_points(points, organized=False)
    assert cloud.fields == XYZ_FIELDS
    assert (cloud.height, cloud.width, cloud.point_step, cloud.row_step) == (1, 10, 12, 120)
    assert cloud.is_dense is True
    assert cloud.is_bigendian is False
    assert cloud.data == reference_bytes(points, None)


def test_rgb_packing_matches_a_per_point_struct_reference(rng: np.random.Generator) -> None:
    points = rng.normal(size=(4, 6, 3)).astype(np.float32)
    colours = rng.integers(0, 256, size=(4, 6, 3), dtype=np.uint8)
    colours[0, 0] = (255, 0, 0)
    colours[0, 1] = (0, 255, 0)
    colours[0, 2] = (0, 0, 255)
    cloud = pack_points(points, colours, organized=True)
    assert cloud.fields == XYZRGB_FIELDS
    assert (cloud.height, cloud.width, cloud.point_step, cloud.row_step) == (4, 6, 16, 96)
    assert cloud.data == reference_bytes(points.reshape(-1, 3), colours.reshape(-1, 3))
    # Pure red is the float32 whose bits are 0x00FF0000 (what PCL and RViz read).
    (red_rgb,) = struct.unpack_from("<f", cloud.data, 12)
    assert struct.pack("<f", red_rgb) == struct.pack("<I", 0x00FF0000)


def test_float64_points_are_written_as_float32(rng: np.random.Generator) -> None:
    points = rng.normal(size=(5, 3))
    cloud = pack_points(points, organized=False)
    assert cloud.data == reference_bytes(points.astype(np.float32), None)


def test_organized_keeps_nan_points_and_is_not_dense(rng: np.random.Generator) -> None:
    points = rng.normal(size=(3, 4, 3)).astype(np.float32)
    points[1, 2] = np.nan
    points[2, 0, 2] = np.inf
    colours = rng.integers(0, 256, size=(3, 4, 3), dtype=np.uint8)
    cloud = pack_points(points, colours, organized=True)
    assert (cloud.height, cloud.width) == (3, 4)
    assert cloud.is_dense is False
    assert len(cloud.data) == 12 * 16
    xyz, rgb = unpack(cloud)
    np.testing.assert_array_equal(xyz, points.reshape(-1, 3))  # NaN == NaN for assert_array_equal
    np.testing.assert_array_equal(rgb, colours.reshape(-1, 3))


def test_organized_without_invalid_points_is_dense(rng: np.random.Generator) -> None:
    cloud = pack_points(rng.normal(size=(2, 3, 3)), organized=True)
    assert cloud.is_dense is True


def test_organized_flat_input_is_one_row(rng: np.random.Generator) -> None:
    cloud = pack_points(rng.normal(size=(7, 3)), organized=True)
    assert (cloud.height, cloud.width, cloud.row_step) == (1, 7, 84)


def test_unorganized_drops_non_finite_points_with_their_colours(rng: np.random.Generator) -> None:
    points = rng.normal(size=(2, 5, 3)).astype(np.float32)
    colours = rng.integers(0, 256, size=(2, 5, 3), dtype=np.uint8)
    points[0, 1, 0] = np.nan
    points[1, 3, 2] = -np.inf
    cloud = pack_points(points, colours, organized=False)
    keep = np.isfinite(points.reshape(-1, 3)).all(axis=1)
    assert (cloud.height, cloud.width, cloud.is_dense) == (1, 8, True)
    assert cloud.row_step == 8 * 16
    assert cloud.data == reference_bytes(points.reshape(-1, 3)[keep], colours.reshape(-1, 3)[keep])


def test_unorganized_cloud_of_only_invalid_points_is_empty() -> None:
    cloud = pack_points(np.full((3, 3), np.nan), organized=False)
    assert (cloud.height, cloud.width, cloud.row_step, cloud.data) == (1, 0, 0, b"")
    xyz, rgb = unpack(cloud)
    assert xyz.shape == (0, 3)
    assert rgb is None


@pytest.mark.parametrize("organized", [True, False])
@pytest.mark.parametrize("with_colour", [True, False])
def test_unpack_inverts_pack(rng: np.random.Generator, organized: bool, with_colour: bool) -> None:
    points = rng.normal(size=(6, 8, 3)).astype(np.float32)
    colours = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8) if with_colour else None
    xyz, rgb = unpack(pack_points(points, colours, organized=organized))
    np.testing.assert_array_equal(xyz, points.reshape(-1, 3))
    if with_colour:
        np.testing.assert_array_equal(rgb, colours.reshape(-1, 3))
    else:
        assert rgb is None


def test_pack_writes_into_the_allocated_buffer(rng: np.random.Generator) -> None:
    points = rng.normal(size=(3, 4, 3)).astype(np.float32)
    colours = rng.integers(0, 256, size=(3, 4, 3), dtype=np.uint8)
    cloud = pack_points(points, colours, organized=True, allocate=lambda n: np.empty(n, np.uint8))
    assert isinstance(cloud.data, np.ndarray)
    assert cloud.data.tobytes() == reference_bytes(points.reshape(-1, 3), colours.reshape(-1, 3))


def test_unpack_foreign_layout_big_endian_padded() -> None:
    # A cloud as another driver might write it: float64 x/y/z, a uint32 rgba field, 4 padding bytes per point,
    # 8 padding bytes per row, big-endian.
    fields = [
        PointFieldSpec("x", 0, PointFieldType.FLOAT64),
        PointFieldSpec("y", 8, PointFieldType.FLOAT64),
        PointFieldSpec("z", 16, PointFieldType.FLOAT64),
        PointFieldSpec("rgba", 24, PointFieldType.UINT32),
    ]
    point_step, width, height = 32, 3, 2
    row_step = point_step * width + 8
    points = [[(row + 1.5, -col * 0.5, row * col + 0.25) for col in range(width)] for row in range(height)]
    colours = [[(10 * col, 20 * row, 255 - col) for col in range(width)] for row in range(height)]
    data = b""
    for row in range(height):
        for col in range(width):
            r, g, b = colours[row][col]
            data += struct.pack(">dddI", *points[row][col], 0xFF000000 | (r << 16) | (g << 8) | b) + b"\x00" * 4
        data += b"\xaa" * 8
    xyz, rgb = unpack_points(fields, point_step, data, height, width, True, row_step=row_step)
    np.testing.assert_array_equal(xyz, np.array(points, dtype=np.float32).reshape(-1, 3))
    np.testing.assert_array_equal(rgb, np.array(colours, dtype=np.uint8).reshape(-1, 3))


def test_pack_errors() -> None:
    with pytest.raises(PointCloudLayoutError, match=r"points must have shape \(N, 3\) or \(H, W, 3\), got \(5, 2\)"):
        pack_points(np.zeros((5, 2), np.float32), organized=False)
    with pytest.raises(PointCloudLayoutError, match=r"points must be floating point .*got dtype int32"):
        pack_points(np.zeros((5, 3), np.int32), organized=False)
    with pytest.raises(PointCloudLayoutError, match=r"colours must have the points' shape \(5, 3\), got \(4, 3\)"):
        pack_points(np.zeros((5, 3), np.float32), np.zeros((4, 3), np.uint8), organized=False)
    with pytest.raises(PointCloudLayoutError, match=r"colours must be uint8 RGB, got dtype float32"):
        pack_points(np.zeros((5, 3), np.float32), np.zeros((5, 3), np.float32), organized=False)
    with pytest.raises(PointCloudLayoutError, match=r"organized cloud needs at least one point"):
        pack_points(np.zeros((0, 4, 3), np.float32), organized=True)


def test_unpack_errors() -> None:
    data = bytes(4 * 12)
    with pytest.raises(PointCloudLayoutError, match=r"no 'z' field \(fields: x, y\)"):
        unpack_points(XYZ_FIELDS[:2], 12, data, 1, 4, False)
    with pytest.raises(PointCloudLayoutError, match=r"truncated: 40 bytes, expected height\*row_step = 1\*48 = 48"):
        unpack_points(XYZ_FIELDS, 12, data[:40], 1, 4, False)
    with pytest.raises(PointCloudLayoutError, match=r"more than height\*row_step"):
        unpack_points(XYZ_FIELDS, 12, data + b"\x00", 1, 4, False)
    with pytest.raises(PointCloudLayoutError, match=r"field 'z' at offset 8 \(4 bytes\) does not fit in point_step 10"):
        unpack_points(XYZ_FIELDS, 10, bytes(40), 1, 4, False)
    with pytest.raises(PointCloudLayoutError, match=r"field 'x' has unknown datatype 9"):
        unpack_points([PointFieldSpec("x", 0, 9), *XYZ_FIELDS[1:]], 12, data, 1, 4, False)
    with pytest.raises(PointCloudLayoutError, match=r"row_step 40 is smaller than width\*point_step = 4\*12 = 48"):
        unpack_points(XYZ_FIELDS, 12, data, 1, 4, False, row_step=40)
    with pytest.raises(PointCloudLayoutError, match=r"colour field 'rgb' must be 4 bytes"):
        unpack_points([*XYZ_FIELDS, PointFieldSpec("rgb", 12, PointFieldType.FLOAT64)], 20, bytes(80), 1, 4, False)


def test_nan_coordinates_survive_bit_exact() -> None:
    cloud = pack_points(np.array([[math.nan, 1.0, 2.0]]), organized=True)
    (x,) = struct.unpack_from("<f", cloud.data, 0)
    assert math.isnan(x)
