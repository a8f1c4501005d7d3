"""Rectified-stereo losses: horizontal reconstruction, left-right disparity consistency, and the Siamese stereo loss
of Learn Stereo, Infer Mono.

Disparities here are *fractions of the image width*, positive, as in Godard et al. 2017 (on which the Siamese paper
builds): a left pixel at column u sees the point that the right image shows at column u - W * d_left(u), and a right
pixel at u the one the left image shows at u + W * d_right(u). The fraction is the same at every decoder scale for the
same depth, so one weight serves all scales; `depth_to_stereo_disparity` converts a depth map. For the rigid-warp
(Monodepth2 S and MS) formulation use `core.geometry.warp_source_to_target` with the baseline transform instead.

Siamese training: the right disparity comes from the same network run on the mirrored right image, mirrored back:
d_right = mirror(network(mirror(I_right))) (`mirror`).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from mono_depth_ros.core.geometry import pixel_grid, sample_at_pixels
from mono_depth_ros.core.losses._checks import check_weight, full_precision
from mono_depth_ros.core.losses.photometric import SSIM_ALPHA, SsimWindow, photometric_error
from mono_depth_ros.core.losses.smoothness import SMOOTHNESS_WEIGHT, total_variation
from mono_depth_ros.core.shapes import check_shape

__all__ = [
    "SiameseStereoLoss",
    "depth_to_stereo_disparity",
    "left_right_consistency",
    "mirror",
    "sample_horizontally",
    "siamese_stereo_loss",
]


class SiameseStereoLoss(NamedTuple):
    """One scale of the Siamese stereo loss; the terms are unweighted sums over the two views."""

    total: torch.Tensor
    """() image_weight * image + left_right_weight * left_right + smoothness_weight * smoothness."""
    image: torch.Tensor
    """() L_im(left) + L_im(right): mean photometric error of each view's reconstruction from the other."""
    left_right: torch.Tensor
    """() L_lr(left) + L_lr(right), see `left_right_consistency`."""
    smoothness: torch.Tensor
    """() TV(d_left) + TV(d_right), see `total_variation`."""
    left_reconstruction: torch.Tensor
    """(*, C, H, W) the left image rebuilt from the right one with d_left."""
    right_reconstruction: torch.Tensor
    """(*, C, H, W) the right image rebuilt from the left one with d_right."""


def mirror(tensor: torch.Tensor) -> torch.Tensor:
    """Flip around the vertical axis (the last dimension, image width): (*, W) -> (*, W). Its own inverse."""
    return tensor.flip(-1)


