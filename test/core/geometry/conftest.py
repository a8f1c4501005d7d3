"""Shared fixtures of the geometry tests: seeded randomness and small cameras."""

from __future__ import annotations

import numpy as np
import pytest
import torch


@pytest.fixture
def generator() -> torch.Generator:
    """A seeded torch generator, so every random test is reproducible."""
    return torch.Generator().manual_seed(1234)


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded numpy generator."""
    return np.random.default_rng(1234)


@pytest.fixture
def camera_matrix() -> torch.Tensor:
    """K (3, 3) float64 for a 8x6 image, with unequal focal lengths and an off-centre principal point."""
    return torch.tensor([[7.0, 0.0, 3.7], [0.0, 6.5, 2.4], [0.0, 0.0, 1.0]], dtype=torch.float64)
