"""The scale-aware geometric loss on an analytic scene: the inside of a sphere seen by two cameras.

Both depth maps are exact ray-sphere intersections, so with the true pose the moved target cloud and the source
cloud agree up to the bilinear resampling of the smooth source depth (about 1e-4 of the depth here).
"""

from __future__ import annotations

import pytest
import torch

from mono_depth_ros.core.geometry import (
    invert_transform,
    pixel_grid,
    pose_vector_to_transform,
    warp_source_to_target,
)
from mono_depth_ros.core.losses import SAG_WEIGHT, LossError, ShapeError, sag_loss

HEIGHT, WIDTH, FOCAL = 48, 64, 60.0
CENTRE, RADIUS = (0.5, -0.3, 6.0), 12.0


def _camera(dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor([[FOCAL, 0.0, 31.5], [0.0, FOCAL, 23.5], [0.0, 0.0, 1.0]], dtype=dtype)


def _sphere_depth(camera_from_world: torch.Tensor) -> torch.Tensor:
    """(H, W) depth of the sphere (given in the target = world frame) seen by a camera at camera_from_world."""
    centre = (camera_from_world[:3, :3] @ torch.tensor(CENTRE, dtype=torch.float64)) + camera_from_world[:3, 3]
    grid = pixel_grid(HEIGHT, WIDTH, dtype=torch.float64)
    rays = torch.stack(((grid[..., 0] - 31.5) / FOCAL, (grid[..., 1] - 23.5) / FOCAL, torch.ones(HEIGHT, WIDTH)), -1)
    # |t r - c|^2 = R^2 with r = (x, y, 1): t is the depth; the camera is inside, so take the positive root.
    a = (rays * rays).sum(-1)
    b = (rays * centre).sum(-1)
    c = (centre * centre).sum() - RADIUS**2
    return (b + torch.sqrt(b * b - a * c)) / a


def _pose() -> torch.Tensor:
    """source_from_target: a small rotation and a forward-left step."""
    return pose_vector_to_transform(
        torch.tensor([0.02, -0.03, 0.01], dtype=torch.float64), torch.tensor([0.1, -0.05, -0.5], dtype=torch.float64)
    )


@pytest.fixture(scope="module")
def scene() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    pose = _pose()
    return _sphere_depth(torch.eye(4, dtype=torch.float64)), _sphere_depth(pose), pose


def test_true_depths_and_pose_align_with_identity(scene: tuple) -> None:
    target_depth, source_depth, pose = scene
    result = sag_loss(target_depth, source_depth, pose, _camera())
    assert bool(result.used)
    assert result.points.item() > 0.8 * HEIGHT * WIDTH
    assert result.rotation.item() < 1e-4
    assert result.translation.item() < 1e-3
    assert abs(result.similarity.scale.item() - 1) < 1e-4
    assert result.scale.item() == 0.0  # no mu given
    torch.testing.assert_close(result.total, result.rotation + result.translation)


@pytest.mark.parametrize("factor", [0.5, 1.3])
def test_a_scale_inconsistent_source_gives_tau_and_the_scale_term(factor: float, scene: tuple) -> None:
    target_depth, source_depth, pose = scene
    mu_target, mu_source = torch.tensor(2.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)
    result = sag_loss(target_depth, factor * source_depth, pose, _camera(), mu_target=mu_target, mu_source=mu_source)
    assert abs(result.similarity.scale.item() - factor) < 1e-3
    assert result.rotation.item() < 1e-4
    assert result.translation.item() < 1e-3
    # |mu_t / mu_s - tau mu_t / mu_s| = 2 |1 - factor|.
    assert result.scale.item() == pytest.approx(2 * abs(1 - factor), abs=2e-3)


def test_a_wrong_pose_is_penalised(scene: tuple) -> None:
    target_depth, source_depth, pose = scene
    good = sag_loss(target_depth, source_depth, pose, _camera())
    wrong = pose.clone()
    wrong[:3, 3] += torch.tensor([0.2, 0.0, 0.1], dtype=torch.float64)
    bad = sag_loss(target_depth, source_depth, wrong, _camera())
    assert bad.translation.item() > 0.1
    assert bad.total.item() > 10 * good.total.item()
    rotated = pose_vector_to_transform(torch.tensor([0.0, 0.05, 0.0], dtype=torch.float64), torch.zeros(3)) @ pose
    # The fit does not recover the whole 0.05 rad (the correspondences move with the error), but far more than 0.
    assert sag_loss(target_depth, source_depth, rotated, _camera()).rotation.item() > 100 * good.rotation.item()


def test_the_mask_keeps_outliers_out(scene: tuple) -> None:
    target_depth, source_depth, pose = scene
    corrupted = source_depth.clone()
    corrupted[10:30, 20:40] *= 3.0
    clean = sag_loss(target_depth, source_depth, pose, _camera())
    # Target pixels whose correspondence samples the corrupted block (or its bilinear neighbours) are unreliable.
    lands = warp_source_to_target((corrupted != source_depth).double()[None], target_depth, pose, _camera()).image[0]
    reliable = lands == 0
    masked = sag_loss(target_depth, corrupted, pose, _camera(), mask=reliable)
    unmasked = sag_loss(target_depth, corrupted, pose, _camera())
    assert masked.total.item() < 2 * clean.total.item() + 1e-4
    assert unmasked.total.item() > 10 * masked.total.item()
    assert masked.points.item() < clean.points.item()
    weights = reliable.double() * 0.5
    torch.testing.assert_close(sag_loss(target_depth, corrupted, pose, _camera(), mask=weights).total, masked.total)


def test_gradients_and_stop_gradients(scene: tuple) -> None:
    target_depth, source_depth, _ = scene
    depth_t = (target_depth * 1.02).requires_grad_()
    depth_s = source_depth.clone().requires_grad_()
    axis_angle = torch.tensor([0.02, -0.03, 0.01], dtype=torch.float64, requires_grad=True)
    translation = torch.tensor([0.12, -0.05, -0.5], dtype=torch.float64, requires_grad=True)
    mu_t = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    mu_s = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    result = sag_loss(
        depth_t,
        depth_s,
        pose_vector_to_transform(axis_angle, translation),
        _camera(),
        mu_target=mu_t,
        mu_source=mu_s,
    )
    result.scale.backward(retain_graph=True)
    # Only the mu receive the scale term's gradient: d|mu_t/mu_s - c| / d mu_t = sign / mu_s.
    assert depth_t.grad is None
    assert depth_s.grad is None
    assert translation.grad is None
    sign = torch.sign(mu_t / mu_s - result.similarity.scale * 2.0).item()
    assert mu_t.grad.item() == pytest.approx(sign / 1.0)
    assert mu_s.grad.item() == pytest.approx(-sign * 2.0 / 1.0)
    (result.rotation + result.translation).backward()
    for grad in (depth_t.grad, depth_s.grad, axis_angle.grad, translation.grad):
        assert grad is not None
        assert bool(torch.isfinite(grad).all())
        assert grad.abs().sum().item() > 0


def test_batch_elements_without_enough_points_are_left_out(scene: tuple) -> None:
    target_depth, source_depth, pose = scene
    wrong = pose.clone()
    wrong[:3, 3] += torch.tensor([0.2, 0.0, 0.1], dtype=torch.float64)
    depths_t = torch.stack((target_depth, target_depth)).requires_grad_()
    mask = torch.ones(2, HEIGHT, WIDTH, dtype=torch.bool)
    mask[1] = False
    mask[1, 24, 30:40] = True  # 10 points in the middle of the image: fewer than the default minimum
    result = sag_loss(
        depths_t, torch.stack((source_depth, source_depth)), torch.stack((pose, wrong)), _camera(), mask=mask
    )
    assert result.used.tolist() == [True, False]
    assert result.points[1].item() == 10
    alone = sag_loss(target_depth, source_depth, pose, _camera())
    torch.testing.assert_close(result.total, alone.total)
    result.total.backward()
    assert bool(torch.isfinite(depths_t.grad).all())
    assert depths_t.grad[1].abs().sum().item() == 0.0
    assert depths_t.grad[0].abs().sum().item() > 0.0
    nothing = sag_loss(target_depth, source_depth, pose, _camera(), mask=torch.zeros(HEIGHT, WIDTH, dtype=torch.bool))
    assert nothing.total.item() == 0.0
    assert not bool(nothing.used)


def test_batch_dimensions_broadcast_and_float32_works(scene: tuple) -> None:
    target_depth, source_depth, pose = scene
    depths = target_depth.float().expand(2, 3, HEIGHT, WIDTH)
    result = sag_loss(depths, source_depth.float(), pose.float(), _camera(torch.float32))
    assert result.points.shape == (2, 3)
    assert result.similarity.rotation.shape == (2, 3, 3, 3)
    assert result.total.dtype == torch.float32
    assert result.total.item() < 1e-2
    back = sag_loss(source_depth, target_depth, invert_transform(pose), _camera())
    assert back.total.item() < 2e-3


def test_sag_weight_is_the_papers() -> None:
    assert SAG_WEIGHT == 0.05


def test_bad_arguments_are_rejected(scene: tuple) -> None:
    target_depth, source_depth, pose = scene
    camera = _camera()
    with pytest.raises(LossError, match="min_points"):
        sag_loss(target_depth, source_depth, pose, camera, min_points=2)
    with pytest.raises(LossError, match="together"):
        sag_loss(target_depth, source_depth, pose, camera, mu_target=torch.tensor(1.0))
    with pytest.raises(LossError, match="non-negative"):
        sag_loss(target_depth, source_depth, pose, camera, mask=-torch.ones(HEIGHT, WIDTH))
    with pytest.raises(LossError, match="bool or floating"):
        sag_loss(target_depth, source_depth, pose, camera, mask=torch.ones(HEIGHT, WIDTH, dtype=torch.int64))
    with pytest.raises(ShapeError, match="mask"):
        sag_loss(target_depth, source_depth, pose, camera, mask=torch.ones(HEIGHT, WIDTH + 1, dtype=torch.bool))
    with pytest.raises(ShapeError, match="mu_target"):
        sag_loss(target_depth, source_depth, pose, camera, mu_target=torch.ones(3), mu_source=torch.ones(3))
    with pytest.raises(ShapeError, match="source_depth"):
        sag_loss(target_depth, source_depth[:-1], pose, camera)
