"""trainer_node on a real rclpy graph: a few steps on a tiny simulate bag with progress on /diagnostics at 1 Hz or
more, every checkpoint path on trained_checkpoint (a checkpoint `predict` runs), parameters fixed while it trains;
a bag that does not exist is an ERROR diagnostic the node survives; SIGINT saves a checkpoint and exits 0."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String

from mono_depth_ros.cli import main as cli_main
from mono_depth_ros.core.models import load_checkpoint
from mono_depth_ros.data.recording import SIM_TOPICS, RecordingOptions, record_drive
from mono_depth_ros.ros.qos import latched_qos, reliable_qos
from mono_depth_ros.ros.trainer_node import TrainerNode

pytestmark = pytest.mark.ros

FRAMES = 16
TIMEOUT_S = 180.0
#: What trained_checkpoint offers (reliable, transient local), with room for every path between two spins.
CHECKPOINT_QOS = QoSProfile(
    depth=10, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL
)


@pytest.fixture(scope="module")
def drive(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 16-frame simulate bag and a training YAML with small values (64x64, batch 2), sharing one frame cache."""
    folder = tmp_path_factory.mktemp("trainer")
    record_drive(RecordingOptions(out=folder / "drive", frames=FRAMES, width=128, height=64))
    config = folder / "train.yaml"
    config.write_text(
        f"width: 64\nheight: 64\nbatch_size: 2\nvalidate_every: 1000\ncheckpoint_every: 2\nkeep_checkpoints: 1\n"
        f"frame_cache_dir: {folder / 'cache'}\nvalidation_fraction: 0.2\nstatic_threshold: 0.0\n"
    )
    return {"bag": folder / "drive", "config": config}


