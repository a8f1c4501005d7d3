"""Errors of the synthetic world."""

from __future__ import annotations

from mono_depth_ros.errors import MonoDepthError

__all__ = ["SimulationError"]


class SimulationError(MonoDepthError, ValueError):
    """An invalid simulation setting or request (configuration value, frame index, time, camera pose)."""
