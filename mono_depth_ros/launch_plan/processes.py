"""Start the planned nodes (and a bag player) as processes without launch_ros, and keep watch over them.

`supervise` starts every process in its own session (so a terminal's Ctrl-C reaches the launcher only, which
forwards it once), forwards SIGINT/SIGTERM, and when one process exits while it should keep running, stops the
others and raises a ProcessExitError naming it. On Linux the children also get SIGTERM if the launcher itself dies
without cleaning up (prctl PDEATHSIG), so no node outlives a killed launcher.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mono_depth_ros.launch_plan.errors import LaunchError, ProcessExitError
from mono_depth_ros.launch_plan.nodes import NodeSpec
from mono_depth_ros.launch_plan.playback import PLAYER_MODULE, PlaybackOptions
from mono_depth_ros.launch_plan.share import PACKAGE, find_share_dir

__all__ = ["ProcessSpec", "node_process", "player_process", "resolve_executable", "supervise"]

#: Seconds the processes get to exit after the forwarded signal before SIGTERM, then SIGKILL.
GRACE_S = 10.0
KILL_AFTER_S = 3.0
_POLL_S = 0.05
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class ProcessSpec:
    """A process of the launch: `name` for messages, its full `argv`, and whether it may end by itself (with exit
    code 0, like a bag player at the end of its bag) while the others keep running."""

    name: str
    argv: tuple[str, ...]
    may_finish: bool = False

    def command_line(self) -> str:
        """The shell-quoted command line (what --dry-run prints)."""
        return shlex.join(self.argv)


def resolve_executable(
    package: str, executable: str, *, bin_dir: Path | None = None, share_dir: Path | None = None
) -> tuple[str, ...]:
    """The command that runs `executable` of `package`, as `ros2 run` would find it.

    This package's console scripts: the one installed beside the running interpreter (a venv's bin/), else the one
    of the install the running code comes from (<prefix>/lib/mono_depth_ros of a colcon install, found from its
    `share_dir`), else the entry point through this interpreter. Other packages (rviz2):
    `<prefix>/lib/<package>/<executable>` from the ament index, else PATH; a LaunchError names what is missing.
    """
    if package == PACKAGE:
        if not executable.isidentifier():
            raise LaunchError(f"{executable!r} is not an executable of {PACKAGE}")
        candidates = [(Path(sys.executable).parent if bin_dir is None else bin_dir) / executable]
        with contextlib.suppress(LaunchError):
            share = find_share_dir() if share_dir is None else share_dir
            if share.parent.name == "share":
                candidates.append(share.parent.parent / "lib" / PACKAGE / executable)
        for candidate in candidates:
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return (str(candidate),)
        code = f"import sys; from {PACKAGE}.ros.entry_points import {executable}; sys.exit({executable}())"
        return (sys.executable, "-c", code)
    found = _ament_executable(package, executable) or shutil.which(executable)
    if found is None:
        raise LaunchError(
            f"{executable} (package {package}) is not installed: it is neither in the ament index nor on PATH"
        )
    return (str(found),)


def _ament_executable(package: str, executable: str) -> Path | None:
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_prefix
    except ImportError:
        return None
    try:
        candidate = Path(get_package_prefix(package)) / "lib" / package / executable
    except (PackageNotFoundError, OSError, ValueError):  # OSError: no AMENT_PREFIX_PATH
        return None
    return candidate if candidate.is_file() else None


def node_process(spec: NodeSpec, *, bin_dir: Path | None = None, share_dir: Path | None = None) -> ProcessSpec:
    """The process of a planned node: its executable with the node's command-line arguments and `--ros-args`."""
    command = resolve_executable(spec.package, spec.executable, bin_dir=bin_dir, share_dir=share_dir)
    return ProcessSpec(spec.name, (*command, *spec.command_arguments()))


