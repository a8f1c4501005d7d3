"""Closed-form least-squares similarity between two point sets (Umeyama, PAMI 1991), weighted and batched.

Used by the SAG loss (align the moved target cloud with the source cloud) and by odometry scale estimation (align the
pose network's trajectory with odometry). Differentiable through `torch.linalg.svd`.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from mono_depth_ros.core.geometry.errors import GeometryError
from mono_depth_ros.core.shapes import check_shape

__all__ = ["Similarity", "apply_similarity", "umeyama_alignment"]


class Similarity(NamedTuple):
    """x -> scale * rotation @ x + translation; `*` is the batch shape."""

    rotation: torch.Tensor
    """(*, 3, 3) proper rotation (det +1)."""
    translation: torch.Tensor
    """(*, 3)"""
    scale: torch.Tensor
    """(*,) non-negative."""

    def matrix(self) -> torch.Tensor:
        """The similarity as a (*, 4, 4) homogeneous matrix [[s R, t], [0, 1]]."""
        batch = self.scale.shape
        top = torch.cat((self.scale[..., None, None] * self.rotation, self.translation[..., None]), dim=-1)
        bottom = torch.zeros(*batch, 1, 4, dtype=top.dtype, device=top.device)
        bottom[..., 0, 3] = 1
        return torch.cat((top, bottom), dim=-2)


def apply_similarity(similarity: Similarity, points: torch.Tensor) -> torch.Tensor:
    """s R p + t for points (*, N, 3) -> (*, N, 3); batch dimensions broadcast with the similarity's."""
    check_shape(points, "points", ["*", "N", 3])
    rotated = points @ similarity.rotation.transpose(-1, -2)
    return similarity.scale[..., None, None] * rotated + similarity.translation[..., None, :]


def umeyama_alignment(
    source: torch.Tensor,
    target: torch.Tensor,
    weights: torch.Tensor | None = None,
    *,
    with_scale: bool = True,
) -> Similarity:
    """The similarity minimising sum_i w_i ||target_i - (s R source_i + t)||^2.

    Args:
        source: (*, N, 3) points, N >= 3.
        target: (*, N, 3) corresponding points; batch dimensions broadcast with `source`'s.
        weights: (*, N) non-negative weights (zero drops a pair), or None for equal weights.
        with_scale: False fixes s = 1 (a rigid fit, the weighted Kabsch solution).

    Returns:
        `Similarity` with batch shape the broadcast of the arguments' batch shapes.

    Raises:
        GeometryError: N < 3, a negative weight, or weights summing to zero in some batch element.

    Degenerate sets are not errors, because they are data-dependent and common in masked batches: when the weighted
    source points are collinear, the rotation about their line is arbitrary (the returned fit is still a minimiser);
    when they coincide, the scale is 0 and the translation is the target centroid. Gradients through such fits are
    not finite (the SVD's backward divides by differences of equal singular values).
    """
    sizes = check_shape(source, "source", ["*", "N", 3])
    check_shape(target, "target", ["*", "N", 3], sizes)
    count = sizes["N"]
    if count < 3:
        raise GeometryError(f"umeyama_alignment needs at least 3 point pairs, got N={count}")
    dtype = torch.promote_types(source.dtype, target.dtype)
    source, target = source.to(dtype), target.to(dtype)
    if weights is None:
        weights = torch.ones(count, dtype=dtype, device=source.device)
    else:
        check_shape(weights, "weights", ["*", "N"], sizes)
        weights = weights.to(dtype)
        # One host synchronisation per call, the price of typed errors for bad weights.
        if bool((weights < 0).any()):
            raise GeometryError(f"weights must be non-negative, got minimum {weights.min().item():g}")
        if bool((weights.sum(-1) <= 0).any()):
            raise GeometryError("weights sum to zero in at least one batch element: nothing to align")

    normalised = (weights / weights.sum(-1, keepdim=True))[..., None]  # (*, N, 1)
    source_mean = (normalised * source).sum(-2)
    target_mean = (normalised * target).sum(-2)
    source_centred = source - source_mean[..., None, :]
    target_centred = target - target_mean[..., None, :]
    # Weighted cross-covariance sum_i w_i (y_i - mu_y)(x_i - mu_x)^T / sum_i w_i, shape (*, 3, 3).
    covariance = (normalised * target_centred).transpose(-1, -2) @ source_centred
    left, singular, right_t = torch.linalg.svd(covariance)
    # Reflection fix: flip the weakest axis when U V^T would be a reflection (det -1).
    reflection = torch.det(left) * torch.det(right_t) < 0
    last_sign = torch.where(reflection, -torch.ones_like(singular[..., 2]), torch.ones_like(singular[..., 2]))
    signs = torch.cat((torch.ones_like(singular[..., :2]), last_sign[..., None]), dim=-1)
    rotation = (left * signs[..., None, :]) @ right_t

    if with_scale:
        source_variance = (normalised[..., 0] * (source_centred * source_centred).sum(-1)).sum(-1)
        tiny = torch.finfo(dtype).tiny
        scale = (singular * signs).sum(-1) / source_variance.clamp(min=tiny)
    else:
        scale = torch.ones_like(singular[..., 0])
    translation = target_mean - scale[..., None] * (rotation @ source_mean[..., None])[..., 0]
    return Similarity(rotation=rotation, translation=translation, scale=scale)
