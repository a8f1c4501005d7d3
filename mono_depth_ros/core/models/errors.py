"""Errors of the networks and their checkpoints."""

from __future__ import annotations

from pathlib import Path

from mono_depth_ros.errors import ConfigError, MonoDepthError


class ModelError(MonoDepthError):
    """A network cannot be built or run as asked."""


class ModelConfigError(ModelError, ConfigError):
    """A model configuration value is unknown or out of range."""


class CheckpointError(ModelError):
    """A checkpoint file cannot be read, is not one of ours, or does not fit the networks it describes."""

    def __init__(self, path: Path | str | None, problem: str) -> None:
        self.path = None if path is None else Path(path)
        self.problem = problem
        where = "checkpoint" if path is None else f"checkpoint {path}"
        super().__init__(f"{where}: {problem}")
