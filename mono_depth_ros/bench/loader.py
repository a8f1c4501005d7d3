"""How fast recorded bags feed the trainer: cold (decoding into the frame cache) and warm (from the cache), against
the training step that consumes the windows.

A synthetic drive is recorded twice at SOURCE_SIZE (a camera larger than any training size): raw rgb8 Images and
jpeg CompressedImages. For each training size and format:

- cold: `build_bag_data` with an empty cache (read the bag, decode, resize, write the cache), frames/s;
- warm: `build_bag_data` again (the cache is current), seconds, then windows served as the trainer takes them
  (`dataset[i]` for a batch of shuffled indices, stacked by `collate` into tensors), windows/s and frames/s;
- step: the median training step of the same mode, size and batch (`bench.training.run_training`).

Target: warm windows/s at least TARGET_LOADER_RATIO times the windows/s the step consumes.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mono_depth_ros.bench.timing import Timing, measure
from mono_depth_ros.bench.training import run_training

__all__ = ["LOADER_SIZES", "SOURCE_SIZE", "TARGET_LOADER_RATIO", "LoaderBenchResult", "LoaderCase", "run_loader"]

TARGET_LOADER_RATIO = 5.0
LOADER_SIZES = ((320, 96), (640, 192))
SOURCE_SIZE = (1280, 384)
DEFAULT_LOADER_FRAMES = 60
LOADER_BATCH = 6
"""The trainer's default batch size."""


@dataclass(frozen=True)
class LoaderCase:
    width: int
    height: int
    encoding: str
    """raw (rgb8 Image) or jpeg (CompressedImage)."""
    frames: int
    cold_s: float
    warm_s: float
    batch: Timing
    """Time to serve one batch of LOADER_BATCH windows from the warm cache."""
    step_s: float

    @property
    def cold_frames_per_second(self) -> float:
        return self.frames / self.cold_s

    @property
    def windows_per_second(self) -> float:
        return LOADER_BATCH * self.batch.per_second

    @property
    def consumed_per_second(self) -> float:
        return LOADER_BATCH / self.step_s

    @property
    def ratio(self) -> float:
        return self.windows_per_second / self.consumed_per_second


@dataclass(frozen=True)
class LoaderBenchResult:
    cases: tuple[LoaderCase, ...]
    mode: str

    def missed_targets(self) -> list[str]:
        return [
            f"loader {case.encoding} {case.width}x{case.height}: warm windows/s >= {TARGET_LOADER_RATIO:g}x the "
            f"step's (got {case.ratio:.1f}x)"
            for case in self.cases
            if case.ratio < TARGET_LOADER_RATIO
        ]

    def format(self) -> str:
        lines = [
            f"bag loader ({self.mode} windows, batch {LOADER_BATCH}; bag recorded at {SOURCE_SIZE[0]}x"
            f"{SOURCE_SIZE[1]}): cold = decode into the cache, warm = from the cache",
            f"{'size':9s} {'bag':5s} {'cold fr/s':>9s} {'warm s':>7s} {'win/s':>8s} {'frames/s':>9s} "
            f"{'step s':>7s} {'step win/s':>10s} {'ratio':>7s}",
        ]
        for case in self.cases:
            ok = "ok" if case.ratio >= TARGET_LOADER_RATIO else "MISSED"
            lines.append(
                f"{case.width}x{case.height:<5d} {case.encoding:5s} {case.cold_frames_per_second:9.1f} "
                f"{case.warm_s:7.2f} {case.windows_per_second:8.0f} {3 * case.windows_per_second:9.0f} "
                f"{case.step_s:7.2f} {case.consumed_per_second:10.2f} {case.ratio:6.0f}x  >= "
                f"{TARGET_LOADER_RATIO:g}x {ok}"
            )
        return "\n".join(lines)


def _record(folder: Path, frames: int, compressed: bool) -> Path:
    from mono_depth_ros.data.recording import RecordingOptions, record_drive

    path = folder / ("jpeg" if compressed else "raw")
    width, height = SOURCE_SIZE
    record_drive(RecordingOptions(out=path, frames=frames, width=width, height=height, compressed=compressed))
    return path


def run_loader(
    *,
    frames: int = DEFAULT_LOADER_FRAMES,
    repeats: int = 20,
    step_repeats: int = 3,
    device: str = "auto",
    sizes: tuple[tuple[int, int], ...] = LOADER_SIZES,
    progress: Callable[[str], None] | None = None,
) -> LoaderBenchResult:
    """Time the loader for each of `sizes` and both bag formats; see the module docstring."""
    from mono_depth_ros.core.training.config import TrainingConfig
    from mono_depth_ros.core.training.data import collate
    from mono_depth_ros.data.recording import SIM_TOPICS
    from mono_depth_ros.data.training import BagSelection, build_bag_data

    report = progress or (lambda _: None)
    folder = Path(tempfile.mkdtemp(prefix="mono_depth_loader_"))
    try:
        bags = {}
        for encoding in ("raw", "jpeg"):
            report(f"record {encoding}")
            bags[encoding] = _record(folder, frames, compressed=encoding == "jpeg")
        cases = []
        for width, height in sizes:
            report(f"step {width}x{height}")
            step = run_training(width, height, batch_size=LOADER_BATCH, device=device, repeats=step_repeats, warmup=1)
            for encoding, bag in bags.items():
                topic = SIM_TOPICS.compressed(SIM_TOPICS.left_image) if encoding == "jpeg" else SIM_TOPICS.left_image
                cache = folder / f"cache-{encoding}-{width}x{height}"
                config = TrainingConfig(width=width, height=height, frame_cache_dir=str(cache))
                selection = BagSelection((bag,), topic)
                report(f"cold {encoding} {width}x{height}")
                start = time.perf_counter()
                build_bag_data(config, selection)
                cold_s = time.perf_counter() - start
                start = time.perf_counter()
                data = build_bag_data(config, selection)
                warm_s = time.perf_counter() - start
                order = np.random.default_rng(0).permutation(len(data.train))

                def one_batch(index: int, data: object = data, order: np.ndarray = order) -> None:
                    picks = [order[(index * LOADER_BATCH + k) % order.shape[0]] for k in range(LOADER_BATCH)]
                    collate([data.train[int(i)] for i in picks], "cpu")

                report(f"warm {encoding} {width}x{height}")
                batch = measure(one_batch, repeats=repeats, warmup=2)
                cases.append(LoaderCase(width, height, encoding, frames, cold_s, warm_s, batch, step.seconds_per_step))
        return LoaderBenchResult(tuple(cases), "mono")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
