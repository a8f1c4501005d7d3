"""rclpy message conversions: every payload through real sensor_msgs messages and their CDR serialisation."""

from __future__ import annotations

import array
from typing import TypeVar

import numpy as np
import pytest
from rclpy.serialization import deserialize_message, serialize_message
from rosbags.typesys import Stores, get_typestore
from sensor_msgs.msg import CameraInfo, CompressedImage, Image, PointCloud2, PointField
from std_msgs.msg import Header

from mono_depth_ros.core.geometry.intrinsics import PinholeIntrinsics
from mono_depth_ros.core.wire import (
    ENCODINGS,
    XYZ_FIELDS,
    XYZRGB_FIELDS,
    CameraInfoError,
    CameraModel,
    DepthValueError,
    ImageDecodeError,
    ImageLayoutError,
    PointFieldType,
    RegionOfInterest,
    UnsupportedEncodingError,
    decode_image_message,
    unpack_cloud_message,
)
from mono_depth_ros.ros.conversions import (
    camera_info_to_model,
    camera_model_to_camera_info,
    cloud_to_pointcloud2,
    compressed_image_to_numpy,
    copy_header,
    depth_to_image,
    image_to_numpy,
    image_to_rgb,
    numpy_to_compressed_image,
    numpy_to_image,
    pointcloud2_to_numpy,
    points_to_pointcloud2,
)

MessageT = TypeVar("MessageT")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(99)


@pytest.fixture
def header() -> Header:
    out = Header(frame_id="camera_left_optical_frame")
    out.stamp.sec = 1_700_000_123
    out.stamp.nanosec = 456_789
    return out


def over_the_wire(msg: MessageT) -> MessageT:
    """`msg` after CDR serialisation and deserialisation, as a subscriber receives it."""
    return deserialize_message(serialize_message(msg), type(msg))


def random_pixels(rng: np.random.Generator, encoding: str, height: int = 6, width: int = 10) -> np.ndarray:
    info = ENCODINGS[encoding]
    shape = (height, width) if info.channels == 1 else (height, width, info.channels)
    if info.dtype.kind == "f":
        return rng.normal(0.0, 10.0, size=shape).astype(info.dtype)
    limits = np.iinfo(info.dtype)
    return rng.integers(limits.min, limits.max, size=shape, endpoint=True, dtype=info.dtype)


def assert_same_header(actual: Header, expected: Header) -> None:
    assert actual.frame_id == expected.frame_id
    assert (actual.stamp.sec, actual.stamp.nanosec) == (expected.stamp.sec, expected.stamp.nanosec)


# --------------------------------------------------------------------------------------------------------------
# Images


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_every_encoding_round_trips_through_an_image_message(
    rng: np.random.Generator, header: Header, encoding: str
) -> None:
    pixels = random_pixels(rng, encoding)
    msg = numpy_to_image(pixels, encoding, header)
    assert isinstance(msg, Image)
    assert (msg.height, msg.width, msg.encoding, msg.is_bigendian) == (6, 10, encoding, 0)
    assert msg.step == 10 * ENCODINGS[encoding].bytes_per_pixel
    assert isinstance(msg.data, array.array)
    received = over_the_wire(msg)
    np.testing.assert_array_equal(image_to_numpy(received), pixels)
    assert_same_header(received.header, header)


def test_padded_big_endian_message_from_another_driver(header: Header) -> None:
    values = np.array([[1, 258, 65535], [4096, 0, 777]], dtype=np.uint16)
    msg = Image(header=header, height=2, width=3, encoding="mono16", is_bigendian=1, step=8)
    msg.data = array.array("B", b"".join(values[row].astype(">u2").tobytes() + b"\x00\x00" for row in range(2)))
    np.testing.assert_array_equal(image_to_numpy(over_the_wire(msg)), values)


def test_header_is_copied_not_shared(header: Header) -> None:
    msg = numpy_to_image(np.zeros((2, 2), np.uint8), "mono8", header)
    assert msg.header is not header
    header.frame_id = "changed"
    assert msg.header.frame_id == "camera_left_optical_frame"
    assert copy_header(None) == Header()


def test_image_without_header_has_an_empty_one() -> None:
    msg = numpy_to_image(np.zeros((2, 2), np.uint8), "mono8")
    assert msg.header == Header()


