"""The ground plane's pattern: carriageway with lane markings and crosswalks, parking lanes, curbs, paved
sidewalks and the lots behind them, as a function of the curvilinear coordinates (s, d) of each ground pixel.

The pattern is separable: a cross-section profile in d (surface colours, edge lines, curbs, where the centre line
and the zebra stripes lie) and three periodic patterns in s (centre-line dashes, crosswalks, paving joints). Each
1-D pattern is tabulated at 1 cm and box-filtered once, at build time, at log-spaced filter widths from 1 cm to
20 m: a mip-map of a 1-D texture. A ground pixel then reads its pattern, filtered exactly over its footprint
along d and along s, with two bilinear `grid_sample` calls, whatever its distance: sharp near, no aliasing far.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional

from mono_depth_ros.data.sim.street import RoadLayout

__all__ = ["GroundPattern"]

_ASPHALT = (0.27, 0.27, 0.28)
_PARKING = (0.31, 0.30, 0.30)
_CURB = (0.62, 0.61, 0.58)
_SIDEWALK = (0.56, 0.53, 0.49)
_LOT = (0.33, 0.34, 0.20)
_PAINT = (0.86, 0.86, 0.83)
_JOINT = (0.33, 0.31, 0.29)
_CONTRAST = {"asphalt": 0.65, "parking": 0.6, "curb": 0.35, "sidewalk": 0.45, "lot": 0.9, "paint": 0.25}
_LINE_WIDTH_M = 0.15
_ZEBRA_M = 0.5
_PAVING_M = 0.8
_JOINT_M = 0.04
_CROSSWALK_LENGTH_M = 4.0
_CROSS_SECTION_HALF_M = 40.0
_CELL_M = 0.02  # the cross-section's sampling; the s patterns use 4096 samples per period
_FINEST_FILTER_M = 0.01
_FILTER_LEVELS = 23  # widths 1 cm * 2^(k/2), k < 23: up to 20 m (s patterns); the cross-section stops at 2.5 m
_CROSS_SECTION_LEVELS = 17
# Cross-section channels.
_RGB, _SURFACE_CONTRAST, _CENTRE_LINE, _ZEBRA, _JOINTS_ACROSS, _SIDEWALK_MASK = 0, 3, 4, 5, 6, 7


class GroundPattern:
    """The pre-filtered pattern tables of one street, and their evaluation for ground pixels."""

    def __init__(self, road: RoadLayout) -> None:
        self.road = road
        self.widths = _FINEST_FILTER_M * 2.0 ** (np.arange(_FILTER_LEVELS) / 2.0)
        d = road.centre_offset + np.arange(-_CROSS_SECTION_HALF_M, _CROSS_SECTION_HALF_M + _CELL_M / 2, _CELL_M)
        self.d_range = (float(d[0]), float(d[-1]))
        # Across the street the footprint stays small (t / fx); 17 levels (up to 2.5 m) keep the table in cache.
        widths = self.widths[:_CROSS_SECTION_LEVELS] / _CELL_M
        self.cross_section = _filtered(_cross_section(road, d), widths, periodic=False)
        # Periodic patterns in s: (period, samples over one period), each filtered at the same widths.
        self.periods = (road.dash_period, road.crosswalk_period, _PAVING_M)
        self.phases = (road.dash_phase, road.crosswalk_phase, 0.0)
        along = []
        samples = 4096
        for period, duty in zip(self.periods, (road.dash_length, _CROSSWALK_LENGTH_M, _JOINT_M), strict=True):
            cell = period / samples
            position = (np.arange(samples) + 0.5) * cell
            pattern = (position < duty).astype(np.float64)[None]
            along.append(_filtered(pattern, self.widths / cell, periodic=True)[0])
        self.along = np.stack(along)[:, None]  # (3, 1, levels, samples + 1)
        self._tensors: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}

    def _on(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        tensors = self._tensors.get(device)
        if tensors is None:
            tensors = (
                torch.from_numpy(self.cross_section.astype(np.float32)).to(device)[None],
                torch.from_numpy(self.along.astype(np.float32)).to(device),
            )
            self._tensors[device] = tensors
        return tensors

    def albedo(
        self,
        s: torch.Tensor,
        d: torch.Tensor,
        footprint_s: torch.Tensor,
        footprint_d: torch.Tensor,
        s_origin: float,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Albedo (3, N) and noise contrast (N,) of ground points.

        Args:
            s: (N,) arc length relative to `s_origin` (kept small for float32 precision).
            d: (N,) lateral offset from the car's path (left positive).
            footprint_s, footprint_d: (N,) the pixel's extent on the ground along s and along d, metres.
            s_origin: the arc length that `s` is relative to.
        """
        cross_section, along = self._on(s.device)
        count = s.shape[0]
        # Filter level as a grid coordinate: width = finest * 2^(level / 2).
        level_d = torch.log2(footprint_d * (1.0 / _FINEST_FILTER_M)) * (4.0 / (_CROSS_SECTION_LEVELS - 1)) - 1.0
        level_s = torch.log2(footprint_s * (1.0 / _FINEST_FILTER_M)) * (4.0 / (_FILTER_LEVELS - 1)) - 1.0
        low, high = self.d_range
        across = (d - low) * (2.0 / (high - low)) - 1.0
        grid = torch.stack((across, level_d), dim=-1)[None, None]
        profile = functional.grid_sample(cross_section, grid, padding_mode="border", align_corners=True)[0, :, 0]

        # s within each pattern's period; the shift is computed in float64 before it meets the float32 tensor.
        shifts = [
            ((s_origin - phase) % period) / period for period, phase in zip(self.periods, self.phases, strict=True)
        ]
        inverse_periods = torch.tensor([1.0 / period for period in self.periods], device=s.device)[:, None]
        cycle = torch.frac(torch.addcmul(torch.tensor(shifts, device=s.device)[:, None], s[None], inverse_periods))
        cycle = torch.where(cycle < 0, cycle + 1.0, cycle) * 2.0 - 1.0
        grid = torch.stack((cycle, level_s.expand(3, count)), dim=-1)[:, None]
        dashes, crossing, joints_along = functional.grid_sample(along, grid, padding_mode="border", align_corners=True)[
            :, 0, 0
        ]

        paint = profile[_CENTRE_LINE] * dashes + profile[_ZEBRA] * crossing
        joints = torch.maximum(joints_along * profile[_SIDEWALK_MASK], profile[_JOINTS_ACROSS])
        albedo = profile[_RGB : _RGB + 3]
        albedo = albedo + (_colour(_PAINT, s) - albedo) * paint + (_colour(_JOINT, s) - albedo) * joints
        contrast = torch.lerp(profile[_SURFACE_CONTRAST], torch.full_like(paint, _CONTRAST["paint"]), paint)
        return albedo, contrast


