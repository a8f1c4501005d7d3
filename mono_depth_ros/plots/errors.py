"""Errors of the plots."""

from __future__ import annotations

from mono_depth_ros.errors import MonoDepthError

__all__ = ["PlotError"]


class PlotError(MonoDepthError):
    """A plot's input is missing or unreadable, or matplotlib is not installed."""
