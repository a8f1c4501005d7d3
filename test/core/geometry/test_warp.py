"""View synthesis: exact integer shifts, validity, an independent bilinear reference, gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mono_depth_ros.core.geometry import (
    ShapeError,
    make_transform,
    pixel_grid,
    pose_vector_to_transform,
    sample_at_pixels,
    warp_source_to_target,
)

HEIGHT, WIDTH, CHANNELS = 6, 8, 3
FOCAL, PLANE_DEPTH = 100.0, 10.0


def _camera(dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor([[FOCAL, 0.0, 3.5], [0.0, FOCAL, 2.5], [0.0, 0.0, 1.0]], dtype=dtype)


def _translation(x: float = 0.0, y: float = 0.0, z: float = 0.0, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """source_from_target for a source camera displaced by -(x, y, z) from the target: p_s = p_t + (x, y, z)."""
    return make_transform(torch.eye(3, dtype=dtype), torch.tensor([x, y, z], dtype=dtype))


def _bilinear_reference(image: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """Independent bilinear sampling (C, H, W) at (h, w, 2) pixel-centre coordinates inside the image."""
    channels, height, width = image.shape
    out = np.empty((channels, *pixels.shape[:2]))
    for row in range(pixels.shape[0]):
        for col in range(pixels.shape[1]):
            u, v = pixels[row, col]
            u0, v0 = min(int(np.floor(u)), width - 2), min(int(np.floor(v)), height - 2)
            du, dv = u - u0, v - v0
            out[:, row, col] = (
                (1 - du) * (1 - dv) * image[:, v0, u0]
                + du * (1 - dv) * image[:, v0, u0 + 1]
                + (1 - du) * dv * image[:, v0 + 1, u0]
                + du * dv * image[:, v0 + 1, u0 + 1]
            )
    return out


@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
@pytest.mark.parametrize("shift", [1, 3, -2])
def test_fronto_parallel_plane_with_integer_disparity_shifts_the_image(
    batch: tuple[int, ...], shift: int, generator: torch.Generator
) -> None:
    source = torch.rand(*batch, CHANNELS, HEIGHT, WIDTH, generator=generator, dtype=torch.float64)
    depth = torch.full((*batch, HEIGHT, WIDTH), PLANE_DEPTH, dtype=torch.float64)
    # A source camera `baseline` to the right sees the plane `shift` pixels further left: u_s = u_t - shift.
    baseline = shift * PLANE_DEPTH / FOCAL
    result = warp_source_to_target(source, depth, _translation(x=-baseline), _camera())
    assert result.image.shape == (*batch, CHANNELS, HEIGHT, WIDTH)
    assert result.valid.shape == (*batch, HEIGHT, WIDTH)
    assert result.source_pixels.shape == (*batch, HEIGHT, WIDTH, 2)
    assert result.source_points.shape == (*batch, HEIGHT, WIDTH, 3)

    columns = torch.arange(WIDTH)
    expected_valid = ((columns - shift >= 0) & (columns - shift < WIDTH)).expand(*batch, HEIGHT, WIDTH)
    torch.testing.assert_close(result.valid, expected_valid)
    shifted = torch.roll(source, shifts=shift, dims=-1)
    mask = expected_valid[..., None, :, :].expand_as(shifted)
    torch.testing.assert_close(result.image[mask], shifted[mask], atol=1e-12, rtol=0)
    expected_pixels = pixel_grid(HEIGHT, WIDTH, dtype=torch.float64) - torch.tensor([shift, 0.0]).double()
    torch.testing.assert_close(result.source_pixels, expected_pixels.expand(*batch, HEIGHT, WIDTH, 2))


def test_vertical_shift_in_float32_masks_the_top_band(generator: torch.Generator) -> None:
    source = torch.rand(CHANNELS, HEIGHT, WIDTH, generator=generator)
    depth = torch.full((HEIGHT, WIDTH), PLANE_DEPTH)
    result = warp_source_to_target(
        source, depth, _translation(y=-2 * PLANE_DEPTH / FOCAL, dtype=torch.float32), _camera(torch.float32)
    )
    assert not result.valid[:2].any()
    assert result.valid[2:].all()
    torch.testing.assert_close(result.image[:, 2:], source[:, :-2], atol=1e-5, rtol=0)


def test_half_pixel_shift_averages_neighbours_and_drops_the_partial_column(generator: torch.Generator) -> None:
    source = torch.rand(CHANNELS, HEIGHT, WIDTH, generator=generator, dtype=torch.float64)
    depth = torch.full((HEIGHT, WIDTH), PLANE_DEPTH, dtype=torch.float64)
    result = warp_source_to_target(source, depth, _translation(x=-0.5 * PLANE_DEPTH / FOCAL), _camera())
    # Column 0 would sample at u = -0.5, outside the pixel-centre range: border padding, not interpolation.
    assert not result.valid[:, 0].any()
    assert result.valid[:, 1:].all()
    torch.testing.assert_close(result.image[..., 1:], (source[..., 1:] + source[..., :-1]) / 2)


def test_identity_pose_reproduces_the_image(generator: torch.Generator) -> None:
    source = torch.rand(CHANNELS, HEIGHT, WIDTH, generator=generator, dtype=torch.float64)
    depth = torch.rand(HEIGHT, WIDTH, generator=generator, dtype=torch.float64) * 20 + 1
    result = warp_source_to_target(source, depth, torch.eye(4, dtype=torch.float64), _camera())
    assert result.valid.all()
    torch.testing.assert_close(result.image, source)


def test_matches_an_independent_bilinear_reference(generator: torch.Generator) -> None:
    source = torch.rand(2, CHANNELS, HEIGHT, WIDTH, generator=generator, dtype=torch.float64)
    depth = torch.rand(2, HEIGHT, WIDTH, generator=generator, dtype=torch.float64) * 10 + 5
    axis_angle = torch.tensor([[0.001, -0.002, 0.003], [-0.002, 0.001, 0.0]], dtype=torch.float64)
    translation = torch.tensor([[0.07, -0.03, 0.2], [-0.05, 0.04, -0.1]], dtype=torch.float64)
    result = warp_source_to_target(source, depth, pose_vector_to_transform(axis_angle, translation), _camera())
    assert result.valid.any()
    assert not result.valid.all()
    for b in range(2):
        reference = _bilinear_reference(source[b].numpy(), result.source_pixels[b].numpy().clip(0, None))
        valid = result.valid[b].numpy()
        np.testing.assert_allclose(result.image[b].numpy()[:, valid], reference[:, valid], atol=1e-12)


def test_points_behind_the_source_camera_are_invalid(generator: torch.Generator) -> None:
    source = torch.rand(CHANNELS, HEIGHT, WIDTH, generator=generator, dtype=torch.float64)
    depth = torch.full((HEIGHT, WIDTH), PLANE_DEPTH, dtype=torch.float64)
    # Moving the source camera 2 plane depths forward puts the plane behind it; the mirrored image would otherwise
    # land back inside the frame.
    result = warp_source_to_target(source, depth, _translation(z=-2 * PLANE_DEPTH), _camera())
    assert not result.valid.any()
    assert (result.source_points[..., 2] < 0).all()


def test_non_finite_depth_is_invalid_and_sampling_stays_finite(generator: torch.Generator) -> None:
    source = torch.rand(CHANNELS, HEIGHT, WIDTH, generator=generator, dtype=torch.float64)
    depth = torch.full((HEIGHT, WIDTH), PLANE_DEPTH, dtype=torch.float64)
    depth[1, 1] = float("nan")
    depth[2, 2] = float("inf")
    result = warp_source_to_target(source, depth, torch.eye(4, dtype=torch.float64), _camera())
    assert not result.valid[1, 1]
    assert not result.valid[2, 2]
    assert result.valid.sum() == HEIGHT * WIDTH - 2
    assert torch.isfinite(result.image).all()


def test_one_image_broadcasts_over_several_poses(generator: torch.Generator) -> None:
    source = torch.rand(CHANNELS, HEIGHT, WIDTH, generator=generator, dtype=torch.float64)
    depth = torch.full((HEIGHT, WIDTH), PLANE_DEPTH, dtype=torch.float64)
    poses = torch.stack((_translation(x=-0.1), _translation(x=-0.2)))
    result = warp_source_to_target(source, depth, poses, _camera())
    assert result.image.shape == (2, CHANNELS, HEIGHT, WIDTH)
    torch.testing.assert_close(result.image[1, :, :, 2:], source[:, :, :-2])
    assert result.valid[0, :, 1:].all()
    assert not result.valid[1, :, :2].any()


def test_gradients_reach_image_depth_and_pose(generator: torch.Generator) -> None:
    source = torch.rand(1, 2, 4, 5, generator=generator, dtype=torch.float64).requires_grad_()
    depth = (torch.rand(1, 4, 5, generator=generator, dtype=torch.float64) * 2 + 4).requires_grad_()
    axis_angle = torch.tensor([[0.002, -0.001, 0.003]], dtype=torch.float64, requires_grad=True)
    translation = torch.tensor([[0.013, 0.011, 0.02]], dtype=torch.float64, requires_grad=True)
    camera = torch.tensor([[10.0, 0.0, 2.0], [0.0, 10.0, 1.5], [0.0, 0.0, 1.0]], dtype=torch.float64)

    def warped(
        source: torch.Tensor, depth: torch.Tensor, axis_angle: torch.Tensor, translation: torch.Tensor
    ) -> torch.Tensor:
        pose = pose_vector_to_transform(axis_angle, translation)
        return warp_source_to_target(source, depth, pose, camera).image

    assert torch.autograd.gradcheck(warped, (source, depth, axis_angle, translation))


def test_sample_at_pixels_hand_worked() -> None:
    image = torch.arange(12, dtype=torch.float64).reshape(1, 3, 4)
    pixels = torch.tensor([[[1.0, 1.0], [1.5, 1.0], [1.0, 0.5], [-3.0, 1.0], [float("nan"), 0.0]]]).double()
    sampled = sample_at_pixels(image, pixels)
    expected = torch.tensor([[[5.0, 5.5, 3.0, 4.0, 0.0]]], dtype=torch.float64)
    torch.testing.assert_close(sampled, expected)


def test_shape_errors_name_the_argument() -> None:
    image = torch.zeros(3, HEIGHT, WIDTH)
    depth = torch.ones(HEIGHT, WIDTH)
    with pytest.raises(ShapeError, match=rf"target_depth must have shape \(\*, H, W\) with H={HEIGHT}, got \(5, 8\)"):
        warp_source_to_target(image, torch.ones(5, WIDTH), torch.eye(4), _camera(torch.float32))
    with pytest.raises(ShapeError, match=r"source_from_target must have shape \(\*, 4, 4\), got \(3, 4\)"):
        warp_source_to_target(image, depth, torch.eye(4)[:3], _camera(torch.float32))
    with pytest.raises(ShapeError, match=r"camera_matrix must have shape \(\*, 3, 3\)"):
        warp_source_to_target(image, depth, torch.eye(4), torch.eye(4))
    with pytest.raises(ShapeError, match=r"source_image must have shape \(\*, C, H, W\), got \(6, 8\)"):
        warp_source_to_target(depth, depth, torch.eye(4), _camera(torch.float32))
    with pytest.raises(ShapeError, match=r"pixels must have shape \(\*, h, w, 2\), got \(4, 3\)"):
        sample_at_pixels(image, torch.zeros(4, 3))