def test_bad_image_messages_raise_typed_errors() -> None:
    msg = Image(height=192, width=640, encoding="rgb8", step=1919)
    msg.data = array.array("B", bytes(1919 * 192))
    with pytest.raises(
        ImageLayoutError, match=r"step 1919 is smaller than width\*bytes_per_pixel = 1920 for 640x192 rgb8"
    ):
        image_to_numpy(msg)
    msg = Image(height=4, width=4, encoding="rgb8", step=12)
    msg.data = array.array("B", bytes(40))
    with pytest.raises(ImageLayoutError, match=r"truncated: 40 bytes, expected height\*step = 4\*12 = 48"):
        image_to_numpy(msg)
    with pytest.raises(UnsupportedEncodingError, match="'bayer_rggb8'"):
        image_to_numpy(Image(height=1, width=1, encoding="bayer_rggb8", step=1, data=array.array("B", [0])))
    with pytest.raises(ImageLayoutError, match="float64 does not match encoding mono16"):
        numpy_to_image(np.zeros((2, 2)), "mono16")


@pytest.mark.parametrize("encoding", ["rgb8", "bgr8", "rgba8", "bgra8", "mono8", "mono16"])
def test_image_to_rgb_from_raw_messages(rng: np.random.Generator, encoding: str) -> None:
    rgb = rng.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    grey = rgb[..., 0]
    pixels = {
        "rgb8": rgb,
        "bgr8": rgb[..., ::-1],
        "rgba8": np.dstack([rgb, np.full(grey.shape, 9, np.uint8)]),
        "bgra8": np.dstack([rgb[..., ::-1], np.full(grey.shape, 9, np.uint8)]),
        "mono8": grey,
        "mono16": grey.astype(np.uint16) << 8,
    }[encoding]
    expected = np.repeat(grey[..., None], 3, axis=2) if encoding.startswith("mono") else rgb
    out = image_to_rgb(over_the_wire(numpy_to_image(np.ascontiguousarray(pixels), encoding)))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, expected)


# --------------------------------------------------------------------------------------------------------------
# Compressed images


def smooth_rgb(height: int = 32, width: int = 48) -> np.ndarray:
    v, u = np.mgrid[0:height, 0:width]
    return np.stack([u * 5, v * 7, 255 - u * 3 - v * 2], axis=-1).clip(0, 255).astype(np.uint8)


def test_png_compressed_message_round_trips_exactly(header: Header) -> None:
    rgb = smooth_rgb()
    msg = numpy_to_compressed_image(rgb, "png", header)
    assert isinstance(msg, CompressedImage)
    assert msg.format == "rgb8; png compressed bgr8"
    received = over_the_wire(msg)
    assert_same_header(received.header, header)
    pixels, encoding = compressed_image_to_numpy(received)
    assert encoding == "rgb8"
    np.testing.assert_array_equal(pixels, rgb)
    np.testing.assert_array_equal(image_to_rgb(received), rgb)


def test_jpeg_compressed_message_is_close(header: Header) -> None:
    rgb = smooth_rgb()
    msg = numpy_to_compressed_image(rgb, "jpeg", header, quality=95)
    assert msg.format == "rgb8; jpeg compressed bgr8"
    out = image_to_rgb(over_the_wire(msg))
    assert np.abs(out.astype(np.float64) - rgb).mean() < 2.0


def test_corrupt_compressed_message() -> None:
    msg = CompressedImage(format="jpeg")
    msg.data = array.array("B", b"\xff\xd8garbage\xff\xd9")
    with pytest.raises(ImageDecodeError, match="cannot decode 11 bytes as jpeg"):
        image_to_rgb(msg)


# --------------------------------------------------------------------------------------------------------------
# Depth


def test_depth_to_32fc1_image(header: Header) -> None:
    depth = np.linspace(0.5, 40.0, 24, dtype=np.float32).reshape(4, 6)
    depth[1, 2] = np.nan
    depth[3, 5] = np.inf
    msg = over_the_wire(depth_to_image(depth, header))
    assert msg.encoding == "32FC1"
    assert msg.step == 24
    assert_same_header(msg.header, header)
    np.testing.assert_array_equal(image_to_numpy(msg), depth)


