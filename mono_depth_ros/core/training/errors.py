"""Errors of the trainer."""

from __future__ import annotations

from mono_depth_ros.errors import ConfigError, MonoDepthError

__all__ = ["TrainingConfigError", "TrainingDataError", "TrainingError"]


class TrainingError(MonoDepthError):
    """Training cannot start or go on (a non-finite loss, a checkpoint that does not fit the configuration)."""


class TrainingConfigError(TrainingError, ConfigError):
    """A training configuration value (YAML key, CLI option) is unknown, out of range, or does not fit the data."""


class TrainingDataError(TrainingError, ValueError):
    """A training sample or dataset does not have what the mode needs, or has the wrong shape or type."""
