"""Disparity regularisers: edge-aware smoothness (Monodepth2, SAG) and total variation (Learn Stereo Infer Mono).

Both are means over pixels (not sums), so their weights do not depend on the image size.
"""

from __future__ import annotations

import torch

from mono_depth_ros.core.losses._checks import check_weight, full_precision
from mono_depth_ros.core.losses.errors import LossError
from mono_depth_ros.core.shapes import check_shape

__all__ = ["SMOOTHNESS_WEIGHT", "edge_aware_smoothness", "smoothness_weight", "total_variation"]

SMOOTHNESS_WEIGHT = 1e-3
"""Weight of the edge-aware smoothness at scale 0 (Monodepth2, SAG) and of total variation (Learn Stereo Infer
Mono)."""

# Monodepth2 divides by mean + 1e-7, so an all-zero disparity stays finite.
_MEAN_EPS = 1e-7


def edge_aware_smoothness(disparity: torch.Tensor, image: torch.Tensor, *, normalise: bool = True) -> torch.Tensor:
    """mean |d_x D| exp(-|d_x I|) + mean |d_y D| exp(-|d_y I|): disparity gradients cost less at image edges.

    Args:
        disparity: (*, H, W) disparity (or inverse depth) of one decoder scale.
        image: (*, C, H, W) the colour image at the same resolution; its gradients are averaged over channels.
            Batch dimensions broadcast with the disparity's.
        normalise: divide each disparity map by its mean first (Monodepth2), which makes the term invariant to the
            depth scale, so it cannot be lowered by shrinking the disparity.

    Returns:
        () the smoothness, the two directions' means summed.
    """
    sizes = check_shape(disparity, "disparity", ["*", "H", "W"])
    check_shape(image, "image", ["*", "C", "H", "W"], sizes)
    _check_gradients_exist(sizes["H"], sizes["W"])
    disparity, image = full_precision(disparity, image)
    if normalise:
        disparity = disparity / (disparity.mean(dim=(-2, -1), keepdim=True) + _MEAN_EPS)
    disparity_dx = (disparity[..., :, :-1] - disparity[..., :, 1:]).abs()
    disparity_dy = (disparity[..., :-1, :] - disparity[..., 1:, :]).abs()
    image_dx = (image[..., :, :, :-1] - image[..., :, :, 1:]).abs().mean(dim=-3)
    image_dy = (image[..., :, :-1, :] - image[..., :, 1:, :]).abs().mean(dim=-3)
    return (disparity_dx * torch.exp(-image_dx)).mean() + (disparity_dy * torch.exp(-image_dy)).mean()


def total_variation(disparity: torch.Tensor) -> torch.Tensor:
    """mean |D(i, j+1) - D(i, j)| + mean |D(i+1, j) - D(i, j)| of disparity (*, H, W) -> ().

    Learn Stereo Infer Mono's TV term (its Eq. 6 sums over pixels; the mean keeps the paper's weight 0.001
    meaningful at any resolution). Not edge-aware on purpose: the paper found image-gradient weighting hurt flat
    surfaces with texture (windows, walls).
    """
    sizes = check_shape(disparity, "disparity", ["*", "H", "W"])
    _check_gradients_exist(sizes["H"], sizes["W"])
    (disparity,) = full_precision(disparity)
    horizontal = (disparity[..., :, 1:] - disparity[..., :, :-1]).abs().mean()
    vertical = (disparity[..., 1:, :] - disparity[..., :-1, :]).abs().mean()
    return horizontal + vertical


def smoothness_weight(scale: int, base: float = SMOOTHNESS_WEIGHT) -> float:
    """Monodepth2's smoothness weight of decoder scale `scale` (0 = full resolution): base / 2^scale."""
    if not isinstance(scale, int) or isinstance(scale, bool) or scale < 0:
        raise LossError(f"scale must be a non-negative integer, got {scale!r}")
    return check_weight(base, "base") / 2**scale


def _check_gradients_exist(height: int, width: int) -> None:
    if height < 2 or width < 2:
        raise LossError(f"smoothness needs at least 2x2 pixels to take gradients, got {width}x{height}")
