"""rclpy message <-> numpy conversions: a thin layer over the ROS-free `mono_depth_ros.core.wire`.

Besides the nodes, this is the only module that imports message packages. Every payload rule (encodings, step
padding, byte order, REP 118 depth, PointCloud2 layout, CameraInfo validation) lives in core.wire and raises its
typed errors (`WireFormatError` subclasses); this module only moves fields in and out of messages.

Speed: the `uint8[]` `data` field of an rclpy message is an `array.array('B')`. Assigning anything else goes through
the generated setter, which (with field checks on: Humble's `__debug__` asserts, or ROS_PYTHON_CHECK_FIELDS=1 on
Jazzy and later) validates a bytes object or list *element by element* (~30 ms for a 640x192 RGB image), and without
checks still copies it once more. An `array.array('B')` is always accepted as is. So the encoders write the payload
straight into a new `array.array('B')` (`_new_uint8_array`, passed as their `allocate`), and `_new_message` turns
field checks on where the message supports the flag so that the setter stores that array without copying it: one
allocation and one pass over the pixels or points per message.
"""

from __future__ import annotations

import sys
from array import array as py_array
from typing import TypeVar

import numpy as np
from sensor_msgs.msg import CameraInfo, CompressedImage, Image, PointCloud2, PointField, RegionOfInterest
from std_msgs.msg import Header

from mono_depth_ros.core.wire import (
    CameraModel,
    PackedCloud,
    PointFieldSpec,
    UnsupportedEncodingError,
    decode_compressed_message,
    decode_image_message,
    depth_to_16uc1_mm,
    depth_to_32fc1,
    encode_compressed,
    encode_image,
    image_to_rgb8,
    pack_points,
    unpack_cloud_message,
)

__all__ = [
    "camera_info_to_model",
    "camera_model_to_camera_info",
    "cloud_to_pointcloud2",
    "compressed_image_to_numpy",
    "copy_header",
    "depth_to_image",
    "image_to_numpy",
    "image_to_rgb",
    "numpy_to_compressed_image",
    "numpy_to_image",
    "pointcloud2_to_numpy",
    "points_to_pointcloud2",
]

MessageT = TypeVar("MessageT")


def _new_message(message_type: type[MessageT]) -> MessageT:
    """An empty message whose setters store an `array.array` without copying it (see the module docstring)."""
    # rosidl_generator_py added the `check_fields` flag (Jazzy+); Humble messages do not accept the argument and
    # store arrays as is anyway.
    if "_check_fields" in getattr(message_type, "__slots__", ()):
        return message_type(check_fields=True)
    return message_type()


def _uint8_array(data: bytes | bytearray | memoryview | np.ndarray) -> py_array:
    """`data` (any C-contiguous buffer) as the array.array('B') an rclpy uint8[] field holds: one memcpy."""
    out = py_array("B")
    out.frombytes(data)
    return out


_ZERO_BYTE = py_array("B", [0])


def _new_uint8_array(nbytes: int) -> py_array:
    """A new array.array('B') of `nbytes` zeros, for the encoders to write into (their `allocate`)."""
    # Repetition allocates once and fills with memcpy; array.array('B', bytes(n)) would allocate twice.
    return _ZERO_BYTE * nbytes


def copy_header(header: Header | None) -> Header:
    """A new Header with `header`'s stamp and frame_id (an empty Header for None).

    Messages get their own Header, so changing one published message's header never changes another's.
    """
    out = Header()
    if header is not None:
        out.stamp.sec = header.stamp.sec
        out.stamp.nanosec = header.stamp.nanosec
        out.frame_id = header.frame_id
    return out


# ----------------------------------------------------------------------------------------------------------------
# Images


def image_to_numpy(msg: Image) -> np.ndarray:
    """The pixels of a sensor_msgs/Image as an (H, W) or (H, W, C) array of the encoding's dtype.

    Little-endian data comes back as a view of `msg.data` (no copy): copy it before changing either.
    """
    return decode_image_message(msg)


def numpy_to_image(array: np.ndarray, encoding: str, header: Header | None = None) -> Image:
    """A sensor_msgs/Image of `array` ((H, W) or (H, W, C), dtype and channels matching `encoding` exactly)."""
    encoded = encode_image(array, encoding, allocate=_new_uint8_array)
    msg = _new_message(Image)
    msg.header = copy_header(header)
    msg.height = encoded.height
    msg.width = encoded.width
    msg.encoding = encoded.encoding
    msg.is_bigendian = encoded.is_bigendian
    msg.step = encoded.step
    msg.data = encoded.data
    return msg


def compressed_image_to_numpy(msg: CompressedImage) -> tuple[np.ndarray, str]:
    """(pixels, encoding) of a sensor_msgs/CompressedImage (jpeg or png), in the original encoding when the format
    names it ("rgb8; jpeg compressed bgr8" -> rgb8), else OpenCV's (bgr8, mono8, ...)."""
    return decode_compressed_message(msg)


def numpy_to_compressed_image(
    rgb: np.ndarray, fmt: str = "jpeg", header: Header | None = None, *, quality: int = 90
) -> CompressedImage:
    """A sensor_msgs/CompressedImage of an (H, W, 3) uint8 RGB (or (H, W) grey) image, as image_transport writes."""
    format_string, data = encode_compressed(rgb, fmt, quality)
    msg = _new_message(CompressedImage)
    msg.header = copy_header(header)
    msg.format = format_string
    msg.data = _uint8_array(data)
    return msg


