"""Test-wide set-up: DDS on loopback with a per-run domain, and shared fixtures.

The environment is set before any test module imports rclpy, so every rclpy graph a test builds stays on this
machine and parallel runs (CI beside a developer's run) never see each other.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest

os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
# Domains 1..101 are valid for every RMW on Linux; pick one per test run.
os.environ.setdefault("ROS_DOMAIN_ID", str(random.SystemRandom().randint(1, 101)))

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
KITTI_ROOT = SHARED_DATA / "kitti_raw_mini"


@pytest.fixture(scope="session")
def kitti_root() -> Path:
    """The read-only KITTI raw slice in ../shared/data (see its README)."""
    if not KITTI_ROOT.is_dir():
        pytest.fail(f"the shared KITTI test data is missing: expected {KITTI_ROOT}")
    return KITTI_ROOT


@pytest.fixture(scope="session")
def synthetic_frame() -> np.ndarray:
    """One (64, 160, 3) uint8 RGB frame of the synthetic street (seed 0)."""
    from mono_depth_ros.data.sim import SimConfig, SyntheticWorld

    world = SyntheticWorld(SimConfig(width=160, height=64, seed=0), frames=1)
    return world.render_frame(0).left_rgb