def test_depth_to_16uc1_image(header: Header) -> None:
    depth = np.array([[1.0, np.nan], [2.5, 70.0]])
    msg = depth_to_image(depth, header, encoding="16UC1")
    assert msg.encoding == "16UC1"
    np.testing.assert_array_equal(image_to_numpy(msg), [[1000, 0], [2500, 0]])


def test_depth_errors(header: Header) -> None:
    with pytest.raises(DepthValueError, match=r"depth has 1 negative, zero or -inf value\(s\) \(minimum -1.0\)"):
        depth_to_image(np.array([[1.0, -1.0]]), header)
    with pytest.raises(UnsupportedEncodingError, match=r"32FC1 .* or 16UC1 .*, got 'mono16'"):
        depth_to_image(np.ones((2, 2)), header, encoding="mono16")


# --------------------------------------------------------------------------------------------------------------
# Camera info


def test_camera_info_round_trip(header: Header) -> None:
    model = CameraModel(
        width=1242,
        height=375,
        distortion_model="plumb_bob",
        D=[-0.37, 0.2, 0.001, -0.0005, 0.0],
        K=[718.856, 0, 607.1928, 0, 718.856, 185.2157, 0, 0, 1],
        R=np.eye(3),
        P=[707.0, 0, 604.0, -379.8, 0, 707.0, 180.0, 0, 0, 0, 1, 0],
        binning_x=2,
        binning_y=1,
        roi=RegionOfInterest(10, 20, 300, 1000, True),
    )
    msg = camera_model_to_camera_info(model, header)
    assert isinstance(msg, CameraInfo)
    received = over_the_wire(msg)
    assert_same_header(received.header, header)
    assert (received.roi.x_offset, received.roi.width, received.roi.do_rectify) == (10, 1000, True)
    back = camera_info_to_model(received)
    assert back == model
    assert back.stereo_baseline() == pytest.approx(379.8 / 707.0)


def test_published_camera_info_from_intrinsics(header: Header) -> None:
    intrinsics = PinholeIntrinsics(500.0, 500.0, 319.5, 95.5, 640, 192)
    msg = over_the_wire(camera_model_to_camera_info(CameraModel.from_intrinsics(intrinsics), header))
    assert list(msg.k) == [500.0, 0.0, 319.5, 0.0, 500.0, 95.5, 0.0, 0.0, 1.0]
    assert list(msg.p) == [500.0, 0.0, 319.5, 0.0, 0.0, 500.0, 95.5, 0.0, 0.0, 0.0, 1.0, 0.0]
    assert list(msg.d) == [0.0] * 5
    assert camera_info_to_model(msg).rectified_intrinsics() == intrinsics


def test_uncalibrated_camera_info_is_rejected() -> None:
    # A driver without calibration publishes all-zero matrices.
    with pytest.raises(CameraInfoError, match=r"K focal length fx is 0.0"):
        camera_info_to_model(CameraInfo(width=640, height=480))


# --------------------------------------------------------------------------------------------------------------
# Point clouds


def test_pointcloud2_round_trip(rng: np.random.Generator, header: Header) -> None:
    points = rng.normal(size=(4, 5, 3)).astype(np.float32)
    points[0, 0] = np.nan
    colours = rng.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    msg = points_to_pointcloud2(points, colours, header, organized=True)
    assert isinstance(msg, PointCloud2)
    received = over_the_wire(msg)
    assert_same_header(received.header, header)
    assert [(f.name, f.offset, f.datatype, f.count) for f in received.fields] == [
        ("x", 0, PointField.FLOAT32, 1),
        ("y", 4, PointField.FLOAT32, 1),
        ("z", 8, PointField.FLOAT32, 1),
        ("rgb", 12, PointField.FLOAT32, 1),
    ]
    assert (received.height, received.width, received.point_step, received.row_step) == (4, 5, 16, 80)
    assert (received.is_dense, received.is_bigendian) == (False, False)
    xyz, rgb = pointcloud2_to_numpy(received)
    np.testing.assert_array_equal(xyz, points.reshape(-1, 3))
    np.testing.assert_array_equal(rgb, colours.reshape(-1, 3))


