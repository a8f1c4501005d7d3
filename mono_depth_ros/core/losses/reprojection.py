"""Monodepth2's reprojection loss: per-pixel minimum over source views, auto-masking, full-resolution multi-scale.

For a target frame and S source frames warped into it (`core.geometry.warp_source_to_target`):

- per pixel, the photometric error of the *best* warped source counts (not the average), so a pixel occluded in one
  source is matched in the other;
- auto-masking: the unwarped sources' errors (identity reprojection, plus a 1e-5 random tie-break) join the
  candidates; where one of them wins, the pixel moves with the camera or the scene is static, and it is left out;
- full-resolution multi-scale: each decoder scale's disparity is upsampled to the input resolution
  (`to_full_resolution`) before warping, so every scale's loss is computed on the input images.

The loss value is Monodepth2's: the mean over all pixels of the winning candidate's error (identity winners
included, as constants without gradient), so gradients reach the networks through auto-masked pixels only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch.nn import functional

from mono_depth_ros.core.losses._checks import check_weight, stack_views
from mono_depth_ros.core.losses.errors import LossError
from mono_depth_ros.core.losses.photometric import SSIM_ALPHA, SsimWindow, photometric_error
from mono_depth_ros.core.shapes import check_shape

__all__ = [
    "AUTOMASK_TIE_BREAK",
    "ReprojectionLoss",
    "minimum_reprojection",
    "reprojection_loss",
    "to_full_resolution",
]

AUTOMASK_TIE_BREAK = 1e-5
"""Standard deviation of the Gaussian noise added to the identity errors, so exact ties (e.g. a uniform sky)
resolve at random instead of always to the identity (Monodepth2)."""


class ReprojectionLoss(NamedTuple):
    """What `minimum_reprojection` and `reprojection_loss` return; `*` is the batch shape."""

    loss: torch.Tensor
    """() mean of `per_pixel` over every pixel of the batch."""
    per_pixel: torch.Tensor
    """(*, H, W) the smallest candidate error (0 where no candidate is finite)."""
    mask: torch.Tensor
    """(*, H, W) bool: a warped source won (the auto-mask; with `valid`, also that source's warp was valid)."""
    source_index: torch.Tensor
    """(*, H, W) int64: the index of the winning warped source, -1 where `mask` is False."""

    def source_mask(self, index: int) -> torch.Tensor:
        """(*, H, W) bool: pixels where warped source `index` won, e.g. the reliable pixels of that view's SAG loss."""
        return self.mask & (self.source_index == index)


def minimum_reprojection(
    reprojection_errors: torch.Tensor | Sequence[torch.Tensor],
    identity_errors: torch.Tensor | Sequence[torch.Tensor] | None = None,
    *,
    valid: torch.Tensor | Sequence[torch.Tensor] | None = None,
    tie_break: float = AUTOMASK_TIE_BREAK,
    generator: torch.Generator | None = None,
) -> ReprojectionLoss:
    """Per-pixel minimum over source views, with auto-masking when identity errors are given.

    Args:
        reprojection_errors: (*, S, H, W), or a sequence of S tensors (*, H, W): the photometric error of each
            warped source against the target.
        identity_errors: the same for the unwarped sources (usually one per source), or None to disable
            auto-masking. Treated as data: noise of standard deviation `tie_break` is added to them.
        valid: (*, S, H, W) bool (or a sequence), e.g. `WarpResult.valid`: a warped source competes only where its
            warp is valid. None: every warp counts (Monodepth2, whose border padding gives every pixel a value).
        tie_break: standard deviation of the identity noise, >= 0.
        generator: for the noise (a generator on the errors' device), so runs can be reproduced.

    Returns:
        `ReprojectionLoss`.
    """
    reprojection = stack_views(reprojection_errors, "reprojection_errors", dim=-3)
    sizes = check_shape(reprojection, "reprojection_errors", ["*", "S", "H", "W"])
    tie_break = check_weight(tie_break, "tie_break")
    if valid is not None:
        valid = stack_views(valid, "valid", dim=-3)
        check_shape(valid, "valid", ["*", "S", "H", "W"], sizes)
        if valid.dtype != torch.bool:
            raise LossError(f"valid must be a bool tensor, got {valid.dtype}")
        reprojection = torch.where(valid, reprojection, torch.full_like(reprojection, float("inf")))
    candidates = reprojection
    identity_count = 0
    if identity_errors is not None:
        identity = stack_views(identity_errors, "identity_errors", dim=-3)
        check_shape(identity, "identity_errors", ["*", "S_identity", "H", "W"], {"H": sizes["H"], "W": sizes["W"]})
        identity_count = identity.shape[-3]
        if tie_break > 0:
            noise = torch.randn(identity.shape, generator=generator, dtype=identity.dtype, device=identity.device)
            identity = identity + tie_break * noise
        batch = torch.broadcast_shapes(identity.shape[:-3], reprojection.shape[:-3])
        candidates = torch.cat(
            (
                identity.to(reprojection.dtype).expand(*batch, *identity.shape[-3:]),
                reprojection.expand(*batch, *reprojection.shape[-3:]),
            ),
            dim=-3,
        )
    best, index = candidates.min(dim=-3)
    finite = torch.isfinite(best)
    mask = (index >= identity_count) & finite
    per_pixel = torch.where(finite, best, torch.zeros_like(best))
    source_index = torch.where(mask, index - identity_count, torch.full_like(index, -1))
    return ReprojectionLoss(per_pixel.mean(), per_pixel, mask, source_index)


def reprojection_loss(
    target: torch.Tensor,
    warped_sources: torch.Tensor | Sequence[torch.Tensor],
    sources: torch.Tensor | Sequence[torch.Tensor] | None = None,
    *,
    valid: torch.Tensor | Sequence[torch.Tensor] | None = None,
    alpha: float = SSIM_ALPHA,
    ssim_window: SsimWindow = "box",
    tie_break: float = AUTOMASK_TIE_BREAK,
    generator: torch.Generator | None = None,
) -> ReprojectionLoss:
    """Monodepth2's photometric loss of one scale: photometric errors, per-pixel minimum and auto-mask in one call.

    Args:
        target: (*, C, H, W) the target frame, values in [0, 1].
        warped_sources: (*, S, C, H, W), or S tensors (*, C, H, W): the sources warped into the target view (at the
            target's resolution: upsample the depth, not the images).
        sources: the unwarped sources in the same form, for auto-masking; None disables it.
        valid: optional (*, S, H, W) bool warp validity, see `minimum_reprojection`.
        alpha, ssim_window: see `photometric_error`.
        tie_break, generator: see `minimum_reprojection`.

    Returns:
        `ReprojectionLoss`.
    """
    check_shape(target, "target", ["*", "C", "H", "W"])
    warped = stack_views(warped_sources, "warped_sources", dim=-4)
    check_shape(warped, "warped_sources", ["*", "S", "C", "H", "W"])
    target_view = target[..., None, :, :, :]
    errors = photometric_error(warped, target_view, alpha=alpha, ssim_window=ssim_window)
    identity = None
    if sources is not None:
        unwarped = stack_views(sources, "sources", dim=-4)
        check_shape(unwarped, "sources", ["*", "S", "C", "H", "W"])
        identity = photometric_error(unwarped, target_view, alpha=alpha, ssim_window=ssim_window)
    return minimum_reprojection(errors, identity, valid=valid, tie_break=tie_break, generator=generator)


def to_full_resolution(maps: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Bilinear upsampling (*, h, w) -> (*, height, width), as Monodepth2 does (align_corners=False).

    Use it on each decoder scale's disparity (or depth) before warping, for the full-resolution multi-scale loss;
    a (B, 1, h, w) network output works as is (its channel is a batch dimension here).
    """
    sizes = check_shape(maps, "maps", ["*", "h", "w"])
    for name, value in (("height", height), ("width", width)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise LossError(f"{name} must be a positive integer, got {value!r}")
    if (sizes["h"], sizes["w"]) == (height, width):
        return maps
    flat = maps.reshape(-1, 1, sizes["h"], sizes["w"])
    upsampled = functional.interpolate(flat, size=(height, width), mode="bilinear", align_corners=False)
    return upsampled.reshape(*maps.shape[:-2], height, width)