class Graph:
    """The node under test and a test node collecting /diagnostics (of that node) and trained_checkpoint."""

    def __init__(self, context: Context, node: TrainerNode) -> None:
        self.node = node
        self.test = rclpy.create_node("trainer_test", context=context)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(node)
        self.executor.add_node(self.test)
        self.statuses: list[tuple[float, int, dict[str, str]]] = []  # (stamp s, level, values)
        self.paths: list[str] = []
        self.test.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, reliable_qos(100))
        self.test.create_subscription(String, "trained_checkpoint", lambda m: self.paths.append(m.data), CHECKPOINT_QOS)

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        status = msg.status[0]
        if status.hardware_id == self.node.get_name():
            stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
            values = {item.key: item.value for item in status.values}
            self.statuses.append((stamp, status.level[0], {**values, "message": status.message}))

    def spin_until(self, done: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if done():
                return True
            self.executor.spin_once(timeout_sec=0.05)
        return done()

    def close(self) -> None:
        self.executor.shutdown()
        self.test.destroy_node()
        self.node.destroy_node()


@pytest.fixture
def make_graph(context: Context) -> Iterator[Callable[..., Graph]]:
    graphs: list[Graph] = []

    def make(on_done: Callable[[], None] | None = None, **parameters: object) -> Graph:
        overrides = [Parameter(name, value=value) for name, value in parameters.items()]
        graph = Graph(context, TrainerNode(context=context, parameter_overrides=overrides, on_done=on_done))
        graphs.append(graph)
        return graph

    yield make
    for graph in graphs:
        graph.close()


def test_trains_reporting_progress_and_publishes_checkpoints_that_predict_runs(
    make_graph: Callable[..., Graph], drive: dict[str, Path], tmp_path: Path, synthetic_frame: np.ndarray
) -> None:
    done = threading.Event()
    graph = make_graph(
        on_done=done.set, bags=[str(drive["bag"])], output_dir=str(tmp_path / "run"), config=str(drive["config"]),
        max_steps=3, device="cpu", depth_topic=SIM_TOPICS.left_depth,
    )  # fmt: skip
    node = graph.node
    assert graph.spin_until(lambda: any(values["state"] == "training" for _, _, values in graph.statuses))
    # Fixed while it trains: refused with a reason naming the parameter and both values; exit_when_done may change.
    result = node.set_parameters([Parameter("max_steps", value=5)])[0]
    assert not result.successful
    assert result.reason == (
        "parameter 'max_steps' cannot change to 5 while trainer_node runs (training started with 3): restart the "
        "node with the new value"
    )
    result = node.set_parameters([Parameter("bags", value=["/other"])])[0]
    assert not result.successful
    assert "parameter 'bags' cannot change to ['/other']" in result.reason
    assert node.set_parameters([Parameter("exit_when_done", value=True)])[0].successful

    assert graph.spin_until(done.is_set), graph.statuses[-1:]
    assert graph.spin_until(lambda: graph.statuses[-1][2]["state"] == "finished", timeout_s=5.0)
    # Progress at 1 Hz or more from the first report to the last, the steps going up to max_steps.
    stamps = [stamp for stamp, _, _ in graph.statuses]
    assert max(np.diff(stamps)) <= 1.0, np.diff(stamps)
    steps = [int(values["step"]) for _, _, values in graph.statuses if "step" in values]
    assert steps == sorted(steps)
    assert len(set(steps)) >= 2
    assert steps[-1] == 3
    training = next(values for _, _, values in graph.statuses if values.get("step") == "2")
    for key in ("max_steps", "epoch", "loss_total", "loss_photometric", "steps_per_second", "eta_s", "learning_rate"):
        assert key in training, key
    assert training["max_steps"] == "3"
    _, level, final = graph.statuses[-1]
    assert level == 0
    assert final["message"] == f"finished: step 3, checkpoint {node.result.checkpoint}"
    assert float(final["validation_abs_rel_median"]) > 0  # depth_topic: validation against ground truth
    assert "validation_loss_total" in final
    assert final["training_windows"] != "0"
    # Every checkpoint's path (steps 2 and 3), the newest last; it loads and predict runs it.
    assert graph.spin_until(lambda: len(graph.paths) == 2, timeout_s=5.0)
    assert graph.paths == [str(path) for path in node.checkpoints]
    assert graph.paths[-1] == final["last_checkpoint"] == str(node.result.checkpoint)
    # Transient local: a subscriber that comes after the run still gets the newest path.
    late: list[str] = []
    graph.test.create_subscription(String, "trained_checkpoint", lambda m: late.append(m.data), latched_qos())
    assert graph.spin_until(lambda: late == graph.paths[-1:], timeout_s=5.0), late
    checkpoint = load_checkpoint(graph.paths[-1])
    assert (checkpoint.step, checkpoint.input_width, checkpoint.input_height) == (3, 64, 64)
    image = tmp_path / "frame.png"
    cv2.imwrite(str(image), cv2.cvtColor(synthetic_frame, cv2.COLOR_RGB2BGR))
    out = tmp_path / "predicted"
    assert cli_main(["predict", str(image), "--checkpoint", graph.paths[-1], "--out", str(out), "--device", "cpu"]) == 0
    depth = np.load(out / "frame.npy")
    assert depth.shape == synthetic_frame.shape[:2]
    assert np.isfinite(depth).any()


def test_a_bag_that_does_not_exist_is_an_error_diagnostic_and_the_node_stays_up(
    make_graph: Callable[..., Graph], drive: dict[str, Path], tmp_path: Path
) -> None:
    missing = tmp_path / "no_such_bag"
    done = threading.Event()
    graph = make_graph(
        on_done=done.set, bags=[str(missing)], output_dir=str(tmp_path / "run"), config=str(drive["config"]),
        device="cpu",
    )  # fmt: skip
    assert graph.spin_until(lambda: any(level == 2 for _, level, _ in graph.statuses), timeout_s=60.0)
    _, _, values = next(status for status in graph.statuses if status[1] == 2)
    assert values["state"] == "error"
    assert values["message"] == f"error: bag {missing} does not exist"
    # Still up: diagnostics keep coming, parameters are still answered, nothing is published, it does not exit.
    count = len(graph.statuses)
    assert graph.spin_until(lambda: len(graph.statuses) >= count + 2, timeout_s=5.0)
    assert all(level == 2 for _, level, _ in graph.statuses[count:])
    result = graph.node.set_parameters([Parameter("bags", value=[str(drive["bag"])])])[0]
    assert not result.successful
    assert str(missing) in result.reason
    assert not graph.paths
    assert not done.is_set()
    assert not graph.node.worker.is_alive()


def test_sigint_saves_a_checkpoint_publishes_its_path_and_exits_0(
    context: Context, drive: dict[str, Path], tmp_path: Path
) -> None:
    output = tmp_path / "run"
    code = "import sys; from mono_depth_ros.ros.entry_points import trainer_node; sys.exit(trainer_node())"
    process = subprocess.Popen(
        [
            sys.executable, "-c", code, "--ros-args", "-r", "__node:=trainer_sigint", "-r", "__ns:=/sigint_test",
            "-p", f"bags:=[{drive['bag']}]", "-p", f"output_dir:={output}", "-p", f"config:={drive['config']}",
            "-p", "max_steps:=100000", "-p", "device:=cpu",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    test = rclpy.create_node("trainer_sigint_test", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(test)
    steps: list[int] = []
    paths: list[str] = []

    def on_diagnostics(msg: DiagnosticArray) -> None:
        values = {item.key: item.value for item in msg.status[0].values}
        if msg.status[0].hardware_id == "trainer_sigint" and values.get("phase") == "train":
            steps.append(int(values["step"]))

    test.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, reliable_qos(100))
    test.create_subscription(String, "/sigint_test/trained_checkpoint", lambda m: paths.append(m.data), CHECKPOINT_QOS)
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while not steps and process.poll() is None and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.05)
        assert steps, "no training progress on /diagnostics"
        process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + TIMEOUT_S
        while (process.poll() is None or not paths) and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.05)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        executor.shutdown()
        test.destroy_node()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    (saved,) = sorted(output.glob("checkpoint-*.pt"))
    assert paths[-1] == str(saved)  # the one written on SIGINT (keep_checkpoints 1 deleted any earlier)
    step = load_checkpoint(saved).step
    assert 0 < step < 100000
    assert step >= steps[0]
