"""Per-pixel minimum reprojection, auto-masking and full-resolution upsampling."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional

from mono_depth_ros.core.geometry import make_transform, warp_source_to_target
from mono_depth_ros.core.losses import (
    LossError,
    ShapeError,
    minimum_reprojection,
    photometric_error,
    reprojection_loss,
    to_full_resolution,
)


def _automask_reference(
    warped_errors: np.ndarray, identity_errors: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-pixel minimum with auto-masking, one pixel at a time, on (B, S, H, W) errors.

    The candidates of a pixel are the S identity errors followed by the S warped errors; the smallest wins (the
    first one on a tie). Returns the winning error, whether a warped source won, and that source's index (-1 if not).
    """
    batch, views, height, width = warped_errors.shape
    best = np.empty((batch, height, width))
    kept = np.zeros((batch, height, width), dtype=bool)
    index = np.full((batch, height, width), -1, dtype=np.int64)
    for b in range(batch):
        for row in range(height):
            for col in range(width):
                candidates = [identity_errors[b, s, row, col] for s in range(views)]
                candidates += [warped_errors[b, s, row, col] for s in range(views)]
                winner = min(range(2 * views), key=lambda k: candidates[k])
                best[b, row, col] = candidates[winner]
                if winner >= views:
                    kept[b, row, col] = True
                    index[b, row, col] = winner - views
    return best, kept, index


def _views(generator: torch.Generator) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    """A target, two unwarped sources and two warped sources, all unrelated: each candidate kind wins some pixels."""
    target = torch.rand(2, 3, 5, 6, generator=generator, dtype=torch.float64)
    sources = [torch.rand(2, 3, 5, 6, generator=generator, dtype=torch.float64) for _ in range(2)]
    warped = [torch.rand(2, 3, 5, 6, generator=generator, dtype=torch.float64) for _ in range(2)]
    return target, sources, warped


def _errors(target: torch.Tensor, views: list[torch.Tensor]) -> np.ndarray:
    """(B, S, H, W) photometric errors of each view against the target."""
    return torch.stack([photometric_error(view, target) for view in views], 1).numpy()


def test_reprojection_loss_matches_an_independent_computation(generator: torch.Generator) -> None:
    target, sources, warped = _views(generator)
    result = reprojection_loss(target, warped, sources, tie_break=0.0)
    best, kept, index = _automask_reference(_errors(target, warped), _errors(target, sources))
    np.testing.assert_allclose(result.per_pixel.numpy(), best, rtol=1e-12, atol=0)
    np.testing.assert_allclose(result.loss.item(), best.mean(), rtol=1e-12, atol=0)
    np.testing.assert_array_equal(result.mask.numpy(), kept)
    np.testing.assert_array_equal(result.source_index.numpy(), index)
    # Both warped sources and the identity win somewhere, so the comparison covers every branch.
    assert set(np.unique(index).tolist()) == {-1, 0, 1}


