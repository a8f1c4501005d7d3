"""Rigid transforms as (*, 4, 4) homogeneous matrices.

Naming: `b_from_a` maps the coordinates of a point in frame a to its coordinates in frame b
(`p_b = transform_points(b_from_a, p_a)`); it is also the pose of frame a expressed in frame b. Chains read right to
left: `c_from_a = compose_transforms(c_from_b, b_from_a)`. Leading batch dimensions broadcast.
"""

from __future__ import annotations

import torch

from mono_depth_ros.core.geometry.rotation import (
    axis_angle_to_matrix,
    matrix_to_axis_angle,
    matrix_to_quaternion,
    quaternion_to_matrix,
)
from mono_depth_ros.core.shapes import check_shape

__all__ = [
    "compose_transforms",
    "invert_transform",
    "make_transform",
    "pose_vector_to_transform",
    "transform_from_translation_quaternion",
    "transform_points",
    "transform_to_pose_vector",
    "transform_to_translation_quaternion",
]


def make_transform(rotation: torch.Tensor, translation: torch.Tensor) -> torch.Tensor:
    """[[R, t], [0, 1]] from rotation (*, 3, 3) and translation (*, 3); returns (*, 4, 4), batch dims broadcast."""
    check_shape(rotation, "rotation", ["*", 3, 3])
    check_shape(translation, "translation", ["*", 3])
    batch = torch.broadcast_shapes(rotation.shape[:-2], translation.shape[:-1])
    dtype = torch.promote_types(rotation.dtype, translation.dtype)
    top = torch.cat(
        (rotation.to(dtype).expand(*batch, 3, 3), translation.to(dtype).expand(*batch, 3)[..., None]), dim=-1
    )
    bottom = torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=dtype, device=rotation.device).expand(*batch, 1, 4)
    return torch.cat((top, bottom), dim=-2)


def invert_transform(transform: torch.Tensor) -> torch.Tensor:
    """a_from_b from b_from_a (*, 4, 4), in closed form [[R^T, -R^T t], [0, 1]].

    Exact for rigid transforms only (orthonormal R); for anything else (a similarity with scale, a projective
    matrix) use `torch.linalg.inv`.
    """
    check_shape(transform, "transform", ["*", 4, 4])
    rotation_t = transform[..., :3, :3].transpose(-1, -2)
    translation = transform[..., :3, 3]
    return make_transform(rotation_t, -(rotation_t @ translation[..., None])[..., 0])


def compose_transforms(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """The matrix product first @ second of (*, 4, 4) transforms: apply `second`, then `first`.

    With the `b_from_a` naming: `c_from_a = compose_transforms(c_from_b, b_from_a)`.
    """
    check_shape(first, "first", ["*", 4, 4])
    check_shape(second, "second", ["*", 4, 4])
    return first @ second


def transform_points(transform: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Points (*, N, 3) in frame a -> (*, N, 3) in frame b, with `transform` = b_from_a (*, 4, 4)."""
    check_shape(transform, "transform", ["*", 4, 4])
    check_shape(points, "points", ["*", "N", 3])
    rotation = transform[..., :3, :3]
    translation = transform[..., None, :3, 3]
    return points @ rotation.transpose(-1, -2) + translation


def pose_vector_to_transform(axis_angle: torch.Tensor, translation: torch.Tensor) -> torch.Tensor:
    """A pose network's output, rotation vector (*, 3) and translation (*, 3), as a (*, 4, 4) transform."""
    check_shape(axis_angle, "axis_angle", ["*", 3])
    check_shape(translation, "translation", ["*", 3])
    return make_transform(axis_angle_to_matrix(axis_angle), translation)


def transform_to_pose_vector(transform: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverse of `pose_vector_to_transform`: (*, 4, 4) -> rotation vector (*, 3), translation (*, 3)."""
    check_shape(transform, "transform", ["*", 4, 4])
    return matrix_to_axis_angle(transform[..., :3, :3]), transform[..., :3, 3]


def transform_from_translation_quaternion(pose: torch.Tensor) -> torch.Tensor:
    """ROS pose [x, y, z, qx, qy, qz, qw] (*, 7) -> (*, 4, 4); the quaternion is normalised (zero gives NaN)."""
    check_shape(pose, "pose", ["*", 7])
    return make_transform(quaternion_to_matrix(pose[..., 3:]), pose[..., :3])


def transform_to_translation_quaternion(transform: torch.Tensor) -> torch.Tensor:
    """(*, 4, 4) -> ROS pose [x, y, z, qx, qy, qz, qw] (*, 7) with qw >= 0."""
    check_shape(transform, "transform", ["*", 4, 4])
    return torch.cat((transform[..., :3, 3], matrix_to_quaternion(transform[..., :3, :3])), dim=-1)
