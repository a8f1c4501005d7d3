"""pixel_grid, backproject and project."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mono_depth_ros.core.geometry import ShapeError, backproject, pixel_grid, project


def _numpy_backproject(depth: np.ndarray, camera_matrix: np.ndarray) -> np.ndarray:
    """Independent reference: depth * K^-1 (u, v, 1), pixel by pixel."""
    inverse = np.linalg.inv(camera_matrix)
    height, width = depth.shape
    points = np.empty((height, width, 3))
    for v in range(height):
        for u in range(width):
            points[v, u] = depth[v, u] * (inverse @ np.array([u, v, 1.0]))
    return points


def test_pixel_grid_holds_column_then_row() -> None:
    grid = pixel_grid(2, 3, dtype=torch.float64)
    assert grid.shape == (2, 3, 2)
    assert grid.dtype == torch.float64
    expected = [[[0, 0], [1, 0], [2, 0]], [[0, 1], [1, 1], [2, 1]]]
    torch.testing.assert_close(grid, torch.tensor(expected, dtype=torch.float64))


def test_backproject_hand_worked_pixel() -> None:
    camera_matrix = torch.tensor([[2.0, 0.0, 1.0], [0.0, 4.0, 0.5], [0.0, 0.0, 1.0]])
    depth = torch.full((2, 3), 3.0)
    points = backproject(depth, camera_matrix)
    # Pixel (u=2, v=1): x = (2 - 1) / 2 * 3, y = (1 - 0.5) / 4 * 3.
    torch.testing.assert_close(points[1, 2], torch.tensor([1.5, 0.375, 3.0]))


def test_backproject_matches_inverse_camera_matrix_with_skew(rng: np.random.Generator) -> None:
    camera_matrix = np.array([[7.0, 0.3, 3.7], [0.0, 6.5, 2.4], [0.0, 0.0, 1.0]])
    depth = rng.uniform(1.0, 10.0, size=(6, 8))
    points = backproject(torch.from_numpy(depth), torch.from_numpy(camera_matrix))
    np.testing.assert_allclose(points.numpy(), _numpy_backproject(depth, camera_matrix), rtol=1e-12)


@pytest.mark.parametrize(
    ("depth_batch", "matrix_batch", "expected_batch"),
    [((), (), ()), ((2,), (), (2,)), ((), (2,), (2,)), ((2, 3), (3,), (2, 3)), ((2, 1), (1, 4), (2, 4))],
)
def test_backproject_batch_dimensions_broadcast(
    camera_matrix: torch.Tensor,
    depth_batch: tuple[int, ...],
    matrix_batch: tuple[int, ...],
    expected_batch: tuple[int, ...],
) -> None:
    depth = torch.rand(*depth_batch, 6, 8, dtype=torch.float64) + 1
    matrices = camera_matrix.expand(*matrix_batch, 3, 3)
    points = backproject(depth, matrices)
    assert points.shape == (*expected_batch, 6, 8, 3)
    torch.testing.assert_close(points[..., 2], depth.expand(*expected_batch, 6, 8))


def test_backproject_propagates_non_finite_depth(camera_matrix: torch.Tensor) -> None:
    depth = torch.ones(6, 8, dtype=torch.float64)
    depth[1, 2] = float("nan")
    depth[3, 4] = float("inf")
    points = backproject(depth, camera_matrix)
    assert torch.isnan(points[1, 2]).all()
    assert not torch.isfinite(points[3, 4]).all()
    finite = torch.isfinite(points).all(-1)
    assert finite.sum() == 6 * 8 - 2


def test_project_hand_worked_point() -> None:
    camera_matrix = torch.tensor([[2.0, 0.0, 1.0], [0.0, 4.0, 0.5], [0.0, 0.0, 1.0]])
    pixels, z = project(torch.tensor([[1.5, 0.375, 3.0]]), camera_matrix)
    torch.testing.assert_close(pixels, torch.tensor([[2.0, 1.0]]))
    torch.testing.assert_close(z, torch.tensor([3.0]))


@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
def test_backproject_then_project_is_identity(camera_matrix: torch.Tensor, batch: tuple[int, ...]) -> None:
    skewed = camera_matrix.clone()
    skewed[0, 1] = 0.2
    depth = torch.rand(*batch, 6, 8, dtype=torch.float64) * 50 + 0.1
    points = backproject(depth, skewed)
    pixels, z = project(points.reshape(*batch, 48, 3), skewed)
    assert pixels.shape == (*batch, 48, 2)
    assert z.shape == (*batch, 48)
    grid = pixel_grid(6, 8, dtype=torch.float64).reshape(48, 2)
    torch.testing.assert_close(pixels, grid.expand(*batch, 48, 2))
    torch.testing.assert_close(z, depth.reshape(*batch, 48))


def test_project_keeps_the_sign_of_z_and_stays_finite_at_zero(camera_matrix: torch.Tensor) -> None:
    points = torch.tensor([[1.0, 1.0, -2.0], [1.0, 1.0, 2.0], [1.0, 1.0, 0.0]], dtype=torch.float64)
    pixels, z = project(points, camera_matrix)
    torch.testing.assert_close(z, points[:, 2])
    # Behind the camera the image is mirrored through the principal point, as a pinhole does.
    torch.testing.assert_close(pixels[0] - camera_matrix[:2, 2], -(pixels[1] - camera_matrix[:2, 2]))
    assert torch.isfinite(pixels[2]).all()
    # z = 0 is divided by eps instead: (fx x + cx z, fy y + cy z) / eps.
    torch.testing.assert_close(pixels[2], torch.tensor([7.0, 6.5], dtype=torch.float64) / 1e-6)


def test_project_broadcasts_camera_matrices_over_points(camera_matrix: torch.Tensor) -> None:
    matrices = torch.stack((camera_matrix, 2 * camera_matrix))
    matrices[1, 2, 2] = 1.0
    points = torch.tensor([[0.5, -0.25, 2.0]], dtype=torch.float64)
    pixels, z = project(points, matrices)
    assert pixels.shape == (2, 1, 2)
    assert z.shape == (2, 1)
    torch.testing.assert_close(pixels[1] - 2 * camera_matrix[:2, 2], 2 * (pixels[0] - camera_matrix[:2, 2]))


def test_backproject_and_project_gradients(camera_matrix: torch.Tensor) -> None:
    depth = (torch.rand(2, 3, 4, dtype=torch.float64) + 1).requires_grad_()
    matrix = camera_matrix.clone().requires_grad_()
    assert torch.autograd.gradcheck(backproject, (depth, matrix))
    points = (torch.rand(2, 5, 3, dtype=torch.float64) + torch.tensor([0.0, 0.0, 1.0])).requires_grad_()
    assert torch.autograd.gradcheck(lambda p, k: project(p, k)[0], (points, matrix))


def test_gradient_of_a_point_at_the_guard_is_finite(camera_matrix: torch.Tensor) -> None:
    points = torch.tensor([[1.0, 1.0, 0.0]], dtype=torch.float64, requires_grad=True)
    project(points, camera_matrix)[0].sum().backward()
    assert torch.isfinite(points.grad).all()


def test_shape_errors_name_the_argument(camera_matrix: torch.Tensor) -> None:
    with pytest.raises(ShapeError, match=r"depth must have shape \(\*, H, W\), got \(8,\)"):
        backproject(torch.ones(8), camera_matrix)
    with pytest.raises(ShapeError, match=r"camera_matrix must have shape \(\*, 3, 3\), got \(3, 4\)"):
        backproject(torch.ones(6, 8), torch.zeros(3, 4))
    with pytest.raises(ShapeError, match=r"points must have shape \(\*, N, 3\), got \(5, 2\)"):
        project(torch.ones(5, 2), camera_matrix)
    with pytest.raises(ShapeError, match=r"camera_matrix must have shape \(\*, 3, 3\), got \(4, 4\)"):
        project(torch.ones(5, 3), torch.eye(4))
