"""Shared fixtures of the loss tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture
def generator() -> torch.Generator:
    """A seeded torch generator, so every random test is reproducible."""
    return torch.Generator().manual_seed(1234)
