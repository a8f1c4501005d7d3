"""Errors of the ROS adapters: every message names the offending value (parameter, QoS name, ...)."""

from __future__ import annotations

from mono_depth_ros.errors import ConfigError, MonoDepthError

__all__ = ["ParameterError", "RosAdapterError"]


class RosAdapterError(MonoDepthError):
    """A ROS adapter (node, helper) cannot do what it was asked."""


class ParameterError(RosAdapterError, ConfigError):
    """A ROS parameter (or QoS profile name) is missing, of the wrong type, out of range or not one of its choices."""
