"""Errors of the benchmarks."""

from __future__ import annotations

from mono_depth_ros.errors import MonoDepthError

__all__ = ["BenchmarkError"]


class BenchmarkError(MonoDepthError):
    """A benchmark's correctness check failed (its numbers would be meaningless), or a target was missed under
    `--strict`."""