def sample_horizontally(image: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """Bilinear samples of image (*, C, H, W) at (u + offset(u, v), v), offset (*, H, W) in pixels -> (*, C, H, W).

    Columns beyond the image take the border value (as `core.geometry.sample_at_pixels`); batch dimensions
    broadcast.
    """
    sizes = check_shape(image, "image", ["*", "C", "H", "W"])
    check_shape(offset, "offset", ["*", "H", "W"], sizes)
    grid = pixel_grid(sizes["H"], sizes["W"], dtype=offset.dtype, device=offset.device)
    u = grid[..., 0] + offset
    v = grid[..., 1].expand_as(u)
    return sample_at_pixels(image, torch.stack((u, v), dim=-1))


def depth_to_stereo_disparity(
    depth: torch.Tensor, focal_length: float | torch.Tensor, baseline: float | torch.Tensor
) -> torch.Tensor:
    """Depth (*, H, W) -> disparity as a fraction of the width: fx * baseline / (depth * W).

    Args:
        depth: (*, H, W) depth along the optical axis, in the baseline's unit.
        focal_length: fx in pixels of this H x W image (a number, or a (*,) tensor per image).
        baseline: distance between the two optical centres (a number, or a (*,) tensor).
    """
    width = check_shape(depth, "depth", ["*", "H", "W"])["W"]
    focal_length = torch.as_tensor(focal_length, dtype=depth.dtype, device=depth.device)
    baseline = torch.as_tensor(baseline, dtype=depth.dtype, device=depth.device)
    return (focal_length * baseline)[..., None, None] / (depth * width)


def left_right_consistency(left_disparity: torch.Tensor, right_disparity: torch.Tensor) -> torch.Tensor:
    """L_lr(left) + L_lr(right) = mean |d_l(u) - d_r(u - W d_l(u))| + mean |d_r(u) - d_l(u + W d_r(u))|.

    Args:
        left_disparity: (*, H, W) disparity of the left view, fraction of the width, positive.
        right_disparity: (*, H, W) disparity of the right view (for the Siamese network, already mirrored back).

    Returns:
        () the consistency of both views, each a mean over pixels.
    """
    sizes = check_shape(left_disparity, "left_disparity", ["*", "H", "W"])
    check_shape(right_disparity, "right_disparity", ["*", "H", "W"], sizes)
    left, right = full_precision(left_disparity, right_disparity)
    width = sizes["W"]
    right_at_left = sample_horizontally(right[..., None, :, :], -width * left)[..., 0, :, :]
    left_at_right = sample_horizontally(left[..., None, :, :], width * right)[..., 0, :, :]
    return (left - right_at_left).abs().mean() + (right - left_at_right).abs().mean()


def siamese_stereo_loss(
    left_image: torch.Tensor,
    right_image: torch.Tensor,
    left_disparity: torch.Tensor,
    right_disparity: torch.Tensor,
    *,
    alpha: float = SSIM_ALPHA,
    image_weight: float = 1.0,
    left_right_weight: float = 1.0,
    smoothness_weight: float = SMOOTHNESS_WEIGHT,
    ssim_window: SsimWindow = "gaussian",
) -> SiameseStereoLoss:
    """One scale of Learn Stereo, Infer Mono's loss (its Eq. 1); sum the scales' `total` for Eq. 2.

    L_s = a_im (L_im^l + L_im^r) + a_tv (L_tv^l + L_tv^r) + a_lr (L_lr^l + L_lr^r), with the paper's weights
    a_im = 1, a_lr = 1, a_tv = 0.001 and the image loss alpha / 2 (1 - SSIM) + (1 - alpha) |I - I'| with a Gaussian
    SSIM window.

    Args:
        left_image, right_image: (*, C, H, W) the rectified pair at this scale's resolution, values in [0, 1].
        left_disparity, right_disparity: (*, H, W) fractions of the width (see the module docstring).
        alpha, ssim_window: see `photometric_error`.
        image_weight, left_right_weight, smoothness_weight: non-negative term weights.

    Returns:
        `SiameseStereoLoss`.
    """
    sizes = check_shape(left_image, "left_image", ["*", "C", "H", "W"])
    check_shape(right_image, "right_image", ["*", "C", "H", "W"], sizes)
    check_shape(left_disparity, "left_disparity", ["*", "H", "W"], sizes)
    check_shape(right_disparity, "right_disparity", ["*", "H", "W"], sizes)
    image_weight = check_weight(image_weight, "image_weight")
    left_right_weight = check_weight(left_right_weight, "left_right_weight")
    smoothness_weight = check_weight(smoothness_weight, "smoothness_weight")
    left_disparity, right_disparity = full_precision(left_disparity, right_disparity)
    width = sizes["W"]
    left_reconstruction = sample_horizontally(right_image, -width * left_disparity)
    right_reconstruction = sample_horizontally(left_image, width * right_disparity)
    image = (
        photometric_error(left_reconstruction, left_image, alpha=alpha, ssim_window=ssim_window).mean()
        + photometric_error(right_reconstruction, right_image, alpha=alpha, ssim_window=ssim_window).mean()
    )
    left_right = left_right_consistency(left_disparity, right_disparity)
    smoothness = total_variation(left_disparity) + total_variation(right_disparity)
    total = image_weight * image + left_right_weight * left_right + smoothness_weight * smoothness
    return SiameseStereoLoss(total, image, left_right, smoothness, left_reconstruction, right_reconstruction)
