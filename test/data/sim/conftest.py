"""Shared worlds for the synthetic-street tests: small images, built once per session (each takes ~0.2 s)."""

from __future__ import annotations

import pytest

from mono_depth_ros.data.sim import SimConfig, SyntheticWorld

SMALL = {"width": 128, "height": 64}


@pytest.fixture(scope="session")
def small_world() -> SyntheticWorld:
    """A 30-frame stereo drive at 128x64, seed 0."""
    return SyntheticWorld(SimConfig(seed=0, stereo=True, **SMALL), frames=30)


@pytest.fixture(scope="session")
def ground_world() -> SyntheticWorld:
    """The ground plane and the sky only (no primitives) at 128x64."""
    return SyntheticWorld(SimConfig(seed=0, ground_only=True, **SMALL), frames=10)
