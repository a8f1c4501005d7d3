"""Errors of the rosbag2 layer."""

from __future__ import annotations

from mono_depth_ros.errors import MonoDepthError


class BagError(MonoDepthError):
    """A bag that is missing, unreadable, lacks a topic, or cannot be written."""
