"""Axis-angle and quaternion conversions, checked against scipy.spatial.transform.Rotation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from mono_depth_ros.core.geometry import (
    ShapeError,
    axis_angle_to_matrix,
    axis_angle_to_quaternion,
    matrix_to_axis_angle,
    matrix_to_quaternion,
    quaternion_to_axis_angle,
    quaternion_to_matrix,
    skew_matrix,
)

BATCHES = [(), (4,), (2, 3)]


def _random_axis_angle(batch: tuple[int, ...], generator: torch.Generator, max_angle: float = 3.0) -> torch.Tensor:
    axis = torch.nn.functional.normalize(torch.randn(*batch, 3, generator=generator, dtype=torch.float64), dim=-1)
    angle = torch.rand(*batch, 1, generator=generator, dtype=torch.float64) * max_angle
    return axis * angle


def _canonical(quaternion: torch.Tensor) -> torch.Tensor:
    """q with w >= 0, the representative both implementations are compared in."""
    return quaternion * torch.where(quaternion[..., 3:] < 0, -1.0, 1.0)


def test_skew_matrix_is_the_cross_product(generator: torch.Generator) -> None:
    a, b = torch.randn(2, 5, 3, generator=generator, dtype=torch.float64)
    torch.testing.assert_close((skew_matrix(a) @ b[..., None])[..., 0], torch.linalg.cross(a, b))


@pytest.mark.parametrize("batch", BATCHES)
def test_axis_angle_to_matrix_matches_scipy(batch: tuple[int, ...], generator: torch.Generator) -> None:
    axis_angle = _random_axis_angle(batch, generator)
    matrix = axis_angle_to_matrix(axis_angle)
    assert matrix.shape == (*batch, 3, 3)
    expected = Rotation.from_rotvec(axis_angle.reshape(-1, 3).numpy()).as_matrix().reshape(*batch, 3, 3)
    np.testing.assert_allclose(matrix.numpy(), expected, atol=1e-14)


@pytest.mark.parametrize("angle", [0.0, 1e-12, 1e-6, 9.99e-3, 1.001e-2, 0.3])
def test_axis_angle_to_matrix_small_angles_match_scipy(angle: float) -> None:
    axis_angle = torch.tensor([0.48, -0.6, 0.64], dtype=torch.float64) * angle
    expected = Rotation.from_rotvec(axis_angle.numpy()).as_matrix()
    np.testing.assert_allclose(axis_angle_to_matrix(axis_angle).numpy(), expected, rtol=0, atol=5e-16)


def test_axis_angle_to_matrix_gradient_at_zero_is_the_generator() -> None:
    axis_angle = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    jacobian = torch.autograd.functional.jacobian(axis_angle_to_matrix, axis_angle)
    for i in range(3):
        expected = skew_matrix(torch.eye(3, dtype=torch.float64)[i])
        torch.testing.assert_close(jacobian[..., i], expected)


@pytest.mark.parametrize("scale", [0.0, 1e-4, 1.0])
def test_axis_angle_to_matrix_gradcheck(scale: float, generator: torch.Generator) -> None:
    axis_angle = (_random_axis_angle((3,), generator) * scale).requires_grad_()
    assert torch.autograd.gradcheck(axis_angle_to_matrix, (axis_angle,))


def test_axis_angle_to_matrix_float32_is_orthonormal(generator: torch.Generator) -> None:
    matrix = axis_angle_to_matrix(_random_axis_angle((100,), generator).float())
    identity = matrix @ matrix.transpose(-1, -2)
    torch.testing.assert_close(identity, torch.eye(3).expand(100, 3, 3), atol=1e-6, rtol=0)


@pytest.mark.parametrize("batch", BATCHES)
def test_matrix_to_axis_angle_matches_scipy(batch: tuple[int, ...], generator: torch.Generator) -> None:
    axis_angle = _random_axis_angle(batch, generator)
    matrix = axis_angle_to_matrix(axis_angle)
    result = matrix_to_axis_angle(matrix)
    assert result.shape == (*batch, 3)
    expected = Rotation.from_matrix(matrix.reshape(-1, 3, 3).numpy()).as_rotvec().reshape(*batch, 3)
    np.testing.assert_allclose(result.numpy(), expected, atol=1e-12)
    np.testing.assert_allclose(result.numpy(), axis_angle.numpy(), atol=1e-12)


@pytest.mark.parametrize("angle", [0.0, 1e-9, 1e-5, 1e-2, math.pi - 1e-3, math.pi - 1e-7])
def test_matrix_to_axis_angle_is_accurate_near_zero_and_pi(angle: float) -> None:
    axis_angle = torch.tensor([0.48, -0.6, 0.64], dtype=torch.float64) * angle
    result = matrix_to_axis_angle(axis_angle_to_matrix(axis_angle))
    np.testing.assert_allclose(result.numpy(), axis_angle.numpy(), rtol=1e-9, atol=1e-15)


def test_matrix_to_axis_angle_at_exactly_pi_returns_a_half_turn_about_the_axis() -> None:
    axis = torch.tensor([0.48, -0.6, 0.64], dtype=torch.float64)
    half_turn = 2 * torch.outer(axis, axis) - torch.eye(3, dtype=torch.float64)
    result = matrix_to_axis_angle(half_turn)
    # Either sign of the axis describes the same half turn.
    assert torch.allclose(result, math.pi * axis, atol=1e-12) or torch.allclose(result, -math.pi * axis, atol=1e-12)


def test_matrix_to_axis_angle_float32_near_pi_keeps_precision() -> None:
    axis_angle = torch.tensor([0.48, -0.6, 0.64]) * (math.pi - 1e-3)
    result = matrix_to_axis_angle(axis_angle_to_matrix(axis_angle))
    torch.testing.assert_close(result, axis_angle, atol=2e-5, rtol=0)


def test_matrix_to_axis_angle_gradcheck(generator: torch.Generator) -> None:
    for scale in (1e-3, 1.0, 2.9):
        matrix = axis_angle_to_matrix(_random_axis_angle((2,), generator, max_angle=1.0) * scale).requires_grad_()
        assert torch.autograd.gradcheck(matrix_to_axis_angle, (matrix,))


def test_inverse_conversions_are_differentiable_at_the_identity() -> None:
    identity = torch.eye(3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(matrix_to_axis_angle, (identity,))
    unit = torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(quaternion_to_axis_angle, (unit,))
    zero = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(axis_angle_to_quaternion, (zero,))


@pytest.mark.parametrize("batch", BATCHES)
def test_quaternion_to_matrix_matches_scipy_in_ros_order(batch: tuple[int, ...], generator: torch.Generator) -> None:
    # Not normalised on purpose: both implementations normalise.
    quaternion = torch.randn(*batch, 4, generator=generator, dtype=torch.float64) * 3
    matrix = quaternion_to_matrix(quaternion)
    assert matrix.shape == (*batch, 3, 3)
    expected = Rotation.from_quat(quaternion.reshape(-1, 4).numpy()).as_matrix().reshape(*batch, 3, 3)
    np.testing.assert_allclose(matrix.numpy(), expected, atol=1e-14)


def test_quaternion_order_is_x_y_z_w() -> None:
    quarter_turn_about_z = torch.tensor([0.0, 0.0, math.sin(math.pi / 4), math.cos(math.pi / 4)], dtype=torch.float64)
    x_axis = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    torch.testing.assert_close(
        quaternion_to_matrix(quarter_turn_about_z) @ x_axis, torch.tensor([0.0, 1.0, 0.0]).double()
    )


def test_zero_quaternion_gives_nan() -> None:
    assert torch.isnan(quaternion_to_matrix(torch.zeros(4))).all()


@pytest.mark.parametrize("batch", BATCHES)
def test_matrix_to_quaternion_matches_scipy(batch: tuple[int, ...], generator: torch.Generator) -> None:
    matrix = axis_angle_to_matrix(_random_axis_angle(batch, generator))
    quaternion = matrix_to_quaternion(matrix)
    assert quaternion.shape == (*batch, 4)
    assert (quaternion[..., 3] >= 0).all()
    expected = Rotation.from_matrix(matrix.reshape(-1, 3, 3).numpy()).as_quat().reshape(*batch, 4)
    np.testing.assert_allclose(quaternion.numpy(), _canonical(torch.from_numpy(expected)).numpy(), atol=1e-14)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_matrix_to_quaternion_half_turns_about_coordinate_axes(axis: int) -> None:
    signs = -torch.ones(3, dtype=torch.float64)
    signs[axis] = 1
    quaternion = matrix_to_quaternion(torch.diag(signs))
    expected = torch.zeros(4, dtype=torch.float64)
    expected[axis] = 1
    torch.testing.assert_close(quaternion, expected)


def test_matrix_to_quaternion_normalises_nearly_orthonormal_input(generator: torch.Generator) -> None:
    matrix = axis_angle_to_matrix(_random_axis_angle((10,), generator)) * (1 + 1e-4)
    torch.testing.assert_close(matrix_to_quaternion(matrix).norm(dim=-1), torch.ones(10, dtype=torch.float64))


def test_matrix_to_quaternion_gradcheck_on_every_branch() -> None:
    # Rotations whose largest quaternion component is w, x, y and z in turn.
    axis_angles = torch.tensor([[0.1, 0.2, 0.3], [2.8, 0.3, 0.2], [0.2, 2.8, 0.3], [0.3, 0.2, 2.8]]).double()
    matrix = axis_angle_to_matrix(axis_angles).requires_grad_()
    assert torch.autograd.gradcheck(matrix_to_quaternion, (matrix,))


@pytest.mark.parametrize("batch", BATCHES)
def test_axis_angle_to_quaternion_matches_scipy(batch: tuple[int, ...], generator: torch.Generator) -> None:
    axis_angle = _random_axis_angle(batch, generator)
    quaternion = axis_angle_to_quaternion(axis_angle)
    expected = Rotation.from_rotvec(axis_angle.reshape(-1, 3).numpy()).as_quat().reshape(*batch, 4)
    np.testing.assert_allclose(quaternion.numpy(), expected, atol=1e-14)


def test_quaternion_to_axis_angle_inverts_and_ignores_sign(generator: torch.Generator) -> None:
    axis_angle = torch.cat((_random_axis_angle((5,), generator), torch.zeros(1, 3, dtype=torch.float64)))
    quaternion = axis_angle_to_quaternion(axis_angle)
    torch.testing.assert_close(quaternion_to_axis_angle(quaternion), axis_angle)
    torch.testing.assert_close(quaternion_to_axis_angle(-2 * quaternion), axis_angle)


def test_quaternion_conversions_gradcheck(generator: torch.Generator) -> None:
    axis_angle = torch.cat((_random_axis_angle((3,), generator), torch.full((1, 3), 1e-4).double())).requires_grad_()
    assert torch.autograd.gradcheck(axis_angle_to_quaternion, (axis_angle,))
    quaternion = axis_angle_to_quaternion(axis_angle).detach().requires_grad_()
    assert torch.autograd.gradcheck(quaternion_to_axis_angle, (quaternion,))
    assert torch.autograd.gradcheck(quaternion_to_matrix, (quaternion,))


@pytest.mark.parametrize(
    ("function", "argument", "message"),
    [
        (axis_angle_to_matrix, torch.zeros(4), r"axis_angle must have shape \(\*, 3\), got \(4,\)"),
        (matrix_to_axis_angle, torch.zeros(3), r"matrix must have shape \(\*, 3, 3\), got \(3,\)"),
        (quaternion_to_matrix, torch.zeros(2, 3), r"quaternion must have shape \(\*, 4\), got \(2, 3\)"),
        (matrix_to_quaternion, torch.zeros(4, 4), r"matrix must have shape \(\*, 3, 3\), got \(4, 4\)"),
        (skew_matrix, torch.zeros(2), r"vector must have shape \(\*, 3\), got \(2,\)"),
    ],
)
def test_shape_errors_name_the_argument(function: object, argument: torch.Tensor, message: str) -> None:
    with pytest.raises(ShapeError, match=message):
        function(argument)
