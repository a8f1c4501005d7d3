"""Wire formats: ROS message payloads (images, compressed images, depth, point clouds, camera info) <-> numpy.

ROS-free (numpy and OpenCV only): the functions take message fields, or any object that has them, so rclpy
messages (mono_depth_ros.ros.conversions) and rosbags dataclasses (mono_depth_ros.data) share one implementation.
"""

from __future__ import annotations

from mono_depth_ros.core.wire.buffers import Allocator, BytesLike, as_byte_array
from mono_depth_ros.core.wire.camera import DISTORTION_COEFFICIENTS, CameraModel, RegionOfInterest
from mono_depth_ros.core.wire.depth import MAX_DEPTH_16UC1_M, depth_to_16uc1_mm, depth_to_32fc1
from mono_depth_ros.core.wire.errors import (
    CameraInfoError,
    DepthValueError,
    ImageDecodeError,
    ImageLayoutError,
    PointCloudLayoutError,
    UnsupportedEncodingError,
    WireFormatError,
)
from mono_depth_ros.core.wire.image import (
    ENCODINGS,
    EncodedImage,
    ImageEncoding,
    decode_compressed,
    decode_compressed_message,
    decode_image,
    decode_image_message,
    encode_compressed,
    encode_image,
    get_encoding,
    image_to_rgb8,
)
from mono_depth_ros.core.wire.pointcloud import (
    XYZ_FIELDS,
    XYZRGB_FIELDS,
    PackedCloud,
    PointFieldSpec,
    PointFieldType,
    pack_points,
    unpack_cloud_message,
    unpack_points,
)
from mono_depth_ros.core.wire.stamps import stamp_ns

__all__ = [
    "DISTORTION_COEFFICIENTS",
    "ENCODINGS",
    "MAX_DEPTH_16UC1_M",
    "XYZRGB_FIELDS",
    "XYZ_FIELDS",
    "Allocator",
    "BytesLike",
    "CameraInfoError",
    "CameraModel",
    "DepthValueError",
    "EncodedImage",
    "ImageDecodeError",
    "ImageEncoding",
    "ImageLayoutError",
    "PackedCloud",
    "PointCloudLayoutError",
    "PointFieldSpec",
    "PointFieldType",
    "RegionOfInterest",
    "UnsupportedEncodingError",
    "WireFormatError",
    "as_byte_array",
    "decode_compressed",
    "decode_compressed_message",
    "decode_image",
    "decode_image_message",
    "depth_to_16uc1_mm",
    "depth_to_32fc1",
    "encode_compressed",
    "encode_image",
    "get_encoding",
    "image_to_rgb8",
    "pack_points",
    "stamp_ns",
    "unpack_cloud_message",
    "unpack_points",
]
