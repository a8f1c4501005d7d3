"""The root of the package's error types.

Every subpackage defines its own errors (geometry, wire formats, bags, simulation, ...) deriving from
`MonoDepthError`, so callers can catch one concern precisely or everything the package raises on purpose.
Messages name the offending value; user input is never checked with `assert`.
"""

from __future__ import annotations


class MonoDepthError(Exception):
    """Base of every error mono_depth_ros raises deliberately."""


class ConfigError(MonoDepthError, ValueError):
    """A configuration value (CLI option, ROS parameter, YAML key) is missing, unknown or out of range."""
