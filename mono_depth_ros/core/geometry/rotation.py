"""Rotations: axis-angle (what pose networks predict) and unit quaternions in ROS order (x, y, z, w).

All functions are batch-agnostic, differentiable, and free of data-dependent branches (no host synchronisation), so
they run unchanged on a GPU inside a training step. Small angles use Taylor series, so values and gradients stay exact
at the identity.
"""

from __future__ import annotations

import torch

from mono_depth_ros.core.shapes import check_shape

__all__ = [
    "axis_angle_to_matrix",
    "axis_angle_to_quaternion",
    "matrix_to_axis_angle",
    "matrix_to_quaternion",
    "quaternion_to_axis_angle",
    "quaternion_to_matrix",
    "skew_matrix",
]

# Below this squared angle (rad^2) the Taylor series are exact to float64 precision (next term ~ 1e-22).
_SMALL_ANGLE_SQUARED = 1e-4


def skew_matrix(vector: torch.Tensor) -> torch.Tensor:
    """The cross-product matrix [v]x with [v]x @ w == v x w: (*, 3) -> (*, 3, 3)."""
    check_shape(vector, "vector", ["*", 3])
    x, y, z = vector.unbind(-1)
    zero = torch.zeros_like(x)
    rows = (
        torch.stack((zero, -z, y), dim=-1),
        torch.stack((z, zero, -x), dim=-1),
        torch.stack((-y, x, zero), dim=-1),
    )
    return torch.stack(rows, dim=-2)


def axis_angle_to_matrix(axis_angle: torch.Tensor) -> torch.Tensor:
    """Rodrigues' formula: rotation vector (*, 3) (axis times angle in radians) -> rotation matrix (*, 3, 3).

    R = I + a(t) K + b(t) K^2 with K = [axis_angle]x, a = sin(t)/t, b = (1 - cos(t))/t^2 and t the angle.
    """
    check_shape(axis_angle, "axis_angle", ["*", 3])
    angle_squared = (axis_angle * axis_angle).sum(-1)
    small = angle_squared < _SMALL_ANGLE_SQUARED
    # Square root only of values where it is used, so its gradient never sees 0.
    angle = torch.where(small, torch.ones_like(angle_squared), angle_squared).sqrt()
    half_sine = torch.sin(angle / 2)
    # b written as 2 sin^2(t/2) / t^2 avoids the cancellation in 1 - cos(t) for small t.
    a_exact = torch.sin(angle) / angle
    b_exact = 2 * half_sine * half_sine / (angle * angle)
    x = angle_squared
    a_series = 1 - x / 6 * (1 - x / 20 * (1 - x / 42))
    b_series = 0.5 * (1 - x / 12 * (1 - x / 30 * (1 - x / 56)))
    a = torch.where(small, a_series, a_exact)[..., None, None]
    b = torch.where(small, b_series, b_exact)[..., None, None]
    k = skew_matrix(axis_angle)
    eye = torch.eye(3, dtype=axis_angle.dtype, device=axis_angle.device)
    return eye + a * k + b * (k @ k)


def quaternion_to_matrix(quaternion: torch.Tensor) -> torch.Tensor:
    """Quaternion (*, 4) in ROS order (x, y, z, w) -> rotation matrix (*, 3, 3).

    Any non-zero quaternion is accepted and treated as normalised (q and c*q give the same rotation); a zero
    quaternion gives NaN.
    """
    check_shape(quaternion, "quaternion", ["*", 4])
    x, y, z, w = quaternion.unbind(-1)
    two_over_norm = 2 / (quaternion * quaternion).sum(-1)
    xx, yy, zz = x * x * two_over_norm, y * y * two_over_norm, z * z * two_over_norm
    xy, xz, yz = x * y * two_over_norm, x * z * two_over_norm, y * z * two_over_norm
    wx, wy, wz = w * x * two_over_norm, w * y * two_over_norm, w * z * two_over_norm
    rows = (
        torch.stack((1 - yy - zz, xy - wz, xz + wy), dim=-1),
        torch.stack((xy + wz, 1 - xx - zz, yz - wx), dim=-1),
        torch.stack((xz - wy, yz + wx, 1 - xx - yy), dim=-1),
    )
    return torch.stack(rows, dim=-2)


