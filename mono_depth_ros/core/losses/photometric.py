"""Structural similarity (box or Gaussian window) and the photometric error between a reconstruction and its image.

pe(I, I') = alpha / 2 * (1 - SSIM(I, I')) + (1 - alpha) * |I - I'|, averaged over channels, with alpha = 0.85
(Monodepth2; the SAG paper's L_P). Monodepth2 uses a 3x3 box window, Learn Stereo Infer Mono an 11x11 Gaussian
(sigma 1.5, Wang et al. 2004); both pad by reflection so every output pixel has a full window.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch.nn import functional

from mono_depth_ros.core.losses._checks import check_weight, full_precision
from mono_depth_ros.core.losses.errors import LossError
from mono_depth_ros.core.shapes import check_shape

__all__ = [
    "BOX_WINDOW_SIZE",
    "GAUSSIAN_SIGMA",
    "GAUSSIAN_WINDOW_SIZE",
    "SSIM_ALPHA",
    "SSIM_C1",
    "SSIM_C2",
    "SsimWindow",
    "gaussian_window",
    "photometric_error",
    "ssim",
]

SsimWindow = Literal["box", "gaussian"]

SSIM_ALPHA = 0.85
"""Weight of the SSIM term in the photometric error (1 - alpha weighs L1)."""
SSIM_C1 = 0.01**2
"""SSIM's stabiliser of the luminance term, (K1 L)^2 with K1 = 0.01 and dynamic range L = 1."""
SSIM_C2 = 0.03**2
"""SSIM's stabiliser of the contrast-structure term, (K2 L)^2 with K2 = 0.03."""
BOX_WINDOW_SIZE = 3
"""Default window of the box SSIM (Monodepth2)."""
GAUSSIAN_WINDOW_SIZE = 11
"""Default window of the Gaussian SSIM (Wang et al.; Learn Stereo Infer Mono)."""
GAUSSIAN_SIGMA = 1.5
"""Default standard deviation (pixels) of the Gaussian SSIM window."""


