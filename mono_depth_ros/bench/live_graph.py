"""The live part of `run_live_metric`: the package's launcher on a DDS domain of its own, a `GraphRecorder`, and a
`BagPlayer` replaying the drive once the graph is connected (see `live_metric` for what is measured).

`record_live_run(plan)` starts `python -m mono_depth_ros.cli launch checkpoint:=... calibration:=MODE` (the launch
plan's depth_node and calibration_node as subprocesses; their output goes to `launcher.log`) with a random
ROS_DOMAIN_ID in 1..101 and ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST; records `/camera/depth/image`,
`/camera/depth_scale`, `/diagnostics` and the arrival of `/camera/left/image_raw`; waits until both nodes report
on /diagnostics and every replayed topic has its subscribers; replays the camera topics (and /odom for odometry);
waits for the frames in flight; and stops the launcher with SIGINT (it stops the nodes).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from mono_depth_ros.bench.errors import BenchmarkError
from mono_depth_ros.data.recording import SIM_TOPICS
from mono_depth_ros.launch_plan import PlaybackOptions
from mono_depth_ros.ros.player import BagPlayer
from mono_depth_ros.ros.recorder import GraphRecorder, Sample, output_topics

__all__ = ["DEPTH_TOPIC", "NAMESPACE", "SCALE_TOPIC", "LivePlan", "LiveRecording", "record_live_run"]

NAMESPACE = "/camera"
DEPTH_TOPIC = f"{NAMESPACE}/depth/image"
POINTS_TOPIC = f"{NAMESPACE}/points"
POINT_CLOUDS_KEPT = 3
SCALE_TOPIC = f"{NAMESPACE}/depth_scale"
NODES = ("depth_node", "calibration_node")
DRAIN_QUIET_S = 2.0
DRAIN_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0
_LAUNCHER_PREFIX = "mono-depth-ros launch:"


@dataclass(frozen=True)
class LivePlan:
    """One live run's settings."""

    checkpoint: Path
    folder: Path
    calibration: str
    frames: int
    width: int
    height: int
    rate: float
    seed: int
    device: str
    params_file: Path | None
    startup_timeout_s: float
    record_points: bool = False
    """Also record the newest POINT_CLOUDS_KEPT clouds of `points` (the demo writes one as PLY)."""

    @property
    def bag(self) -> Path:
        return self.folder / "drive"

    def launcher_argv(self) -> list[str]:
        argv = [sys.executable, "-m", "mono_depth_ros.cli", "launch", f"checkpoint:={self.checkpoint}"]
        argv += [f"calibration:={self.calibration}", f"device:={self.device}"]
        if self.params_file is not None:
            argv.append(f"params_file:={self.params_file}")
        return argv


class LiveRecording(NamedTuple):
    """What the recorder kept of a run, and when the replay started (monotonic seconds)."""

    inputs: list[Sample]
    depths: list[Sample]
    scales: list[Sample]
    diagnostics: list[Sample]
    started: float
    playback: str
    points: tuple[Sample, ...] = ()
    """The newest `points` clouds ((rows, cols, 3) xyz, (rows, cols, 3) uint8 rgb or None), when recorded."""


@contextlib.contextmanager
def _localhost_dds() -> Iterator[None]:
    """ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST while a context is initialised here (rmw reads it at init)."""
    key, previous = "ROS_AUTOMATIC_DISCOVERY_RANGE", os.environ.get("ROS_AUTOMATIC_DISCOVERY_RANGE")
    os.environ[key] = "LOCALHOST"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = previous


def _played_topics(calibration: str) -> dict[str, int]:
    """Replayed topic -> subscriptions it needs before the replay starts (the recorder's included)."""
    topics = SIM_TOPICS
    needed = {topics.left_image: 3, topics.left_info: 2}  # depth_node, calibration_node (+ the recorder)
    if calibration == "stereo":
        needed |= {topics.right_image: 1, topics.right_info: 2}  # calibration_node; + depth_node's baseline
    if calibration == "odometry":
        needed[topics.odometry] = 1
    return needed


