"""The scale-aware geometric (SAG) loss of "Learning scale-consistent depth in a scale-invariant manner".

For a target frame t and a source frame s: back-project the target depth to a point cloud P_t, move it with the
predicted pose (P^_s = R P_t + T), and find, for each target pixel, the source pixel it lands on (the view-synthesis
correspondence of the photometric loss). The source depth there, back-projected along that pixel's ray, is the
corresponding point of the source cloud P_s. The closed-form Umeyama similarity (rotation Phi, translation Gamma,
scale tau) aligning P^_s to P_s over the reliable pixels then gives

    L_SAG = |Phi - I|_1 + |Gamma|_1 + |mu_t / mu_s - sg(tau) sg(mu_t) / sg(mu_s)|_1

(entry-wise L1 norms; sg = stop-gradient; mu = the two-stream network's per-image scales). With consistent depth and
pose, Phi = I, Gamma = 0 and tau = 1. The paper's total is L_P + 0.05 L_SAG + 0.001 L_S (`SAG_WEIGHT`).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from mono_depth_ros.core.geometry import Similarity, backproject, project, sample_at_pixels, transform_points
from mono_depth_ros.core.geometry.umeyama import umeyama_alignment
from mono_depth_ros.core.losses._checks import full_precision
from mono_depth_ros.core.losses.errors import LossError
from mono_depth_ros.core.shapes import ShapeError, check_shape

__all__ = ["SAG_MIN_POINTS", "SAG_WEIGHT", "SagLoss", "sag_loss"]

SAG_WEIGHT = 0.05
"""lambda_1 of the SAG paper's total loss L_P + 0.05 L_SAG + 0.001 L_S."""
SAG_MIN_POINTS = 32
"""Default fewest reliable correspondences for a batch element to take part: below it the fit is noise."""

# As `core.geometry.warp`: points this close to the source camera plane count as behind it; pixel slack at borders.
_MIN_SOURCE_DEPTH = 1e-6
_BORDER_SLACK = 1e-3


class SagLoss(NamedTuple):
    """What `sag_loss` returns; `*` is the batch shape. Scalars are means over the batch elements that took part
    (`used`), 0 when none did."""

    total: torch.Tensor
    """() rotation + translation + scale."""
    rotation: torch.Tensor
    """() |Phi - I|_1, the sum of the nine entries' absolute values."""
    translation: torch.Tensor
    """() |Gamma|_1."""
    scale: torch.Tensor
    """() |mu_t / mu_s - sg(tau mu_t / mu_s)|_1; 0 when the mu are not given."""
    similarity: Similarity
    """The fitted (Phi, Gamma, tau) per batch element (*); meaningless where `used` is False."""
    points: torch.Tensor
    """(*,) int64 reliable correspondences per batch element."""
    used: torch.Tensor
    """(*,) bool: the element had at least `min_points` correspondences and counts in the scalars."""