def gaussian_window(
    size: int = GAUSSIAN_WINDOW_SIZE,
    sigma: float = GAUSSIAN_SIGMA,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """The 1-D normalised Gaussian (size,) centred on the middle tap; the 2-D window is its outer product."""
    _check_window_size(size)
    check_weight(sigma, "sigma")
    if sigma == 0:
        raise LossError("sigma must be positive, got 0")
    taps = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    weights = torch.exp(-(taps**2) / (2 * sigma**2))
    return weights / weights.sum()


def ssim(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    window: SsimWindow = "box",
    window_size: int | None = None,
    sigma: float = GAUSSIAN_SIGMA,
) -> torch.Tensor:
    """Per-pixel structural similarity of two images.

    Args:
        x: (*, C, H, W) image, values in [0, 1] (the constants C1, C2 assume a dynamic range of 1).
        y: (*, C, H, W) image; batch dimensions broadcast with x's.
        window: "box" (uniform weights, Monodepth2) or "gaussian" (Learn Stereo Infer Mono).
        window_size: odd window side; default 3 for "box", 11 for "gaussian". The images are reflection-padded by
            window_size // 2, which must be smaller than H and W.
        sigma: standard deviation of the Gaussian window in pixels (ignored for "box").

    Returns:
        (*, C, H, W) SSIM in [-1, 1] per pixel and channel (1 where the windows are identical), in float32 (float64
        for float64 inputs): half-precision inputs are promoted.
    """
    sizes = check_shape(x, "x", ["*", "C", "H", "W"])
    check_shape(y, "y", ["*", "C", "H", "W"], sizes)
    if window not in ("box", "gaussian"):
        raise LossError(f"window must be 'box' or 'gaussian', got {window!r}")
    if window_size is None:
        window_size = BOX_WINDOW_SIZE if window == "box" else GAUSSIAN_WINDOW_SIZE
    _check_window_size(window_size)
    channels, height, width = sizes["C"], sizes["H"], sizes["W"]
    pad = window_size // 2
    if pad >= min(height, width):
        raise LossError(
            f"an SSIM window of {window_size} pixels needs images larger than {pad} pixels on each side for "
            f"reflection padding, got {width}x{height}"
        )
    x, y = full_precision(x, y)
    batch = torch.broadcast_shapes(x.shape[:-3], y.shape[:-3])

    def filtered(moments: torch.Tensor) -> torch.Tensor:
        """The window's weighted mean of each (..., K * C, H + 2 pad, W + 2 pad) plane -> (..., K * C, H, W)."""
        flat = moments.reshape(-1, *moments.shape[-3:])
        if window == "box":
            means = _box_filter(flat, window_size)
        else:
            means = _separable_filter(flat, gaussian_window(window_size, sigma, dtype=x.dtype, device=x.device))
        return means.reshape(*moments.shape[:-2], height, width)

    # Each image's own statistics at its own batch shape (a target shared by S sources is filtered once), the
    # cross term at the broadcast shape.
    px, py = _reflection_pad(x, pad), _reflection_pad(y, pad)
    mu_x, xx = filtered(torch.cat((px, px * px), dim=-3)).split(channels, dim=-3)
    mu_y, yy = filtered(torch.cat((py, py * py), dim=-3)).split(channels, dim=-3)
    xy = filtered(px * py)
    sigma_x = xx - mu_x * mu_x
    sigma_y = yy - mu_y * mu_y
    sigma_xy = xy - mu_x * mu_y
    numerator = (2 * mu_x * mu_y + SSIM_C1) * (2 * sigma_xy + SSIM_C2)
    denominator = (mu_x * mu_x + mu_y * mu_y + SSIM_C1) * (sigma_x + sigma_y + SSIM_C2)
    return (numerator / denominator).expand(*batch, channels, height, width)


def photometric_error(
    predicted: torch.Tensor,
    target: torch.Tensor,
    *,
    alpha: float = SSIM_ALPHA,
    ssim_window: SsimWindow = "box",
    ssim_window_size: int | None = None,
) -> torch.Tensor:
    """Per-pixel photometric error alpha * clamp((1 - SSIM) / 2, 0, 1) + (1 - alpha) * |predicted - target|.

    Args:
        predicted: (*, C, H, W) reconstructed image (a warped source view), values in [0, 1].
        target: (*, C, H, W) the image it should match; batch dimensions broadcast (pass sources stacked as
            (*, S, C, H, W) against a target (*, 1, C, H, W) to score S views in one call).
        alpha: SSIM weight in [0, 1]; 0 skips the SSIM computation.
        ssim_window, ssim_window_size: see `ssim`.

    Returns:
        (*, H, W) the error averaged over channels, >= 0 (0 for identical images), float32 or float64.
    """
    sizes = check_shape(predicted, "predicted", ["*", "C", "H", "W"])
    check_shape(target, "target", ["*", "C", "H", "W"], sizes)
    alpha = check_weight(alpha, "alpha", high=1.0)
    predicted, target = full_precision(predicted, target)
    error = (1 - alpha) * (predicted - target).abs().mean(dim=-3)
    if alpha > 0:
        dissimilarity = (1 - ssim(predicted, target, window=ssim_window, window_size=ssim_window_size)) / 2
        error = error + alpha * dissimilarity.clamp(0, 1).mean(dim=-3)
    return error


def _check_window_size(size: object) -> None:
    if not isinstance(size, int) or isinstance(size, bool) or size < 1 or size % 2 == 0:
        raise LossError(f"an SSIM window size must be an odd positive integer, got {size!r}")


def _reflection_pad(images: torch.Tensor, pad: int) -> torch.Tensor:
    """(*, C, H, W) -> (*, C, H + 2 pad, W + 2 pad), mirrored about the border pixels (any batch dimensions)."""
    flat = images.reshape(-1, *images.shape[-3:])
    padded = functional.pad(flat, (pad, pad, pad, pad), mode="reflect")
    return padded.reshape(*images.shape[:-2], *padded.shape[-2:])


def _box_filter(images: torch.Tensor, size: int) -> torch.Tensor:
    """Valid (unpadded) mean over size x size windows of (N, C, H, W); the values of avg_pool2d(images, size, 1).

    avg_pool2d's CPU kernels (forward and backward) were a quarter of a 640x192 training step; separable sums of
    shifted slices, with the adjoint (the same sums over the zero-padded gradient) as the backward, are ~5x faster.
    """
    return _BoxFilter.apply(images, size)


def _window_sums(images: torch.Tensor, size: int) -> torch.Tensor:
    """Valid sums over size x size windows of (..., H, W) -> (..., H - size + 1, W - size + 1)."""
    height, width = images.shape[-2] - size + 1, images.shape[-1] - size + 1
    rows = images[..., :height, :]
    for offset in range(1, size):
        rows = rows + images[..., offset : offset + height, :]
    total = rows[..., :width]
    for offset in range(1, size):
        total = total + rows[..., offset : offset + width]
    return total


class _BoxFilter(torch.autograd.Function):
    @staticmethod
    def forward(ctx, images: torch.Tensor, size: int) -> torch.Tensor:  # type: ignore[override]
        ctx.size = size
        return _window_sums(images, size) / (size * size)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        # Each input pixel feeds the size x size outputs around it: the full correlation with the same window.
        margin = ctx.size - 1
        padded = functional.pad(grad, (margin, margin, margin, margin))
        return _window_sums(padded, ctx.size) / (ctx.size * ctx.size), None


def _separable_filter(images: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """Valid (unpadded) correlation of (N, C, H, W) with the separable window taps (k,) x taps (k,), per channel."""
    channels, size = images.shape[1], taps.shape[0]
    rows = taps.view(1, 1, size, 1).expand(channels, 1, size, 1)
    cols = taps.view(1, 1, 1, size).expand(channels, 1, 1, size)
    return functional.conv2d(functional.conv2d(images, rows, groups=channels), cols, groups=channels)