def test_pointcloud2_unorganized_without_colour(rng: np.random.Generator, header: Header) -> None:
    points = rng.normal(size=(30, 3))
    points[3] = np.inf
    msg = over_the_wire(points_to_pointcloud2(points, None, header, organized=False))
    assert (msg.height, msg.width, msg.is_dense, msg.point_step) == (1, 29, True, 12)
    xyz, rgb = pointcloud2_to_numpy(msg)
    assert rgb is None
    np.testing.assert_array_equal(xyz, np.delete(points, 3, axis=0).astype(np.float32))


def test_a_cloud_that_is_already_the_payload_gives_the_same_message(rng: np.random.Generator, header: Header) -> None:
    # The depth node's fast path: the estimator's (rows, columns, 3) cloud is the payload itself.
    points = rng.normal(size=(4, 5, 3)).astype(np.float32)
    points[1, 2] = np.nan
    fast = over_the_wire(cloud_to_pointcloud2(points, XYZ_FIELDS, header))
    packed = over_the_wire(points_to_pointcloud2(points, None, header, organized=True))
    assert_same_header(fast.header, header)
    for name in ("height", "width", "fields", "is_bigendian", "point_step", "row_step", "is_dense", "data"):
        assert getattr(fast, name) == getattr(packed, name), name
    assert fast.is_dense is False
    assert over_the_wire(cloud_to_pointcloud2(np.zeros((2, 3, 3), np.float32), XYZ_FIELDS, header)).is_dense


def test_a_payload_cloud_with_a_packed_colour_channel(rng: np.random.Generator, header: Header) -> None:
    points = rng.normal(size=(3, 4, 3)).astype(np.float32)
    colours = rng.integers(0, 256, size=(3, 4, 3), dtype=np.uint8)
    rgb = (colours[..., 0].astype(np.uint32) << 16) | (colours[..., 1].astype(np.uint32) << 8) | colours[..., 2]
    cloud = np.concatenate([points, rgb.view(np.float32)[..., None]], axis=-1)
    msg = over_the_wire(cloud_to_pointcloud2(cloud, XYZRGB_FIELDS, header))
    assert (msg.point_step, msg.row_step) == (16, 64)
    xyz, decoded = pointcloud2_to_numpy(msg)
    np.testing.assert_array_equal(xyz, points.reshape(-1, 3))
    np.testing.assert_array_equal(decoded, colours.reshape(-1, 3))


def test_point_field_constants_match_ros() -> None:
    for name in ("INT8", "UINT8", "INT16", "UINT16", "INT32", "UINT32", "FLOAT32", "FLOAT64"):
        assert getattr(PointField, name) == PointFieldType[name]


# --------------------------------------------------------------------------------------------------------------
# The same core functions read rosbags messages (the data layer's path): one implementation for both.


def test_rosbags_messages_decode_with_the_same_core(rng: np.random.Generator, header: Header) -> None:
    typestore = get_typestore(Stores.ROS2_KILTED)
    pixels = rng.integers(0, 256, size=(6, 10, 3), dtype=np.uint8)
    image = typestore.deserialize_cdr(
        serialize_message(numpy_to_image(pixels, "bgr8", header)), "sensor_msgs/msg/Image"
    )
    np.testing.assert_array_equal(decode_image_message(image), pixels)
    points = rng.normal(size=(3, 4, 3)).astype(np.float32)
    colours = rng.integers(0, 256, size=(3, 4, 3), dtype=np.uint8)
    cloud = typestore.deserialize_cdr(
        serialize_message(points_to_pointcloud2(points, colours, header, organized=True)), "sensor_msgs/msg/PointCloud2"
    )
    xyz, rgb = unpack_cloud_message(cloud)
    np.testing.assert_array_equal(xyz, points.reshape(-1, 3))
    np.testing.assert_array_equal(rgb, colours.reshape(-1, 3))
    model = CameraModel.from_intrinsics(PinholeIntrinsics(400.0, 410.0, 300.0, 100.0, 600, 200), baseline=0.1)
    info = typestore.deserialize_cdr(
        serialize_message(camera_model_to_camera_info(model, header)), "sensor_msgs/msg/CameraInfo"
    )
    assert CameraModel.from_message(info) == model
