"""Build `rosbags` message objects from numpy data, through the same wire formats the nodes use.

The payload layouts (image encodings, CompressedImage, CameraInfo) live in `mono_depth_ros.core.wire`, shared
with the rclpy conversions, so a bag written here and a message published by a node carry identical bytes.
"""

from __future__ import annotations

import numpy as np
import torch
from rosbags.typesys.store import Typestore

from mono_depth_ros.core.geometry import transform_to_translation_quaternion
from mono_depth_ros.core.wire import CameraModel, depth_to_32fc1, encode_compressed, encode_image
from mono_depth_ros.core.wire.stamps import NS_PER_S


def _uint8_buffer(nbytes: int) -> np.ndarray:
    return np.empty(nbytes, dtype=np.uint8)


class MessageFactory:
    """Message objects of one ROS 2 distribution's type store."""

    def __init__(self, typestore: Typestore) -> None:
        self._types = typestore.types

    def _type(self, name: str) -> type:
        return self._types[name]

    def header(self, stamp_ns: int, frame_id: str) -> object:
        time = self._type("builtin_interfaces/msg/Time")(sec=stamp_ns // NS_PER_S, nanosec=stamp_ns % NS_PER_S)
        return self._type("std_msgs/msg/Header")(stamp=time, frame_id=frame_id)

    def image(self, array: np.ndarray, encoding: str, stamp_ns: int, frame_id: str) -> object:
        """sensor_msgs/Image from an (H, W) or (H, W, C) array whose dtype matches `encoding`."""
        # rosbags messages hold a uint8 ndarray: encode straight into one (no second copy of the pixels).
        encoded = encode_image(array, encoding, allocate=_uint8_buffer)
        return self._type("sensor_msgs/msg/Image")(
            header=self.header(stamp_ns, frame_id),
            height=encoded.height,
            width=encoded.width,
            encoding=encoded.encoding,
            is_bigendian=int(encoded.is_bigendian),
            step=encoded.step,
            data=encoded.data,
        )

    def depth_image(self, depth_m: np.ndarray, stamp_ns: int, frame_id: str) -> object:
        """32FC1 depth in metres (REP 118: NaN invalid, +inf beyond range)."""
        return self.image(depth_to_32fc1(depth_m), "32FC1", stamp_ns, frame_id)

    def compressed_image(
        self, rgb: np.ndarray, stamp_ns: int, frame_id: str, *, fmt: str = "jpeg", quality: int = 90
    ) -> object:
        """sensor_msgs/CompressedImage as image_transport's compressed publisher writes it."""
        format_string, data = encode_compressed(rgb, fmt, quality=quality)
        return self._type("sensor_msgs/msg/CompressedImage")(
            header=self.header(stamp_ns, frame_id), format=format_string, data=np.frombuffer(data, dtype=np.uint8)
        )

    def camera_info(self, model: CameraModel, stamp_ns: int, frame_id: str) -> object:
        roi = self._type("sensor_msgs/msg/RegionOfInterest")(
            x_offset=model.roi.x_offset,
            y_offset=model.roi.y_offset,
            height=model.roi.height,
            width=model.roi.width,
            do_rectify=model.roi.do_rectify,
        )
        return self._type("sensor_msgs/msg/CameraInfo")(
            header=self.header(stamp_ns, frame_id),
            height=model.height,
            width=model.width,
            distortion_model=model.distortion_model,
            d=np.array(model.D, dtype=np.float64),
            k=np.array(model.K, dtype=np.float64).reshape(9),
            r=np.array(model.R, dtype=np.float64).reshape(9),
            p=np.array(model.P, dtype=np.float64).reshape(12),
            binning_x=model.binning_x,
            binning_y=model.binning_y,
            roi=roi,
        )

    def pose(self, transform: np.ndarray) -> object:
        """geometry_msgs/Pose from a 4x4 homogeneous transform."""
        pose = transform_to_translation_quaternion(torch.as_tensor(transform, dtype=torch.float64))
        x, y, z, qx, qy, qz, qw = pose.tolist()
        return self._type("geometry_msgs/msg/Pose")(
            position=self._type("geometry_msgs/msg/Point")(x=x, y=y, z=z),
            orientation=self._type("geometry_msgs/msg/Quaternion")(x=qx, y=qy, z=qz, w=qw),
        )

    def vector3(self, vector: np.ndarray) -> object:
        x, y, z = (float(v) for v in vector)
        return self._type("geometry_msgs/msg/Vector3")(x=x, y=y, z=z)

    def odometry(
        self,
        stamp_ns: int,
        odom_from_base: np.ndarray,
        linear_velocity: np.ndarray,
        angular_velocity: np.ndarray,
        *,
        frame_id: str = "odom",
        child_frame_id: str = "base_link",
        pose_variance: float = 1e-4,
        twist_variance: float = 1e-4,
    ) -> object:
        """nav_msgs/Odometry: pose in `frame_id`, twist in `child_frame_id` (as the message defines)."""
        twist = self._type("geometry_msgs/msg/Twist")(
            linear=self.vector3(linear_velocity), angular=self.vector3(angular_velocity)
        )
        return self._type("nav_msgs/msg/Odometry")(
            header=self.header(stamp_ns, frame_id),
            child_frame_id=child_frame_id,
            pose=self._type("geometry_msgs/msg/PoseWithCovariance")(
                pose=self.pose(odom_from_base), covariance=np.eye(6).reshape(36) * pose_variance
            ),
            twist=self._type("geometry_msgs/msg/TwistWithCovariance")(
                twist=twist, covariance=np.eye(6).reshape(36) * twist_variance
            ),
        )

    def transform_stamped(self, stamp_ns: int, parent: str, child: str, parent_from_child: np.ndarray) -> object:
        pose = self.pose(parent_from_child)
        translation = self.vector3(np.array([pose.position.x, pose.position.y, pose.position.z]))
        transform = self._type("geometry_msgs/msg/Transform")(translation=translation, rotation=pose.orientation)
        return self._type("geometry_msgs/msg/TransformStamped")(
            header=self.header(stamp_ns, parent), child_frame_id=child, transform=transform
        )

    def tf_message(self, transforms: list[object]) -> object:
        return self._type("tf2_msgs/msg/TFMessage")(transforms=transforms)
