"""Texture building blocks: exact box filtering of stripes, noise anti-aliasing, the pre-filtered ground tables."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from mono_depth_ros.data.sim.ground import GroundPattern
from mono_depth_ros.data.sim.street import RoadLayout
from mono_depth_ros.data.sim.textures import NoiseBank, band_coverage, pulse_coverage


def _supersampled(
    pattern: Callable[[np.ndarray], np.ndarray], x: np.ndarray, footprint: np.ndarray, samples: int = 4001
) -> np.ndarray:
    """The mean of `pattern` over [x - footprint / 2, x + footprint / 2], by brute force."""
    offsets = np.linspace(-0.5, 0.5, samples)
    return pattern(x[:, None] + footprint[:, None] * offsets[None]).mean(axis=1)


def test_pulse_coverage_is_the_box_filtered_pulse_train() -> None:
    rng = np.random.default_rng(0)
    x, footprint = rng.uniform(-20, 20, 200), rng.uniform(0.01, 6.0, 200)
    period, width = 2.5, 0.8
    expected = _supersampled(lambda p: (np.mod(p, period) < width).astype(float), x, footprint)
    got = pulse_coverage(torch.from_numpy(x), torch.from_numpy(footprint), period, width).numpy()
    np.testing.assert_allclose(got, expected, atol=2e-3)


def test_band_coverage_is_the_box_filtered_band() -> None:
    rng = np.random.default_rng(1)
    x, footprint = rng.uniform(-3, 3, 200), rng.uniform(0.01, 4.0, 200)
    expected = _supersampled(lambda p: ((p >= -0.3) & (p < 0.7)).astype(float), x, footprint)
    got = band_coverage(torch.from_numpy(x), torch.from_numpy(footprint), -0.3, 0.7).numpy()
    np.testing.assert_allclose(got, expected, atol=2e-3)


def test_noise_is_deterministic_rich_near_and_fades_far() -> None:
    bank, again = NoiseBank(np.random.default_rng(5)), NoiseBank(np.random.default_rng(5))
    points = torch.from_numpy(np.random.default_rng(2).uniform(-500, 500, (5000, 2)).astype(np.float32))
    near = bank.fbm(points, torch.full((5000,), 0.005))
    torch.testing.assert_close(near, again.fbm(points, torch.full((5000,), 0.005)), rtol=0, atol=0)
    assert near.shape == (3, 5000)
    assert 0.2 < near.std().item() < 0.7
    assert abs(near.mean().item()) < 0.05
    # Footprints beyond the coarsest lattice spacing leave nothing to alias: the noise fades to zero.
    assert bank.fbm(points, torch.full((5000,), 10.0)).abs().max().item() == 0.0


def test_ground_tables_filter_the_pattern() -> None:
    road = RoadLayout.random(np.random.default_rng(0))
    ground = GroundPattern(road)
    lane_centre = torch.tensor([0.0])
    edge_line = torch.tensor([road.centre_offset - road.road_edge + 0.075])
    s = torch.tensor([3.0])
    tiny = torch.tensor([0.01])
    asphalt, _ = ground.albedo(s, lane_centre, tiny, tiny, 0.0)
    paint, _ = ground.albedo(s, edge_line, tiny, tiny, 0.0)
    assert paint.mean() > asphalt.mean() + 0.4  # the white edge line on dark asphalt
    # Far away (a 2 m wide footprint across) the 15 cm line blends into the asphalt around it.
    wide = torch.tensor([2.0])
    blended, _ = ground.albedo(s, edge_line, tiny, wide, 0.0)
    assert asphalt.mean() < blended.mean() < asphalt.mean() + 0.1
    # The dashes of the centre line repeat with their period along s.
    centre_line = torch.full((200,), road.centre_offset)
    stations = torch.linspace(0.0, 2 * road.dash_period, 200)
    dashes, _ = ground.albedo(stations, centre_line, torch.full((200,), 0.01), torch.full((200,), 0.01), 0.0)
    painted = (dashes.mean(0) > 0.7).double().mean().item()
    assert painted == pytest.approx(road.dash_length / road.dash_period, abs=0.03)
