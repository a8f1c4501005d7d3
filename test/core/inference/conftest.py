"""Shared fixtures of the inference tests: tiny checkpoints (96x64 networks: fast) and test images."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from mono_depth_ros.core.geometry import PinholeIntrinsics
from mono_depth_ros.core.models import Checkpoint, ModelConfig, Networks

NETWORK_WIDTH, NETWORK_HEIGHT = 96, 64
IMAGE_WIDTH, IMAGE_HEIGHT = 150, 70

CheckpointFactory = Callable[..., Checkpoint]


@pytest.fixture(scope="session")
def make_checkpoint() -> CheckpointFactory:
    """make_checkpoint(**ModelConfig fields, checkpoint=dict(Checkpoint fields)) -> a seeded random checkpoint.

    The decoder's output convolution is rescaled so that the disparity varies visibly with the image (freshly
    initialised, it stays within a few thousandths of 0.5). The networks of a configuration are built once per
    session (building ResNets is most of a small test's time); do not mutate what it returns."""
    built: dict[tuple[tuple[str, Any], ...], Networks] = {}

    def make(*, checkpoint: dict[str, Any] | None = None, **config: Any) -> Checkpoint:
        key = tuple(sorted(config.items()))
        if key not in built:
            torch.manual_seed(0)
            networks = Networks.build(ModelConfig(pose=False, **config))
            with torch.no_grad():
                for head in networks.depth.decoder.heads.values():
                    head.conv.weight.mul_(20.0)
            built[key] = networks
        return Checkpoint.from_networks(built[key], NETWORK_WIDTH, NETWORK_HEIGHT, **(checkpoint or {}))

    return make


@pytest.fixture(scope="session")
def checkpoint(make_checkpoint: CheckpointFactory) -> Checkpoint:
    """A plain monocular ResNet-18 checkpoint at 96x64 with no metric scale."""
    return make_checkpoint()


@pytest.fixture(scope="session")
def image() -> np.ndarray:
    """(70, 150, 3) uint8 RGB: smooth gradients, a bright block and noise, so every channel and side differ."""
    rng = np.random.default_rng(7)
    v, u = np.mgrid[0:IMAGE_HEIGHT, 0:IMAGE_WIDTH]
    red = 255 * u / (IMAGE_WIDTH - 1)
    green = 255 * v / (IMAGE_HEIGHT - 1)
    blue = 128 + 60 * np.sin(u / 7.0) * np.cos(v / 5.0)
    pixels = np.stack([red, green, blue], axis=-1) + rng.normal(0, 8, (IMAGE_HEIGHT, IMAGE_WIDTH, 3))
    pixels[20:40, 30:70] = (250, 240, 20)
    return np.clip(pixels, 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def intrinsics() -> PinholeIntrinsics:
    """A camera for the (70, 150) test image, principal point off centre."""
    return PinholeIntrinsics(fx=120.0, fy=110.0, cx=71.3, cy=36.2, width=IMAGE_WIDTH, height=IMAGE_HEIGHT)