def matrix_to_quaternion(matrix: torch.Tensor) -> torch.Tensor:
    """Rotation matrix (*, 3, 3) -> unit quaternion (*, 4) in ROS order (x, y, z, w), with w >= 0.

    Shepperd's method: of the four ways to recover the quaternion, use the one dividing by the largest component
    (at least 1/2), which is stable for every rotation, including half turns.
    """
    check_shape(matrix, "matrix", ["*", 3, 3])
    r00, r01, r02 = matrix[..., 0, 0], matrix[..., 0, 1], matrix[..., 0, 2]
    r10, r11, r12 = matrix[..., 1, 0], matrix[..., 1, 1], matrix[..., 1, 2]
    r20, r21, r22 = matrix[..., 2, 0], matrix[..., 2, 1], matrix[..., 2, 2]
    # 4 * (w^2, x^2, y^2, z^2); they sum to 4, so the largest is at least 1.
    w4, x4, y4, z4 = 1 + r00 + r11 + r22, 1 + r00 - r11 - r22, 1 - r00 + r11 - r22, 1 - r00 - r11 + r22
    four_squares = torch.stack((w4, x4, y4, z4), dim=-1)
    # Off-diagonal sums and differences: 4wx, 4wy, 4wz, 4xy, 4xz, 4yz.
    wx4, wy4, wz4 = r21 - r12, r02 - r20, r10 - r01
    xy4, xz4, yz4 = r01 + r10, r02 + r20, r12 + r21
    # Row k holds 4 * q_k * (x, y, z, w); dividing by 4 |q_k| = 2 sqrt(4 q_k^2) recovers +-q.
    scaled = torch.stack(
        (
            torch.stack((wx4, wy4, wz4, w4), dim=-1),
            torch.stack((x4, xy4, xz4, wx4), dim=-1),
            torch.stack((xy4, y4, yz4, wy4), dim=-1),
            torch.stack((xz4, yz4, z4, wz4), dim=-1),
        ),
        dim=-2,
    )
    # The clamp keeps the rows that are not selected finite, so their (zero) gradient is not NaN.
    candidates = scaled / (2 * four_squares.clamp(min=0.1).sqrt()[..., None])
    best = four_squares.argmax(dim=-1)
    quaternion = candidates.gather(-2, best[..., None, None].expand(*best.shape, 1, 4)).squeeze(-2)
    # Project onto the unit sphere (inputs are orthonormal only to rounding) and pick the w >= 0 hemisphere.
    quaternion = quaternion / quaternion.norm(dim=-1, keepdim=True)
    return quaternion * _hemisphere_sign(quaternion)


def _hemisphere_sign(quaternion: torch.Tensor) -> torch.Tensor:
    """(*, 1): -1 where w < 0, else 1; multiplying by it gives the same rotation with w >= 0."""
    negative = quaternion[..., 3:] < 0
    return torch.where(negative, -torch.ones_like(quaternion[..., 3:]), torch.ones_like(quaternion[..., 3:]))


def quaternion_to_axis_angle(quaternion: torch.Tensor) -> torch.Tensor:
    """Quaternion (*, 4) in ROS order (x, y, z, w) -> rotation vector (*, 3) with angle in [0, pi].

    The quaternion need not be normalised; q and -q give the same result.
    """
    check_shape(quaternion, "quaternion", ["*", 4])
    # In the w >= 0 hemisphere the angle 2 atan2(|v|, w) lies in [0, pi].
    q = quaternion * _hemisphere_sign(quaternion)
    vector, w = q[..., :3], q[..., 3]
    sine_squared = (vector * vector).sum(-1)
    small = sine_squared < _SMALL_ANGLE_SQUARED * w * w
    # Each branch gets harmless stand-in values where it is not used, so neither produces NaN gradients.
    sine = torch.where(small, torch.ones_like(sine_squared), sine_squared).sqrt()
    exact = 2 * torch.atan2(sine, w) / sine
    # Near the identity: angle / |v| = 2/w * atan(sqrt(r)) / sqrt(r) = 2/w (1 - r/3 + r^2/5 - r^3/7), r = |v|^2/w^2.
    w_small = torch.where(small, w, torch.ones_like(w))
    r = torch.where(small, sine_squared, torch.zeros_like(sine_squared)) / (w_small * w_small)
    series = 2 / w_small * (1 - r * (1 / 3 - r * (1 / 5 - r / 7)))
    return vector * torch.where(small, series, exact)[..., None]


def matrix_to_axis_angle(matrix: torch.Tensor) -> torch.Tensor:
    """Rotation matrix (*, 3, 3) -> rotation vector (*, 3) with angle in [0, pi].

    Goes through `matrix_to_quaternion`, which stays accurate near the identity and near half turns (where the
    textbook acos((trace - 1) / 2) loses precision). At exactly pi, the axis sign is that of Shepperd's choice.
    """
    check_shape(matrix, "matrix", ["*", 3, 3])
    return quaternion_to_axis_angle(matrix_to_quaternion(matrix))


def axis_angle_to_quaternion(axis_angle: torch.Tensor) -> torch.Tensor:
    """Rotation vector (*, 3) -> unit quaternion (*, 4) in ROS order (x, y, z, w), with w >= 0 for angles <= pi."""
    check_shape(axis_angle, "axis_angle", ["*", 3])
    angle_squared = (axis_angle * axis_angle).sum(-1)
    small = angle_squared < _SMALL_ANGLE_SQUARED
    angle = torch.where(small, torch.ones_like(angle_squared), angle_squared).sqrt()
    x = angle_squared
    # sin(t/2) / t = 1/2 - t^2/48 + t^4/3840 and cos(t/2) = 1 - t^2/8 + t^4/384 - t^6/46080 near 0.
    half_sine_over_angle = torch.where(small, 0.5 * (1 - x / 24 * (1 - x / 80)), torch.sin(angle / 2) / angle)
    cosine = torch.where(small, 1 - x / 8 * (1 - x / 48 * (1 - x / 120)), torch.cos(angle / 2))
    return torch.cat((axis_angle * half_sine_over_angle[..., None], cosine[..., None]), dim=-1)
