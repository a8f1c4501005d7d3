"""Rigid transforms: construction, inversion, composition order, point mapping, pose vectors and ROS poses."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from mono_depth_ros.core.geometry import (
    ShapeError,
    axis_angle_to_matrix,
    compose_transforms,
    invert_transform,
    make_transform,
    pose_vector_to_transform,
    transform_from_translation_quaternion,
    transform_points,
    transform_to_pose_vector,
    transform_to_translation_quaternion,
)

BATCHES = [(), (4,), (2, 3)]


def _random_transform(batch: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    axis_angle = torch.randn(*batch, 3, generator=generator, dtype=torch.float64)
    translation = torch.randn(*batch, 3, generator=generator, dtype=torch.float64)
    return pose_vector_to_transform(axis_angle, translation)


@pytest.mark.parametrize("batch", BATCHES)
def test_make_transform_layout(batch: tuple[int, ...], generator: torch.Generator) -> None:
    rotation = axis_angle_to_matrix(torch.randn(*batch, 3, generator=generator, dtype=torch.float64))
    translation = torch.randn(*batch, 3, generator=generator, dtype=torch.float64)
    transform = make_transform(rotation, translation)
    assert transform.shape == (*batch, 4, 4)
    torch.testing.assert_close(transform[..., :3, :3], rotation)
    torch.testing.assert_close(transform[..., :3, 3], translation)
    expected_bottom = torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=torch.float64).expand(*batch, 4)
    torch.testing.assert_close(transform[..., 3, :], expected_bottom)


def test_make_transform_broadcasts_rotation_and_translation() -> None:
    translations = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    transform = make_transform(torch.eye(3, dtype=torch.float64), translations)
    assert transform.shape == (2, 4, 4)
    torch.testing.assert_close(transform[:, :3, 3], translations)


def test_transform_points_hand_worked() -> None:
    quarter_turn_about_z = torch.tensor([0.0, 0.0, math.pi / 2], dtype=torch.float64)
    b_from_a = pose_vector_to_transform(quarter_turn_about_z, torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    points = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=torch.float64)
    expected = torch.tensor([[1.0, 3.0, 3.0], [0.0, 2.0, 3.0]], dtype=torch.float64)
    torch.testing.assert_close(transform_points(b_from_a, points), expected)


@pytest.mark.parametrize("batch", BATCHES)
def test_transform_points_matches_homogeneous_product(batch: tuple[int, ...], generator: torch.Generator) -> None:
    transform = _random_transform(batch, generator)
    points = torch.randn(*batch, 5, 3, generator=generator, dtype=torch.float64)
    homogeneous = torch.cat((points, torch.ones(*batch, 5, 1, dtype=torch.float64)), dim=-1)
    expected = (homogeneous @ transform.transpose(-1, -2))[..., :3]
    torch.testing.assert_close(transform_points(transform, points), expected)


def test_transform_points_broadcasts_one_cloud_over_many_poses(generator: torch.Generator) -> None:
    transforms = _random_transform((3,), generator)
    points = torch.randn(5, 3, generator=generator, dtype=torch.float64)
    moved = transform_points(transforms, points)
    assert moved.shape == (3, 5, 3)
    torch.testing.assert_close(moved[1], transform_points(transforms[1], points))


@pytest.mark.parametrize("batch", BATCHES)
def test_invert_transform_matches_matrix_inverse(batch: tuple[int, ...], generator: torch.Generator) -> None:
    transform = _random_transform(batch, generator)
    torch.testing.assert_close(invert_transform(transform), torch.linalg.inv(transform))
    identity = torch.eye(4, dtype=torch.float64).expand(*batch, 4, 4)
    torch.testing.assert_close(compose_transforms(transform, invert_transform(transform)), identity)


def test_compose_applies_the_right_argument_first(generator: torch.Generator) -> None:
    b_from_a, c_from_b = _random_transform((2,), generator)
    points_a = torch.randn(7, 3, generator=generator, dtype=torch.float64)
    c_from_a = compose_transforms(c_from_b, b_from_a)
    torch.testing.assert_close(
        transform_points(c_from_a, points_a), transform_points(c_from_b, transform_points(b_from_a, points_a))
    )
    # The other order is a different transform: the test would notice a swapped product.
    assert not torch.allclose(compose_transforms(b_from_a, c_from_b), c_from_a)


@pytest.mark.parametrize("batch", BATCHES)
def test_pose_vector_round_trip_and_scipy(batch: tuple[int, ...], generator: torch.Generator) -> None:
    axis_angle = torch.randn(*batch, 3, generator=generator, dtype=torch.float64).clamp(-1.5, 1.5)
    translation = torch.randn(*batch, 3, generator=generator, dtype=torch.float64)
    transform = pose_vector_to_transform(axis_angle, translation)
    expected = Rotation.from_rotvec(axis_angle.reshape(-1, 3).numpy()).as_matrix().reshape(*batch, 3, 3)
    np.testing.assert_allclose(transform[..., :3, :3].numpy(), expected, atol=1e-14)
    recovered_axis_angle, recovered_translation = transform_to_pose_vector(transform)
    torch.testing.assert_close(recovered_axis_angle, axis_angle)
    torch.testing.assert_close(recovered_translation, translation)


def test_ros_pose_hand_worked() -> None:
    # base_to_camera of a forward-looking camera, the usual optical-frame quaternion (-0.5, 0.5, -0.5, 0.5):
    # optical z along base x, optical x along base -y, optical y along base -z.
    pose = torch.tensor([0.2, 0.0, 1.1, -0.5, 0.5, -0.5, 0.5], dtype=torch.float64)
    base_from_camera = transform_from_translation_quaternion(pose)
    expected_rotation = torch.tensor([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]], dtype=torch.float64)
    torch.testing.assert_close(base_from_camera[:3, :3], expected_rotation)
    torch.testing.assert_close(base_from_camera[:3, 3], pose[:3])


@pytest.mark.parametrize("batch", BATCHES)
def test_ros_pose_round_trip_and_scipy(batch: tuple[int, ...], generator: torch.Generator) -> None:
    quaternion = torch.randn(*batch, 4, generator=generator, dtype=torch.float64)
    quaternion = quaternion / quaternion.norm(dim=-1, keepdim=True)
    quaternion = quaternion * torch.where(quaternion[..., 3:] < 0, -1.0, 1.0)
    pose = torch.cat((torch.randn(*batch, 3, generator=generator, dtype=torch.float64), quaternion), dim=-1)
    transform = transform_from_translation_quaternion(pose)
    expected = Rotation.from_quat(quaternion.reshape(-1, 4).numpy()).as_matrix().reshape(*batch, 3, 3)
    np.testing.assert_allclose(transform[..., :3, :3].numpy(), expected, atol=1e-14)
    torch.testing.assert_close(transform_to_translation_quaternion(transform), pose)


def test_gradients_flow_through_pose_and_points(generator: torch.Generator) -> None:
    axis_angle = torch.randn(2, 3, generator=generator, dtype=torch.float64).requires_grad_()
    translation = torch.randn(2, 3, generator=generator, dtype=torch.float64).requires_grad_()
    points = torch.randn(2, 4, 3, generator=generator, dtype=torch.float64).requires_grad_()

    def moved(axis_angle: torch.Tensor, translation: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        return transform_points(invert_transform(pose_vector_to_transform(axis_angle, translation)), points)

    assert torch.autograd.gradcheck(moved, (axis_angle, translation, points))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_transform(torch.eye(4), torch.zeros(3)), r"rotation must have shape \(\*, 3, 3\), got \(4, 4\)"),
        (lambda: make_transform(torch.eye(3), torch.zeros(4)), r"translation must have shape \(\*, 3\), got \(4,\)"),
        (lambda: invert_transform(torch.eye(3)), r"transform must have shape \(\*, 4, 4\), got \(3, 3\)"),
        (lambda: compose_transforms(torch.eye(4), torch.eye(3)), r"second must have shape \(\*, 4, 4\)"),
        (lambda: transform_points(torch.eye(4), torch.zeros(5, 4)), r"points must have shape \(\*, N, 3\)"),
        (lambda: transform_from_translation_quaternion(torch.zeros(6)), r"pose must have shape \(\*, 7\), got \(6,\)"),
    ],
)
def test_shape_errors_name_the_argument(call: object, message: str) -> None:
    with pytest.raises(ShapeError, match=message):
        call()
