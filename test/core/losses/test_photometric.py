"""SSIM (box and Gaussian) and the photometric error, against independent pixel-by-pixel computations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mono_depth_ros.core.losses import (
    GAUSSIAN_SIGMA,
    SSIM_C1,
    SSIM_C2,
    LossError,
    ShapeError,
    gaussian_window,
    photometric_error,
    ssim,
)


def _reflect(index: int, size: int) -> int:
    """Reflection about the first and last samples (the edge itself is not repeated): -1 -> 1, size -> size - 2."""
    if index < 0:
        return -index
    if index >= size:
        return 2 * (size - 1) - index
    return index


def _box_ssim_reference(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """SSIM of (..., H, W) arrays over 3x3 windows of a reflection-padded image, written out pixel by pixel.

    mu, variance and covariance are plain means over the nine window samples; SSIM is
    (2 mu_x mu_y + C1)(2 cov + C2) / ((mu_x^2 + mu_y^2 + C1)(var_x + var_y + C2)).
    """
    height, width = x.shape[-2:]
    out = np.empty(np.broadcast_shapes(x.shape, y.shape))
    for row in range(height):
        for col in range(width):
            rows = [_reflect(row + step, height) for step in (-1, 0, 1)]
            cols = [_reflect(col + step, width) for step in (-1, 0, 1)]
            a = x[..., rows, :][..., cols].reshape(*x.shape[:-2], 9)
            b = y[..., rows, :][..., cols].reshape(*y.shape[:-2], 9)
            mu_a, mu_b = a.mean(-1), b.mean(-1)
            var_a = ((a - mu_a[..., None]) ** 2).mean(-1)
            var_b = ((b - mu_b[..., None]) ** 2).mean(-1)
            cov = ((a - mu_a[..., None]) * (b - mu_b[..., None])).mean(-1)
            out[..., row, col] = ((2 * mu_a * mu_b + 0.01**2) * (2 * cov + 0.03**2)) / (
                (mu_a**2 + mu_b**2 + 0.01**2) * (var_a + var_b + 0.03**2)
            )
    return out


def _photometric_reference(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    """alpha * clamp((1 - SSIM) / 2, 0, 1) + (1 - alpha) * |a - b|, each averaged over channels.

    (..., C, H, W) arrays -> (..., H, W).
    """
    dissimilarity = np.clip((1 - _box_ssim_reference(a, b)) / 2, 0, 1).mean(-3)
    return alpha * dissimilarity + (1 - alpha) * np.abs(a - b).mean(-3)


def _ssim_loop(x: np.ndarray, y: np.ndarray, window: np.ndarray) -> np.ndarray:
    """SSIM of (H, W) images with a 2-D window, reflection-padded, one pixel at a time."""
    pad = window.shape[0] // 2
    px, py = np.pad(x, pad, mode="reflect"), np.pad(y, pad, mode="reflect")
    out = np.empty_like(x)
    for row in range(x.shape[0]):
        for col in range(x.shape[1]):
            a = px[row : row + 2 * pad + 1, col : col + 2 * pad + 1]
            b = py[row : row + 2 * pad + 1, col : col + 2 * pad + 1]
            mu_a, mu_b = (window * a).sum(), (window * b).sum()
            var_a = (window * (a - mu_a) ** 2).sum()
            var_b = (window * (b - mu_b) ** 2).sum()
            cov = (window * (a - mu_a) * (b - mu_b)).sum()
            out[row, col] = ((2 * mu_a * mu_b + SSIM_C1) * (2 * cov + SSIM_C2)) / (
                (mu_a**2 + mu_b**2 + SSIM_C1) * (var_a + var_b + SSIM_C2)
            )
    return out


@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
def test_box_ssim_matches_an_independent_computation(batch: tuple[int, ...], generator: torch.Generator) -> None:
    x = torch.rand(*batch, 3, 5, 6, generator=generator, dtype=torch.float64)
    y = (x + 0.2 * torch.rand(*batch, 3, 5, 6, generator=generator, dtype=torch.float64)).clamp(0, 1)
    ours = ssim(x, y)
    assert ours.shape == (*batch, 3, 5, 6)
    assert ours.dtype == torch.float64
    np.testing.assert_allclose(ours.numpy(), _box_ssim_reference(x.numpy(), y.numpy()), rtol=1e-10, atol=1e-12)


def test_box_ssim_reflects_at_the_border() -> None:
    """The corner pixel's window is rows/columns (1, 0, 1): a replicated or zero border gives another value."""
    x = torch.arange(30, dtype=torch.float64).reshape(1, 5, 6) / 30
    y = x.flip(-1)
    corner = x[0][[1, 0, 1]][:, [1, 0, 1]].numpy()
    other = y[0][[1, 0, 1]][:, [1, 0, 1]].numpy()
    mu_a, mu_b = corner.mean(), other.mean()
    cov = ((corner - mu_a) * (other - mu_b)).mean()
    expected = ((2 * mu_a * mu_b + 0.01**2) * (2 * cov + 0.03**2)) / (
        (mu_a**2 + mu_b**2 + 0.01**2) * (corner.var() + other.var() + 0.03**2)
    )
    assert ssim(x, y)[0, 0, 0].item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("window", "size"), [("gaussian", 11), ("gaussian", 5), ("box", 5)])