def player_process(options: PlaybackOptions) -> ProcessSpec:
    """The bag player (`python -m mono_depth_ros.ros.player`); it may finish unless it loops."""
    argv = (sys.executable, "-m", PLAYER_MODULE, *options.command_arguments())
    return ProcessSpec("bag_player", argv, may_finish=not options.loop)


def _die_with_parent() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def hook() -> None:  # runs in the child between fork and exec: nothing but the system call
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))

    return hook


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    # Each child leads its own process group (start_new_session): reach what it started too.
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(process.pid, signum)


def _wait_all(processes: Sequence[subprocess.Popen], timeout_s: float, interrupted: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(p.poll() is not None for p in processes) or interrupted():
            break
        time.sleep(_POLL_S)
    return all(p.poll() is not None for p in processes)


def _stop(
    running: dict[str, subprocess.Popen],
    signum: int,
    grace_s: float,
    report: Callable[[str], None],
    signals: list[int],
) -> None:
    """Send `signum` to every running process, then SIGTERM after `grace_s` (at once on a further signal), then
    SIGKILL; report each escalation."""
    alive = [p for p in running.values() if p.poll() is None]
    for process in alive:
        _signal_group(process, signum)
    pending = len(signals)
    if _wait_all(alive, grace_s, lambda: len(signals) > pending):
        return
    for escalation, wait_s in ((signal.SIGTERM, KILL_AFTER_S), (signal.SIGKILL, KILL_AFTER_S)):
        late = [name for name, p in running.items() if p.poll() is None]
        if not late:
            return
        report(f"{', '.join(late)} still running; sending {escalation.name}")
        for name in late:
            _signal_group(running[name], escalation)
        if _wait_all([running[name] for name in late], wait_s, lambda: False):
            return


def supervise(
    processes: Sequence[ProcessSpec],
    *,
    report: Callable[[str], None],
    grace_s: float = GRACE_S,
) -> int:
    """Run `processes` until a SIGINT/SIGTERM (forwarded to them; returns 0 once they exited), until all of them
    finished by themselves (returns 0), or until one exits while it should keep running: the others are stopped
    and a ProcessExitError names it. `report(line)` tells the user what happens."""
    names = [spec.name for spec in processes]
    if len(set(names)) != len(names):
        raise LaunchError(f"process names must be unique, got {', '.join(names)}")
    signals: list[int] = []
    previous: dict[int, object] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda received, _frame: signals.append(received))
    running: dict[str, subprocess.Popen] = {}
    hook = _die_with_parent()
    try:
        for spec in processes:
            try:
                # The hook runs in the forked child before exec: one system call, no lock taken.
                running[spec.name] = subprocess.Popen(spec.argv, start_new_session=True, preexec_fn=hook)
            except OSError as error:
                _stop(running, signal.SIGINT, grace_s, report, signals)
                raise LaunchError(f"cannot start {spec.name} ({spec.argv[0]}): {error.strerror}") from None
            report(f"started {spec.name} (pid {running[spec.name].pid})")
        watched = {spec.name: spec for spec in processes}
        while True:
            if signals:
                received = signal.Signals(signals[-1])
                report(f"{received.name} received; stopping {', '.join(watched) or 'nothing'}")
                _stop({n: running[n] for n in watched}, received, grace_s, report, signals)
                return 0
            for name, spec in list(watched.items()):
                code = running[name].poll()
                if code is None:
                    continue
                if spec.may_finish and code == 0:
                    del watched[name]
                    report(f"{name} finished" + ("; the others keep running (Ctrl-C stops them)" if watched else ""))
                    continue
                del watched[name]
                _stop({n: running[n] for n in watched}, signal.SIGINT, grace_s, report, signals)
                raise ProcessExitError(name, running[name].pid, code)
            if not watched:
                return 0
            time.sleep(_POLL_S)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        # Whatever went wrong above, leave no child behind.
        leftovers = {n: p for n, p in running.items() if p.poll() is None}
        if leftovers:
            _stop(leftovers, signal.SIGTERM, KILL_AFTER_S, report, [])
