"""Geometry core: intrinsics, back-projection and projection, rotations, SE(3), view synthesis, Umeyama Sim(3),
organised point clouds and KITTI calibration. ROS-free and batch-agnostic: tensor functions accept any leading
batch dimensions (`*`).

Conventions: camera optical frame x right, y down, z forward; integer pixel coordinates are pixel centres; transforms
are (*, 4, 4) matrices named `b_from_a` (maps points in frame a to frame b); quaternions are (x, y, z, w).
"""

from mono_depth_ros.core.geometry.camera import backproject, pixel_grid, project
from mono_depth_ros.core.geometry.errors import (
    CalibrationFileError,
    GeometryError,
    IntrinsicsError,
    KittiFileError,
    ShapeError,
)
from mono_depth_ros.core.geometry.intrinsics import PinholeIntrinsics, resize_camera_matrix
from mono_depth_ros.core.geometry.kitti import (
    KittiCalibration,
    read_kitti_calibration,
    read_kitti_depth_png,
    read_velodyne_scan,
    velodyne_depth_map,
)
from mono_depth_ros.core.geometry.point_cloud import PointCloud, depth_to_point_cloud
from mono_depth_ros.core.geometry.rotation import (
    axis_angle_to_matrix,
    axis_angle_to_quaternion,
    matrix_to_axis_angle,
    matrix_to_quaternion,
    quaternion_to_axis_angle,
    quaternion_to_matrix,
    skew_matrix,
)
from mono_depth_ros.core.geometry.se3 import (
    compose_transforms,
    invert_transform,
    make_transform,
    pose_vector_to_transform,
    transform_from_translation_quaternion,
    transform_points,
    transform_to_pose_vector,
    transform_to_translation_quaternion,
)
from mono_depth_ros.core.geometry.umeyama import Similarity, apply_similarity, umeyama_alignment
from mono_depth_ros.core.geometry.warp import WarpResult, sample_at_pixels, warp_source_to_target

__all__ = [
    "CalibrationFileError",
    "GeometryError",
    "IntrinsicsError",
    "KittiCalibration",
    "KittiFileError",
    "PinholeIntrinsics",
    "PointCloud",
    "ShapeError",
    "Similarity",
    "WarpResult",
    "apply_similarity",
    "axis_angle_to_matrix",
    "axis_angle_to_quaternion",
    "backproject",
    "compose_transforms",
    "depth_to_point_cloud",
    "invert_transform",
    "make_transform",
    "matrix_to_axis_angle",
    "matrix_to_quaternion",
    "pixel_grid",
    "pose_vector_to_transform",
    "project",
    "quaternion_to_axis_angle",
    "quaternion_to_matrix",
    "read_kitti_calibration",
    "read_kitti_depth_png",
    "read_velodyne_scan",
    "resize_camera_matrix",
    "sample_at_pixels",
    "skew_matrix",
    "transform_from_translation_quaternion",
    "transform_points",
    "transform_to_pose_vector",
    "transform_to_translation_quaternion",
    "umeyama_alignment",
    "velodyne_depth_map",
    "warp_source_to_target",
]