class _Launcher:
    """`mono-depth-ros launch` as a subprocess, its output in a log file."""

    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.argv, self.log_path = argv, log_path
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def check(self) -> None:
        code = self.process.poll()
        if code is not None:
            raise BenchmarkError(f"the launcher exited with code {code} before the benchmark ended:\n{self.tail()}")

    def tail(self, lines: int = 20) -> str:
        """The launcher's own lines and the nodes' error lines, at most the last `lines` (a node stopped while
        importing leaves a long traceback that would hide them; `out_dir` keeps the whole log)."""
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no launcher log)"
        key = [line for line in text if line.startswith(_LAUNCHER_PREFIX) or "error" in line.lower()]
        return "\n".join(key[-lines:])

    def stop(self) -> None:
        """SIGINT (the launcher forwards it to the nodes), then SIGKILL after STOP_TIMEOUT_S."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait(recorder: GraphRecorder, launcher: _Launcher, done: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not recorder.wait_for(done, 0.5):
        launcher.check()
        if time.monotonic() > deadline:
            raise BenchmarkError(f"{what} within {timeout_s:g} s; the launcher said:\n{launcher.tail()}")


def _reporting_nodes(recorder: GraphRecorder) -> set[str]:
    return {record.hardware_id for sample in recorder.samples("/diagnostics") for record in sample.value}


def record_live_run(plan: LivePlan, say: Callable[[str], None]) -> LiveRecording:
    """Launch the nodes, wait until the graph is connected, replay the bag, wait for the last outputs, stop."""
    domain = random.SystemRandom().randint(1, 101)
    env = {**os.environ, "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST", "ROS_DOMAIN_ID": str(domain)}
    played = _played_topics(plan.calibration)
    with _localhost_dds():
        topics = output_topics(
            NAMESPACE, inputs=(SIM_TOPICS.left_image,), points=plan.record_points, keep_points=POINT_CLOUDS_KEPT
        )
        recorder = GraphRecorder(topics, domain_id=domain)
    launcher: _Launcher | None = None
    try:
        launcher = _Launcher(plan.launcher_argv(), env, plan.folder / "launcher.log")
        say("waiting for the nodes")
        _wait(recorder, launcher, lambda: set(NODES) <= _reporting_nodes(recorder), plan.startup_timeout_s,
              "depth_node and calibration_node did not report on /diagnostics")  # fmt: skip
        _wait(recorder, launcher, lambda: recorder.publisher_count(DEPTH_TOPIC) > 0, plan.startup_timeout_s,
              f"the recorder did not match {DEPTH_TOPIC}")  # fmt: skip
        player_node = recorder.create_node("bench_bag_player")
        with BagPlayer(player_node, PlaybackOptions(plan.bag, rate=plan.rate, topics=tuple(played))) as player:
            _wait(
                recorder,
                launcher,
                lambda: all(player.subscriber_counts().get(t, 0) >= n for t, n in played.items()),
                plan.startup_timeout_s,
                f"the replayed topics did not get their subscribers ({player.subscriber_counts()} of {played})",
            )
            say(f"replaying at {plan.rate:g}x")
            started = time.monotonic()
            report = player.play()
        _drain(recorder)
        launcher.check()
        return LiveRecording(
            recorder.samples(SIM_TOPICS.left_image),
            recorder.samples(DEPTH_TOPIC),
            recorder.samples(SCALE_TOPIC),
            recorder.samples("/diagnostics"),
            started,
            report.summary(),
            tuple(recorder.samples(POINTS_TOPIC)) if plan.record_points else (),
        )
    finally:
        if launcher is not None:
            launcher.stop()
        recorder.close()


def _drain(recorder: GraphRecorder) -> None:
    """Wait until no depth image arrived for DRAIN_QUIET_S (the frames in flight), at most DRAIN_TIMEOUT_S."""
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while time.monotonic() < deadline:
        count = recorder.count(DEPTH_TOPIC)
        if not recorder.wait_for(lambda seen=count: recorder.count(DEPTH_TOPIC) != seen, DRAIN_QUIET_S):
            return
