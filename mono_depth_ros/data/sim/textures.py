"""Procedural textures: multi-octave value noise and box-filtered stripe patterns, evaluated once per pixel.

Noise: each octave is a random zero-mean lattice (256 x 256 values, mirrored at its borders; one lattice per octave
and seed) read with bilinear interpolation. All octaves are sampled by one `grid_sample` call (octaves in the batch
dimension). Octave lattice spacings halve from 2 m down to 3 cm; the summed texture repeats only every 1 km.
Anti-aliasing: an octave fades out as its lattice spacing approaches the pixel's footprint on the surface (full
weight at >= 2 footprints, none at <= 1), so distant surfaces get their low octaves only and nothing flickers
between frames.
A (3, octaves) mixing matrix tints the coarse octaves differently per colour channel, for colour variation.

Stripes (lane markings, windows, paving joints) use the exact box filter of a periodic pulse train over the pixel's
footprint along the pattern's axis (difference of the pattern's integral), so they stay sharp near and smoothly
grey far, with no moire.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional

from mono_depth_ros.data.sim.primitives import Material

__all__ = ["MATERIAL_CONTRAST", "NOISE_PERIOD_M", "NoiseBank", "band_coverage", "pulse_coverage"]

_OCTAVES = 7
_LATTICE = 256
_COARSEST_SPACING_M = 2.0
# grid_sample's reflection padding mirrors the lattice about its border samples: period 2 (L - 1) samples.
NOISE_PERIOD_M = _COARSEST_SPACING_M * 2 * (_LATTICE - 1)
"""Every octave repeats after this distance, so coordinates may be reduced modulo it (float32 precision)."""

MATERIAL_CONTRAST = {
    Material.FACADE: 0.45,
    Material.PAINT: 0.45,
    Material.GLASS: 1.0,
    Material.RUBBER: 0.8,
    Material.METAL: 0.45,
    Material.BARK: 0.8,
    Material.FOLIAGE: 0.95,
    Material.CONCRETE: 0.5,
    Material.SIGN: 0.2,
}


class NoiseBank:
    """The seed's noise lattices and octave parameters (numpy), with per-device tensors made on demand."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.lattice = rng.random((_OCTAVES, _LATTICE, _LATTICE), dtype=np.float32) - np.float32(0.5)
        self.spacing = _COARSEST_SPACING_M / 2.0 ** np.arange(_OCTAVES)
        self.offsets = rng.uniform(0.0, _LATTICE, (_OCTAVES, 2))
        # Nearly flat spectrum (amplitude ~ spacing^0.1): fine detail matters most for photometric matching.
        amplitude = self.spacing**0.1
        amplitude = amplitude / np.sqrt(np.sum(amplitude**2)) * 2.2
        tint = np.ones((3, _OCTAVES))
        tint[:, :2] = rng.uniform(0.7, 1.3, (3, 2))  # coarse octaves vary the hue, fine ones the brightness
        self.mixing = (tint * amplitude).astype(np.float32)
        self._tensors: dict[tuple[torch.device, int], tuple[torch.Tensor, ...]] = {}

    def _on(self, device: torch.device, count: int) -> tuple[torch.Tensor, ...]:
        key = (device, count)
        tensors = self._tensors.get(key)
        if tensors is None:
            # align_corners=True: grid -1 and +1 are the first and last lattice samples. Offsets are stored
            # interleaved (u, v, u, v, ...) for `count` points, so that building the grid is one flat addcmul.
            to_grid = 2.0 / (_LATTICE - 1)
            offsets = (self.offsets * to_grid - 1.0).astype(np.float32)
            tensors = (
                torch.from_numpy(self.lattice[:, None]).to(device),  # (O, 1, L, L)
                torch.from_numpy((to_grid / self.spacing).astype(np.float32)).to(device)[:, None],  # (O, 1)
                torch.from_numpy(np.tile(offsets, (1, count))).to(device),  # (O, 2 count)
                torch.from_numpy(self.spacing.astype(np.float32)).to(device)[:, None],  # (O, 1)
                torch.from_numpy(self.mixing).to(device),  # (3, O)
            )
            self._tensors = {key: tensors}
        return tensors

    def fbm(self, coordinates: torch.Tensor, footprint: torch.Tensor) -> torch.Tensor:
        """Zero-mean coloured noise (3, N) at surface coordinates (N, 2) in metres; footprint (N,) in metres.

        The standard deviation is about 0.4; callers scale it by a material contrast.
        """
        count = coordinates.shape[0]
        lattice, to_grid, offsets, spacing, mixing = self._on(coordinates.device, count)
        grid = torch.addcmul(offsets, coordinates.reshape(1, -1), to_grid).view(_OCTAVES, 1, count, 2)
        samples = functional.grid_sample(lattice, grid, mode="bilinear", padding_mode="reflection", align_corners=True)
        # Octave weight: 1 while its spacing is >= 2 footprints, fading to 0 at 1 footprint.
        weight = torch.addcmul(torch.full((), -1.0, device=footprint.device), spacing, footprint.reciprocal()[None])
        return mixing @ (samples.view(_OCTAVES, count) * weight.clamp_(0.0, 1.0))


def pulse_coverage(
    x: torch.Tensor, footprint: torch.Tensor, period: torch.Tensor | float, width: torch.Tensor | float
) -> torch.Tensor:
    """Fraction of the pixel interval [x - footprint / 2, x + footprint / 2] covered by pulses [k P, k P + width).

    The exact box filter of the periodic pulse train: (I(x + f/2) - I(x - f/2)) / f with I its integral.
    """

    def integral(position: torch.Tensor) -> torch.Tensor:
        cycles = torch.floor(position / period)
        within = position - cycles * period
        within = torch.minimum(within, width) if isinstance(width, torch.Tensor) else within.clamp_(max=width)
        return cycles * width + within

    half = 0.5 * footprint
    return ((integral(x + half) - integral(x - half)) / footprint).clamp_(0.0, 1.0)


def band_coverage(x: torch.Tensor, footprint: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """Fraction of the pixel interval [x - footprint / 2, x + footprint / 2] inside [low, high]."""
    half = 0.5 * footprint
    overlap = (x + half).clamp_(max=high) - (x - half).clamp_(min=low)
    return (overlap / footprint).clamp_(0.0, 1.0)