def _cross_section(road: RoadLayout, d: np.ndarray) -> np.ndarray:
    """(8, len(d)) the unfiltered cross-section: colour, contrast, and the masks the s patterns multiply."""
    e = np.abs(d - road.centre_offset)
    zones = (
        (e < road.road_edge, _ASPHALT, "asphalt"),
        ((e >= road.road_edge) & (e < road.curb_start), _PARKING, "parking"),
        ((e >= road.curb_start) & (e < road.sidewalk_start), _CURB, "curb"),
        ((e >= road.sidewalk_start) & (e < road.sidewalk_end), _SIDEWALK, "sidewalk"),
        (e >= road.sidewalk_end, _LOT, "lot"),
    )
    table = np.zeros((8, len(d)))
    for mask, colour, name in zones:
        table[_RGB : _RGB + 3, mask] = np.asarray(colour)[:, None]
        table[_SURFACE_CONTRAST, mask] = _CONTRAST[name]
    edge_line = (e >= road.road_edge - _LINE_WIDTH_M) & (e < road.road_edge)
    table[_RGB : _RGB + 3, edge_line] = np.asarray(_PAINT)[:, None]
    table[_SURFACE_CONTRAST, edge_line] = _CONTRAST["paint"]
    table[_CENTRE_LINE] = e < 0.5 * _LINE_WIDTH_M
    table[_ZEBRA] = (e < road.road_edge - 0.3) & (np.floor(d / _ZEBRA_M) % 2 == 0)
    sidewalk = (e >= road.sidewalk_start) & (e < road.sidewalk_end)
    table[_JOINTS_ACROSS] = sidewalk & ((e - road.sidewalk_start) % _PAVING_M < _JOINT_M)
    table[_SIDEWALK_MASK] = sidewalk
    return table


def _filtered(signal: np.ndarray, widths_in_cells: np.ndarray, periodic: bool) -> np.ndarray:
    """(C, levels, N') box-filtered copies of signal (C, N) at each width (in samples), via prefix sums.

    Periodic signals get one extra wrapped sample (N' = N + 1) so that a read at the period's end interpolates
    back to the start; others keep N' = N and clamp at their ends.
    """
    channels, count = signal.shape
    if periodic:
        # Three periods are enough for filters up to a period wide; wider ones are the mean anyway.
        padded = np.concatenate((signal, signal, signal), axis=1)
        origin = count
    else:
        pad = int(np.ceil(widths_in_cells.max())) + 1
        padded = np.concatenate((np.repeat(signal[:, :1], pad, 1), signal, np.repeat(signal[:, -1:], pad, 1)), 1)
        origin = pad
    prefix = np.concatenate((np.zeros((channels, 1)), np.cumsum(padded, axis=1)), axis=1)
    # Periodic tables hold the value at s = i * cell (grid -1 .. +1 <-> one period); the cross-section holds cell
    # centres (i + 0.5 in cell units).
    positions = origin + (np.arange(count + 1) if periodic else np.arange(count) + 0.5)
    levels = []
    for width in widths_in_cells:
        half = min(0.5 * max(width, 1.0), origin - 1.0)
        upper = _prefix_at(prefix, positions + half)
        lower = _prefix_at(prefix, positions - half)
        levels.append((upper - lower) / (2 * half))
    return np.stack(levels, axis=1)


def _prefix_at(prefix: np.ndarray, position: np.ndarray) -> np.ndarray:
    """The running integral of a piecewise-constant signal at fractional sample positions."""
    index = np.floor(position).astype(np.int64)
    fraction = position - index
    return prefix[:, index] + fraction * (prefix[:, index + 1] - prefix[:, index])


def _colour(rgb: tuple[float, float, float], like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(rgb, dtype=like.dtype, device=like.device)[:, None]
