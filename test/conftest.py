"""Test-wide set-up: DDS on loopback with a per-run domain, a private cache folder, and shared fixtures.

The environment is set before any test module imports rclpy, so every rclpy graph a test builds stays on this
machine and parallel runs (CI beside a developer's run) never see each other.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

if TYPE_CHECKING:  # torch and the networks load only when a test asks for a checkpoint
    from mono_depth_ros.core.models import Checkpoint, ModelConfig

os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
# Domains 1..101 are valid for every RMW on Linux; pick one per test run.
os.environ.setdefault("ROS_DOMAIN_ID", str(random.SystemRandom().randint(1, 101)))


@pytest.fixture(autouse=True, scope="session")
def private_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """XDG_CACHE_HOME in the run's temporary folder: nothing a test decodes (the bag frame cache) lands in the
    user's ~/.cache, and subprocesses inherit it."""
    folder = tmp_path_factory.mktemp("cache_home")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    return folder


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


@pytest.fixture(scope="session")
def tiny_checkpoint() -> Callable[..., Checkpoint]:
    """tiny_checkpoint(config=None, width=96, height=64, *, seed=0, **fields) -> an untrained Checkpoint.

    The networks of `config` (a ModelConfig; None: `ModelConfig()`, ResNet-18 depth and pose) are built right after
    `torch.manual_seed(seed)`, so the same arguments give the same weights; `width` x `height` is the network input
    and `fields` go to `Checkpoint.from_networks` (metric_scale, training_mode, ...). Write it with save_checkpoint.
    """
    import torch

    from mono_depth_ros.core.models import Checkpoint, ModelConfig, Networks

    def build(
        config: ModelConfig | None = None, width: int = 96, height: int = 64, *, seed: int = 0, **fields: Any
    ) -> Checkpoint:
        torch.manual_seed(seed)
        networks = Networks.build(ModelConfig() if config is None else config)
        return Checkpoint.from_networks(networks, width, height, **fields)

    return build


_BLOCKED_IMPORT_SCRIPT = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    BLOCKED = {blocked!r}

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"blocked in this test: {{name}}")
            return None

    sys.meta_path.insert(0, Block())
    package = importlib.import_module({package!r})
    names = [m.name for m in pkgutil.walk_packages(package.__path__, {package!r} + ".")]
    for name in [*names, *{also!r}]:
        importlib.import_module(name)
    print(len(names))
    """
)


@pytest.fixture(scope="session")
def import_blocking() -> Callable[..., int]:
    """import_blocking(blocked, package, also=()) -> how many modules below `package` were imported.

    A fresh interpreter imports every module below `package` (walked recursively), then the modules `also`, with
    the top-level packages `blocked` made unimportable; the test fails with its stderr when any import fails.
    """

    def run(blocked: Iterable[str], package: str, also: Iterable[str] = ()) -> int:
        script = _BLOCKED_IMPORT_SCRIPT.format(blocked=set(blocked), package=package, also=list(also))
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            pytest.fail(f"importing {package} with {sorted(blocked)} blocked failed:\n{result.stderr}")
        return int(result.stdout)

    return run