def sag_loss(
    target_depth: torch.Tensor,
    source_depth: torch.Tensor,
    source_from_target: torch.Tensor,
    camera_matrix: torch.Tensor,
    *,
    mask: torch.Tensor | None = None,
    mu_target: torch.Tensor | None = None,
    mu_source: torch.Tensor | None = None,
    min_points: int = SAG_MIN_POINTS,
) -> SagLoss:
    """The SAG loss of a target view against one source view.

    Args:
        target_depth: (*, H, W) predicted depth of the target frame (at the input resolution: upsample coarser
            scales first, see `to_full_resolution`).
        source_depth: (*, H, W) predicted depth of the source frame, same resolution.
        source_from_target: (*, 4, 4) the predicted relative pose, as given to `warp_source_to_target`.
        camera_matrix: (*, 3, 3) K of the H x W images.
        mask: (*, H, W) the reliable pixels: bool, or non-negative float weights (e.g.
            `ReprojectionLoss.source_mask(i)`, the pixels where this source won and beat the identity). Pixels whose
            point lands behind the source camera or outside its image, or has a non-finite or non-positive depth,
            are dropped whatever the mask says.
        mu_target, mu_source: (*,) the scale stream's outputs for the two frames, for the scale consistency term;
            both None (a one-stream network) leaves that term out.
        min_points: fewest correspondences (>= 3) for a batch element to count; elements with fewer are left out
            without error and get no gradient.

    Returns:
        `SagLoss`. Gradients reach both depths and the pose through Phi and Gamma (via the differentiable
        Umeyama fit), and the mu through the scale term; tau and the target of the scale term are detached.
    """
    sizes = check_shape(target_depth, "target_depth", ["*", "H", "W"])
    check_shape(source_depth, "source_depth", ["*", "H", "W"], sizes)
    check_shape(source_from_target, "source_from_target", ["*", 4, 4])
    check_shape(camera_matrix, "camera_matrix", ["*", 3, 3])
    if not isinstance(min_points, int) or isinstance(min_points, bool) or min_points < 3:
        raise LossError(f"min_points must be an integer >= 3 (a similarity needs 3 points), got {min_points!r}")
    if mask is not None:
        check_shape(mask, "mask", ["*", "H", "W"], sizes)
    if (mu_target is None) != (mu_source is None):
        raise LossError("mu_target and mu_source must be given together (two-stream networks) or both left out")
    height, width = sizes["H"], sizes["W"]
    target_depth, source_depth, source_from_target, camera_matrix = full_precision(
        target_depth, source_depth, source_from_target, camera_matrix
    )

    # P^_s: the target cloud moved into the source camera, and where each point appears in the source image.
    target_points = backproject(target_depth, camera_matrix)
    moved = transform_points(source_from_target, target_points.reshape(*target_points.shape[:-3], -1, 3))
    pixels, source_z = project(moved, camera_matrix)
    u, v = pixels[..., 0], pixels[..., 1]
    inside = (
        (source_z > _MIN_SOURCE_DEPTH)
        & (u >= -_BORDER_SLACK)
        & (u <= width - 1 + _BORDER_SLACK)
        & (v >= -_BORDER_SLACK)
        & (v <= height - 1 + _BORDER_SLACK)
    )
    # P_s: the source depth at those pixels, back-projected along each pixel's own ray.
    grid = pixels.reshape(*pixels.shape[:-2], height, width, 2)
    sampled = sample_at_pixels(source_depth[..., None, :, :], grid)[..., 0, :, :]
    sampled = sampled.reshape(*sampled.shape[:-2], height * width)
    source_points = _rays(pixels, camera_matrix) * sampled[..., None]

    mask_batch = mask.shape[:-2] if mask is not None else ()
    batch = torch.broadcast_shapes(moved.shape[:-2], source_points.shape[:-2], mask_batch)
    weights = _reliable_weights(mask, sizes, batch, moved.dtype, moved.device)
    usable = (
        inside
        & (sampled > 0)
        & torch.isfinite(moved).all(dim=-1)
        & torch.isfinite(source_points).all(dim=-1)
        & (weights > 0)
    )
    weights = torch.where(usable, weights, torch.zeros_like(weights))
    points = usable.sum(dim=-1)
    used = points >= min_points

    # Elements left out are fitted on detached, harmless stand-ins (unit weights on zeroed points): their
    # degenerate SVD gradient never reaches the networks through torch.where.
    keep = used[..., None, None] & usable[..., None]
    moved = torch.where(keep, moved, 0.0)
    source_points = torch.where(keep, source_points, 0.0)
    weights = torch.where(used[..., None], weights, torch.ones_like(weights))
    similarity = umeyama_alignment(moved, source_points, weights)

    identity = torch.eye(3, dtype=moved.dtype, device=moved.device)
    rotation = (similarity.rotation - identity).abs().sum(dim=(-2, -1))
    translation = similarity.translation.abs().sum(dim=-1)
    if mu_target is not None and mu_source is not None:
        _check_batch(mu_target, "mu_target", batch)
        _check_batch(mu_source, "mu_source", batch)
        mu_target, mu_source = full_precision(mu_target, mu_source)
        ratio = mu_target / mu_source
        goal = similarity.scale.detach() * mu_target.detach() / mu_source.detach()
        scale = (ratio - goal).abs().expand(batch)
    else:
        scale = torch.zeros_like(rotation)

    count = used.sum().clamp(min=1)

    def batch_mean(term: torch.Tensor) -> torch.Tensor:
        return torch.where(used, term, torch.zeros_like(term)).sum() / count

    rotation_mean, translation_mean, scale_mean = batch_mean(rotation), batch_mean(translation), batch_mean(scale)
    total = rotation_mean + translation_mean + scale_mean
    return SagLoss(total, rotation_mean, translation_mean, scale_mean, similarity, points, used)


def _rays(pixels: torch.Tensor, camera_matrix: torch.Tensor) -> torch.Tensor:
    """(*, N, 2) pixels -> (*, N, 3) points at depth 1 on their rays (K^-1 [u, v, 1]), skew honoured."""
    k = camera_matrix[..., None, :, :]
    fx, skew, cx = k[..., 0, 0], k[..., 0, 1], k[..., 0, 2]
    fy, cy = k[..., 1, 1], k[..., 1, 2]
    y = (pixels[..., 1] - cy) / fy
    x = (pixels[..., 0] - cx - skew * y) / fx
    return torch.stack((x, y, torch.ones_like(x)), dim=-1)


def _check_batch(value: object, name: str, batch: torch.Size) -> None:
    """A (*,) tensor whose shape broadcasts to the loss's batch shape."""
    if not isinstance(value, torch.Tensor):
        raise ShapeError(f"{name} must be a tensor of shape {tuple(batch)}, got {type(value).__name__}")
    try:
        fits = torch.broadcast_shapes(value.shape, batch) == batch
    except RuntimeError:
        fits = False
    if not fits:
        raise ShapeError(
            f"{name} must have a shape broadcastable to the batch shape {tuple(batch)}, got {tuple(value.shape)}"
        )


def _reliable_weights(
    mask: torch.Tensor | None,
    sizes: dict[str, int],
    batch: torch.Size,
    dtype: torch.dtype,
    device: torch.device,
) -> torch.Tensor:
    """The mask as (*, H*W) weights of the points' dtype, broadcast to the batch (ones when mask is None)."""
    count = sizes["H"] * sizes["W"]
    if mask is None:
        return torch.ones(*batch, count, dtype=dtype, device=device)
    check_shape(mask, "mask", ["*", "H", "W"], sizes)
    if mask.dtype != torch.bool:
        if not mask.is_floating_point():
            raise LossError(f"mask must be a bool or floating-point tensor, got {mask.dtype}")
        # One host synchronisation, the price of a typed error (the Umeyama fit would reject it less clearly).
        if bool((mask < 0).any()) or not bool(torch.isfinite(mask).all()):
            raise LossError("mask weights must be finite and non-negative")
    return mask.to(dtype).reshape(*mask.shape[:-2], count).expand(*batch, count)
