"""Benchmark of the synthetic street renderer: frames per second, mono and stereo, and the world's build time.

    .venv/bin/python benchmarks/bench_render.py [--width 640 --height 192 --frames 50] [--stereo | --mono]

Each frame is a full `SyntheticWorld.render_frame` (RGB + exact depth, and the right view for stereo), on
consecutive frames of the drive; the first frames are a warm-up (lazy per-device tables, allocator). Reported:
median and 90th percentile per-frame time over the measured frames, and frames/s from the median. The machine's
load average is printed too: the renderer uses torch's default threads, and other busy processes slow it down.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mono_depth_ros.data.sim import SimConfig, SyntheticWorld

_WARM_UP_FRAMES = 3


def _measure(config: SimConfig, frames: int) -> tuple[float, list[float]]:
    """World build time and per-frame render times (s) after the warm-up."""
    start = time.perf_counter()
    world = SyntheticWorld(config, frames=frames + _WARM_UP_FRAMES)
    build = time.perf_counter() - start
    times = []
    for index in range(frames + _WARM_UP_FRAMES):
        start = time.perf_counter()
        world.render_frame(index)
        if index >= _WARM_UP_FRAMES:
            times.append(time.perf_counter() - start)
    return build, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=192)
    parser.add_argument("--frames", type=int, default=50, help="measured frames per mode (after 3 warm-up frames)")
    parser.add_argument("--seed", type=int, default=0)
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--stereo", action="store_true", help="measure stereo only")
    modes.add_argument("--mono", action="store_true", help="measure mono only")
    args = parser.parse_args()

    print(
        f"render benchmark: {args.width}x{args.height}, {args.frames} frames, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.2f}"
    )
    chosen = [False, True] if not (args.stereo or args.mono) else [args.stereo]
    for stereo in chosen:
        config = SimConfig(width=args.width, height=args.height, seed=args.seed, stereo=stereo)
        build, times = _measure(config, args.frames)
        median = statistics.median(times)
        p90 = sorted(times)[int(0.9 * (len(times) - 1))]
        name = "stereo" if stereo else "mono"
        print(
            f"{name:>6}: {1.0 / median:6.1f} frames/s  (median {median * 1e3:6.1f} ms/frame, p90 {p90 * 1e3:6.1f} ms; "
            f"world built in {build:.2f} s)"
        )


if __name__ == "__main__":
    main()