def test_identity_errors_get_the_tie_break_noise(generator: torch.Generator) -> None:
    target, sources, warped = _views(generator)
    result = reprojection_loss(target, warped, sources, generator=torch.Generator().manual_seed(7))
    identity = _errors(target, sources)
    # The same generator and seed give the same standard normal draws, of the identity errors' shape.
    noise = torch.randn(identity.shape, generator=torch.Generator().manual_seed(7), dtype=torch.float64).numpy()
    best, kept, index = _automask_reference(_errors(target, warped), identity + 1e-5 * noise)
    np.testing.assert_allclose(result.per_pixel.numpy(), best, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(result.mask.numpy(), kept)
    np.testing.assert_array_equal(result.source_index.numpy(), index)
    # The noise shows in the identity winners' values; warped winners keep their exact error.
    identity_best = identity.min(axis=1)
    assert not np.allclose(best[~kept], identity_best[~kept], rtol=1e-9, atol=0)
    np.testing.assert_allclose(best[kept], _errors(target, warped).min(axis=1)[kept], rtol=1e-12, atol=0)


@pytest.mark.parametrize("batch", [(), (3,), (2, 2)])
def test_minimum_picks_the_best_source_and_masks_identity_winners(batch: tuple[int, ...]) -> None:
    reprojection = torch.tensor([[0.5, 0.1, 0.9], [0.2, 0.3, 0.8]]).reshape(2, 1, 3).expand(*batch, 2, 1, 3)
    identity = torch.tensor([[0.4, 0.4, 0.4], [0.6, 0.6, 0.6]]).reshape(2, 1, 3).expand(*batch, 2, 1, 3)
    result = minimum_reprojection(reprojection, identity, tie_break=0.0)
    assert result.per_pixel.shape == (*batch, 1, 3)
    expected = torch.tensor([[0.2, 0.1, 0.4]]).expand(*batch, 1, 3)
    torch.testing.assert_close(result.per_pixel, expected)
    assert result.mask.tolist() == torch.tensor([[True, True, False]]).expand(*batch, 1, 3).tolist()
    assert result.source_index.tolist() == torch.tensor([[1, 0, -1]]).expand(*batch, 1, 3).tolist()
    assert result.source_mask(1).tolist() == torch.tensor([[True, False, False]]).expand(*batch, 1, 3).tolist()
    torch.testing.assert_close(result.loss, expected.mean())


def test_sequences_and_stacked_tensors_agree(generator: torch.Generator) -> None:
    errors = [torch.rand(2, 5, 6, generator=generator) for _ in range(3)]
    identity = [torch.rand(2, 5, 6, generator=generator) for _ in range(3)]
    from_lists = minimum_reprojection(errors, identity, generator=torch.Generator().manual_seed(1))
    stacked = minimum_reprojection(
        torch.stack(errors, -3), torch.stack(identity, -3), generator=torch.Generator().manual_seed(1)
    )
    torch.testing.assert_close(from_lists.per_pixel, stacked.per_pixel)
    assert torch.equal(from_lists.mask, stacked.mask)


def test_without_identity_every_pixel_counts(generator: torch.Generator) -> None:
    errors = torch.rand(2, 2, 5, 6, generator=generator)
    result = minimum_reprojection(errors)
    assert bool(result.mask.all())
    torch.testing.assert_close(result.per_pixel, errors.min(dim=-3).values)


def test_tie_break_resolves_exact_ties_at_random() -> None:
    # A static camera: warped and identity errors are equal everywhere.
    errors = torch.full((1, 64, 64), 0.3)
    exact = minimum_reprojection(errors, errors, tie_break=0.0)
    assert not bool(exact.mask.any())  # min() returns the first index: the identity
    noisy = minimum_reprojection(errors, errors, generator=torch.Generator().manual_seed(0))
    assert 0.3 < noisy.mask.double().mean().item() < 0.7
    again = minimum_reprojection(errors, errors, generator=torch.Generator().manual_seed(0))
    assert torch.equal(noisy.mask, again.mask)


def test_invalid_warps_do_not_compete() -> None:
    reprojection = torch.tensor([[[0.1, 0.1, 0.1]], [[0.5, 0.5, 0.5]]])
    valid = torch.tensor([[[True, False, False]], [[True, True, False]]])
    identity = torch.tensor([[[0.9, 0.9, 0.9]]])
    result = minimum_reprojection(reprojection, identity, valid=valid, tie_break=0.0)
    torch.testing.assert_close(result.per_pixel, torch.tensor([[0.1, 0.5, 0.9]]))
    assert result.source_index.tolist() == [[0, 1, -1]]
    # Without identity errors, a pixel no source reaches is masked out and costs nothing.
    alone = minimum_reprojection(reprojection, valid=valid)
    torch.testing.assert_close(alone.per_pixel, torch.tensor([[0.1, 0.5, 0.0]]))
    assert alone.mask.tolist() == [[True, True, False]]
    torch.testing.assert_close(alone.loss, torch.tensor(0.6 / 3))


def test_gradient_reaches_masked_pixels_only(generator: torch.Generator) -> None:
    errors = torch.rand(2, 4, 4, generator=generator, requires_grad=True)
    identity = torch.full((1, 4, 4), 0.5)
    result = minimum_reprojection(errors, identity, tie_break=0.0)
    result.loss.backward()
    assert errors.grad is not None
    reached = (errors.grad != 0).any(dim=0)
    assert torch.equal(reached, result.mask)
    assert bool(result.mask.any())
    assert not bool(result.mask.all())


def test_correct_depth_beats_wrong_depth_on_a_warped_plane(generator: torch.Generator) -> None:
    """A fronto-parallel textured plane seen from two cameras 2 pixels of disparity apart."""
    height, width, focal, plane = 16, 24, 50.0, 10.0
    camera = torch.tensor([[focal, 0.0, 11.5], [0.0, focal, 7.5], [0.0, 0.0, 1.0]], dtype=torch.float64)
    texture = torch.rand(3, height, width + 8, generator=generator, dtype=torch.float64)
    # The source camera 0.4 to the right: u_source = u_target - 2, so source(u) = target(u + 2).
    target, source = texture[..., 4 : 4 + width], texture[..., 6 : 6 + width]
    translation = torch.tensor([-0.4, 0.0, 0.0], dtype=torch.float64)
    source_from_target = make_transform(torch.eye(3, dtype=torch.float64), translation)
    losses = {}
    for name, depth in (("right", plane), ("wrong", 2 * plane)):
        warp = warp_source_to_target(source, torch.full((height, width), depth).double(), source_from_target, camera)
        losses[name] = reprojection_loss(target, [warp.image], [source], valid=warp.valid[None], tie_break=0.0)
    # Columns 0-1 land outside the source: the identity wins there and adds its constant error; column 2's 3x3
    # SSIM window still reaches them.
    assert bool(losses["right"].mask[:, 2:].all())
    assert not bool(losses["right"].mask[:, :2].any())
    assert losses["right"].per_pixel[:, 3:].max().item() < 1e-9
    assert losses["wrong"].per_pixel[:, 3:].mean().item() > 0.05
    assert losses["right"].loss.item() < losses["wrong"].loss.item()


def test_to_full_resolution_is_bilinear_interpolation(generator: torch.Generator) -> None:
    disparity = torch.rand(2, 1, 6, 8, generator=generator)
    upsampled = to_full_resolution(disparity, 24, 32)
    expected = functional.interpolate(disparity, [24, 32], mode="bilinear", align_corners=False)
    torch.testing.assert_close(upsampled, expected)
    torch.testing.assert_close(to_full_resolution(disparity[:, 0], 24, 32), expected[:, 0])
    assert to_full_resolution(disparity, 6, 8) is disparity


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(LossError, match="at least one view"):
        minimum_reprojection([])
    with pytest.raises(LossError, match="sequence of tensors"):
        minimum_reprojection([torch.rand(2, 2), "error"])
    with pytest.raises(LossError, match="tie_break"):
        minimum_reprojection(torch.rand(1, 2, 2), tie_break=-1.0)
    with pytest.raises(LossError, match="bool"):
        minimum_reprojection(torch.rand(1, 2, 2), valid=torch.ones(1, 2, 2))
    with pytest.raises(ShapeError, match="identity_errors"):
        minimum_reprojection(torch.rand(1, 2, 2), torch.rand(1, 2, 3))
    with pytest.raises(ShapeError, match="warped_sources"):
        reprojection_loss(torch.rand(3, 4, 4), torch.rand(3, 4, 5))
    with pytest.raises(LossError, match="height"):
        to_full_resolution(torch.rand(2, 2), 0, 4)