def test_ssim_matches_an_independent_loop(window: str, size: int, generator: torch.Generator) -> None:
    x = torch.rand(2, 12, 14, generator=generator, dtype=torch.float64)
    y = (0.7 * x + 0.3 * torch.rand(2, 12, 14, generator=generator, dtype=torch.float64)).clamp(0, 1)
    if window == "gaussian":
        taps = gaussian_window(size, GAUSSIAN_SIGMA, dtype=torch.float64).numpy()
        window_2d = np.outer(taps, taps)
    else:
        window_2d = np.full((size, size), 1.0 / size**2)
    ours = ssim(x, y, window=window, window_size=size)
    for channel in range(2):
        expected = _ssim_loop(x[channel].numpy(), y[channel].numpy(), window_2d)
        np.testing.assert_allclose(ours[channel].numpy(), expected, rtol=1e-10, atol=1e-12)


def test_gaussian_window_is_normalised_symmetric_and_peaked() -> None:
    taps = gaussian_window(11, 1.5, dtype=torch.float64)
    assert taps.shape == (11,)
    torch.testing.assert_close(taps.sum(), torch.tensor(1.0, dtype=torch.float64))
    torch.testing.assert_close(taps, taps.flip(0))
    assert int(taps.argmax()) == 5
    # The ratio of neighbouring taps is the Gaussian's: exp(-(1 - 0) / (2 sigma^2)).
    torch.testing.assert_close(taps[6] / taps[5], torch.tensor(np.exp(-1 / 4.5), dtype=torch.float64))


