"""The one timing helper every benchmark uses, and the description of the machine the numbers come from."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import torch

__all__ = ["Timing", "cpu_model", "machine_line", "measure"]

_NS_PER_MS = 1_000_000


@dataclass(frozen=True)
class Timing:
    """Per-call time of a timed function: median and 90th percentile (nearest rank) in milliseconds."""

    median_ms: float
    p90_ms: float
    repeats: int

    @property
    def per_second(self) -> float:
        """Calls per second at the median time (frames/s for the renderer)."""
        return 1000.0 / self.median_ms if self.median_ms > 0 else float("inf")

    @classmethod
    def from_samples_ns(cls, samples_ns: list[int]) -> Timing:
        """Summary of per-call durations in nanoseconds (at least one)."""
        if not samples_ns:
            raise ValueError("a timing needs at least one sample")
        ordered = sorted(samples_ns)
        # Nearest-rank percentile: the smallest sample with at least 90 % of the samples at or below it. Integer
        # arithmetic (ceil(0.9 n)) so that 0.9 * n never rounds to the wrong side.
        p90_rank = (9 * len(ordered) + 9) // 10
        return cls(
            median_ms=statistics.median(ordered) / _NS_PER_MS,
            p90_ms=ordered[p90_rank - 1] / _NS_PER_MS,
            repeats=len(ordered),
        )


def measure(
    fn: Callable[[int], object],
    repeats: int,
    warmup: int,
    clock: Callable[[], int] = time.perf_counter_ns,
) -> Timing:
    """Time `repeats` calls of `fn` after `warmup` untimed ones.

    `fn` receives the iteration index, counted across warm-up and timed calls (0 .. warmup + repeats - 1), so a
    benchmark can work on a different input each time (the renderer renders consecutive frames of its drive).
    `clock` returns integer nanoseconds; tests inject a fake one.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if warmup < 0:
        raise ValueError(f"warmup must be non-negative, got {warmup}")
    # Warm-up calls pay the one-off costs (lazy tables, allocator growth, first-call dispatch) off the clock.
    for index in range(warmup):
        fn(index)
    samples_ns = []
    for index in range(warmup, warmup + repeats):
        start = clock()
        fn(index)
        samples_ns.append(clock() - start)
    return Timing.from_samples_ns(samples_ns)


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name from /proc/cpuinfo (x86 `model name`, some ARM kernels `Hardware` or `Model`), else what
    the platform module knows, else "unknown CPU"."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, separator, value = line.partition(":")
        if separator and value.strip():
            found.setdefault(key.strip().lower(), value.strip())
    for key in ("model name", "hardware", "model", "cpu model"):
        if key in found:
            return found[key]
    return platform.processor() or platform.machine() or "unknown CPU"


def _load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except (OSError, AttributeError):  # not every platform has it (Windows: AttributeError)
        return "load average unavailable"
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def _cuda_device() -> str:
    if not torch.cuda.is_available():
        return "CUDA: none"
    return f"CUDA: {torch.cuda.get_device_name(torch.cuda.current_device())}"


def machine_line(now: datetime | None = None, cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """One line with what a BENCHMARKS.md entry records about the run: UTC date and time, CPU model, logical cores,
    torch version and intra-op threads, load average (other busy processes slow every number down) and the CUDA
    device, if any."""
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return (
        f"machine: {moment:%Y-%m-%d %H:%M} UTC; {cpu_model(cpuinfo)}; {os.cpu_count() or '?'} logical cores; "
        f"torch {torch.__version__}, intra-op threads {torch.get_num_threads()}; {_load_average()}; {_cuda_device()}"
    )
