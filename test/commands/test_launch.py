"""`mono-depth-ros launch`: command lines (--dry-run), argument errors, and real processes under supervision."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mono_depth_ros.cli import main
from mono_depth_ros.launch_plan import (
    ARGUMENTS,
    LaunchArguments,
    LaunchError,
    PlaybackOptions,
    ProcessExitError,
    plan_nodes,
)
from mono_depth_ros.launch_plan.processes import (
    ProcessSpec,
    node_process,
    player_process,
    resolve_executable,
    supervise,
)

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]

# A stand-in for a node: records the signal that stopped it, or exits by itself in the chosen way.
CHILD = textwrap.dedent(
    """
    import signal, sys, time
    from pathlib import Path

    marker, mode = Path(sys.argv[1]), sys.argv[2]

    def stop(signum, frame):
        marker.write_text(signal.Signals(signum).name)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN if mode == "stubborn" else stop)
    Path(str(marker) + ".ready").write_text("")
    if mode == "finish":
        sys.exit(0)
    if mode == "fail":
        # Fail once the others are ready to be stopped (their handlers installed).
        while len(list(marker.parent.glob("*.ready"))) < int(sys.argv[3]):
            time.sleep(0.01)
        sys.exit(3)
    while True:
        time.sleep(0.02)
    """
)


@pytest.fixture
def child(tmp_path: Path):  # type: ignore[no-untyped-def]
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    (tmp_path / "markers").mkdir()

    def make(name: str, mode: str = "run", *extra: str, may_finish: bool = False) -> ProcessSpec:
        marker = tmp_path / "markers" / name
        return ProcessSpec(name, (sys.executable, str(script), str(marker), mode, *extra), may_finish=may_finish)

    return make


def marker(tmp_path: Path, name: str) -> str | None:
    path = tmp_path / "markers" / name
    return path.read_text() if path.exists() else None


def wait_ready(tmp_path: Path, count: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while len(list((tmp_path / "markers").glob("*.ready"))) < count:
        assert time.monotonic() < deadline, "the child processes did not start"
        time.sleep(0.02)


def test_dry_run_prints_the_planned_command_lines(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bag = tmp_path / "drive"
    bag.mkdir()
    code = main(
        ["launch", "camera:=front", "--calibration", "odometry", "--play", str(bag), "use_sim_time:=true", "--dry-run"]
    )
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    depth, calibration = plan_nodes(
        LaunchArguments.from_strings({"camera": "front", "calibration": "odometry", "use_sim_time": "true"})
    )
    assert shlex.split(lines[0]) == [str(BIN / "depth_node"), *depth.ros_args()]
    assert shlex.split(lines[1]) == [str(BIN / "calibration_node"), *calibration.ros_args()]
    assert "__ns:=/front" in lines[0]
    assert "mode:=odometry" in lines[1]
    # The player publishes /clock for the nodes' sim time.
    assert shlex.split(lines[2]) == [
        sys.executable,
        "-m",
        "mono_depth_ros.ros.player",
        str(bag),
        "--rate",
        "1.0",
        "--clock",
    ]


def test_assignments_and_options_mix_in_any_order(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bag = tmp_path / "drive"
    bag.mkdir()
    argv = ["launch", "device:=cpu", "--play", str(bag), "--rate", "2", "camera:=cam", "--loop", "--no-use-rviz"]
    assert main([*argv, "--remap", "/camera/left:=/cam", "--dry-run"]) == 0
    depth_line, player_line = capsys.readouterr().out.splitlines()
    assert "-p device:=cpu" in depth_line
    assert "__ns:=/cam" in depth_line
    assert shlex.split(player_line)[3:] == [str(bag), "--rate", "2.0", "--loop", "--remap", "/camera/left:=/cam"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["calibration:=lidar"], "calibration must be one of none, odometry, stereo, ground, got 'lidar'"),
        (["camera:=a", "--camera", "b"], "camera is given twice: 'a' and 'b'"),
        (["camera=a"], "launch arguments look like NAME:=VALUE, got 'camera=a'"),
        (["lens:=wide"], "unknown launch argument 'lens'; expected one of camera, image,"),
        (["--rate", "2", "--loop"], "--rate, --loop apply to a replay only: add --play BAG"),
        (["--play", "/no/such/bag"], "bag /no/such/bag does not exist"),
        (["checkpoint:=/no/model.pt"], "checkpoint /no/model.pt does not exist"),
    ],
)
def test_bad_arguments_fail_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(["launch", *argv, "--dry-run"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"mono-depth-ros launch: error: {message}")


def test_help_reads_the_launch_files_argument_table(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["launch", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for spec in ARGUMENTS:
        assert " ".join(spec.description.split()) in text
        assert "--" + spec.name.replace("_", "-") in text


def test_usage_errors_of_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["launch", "--calibration", "lidar"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'lidar'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["launch", "--play", "x", "--rate", "fast"])
    assert "expected a number, got 'fast'" in capsys.readouterr().err


def test_executables_are_found_like_ros2_run(tmp_path: Path) -> None:
    assert resolve_executable("mono_depth_ros", "depth_node") == (str(BIN / "depth_node"),)
    # A colcon install: the script in <prefix>/lib/mono_depth_ros, found from the share folder of the running code.
    prefix = tmp_path / "install" / "mono_depth_ros"
    script = prefix / "lib" / "mono_depth_ros" / "calibration_node"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    share = prefix / "share" / "mono_depth_ros"
    assert resolve_executable("mono_depth_ros", "calibration_node", bin_dir=tmp_path, share_dir=share) == (str(script),)
    # Neither: the entry point through this interpreter.
    command = resolve_executable("mono_depth_ros", "calibration_node", bin_dir=tmp_path, share_dir=tmp_path)
    assert command[:2] == (sys.executable, "-c")
    assert "from mono_depth_ros.ros.entry_points import calibration_node" in command[2]
    # (The import part of it runs here; calling the entry point would start the node.)
    probe = command[2].replace("sys.exit(calibration_node())", "print(calibration_node.__module__)")
    run = subprocess.run([*command[:2], probe], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "mono_depth_ros.ros.entry_points"
    with pytest.raises(LaunchError, match=r"rviz2 \(package rviz2\) is not installed: .*ament index nor on PATH"):
        resolve_executable("rviz2", "rviz2")
    with pytest.raises(LaunchError, match=r"'depth-node' is not an executable of mono_depth_ros"):
        resolve_executable("mono_depth_ros", "depth-node", bin_dir=tmp_path)
    spec = plan_nodes(LaunchArguments())[0]
    assert node_process(spec).argv == (str(BIN / "depth_node"), *spec.ros_args())
    player = player_process(PlaybackOptions(tmp_path, loop=True))
    assert (player.name, player.may_finish) == ("bag_player", False)
    assert player_process(PlaybackOptions(tmp_path)).may_finish


def test_a_process_that_dies_stops_the_others_and_is_named(child, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines: list[str] = []
    processes = [child("depth_node"), child("calibration_node"), child("quitter", "fail", "3")]
    with pytest.raises(
        ProcessExitError, match=r"^quitter \(pid \d+\) exited with code 3; stopped the other processes$"
    ):
        supervise(processes, report=lines.append, grace_s=5.0)
    assert marker(tmp_path, "depth_node") == "SIGINT"
    assert marker(tmp_path, "calibration_node") == "SIGINT"
    assert [line.split(" (pid")[0] for line in lines] == [
        "started depth_node",
        "started calibration_node",
        "started quitter",
    ]


def test_a_finished_player_leaves_the_nodes_running_and_a_stubborn_one_is_terminated(child, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines: list[str] = []
    processes = [
        child("player", "finish", may_finish=True),
        child("stubborn", "stubborn"),
        child("quitter", "fail", "3"),
    ]
    with pytest.raises(ProcessExitError, match=r"quitter .* exited with code 3"):
        supervise(processes, report=lines.append, grace_s=0.3)
    assert "player finished; the others keep running (Ctrl-C stops them)" in lines
    assert "stubborn still running; sending SIGTERM" in lines
    assert marker(tmp_path, "stubborn") == "SIGTERM"


def test_a_program_that_cannot_start_is_named_and_nothing_is_left_running(child, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines: list[str] = []
    processes = [child("depth_node"), ProcessSpec("ghost", (str(tmp_path / "no-such-program"),))]
    with pytest.raises(LaunchError, match=r"cannot start ghost \(.*no-such-program\): No such file or directory"):
        supervise(processes, report=lines.append, grace_s=5.0)
    (started,) = lines
    pid = int(started.removeprefix("started depth_node (pid ").rstrip(")"))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped and reaped


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signals_reach_every_process_and_the_launcher_exits_cleanly(
    child, tmp_path: Path, signum: signal.Signals
) -> None:  # type: ignore[no-untyped-def]
    processes = [child("depth_node"), child("calibration_node")]
    driver = tmp_path / "driver.py"
    driver.write_text(
        "import sys\n"
        "from mono_depth_ros.launch_plan.processes import ProcessSpec, supervise\n"
        f"processes = {processes!r}\n"
        "sys.exit(supervise(processes, report=lambda line: print(line, file=sys.stderr, flush=True), grace_s=5.0))\n"
    )
    launcher = subprocess.Popen([sys.executable, str(driver)], stderr=subprocess.PIPE, text=True)
    try:
        wait_ready(tmp_path, 2)
        launcher.send_signal(signum)
        _, err = launcher.communicate(timeout=20)
    finally:
        launcher.kill()
    assert launcher.returncode == 0, err
    assert f"{signum.name} received; stopping depth_node, calibration_node" in err
    assert marker(tmp_path, "depth_node") == marker(tmp_path, "calibration_node") == signum.name


@pytest.mark.ros
def test_launch_runs_the_depth_node_on_a_replayed_simulated_drive(tmp_path: Path, tiny_checkpoint) -> None:  # type: ignore[no-untyped-def]
    """The real thing: `mono-depth-ros launch` starts depth_node with a tiny checkpoint, replays a simulate bag,
    and depth images arrive on /camera/depth/image; Ctrl-C stops everything cleanly."""
    import rclpy
    from rclpy.context import Context
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import Image

    from mono_depth_ros.core.models import MetricScale, ModelConfig, ScaleSource, save_checkpoint
    from mono_depth_ros.data.recording import RecordingOptions, record_drive
    from mono_depth_ros.ros.qos import reliable_qos

    # A metric (One Scalar) checkpoint: without a calibration node it publishes with its own scale at once.
    model = tiny_checkpoint(ModelConfig(pose=False), 96, 64, metric_scale=MetricScale(ScaleSource.GLOBAL, 3.0))
    checkpoint = save_checkpoint(model, tmp_path / "model.pt")
    bag = tmp_path / "drive"
    record_drive(RecordingOptions(out=bag, frames=3, width=96, height=64))

    context = Context()
    rclpy.init(context=context)
    node = rclpy.create_node("depth_listener", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    received: list[Image] = []
    node.create_subscription(Image, "/camera/depth/image", received.append, reliable_qos())
    command = [str(BIN / "mono-depth-ros"), "launch", f"checkpoint:={checkpoint}", "device:=cpu"]
    launcher = subprocess.Popen([*command, "--play", str(bag), "--loop"], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not received and time.monotonic() < deadline and launcher.poll() is None:
            executor.spin_once(timeout_sec=0.05)
        launcher.send_signal(signal.SIGINT)
        _, err = launcher.communicate(timeout=30)
    finally:
        launcher.kill()
        executor.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=context)
    assert received, f"no depth image arrived; the launcher said:\n{err}"
    assert launcher.returncode == 0, err
    assert "SIGINT received; stopping depth_node, bag_player" in err
    depth = received[0]
    assert (depth.encoding, depth.width, depth.height) == ("32FC1", 96, 64)
    assert depth.header.frame_id == "camera_left_optical_frame"
