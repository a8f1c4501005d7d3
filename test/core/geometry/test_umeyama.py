"""Umeyama similarity alignment: recovery of known similarities, weights, optimality, gradients, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from mono_depth_ros.core.geometry import (
    GeometryError,
    ShapeError,
    Similarity,
    apply_similarity,
    axis_angle_to_matrix,
    transform_points,
    umeyama_alignment,
)

BATCHES = [(), (4,), (2, 3)]


def _random_similarity(batch: tuple[int, ...], generator: torch.Generator) -> Similarity:
    rotation = axis_angle_to_matrix(torch.randn(*batch, 3, generator=generator, dtype=torch.float64))
    translation = torch.randn(*batch, 3, generator=generator, dtype=torch.float64) * 5
    scale = torch.rand(batch, generator=generator, dtype=torch.float64) * 3 + 0.2
    return Similarity(rotation, translation, scale)


def _assert_similarity_close(actual: Similarity, expected: Similarity, tolerance: float = 1e-5) -> None:
    torch.testing.assert_close(actual.rotation, expected.rotation, atol=tolerance, rtol=0)
    torch.testing.assert_close(actual.translation, expected.translation, atol=tolerance, rtol=0)
    torch.testing.assert_close(actual.scale, expected.scale, atol=tolerance, rtol=0)


def _cost(similarity: Similarity, source: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    residual = target - apply_similarity(similarity, source)
    return (weights * (residual * residual).sum(-1)).sum(-1)


@pytest.mark.parametrize("batch", BATCHES)
def test_recovers_a_known_similarity(batch: tuple[int, ...], generator: torch.Generator) -> None:
    truth = _random_similarity(batch, generator)
    source = torch.randn(*batch, 20, 3, generator=generator, dtype=torch.float64)
    target = apply_similarity(truth, source)
    result = umeyama_alignment(source, target)
    assert result.rotation.shape == (*batch, 3, 3)
    assert result.translation.shape == (*batch, 3)
    assert result.scale.shape == batch
    _assert_similarity_close(result, truth)


def test_recovers_with_weights_and_ignores_zero_weight_outliers(generator: torch.Generator) -> None:
    truth = _random_similarity((2,), generator)
    source = torch.randn(2, 30, 3, generator=generator, dtype=torch.float64)
    target = apply_similarity(truth, source)
    weights = torch.rand(2, 30, generator=generator, dtype=torch.float64) + 0.1
    _assert_similarity_close(umeyama_alignment(source, target, weights), truth)
    target[:, :8] += torch.randn(2, 8, 3, generator=generator, dtype=torch.float64) * 50
    weights[:, :8] = 0
    _assert_similarity_close(umeyama_alignment(source, target, weights), truth)
    # The outliers matter when they are weighted: the test above can fail.
    unweighted = umeyama_alignment(source, target)
    assert not torch.allclose(unweighted.scale, truth.scale, atol=1e-3)


def test_float32_recovers_to_single_precision(generator: torch.Generator) -> None:
    truth = _random_similarity((), generator)
    source = torch.randn(50, 3, generator=generator, dtype=torch.float64)
    target = apply_similarity(truth, source)
    result = umeyama_alignment(source.float(), target.float())
    assert result.rotation.dtype == torch.float32
    _assert_similarity_close(Similarity(*(value.double() for value in result)), truth, tolerance=1e-4)


def test_rigid_fit_keeps_unit_scale_and_matches_scipy_kabsch(generator: torch.Generator) -> None:
    source = torch.randn(25, 3, generator=generator, dtype=torch.float64)
    truth = _random_similarity((), generator)
    target = apply_similarity(truth, source) + torch.randn(25, 3, generator=generator, dtype=torch.float64) * 0.1
    weights = torch.rand(25, generator=generator, dtype=torch.float64)
    result = umeyama_alignment(source, target, weights, with_scale=False)
    torch.testing.assert_close(result.scale, torch.tensor(1.0, dtype=torch.float64))
    # Independent: scipy's weighted Wahba solution on the weighted-centred clouds.
    normalised = (weights / weights.sum())[:, None]
    source_centred = (source - (normalised * source).sum(0)).numpy()
    target_centred = (target - (normalised * target).sum(0)).numpy()
    expected, _ = Rotation.align_vectors(target_centred, source_centred, weights=weights.numpy())
    np.testing.assert_allclose(result.rotation.numpy(), expected.as_matrix(), atol=1e-10)


def test_noisy_fit_is_a_least_squares_minimum(generator: torch.Generator) -> None:
    source = torch.randn(40, 3, generator=generator, dtype=torch.float64)
    truth = _random_similarity((), generator)
    target = apply_similarity(truth, source) + torch.randn(40, 3, generator=generator, dtype=torch.float64) * 0.3
    weights = torch.rand(40, generator=generator, dtype=torch.float64)
    result = umeyama_alignment(source, target, weights)
    best = _cost(result, source, target, weights)
    for _ in range(20):
        nudge = axis_angle_to_matrix(torch.randn(3, generator=generator, dtype=torch.float64) * 1e-3)
        perturbed = Similarity(
            nudge @ result.rotation,
            result.translation + torch.randn(3, generator=generator, dtype=torch.float64) * 1e-3,
            result.scale * (1 + 1e-3 * torch.randn((), generator=generator, dtype=torch.float64)),
        )
        assert _cost(perturbed, source, target, weights) > best


def test_a_mirrored_cloud_gets_a_proper_rotation_and_the_optimal_scale(generator: torch.Generator) -> None:
    source = torch.randn(30, 3, generator=generator, dtype=torch.float64) * torch.tensor([3.0, 2.0, 1.0]).double()
    mirrored = source * torch.tensor([-1.0, 1.0, 1.0], dtype=torch.float64)
    result = umeyama_alignment(source, mirrored)
    torch.testing.assert_close(torch.det(result.rotation), torch.tensor(1.0, dtype=torch.float64))
    # For the returned rotation, the scale must solve the 1-D least-squares problem in s.
    source_centred = source - source.mean(0)
    rotated = source_centred @ result.rotation.T
    optimal_scale = (rotated * (mirrored - mirrored.mean(0))).sum() / (source_centred * source_centred).sum()
    torch.testing.assert_close(result.scale, optimal_scale)


def test_collinear_points_are_still_mapped_onto_their_targets(generator: torch.Generator) -> None:
    line = torch.linspace(-2, 3, 7, dtype=torch.float64)[:, None] * torch.tensor([0.3, -0.5, 0.8]).double()
    truth = _random_similarity((), generator)
    result = umeyama_alignment(line, apply_similarity(truth, line))
    # The rotation about the line is arbitrary, but every point on it lands where it should.
    torch.testing.assert_close(apply_similarity(result, line), apply_similarity(truth, line))
    torch.testing.assert_close(torch.det(result.rotation), torch.tensor(1.0, dtype=torch.float64))


def test_coincident_source_points_give_zero_scale_at_the_target_centroid(generator: torch.Generator) -> None:
    source = torch.ones(5, 3, dtype=torch.float64)
    target = torch.randn(5, 3, generator=generator, dtype=torch.float64)
    result = umeyama_alignment(source, target)
    torch.testing.assert_close(result.scale, torch.tensor(0.0, dtype=torch.float64))
    torch.testing.assert_close(result.translation, target.mean(0))


def test_similarity_matrix_agrees_with_apply(generator: torch.Generator) -> None:
    similarity = _random_similarity((3,), generator)
    points = torch.randn(3, 6, 3, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(transform_points(similarity.matrix(), points), apply_similarity(similarity, points))


def test_one_source_cloud_broadcasts_over_several_targets(generator: torch.Generator) -> None:
    truth = _random_similarity((3,), generator)
    source = torch.randn(10, 3, generator=generator, dtype=torch.float64)
    _assert_similarity_close(umeyama_alignment(source, apply_similarity(truth, source)), truth)


def test_gradcheck(generator: torch.Generator) -> None:
    source = torch.randn(2, 6, 3, generator=generator, dtype=torch.float64)
    truth = _random_similarity((2,), generator)
    target = apply_similarity(truth, source) + torch.randn(2, 6, 3, generator=generator, dtype=torch.float64) * 0.2
    weights = torch.rand(2, 6, generator=generator, dtype=torch.float64) + 0.5
    inputs = (source.requires_grad_(), target.requires_grad_(), weights.requires_grad_())
    assert torch.autograd.gradcheck(lambda s, t, w: tuple(umeyama_alignment(s, t, w)), inputs)
    assert torch.autograd.gradcheck(lambda s, t: tuple(umeyama_alignment(s, t, with_scale=False))[:2], inputs[:2])


def test_too_few_points_are_rejected() -> None:
    with pytest.raises(GeometryError, match="at least 3 point pairs, got N=2"):
        umeyama_alignment(torch.zeros(2, 3), torch.zeros(2, 3))


def test_negative_weights_are_rejected() -> None:
    weights = torch.tensor([1.0, -0.5, 1.0, 1.0])
    with pytest.raises(GeometryError, match=r"weights must be non-negative, got minimum -0\.5"):
        umeyama_alignment(torch.randn(4, 3), torch.randn(4, 3), weights)


def test_all_zero_weights_are_rejected() -> None:
    weights = torch.tensor([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    with pytest.raises(GeometryError, match="weights sum to zero"):
        umeyama_alignment(torch.randn(2, 3, 3), torch.randn(2, 3, 3), weights)


def test_shape_errors_name_the_argument() -> None:
    with pytest.raises(ShapeError, match=r"target must have shape \(\*, N, 3\) with N=5, got \(4, 3\)"):
        umeyama_alignment(torch.randn(5, 3), torch.randn(4, 3))
    with pytest.raises(ShapeError, match=r"source must have shape \(\*, N, 3\), got \(5, 2\)"):
        umeyama_alignment(torch.randn(5, 2), torch.randn(5, 2))
    with pytest.raises(ShapeError, match=r"weights must have shape \(\*, N\) with N=5, got \(4,\)"):
        umeyama_alignment(torch.randn(5, 3), torch.randn(5, 3), torch.ones(4))
    with pytest.raises(ShapeError, match=r"points must have shape \(\*, N, 3\)"):
        apply_similarity(Similarity(torch.eye(3), torch.zeros(3), torch.ones(())), torch.zeros(4, 2))