@pytest.mark.parametrize("window", ["box", "gaussian"])
def test_ssim_is_one_for_identical_images_and_symmetric(window: str, generator: torch.Generator) -> None:
    x = torch.rand(3, 16, 16, generator=generator, dtype=torch.float64)
    y = torch.rand(3, 16, 16, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(ssim(x, x, window=window), torch.ones_like(x))
    torch.testing.assert_close(ssim(x, y, window=window), ssim(y, x, window=window))
    assert bool((ssim(x, y, window=window) < 0.99).all())


def test_ssim_of_constant_images_is_the_luminance_term() -> None:
    x = torch.full((1, 8, 8), 0.2, dtype=torch.float64)
    y = torch.full((1, 8, 8), 0.6, dtype=torch.float64)
    expected = (2 * 0.2 * 0.6 + SSIM_C1) / (0.2**2 + 0.6**2 + SSIM_C1)
    torch.testing.assert_close(ssim(x, y), torch.full_like(x, expected))


def test_ssim_broadcasts_batch_dimensions(generator: torch.Generator) -> None:
    sources = torch.rand(4, 2, 3, 8, 10, generator=generator)
    target = torch.rand(4, 1, 3, 8, 10, generator=generator)
    together = ssim(sources, target)
    assert together.shape == (4, 2, 3, 8, 10)
    torch.testing.assert_close(together[:, 1], ssim(sources[:, 1], target[:, 0]))


def test_half_precision_inputs_are_computed_in_float32(generator: torch.Generator) -> None:
    x = torch.rand(3, 16, 16, generator=generator)
    y = (x + 0.01 * torch.rand(3, 16, 16, generator=generator)).clamp(0, 1)
    low = ssim(x.to(torch.bfloat16), y.to(torch.bfloat16))
    assert low.dtype == torch.float32
    torch.testing.assert_close(low, ssim(x.to(torch.bfloat16).float(), y.to(torch.bfloat16).float()))
    assert photometric_error(x.half(), y.half()).dtype == torch.float32


@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
@pytest.mark.parametrize("alpha", [0.85, 0.3])
def test_photometric_error_matches_an_independent_computation(
    batch: tuple[int, ...], alpha: float, generator: torch.Generator
) -> None:
    pred = torch.rand(*batch, 3, 5, 6, generator=generator, dtype=torch.float64)
    target = torch.rand(*batch, 3, 5, 6, generator=generator, dtype=torch.float64)
    ours = photometric_error(pred, target, alpha=alpha)
    assert ours.shape == (*batch, 5, 6)
    expected = _photometric_reference(pred.numpy(), target.numpy(), alpha)
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_photometric_error_default_alpha_is_0_85(generator: torch.Generator) -> None:
    pred = torch.rand(3, 5, 6, generator=generator, dtype=torch.float64)
    target = torch.rand(3, 5, 6, generator=generator, dtype=torch.float64)
    expected = _photometric_reference(pred.numpy(), target.numpy(), 0.85)
    np.testing.assert_allclose(photometric_error(pred, target).numpy(), expected, rtol=1e-10, atol=1e-12)


def test_photometric_error_limits(generator: torch.Generator) -> None:
    pred = torch.rand(3, 10, 12, generator=generator, dtype=torch.float64)
    target = torch.rand(3, 10, 12, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(photometric_error(pred, pred), torch.zeros(10, 12, dtype=torch.float64))
    torch.testing.assert_close(photometric_error(pred, target, alpha=0.0), (pred - target).abs().mean(0))
    dissimilarity = ((1 - ssim(pred, target, window="gaussian")) / 2).clamp(0, 1).mean(0)
    torch.testing.assert_close(photometric_error(pred, target, alpha=1.0, ssim_window="gaussian"), dissimilarity)


def test_photometric_error_is_differentiable(generator: torch.Generator) -> None:
    pred = torch.rand(2, 3, 10, 12, generator=generator, dtype=torch.float64, requires_grad=True)
    target = torch.rand(2, 3, 10, 12, generator=generator, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda p: photometric_error(p, target).mean(), (pred,))


@pytest.mark.parametrize("size", [3, 5])
def test_box_ssim_gradients_are_numerical_gradients_in_both_images(size: int, generator: torch.Generator) -> None:
    """The box window has a hand-written backward (the adjoint of its sums); check it against finite differences."""
    x = torch.rand(1, 2, 9, 11, generator=generator, dtype=torch.float64, requires_grad=True)
    y = torch.rand(1, 2, 9, 11, generator=generator, dtype=torch.float64, requires_grad=True)
    weights = torch.rand(1, 2, 9, 11, generator=generator, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a, b: (ssim(a, b, window_size=size) * weights).sum(), (x, y))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"window": "median"}, "window must be"),
        ({"window_size": 4}, "odd positive integer"),
        ({"window_size": 0}, "odd positive integer"),
        ({"window_size": True}, "odd positive integer"),
        ({"window": "gaussian", "window_size": 13}, "needs images larger than 6"),
    ],
)
def test_ssim_rejects_bad_windows(kwargs: dict, match: str) -> None:
    x = torch.rand(1, 6, 20)
    with pytest.raises(LossError, match=match):
        ssim(x, x, **kwargs)


@pytest.mark.parametrize("alpha", [-0.1, 1.5, float("nan"), "0.85", True])
def test_photometric_error_rejects_bad_alpha(alpha: object) -> None:
    x = torch.rand(1, 8, 8)
    with pytest.raises(LossError, match="alpha"):
        photometric_error(x, x, alpha=alpha)


def test_shapes_are_checked() -> None:
    with pytest.raises(ShapeError, match="y must have shape"):
        ssim(torch.rand(3, 8, 8), torch.rand(3, 8, 9))
    with pytest.raises(ShapeError, match="predicted"):
        photometric_error(torch.rand(8, 8), torch.rand(8, 8))
    with pytest.raises(LossError, match="sigma"):
        gaussian_window(5, 0.0)
