"""Errors of the launch plan and the launcher: every message names the offending argument, path or process."""

from __future__ import annotations

import signal

from mono_depth_ros.errors import ConfigError, MonoDepthError

__all__ = ["LaunchArgumentError", "LaunchError", "ProcessExitError"]


class LaunchArgumentError(ConfigError):
    """A launch argument or playback option is unknown, malformed or names a file that does not exist."""


class LaunchError(MonoDepthError):
    """A process of the launch could not be found or started."""


class ProcessExitError(LaunchError):
    """A launched process exited while it should have kept running (the others were stopped)."""

    def __init__(self, name: str, pid: int, returncode: int) -> None:
        self.name = name
        self.pid = pid
        self.returncode = returncode
        super().__init__(f"{name} (pid {pid}) {describe_exit(returncode)}; stopped the other processes")


def describe_exit(returncode: int) -> str:
    """'exited with code 3' or 'was killed by SIGSEGV' (Popen's negative return codes are signals)."""
    if returncode >= 0:
        return f"exited with code {returncode}"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    return f"was killed by {name}"