def image_to_rgb(msg: Image | CompressedImage) -> np.ndarray:
    """An Image (mono8/16, rgb8, bgr8, rgba8, bgra8, ...) or CompressedImage as (H, W, 3) uint8 RGB.

    An rgb8 Image comes back as a view of its data (no copy).
    """
    if isinstance(msg, CompressedImage):
        pixels, encoding = decode_compressed_message(msg)
    else:
        pixels, encoding = decode_image_message(msg), msg.encoding
    return image_to_rgb8(pixels, encoding)


def depth_to_image(depth_m: np.ndarray, header: Header | None, encoding: str = "32FC1") -> Image:
    """A REP 118 depth image from (H, W) depth in metres: 32FC1 (metres, NaN invalid) or 16UC1 (millimetres, 0
    invalid). Negative, zero and -inf depths raise DepthValueError."""
    if encoding == "32FC1":
        return numpy_to_image(depth_to_32fc1(depth_m), "32FC1", header)
    if encoding == "16UC1":
        return numpy_to_image(depth_to_16uc1_mm(depth_m), "16UC1", header)
    raise UnsupportedEncodingError(f"depth images are 32FC1 (metres) or 16UC1 (millimetres), got {encoding!r}")


# ----------------------------------------------------------------------------------------------------------------
# Camera info


def camera_info_to_model(msg: CameraInfo) -> CameraModel:
    """The validated CameraModel of a sensor_msgs/CameraInfo (CameraInfoError names a non-finite or zero value)."""
    return CameraModel.from_message(msg)


def camera_model_to_camera_info(model: CameraModel, header: Header | None) -> CameraInfo:
    """A sensor_msgs/CameraInfo carrying `model` exactly (float64 values, binning, ROI)."""
    msg = _new_message(CameraInfo)
    msg.header = copy_header(header)
    msg.width = model.width
    msg.height = model.height
    msg.distortion_model = model.distortion_model
    msg.d = py_array("d", model.D.tolist())
    # Fixed-size double[9]/[12] fields are float64 numpy arrays in rclpy; give each message its own copy.
    msg.k = np.array(model.K, dtype=np.float64).reshape(-1)
    msg.r = np.array(model.R, dtype=np.float64).reshape(-1)
    msg.p = np.array(model.P, dtype=np.float64).reshape(-1)
    msg.binning_x = model.binning_x
    msg.binning_y = model.binning_y
    roi = RegionOfInterest()
    roi.x_offset = model.roi.x_offset
    roi.y_offset = model.roi.y_offset
    roi.height = model.roi.height
    roi.width = model.roi.width
    roi.do_rectify = model.roi.do_rectify
    msg.roi = roi
    return msg


# ----------------------------------------------------------------------------------------------------------------
# Point clouds


def points_to_pointcloud2(
    points: np.ndarray, colours: np.ndarray | None, header: Header | None, *, organized: bool
) -> PointCloud2:
    """A sensor_msgs/PointCloud2 (float32 x, y, z and, with colours, packed float32 rgb) of (N, 3) or (H, W, 3)
    points in metres and optional uint8 RGB colours of the same shape; see core.wire.pack_points for `organized`."""
    return _pointcloud2(pack_points(points, colours, organized=organized, allocate=_new_uint8_array), header)


def cloud_to_pointcloud2(cloud: np.ndarray, fields: tuple[PointFieldSpec, ...], header: Header | None) -> PointCloud2:
    """An organised PointCloud2 of a cloud that is already the payload: (rows, columns, channels) float32 in the
    host's byte order, one channel per field of `fields` (a DepthPrediction's cloud and cloud_fields; NaN x, y, z
    for invalid pixels), copied once into the message; is_dense when every z is finite."""
    rows, columns, channels = cloud.shape
    point_step = 4 * channels
    payload = np.ascontiguousarray(cloud, dtype=np.float32).reshape(-1).view(np.uint8)
    packed = PackedCloud(
        height=rows,
        width=columns,
        fields=fields,
        point_step=point_step,
        row_step=point_step * columns,
        is_dense=bool(np.isfinite(cloud[..., 2]).all()),
        is_bigendian=sys.byteorder == "big",
        data=_uint8_array(payload),
    )
    return _pointcloud2(packed, header)


def _pointcloud2(packed: PackedCloud, header: Header | None) -> PointCloud2:
    """The message of a packed cloud; its `data` (an array.array('B')) is stored without a copy."""
    msg = _new_message(PointCloud2)
    msg.header = copy_header(header)
    msg.height = packed.height
    msg.width = packed.width
    msg.fields = [_point_field(spec) for spec in packed.fields]
    msg.is_bigendian = packed.is_bigendian
    msg.point_step = packed.point_step
    msg.row_step = packed.row_step
    msg.is_dense = packed.is_dense
    msg.data = packed.data
    return msg


def _point_field(spec: PointFieldSpec) -> PointField:
    field = PointField()
    field.name = spec.name
    field.offset = spec.offset
    field.datatype = int(spec.datatype)
    field.count = spec.count
    return field


def pointcloud2_to_numpy(msg: PointCloud2) -> tuple[np.ndarray, np.ndarray | None]:
    """(xyz (N, 3) float32, rgb (N, 3) uint8 or None) of a PointCloud2, N = height * width, invalid points kept."""
    return unpack_cloud_message(msg)
