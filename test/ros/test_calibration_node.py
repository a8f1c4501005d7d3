"""calibration_node on a real rclpy graph: a short synthetic drive in, and the depth_scale it publishes equals what
the core estimator computes on the same inputs (the tiny model is untrained: compare with the core, not the truth);
diagnostics appear; bad input is survived with nothing wrong published."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import rclpy
import torch
import yaml
from diagnostic_msgs.msg import DiagnosticArray
from nav_msgs.msg import Odometry
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from scipy.spatial.transform import Rotation
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Float64, Header

from mono_depth_ros.core.inference import DepthEstimator, image_to_device, to_network_input
from mono_depth_ros.core.models import load_checkpoint, save_checkpoint
from mono_depth_ros.core.scale import (
    OdometryScaleEstimator,
    OdometryTrack,
    StereoScaleEstimator,
    ground_scale,
    rotation_angle,
    stereo_depth,
)
from mono_depth_ros.core.wire import CameraModel
from mono_depth_ros.data.sim import SimConfig, SyntheticWorld
from mono_depth_ros.ros.calibration_config import CALIBRATION_PARAMETERS, CalibrationSettings
from mono_depth_ros.ros.calibration_node import CalibrationNode, stamp_seconds
from mono_depth_ros.ros.conversions import camera_model_to_camera_info, numpy_to_compressed_image, numpy_to_image
from mono_depth_ros.ros.errors import ParameterError
from mono_depth_ros.ros.qos import latched_qos, reliable_qos

pytestmark = pytest.mark.ros

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 96, 64
TIMEOUT_S = 10.0
FRAMES = 6


@pytest.fixture(scope="module")
def checkpoint_path(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoint) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("calibration") / "tiny.pt"
    return save_checkpoint(tiny_checkpoint(width=WIDTH, height=HEIGHT), path)


@pytest.fixture(scope="module")
def world() -> SyntheticWorld:
    return SyntheticWorld(SimConfig(width=WIDTH, height=HEIGHT, stereo=True, seed=5), frames=FRAMES + 2)


class Graph:
    """The node under test and a test node (publishers, and subscribers collecting what the node publishes)."""

    def __init__(self, context: Context, node: CalibrationNode) -> None:
        self.node = node
        self.test = rclpy.create_node("calibration_test", context=context)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(node)
        self.executor.add_node(self.test)
        self.scales: list[float] = []
        self.diagnostics: list[DiagnosticArray] = []
        self.test.create_subscription(Float64, "depth_scale", lambda m: self.scales.append(m.data), latched_qos())
        self.test.create_subscription(DiagnosticArray, "/diagnostics", self.diagnostics.append, reliable_qos(50))
        self._publishers: dict[str, object] = {}

    def publisher(self, kind: type, topic: str):
        if topic not in self._publishers:
            self._publishers[topic] = self.test.create_publisher(kind, topic, reliable_qos(200))
            assert self.spin_until(lambda: self._publishers[topic].get_subscription_count() > 0), topic
        return self._publishers[topic]

    def spin_until(self, done: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if done():
                return True
            self.executor.spin_once(timeout_sec=0.02)
        return done()

    def process(self, publish: Callable[[], None]) -> None:
        """Publish an input and wait until the node's worker has handled it (republishing if it was lost)."""
        before = self.node.worker.processed
        for _ in range(3):
            publish()
            if self.spin_until(lambda: self.node.worker.processed > before, timeout_s=2.0):
                return
        raise AssertionError("the node never processed the input")

    def last_status(self) -> dict[str, str]:
        """The values of the next diagnostics the node publishes (published after everything so far)."""
        self.diagnostics.clear()
        assert self.spin_until(lambda: bool(self.diagnostics), timeout_s=3.0), "no diagnostics"
        return {item.key: item.value for item in self.diagnostics[-1].status[0].values}

    def close(self) -> None:
        self.executor.shutdown()
        self.test.destroy_node()
        self.node.destroy_node()


@pytest.fixture
def make_graph(context: Context) -> Iterator[Callable[..., Graph]]:
    graphs: list[Graph] = []

    def make(**parameters: object) -> Graph:
        overrides = [Parameter(name, value=value) for name, value in parameters.items()]
        graph = Graph(context, CalibrationNode(context=context, parameter_overrides=overrides))
        graphs.append(graph)
        return graph

    yield make
    for graph in graphs:
        graph.close()


def header(stamp_s: float, frame_id: str = "camera") -> Header:
    out = Header(frame_id=frame_id)
    out.stamp.sec, out.stamp.nanosec = int(stamp_s), round((stamp_s - int(stamp_s)) * 1e9)
    return out


def camera_info(world: SyntheticWorld, baseline: float = 0.0) -> CameraInfo:
    return camera_model_to_camera_info(CameraModel.from_intrinsics(world.intrinsics, baseline), header(0.0))


def odometry(world: SyntheticWorld, stamp_s: float) -> Odometry:
    msg = Odometry(header=header(stamp_s, "odom"), child_frame_id="base_link")
    set_pose(msg, world.base_pose(stamp_s))
    return msg


def message_pose(msg: Odometry) -> np.ndarray:
    position, q = msg.pose.pose.position, msg.pose.pose.orientation
    matrix = np.eye(4)
    matrix[:3, :3] = Rotation.from_quat([q.x, q.y, q.z, q.w]).as_matrix()
    matrix[:3, 3] = [position.x, position.y, position.z]
    return matrix


def base_from_camera(world: SyntheticWorld) -> list[float]:
    transform = world.base_from_left_camera
    return [*map(float, transform[:3, 3]), *map(float, Rotation.from_matrix(transform[:3, :3]).as_quat())]


def drive_with_odometry(
    graph: Graph, world: SyntheticWorld, checkpoint_path: Path, odometry_messages: list[Odometry]
) -> tuple[OdometryScaleEstimator, int]:
    """Publish FRAMES frames and the odometry up to each (a little ahead), waiting for each frame to be processed.

    Returns the core estimator fed the same inputs (the pose network on consecutive frames, an odometry track of the
    same messages, the node's settings) and how many of its samples left it converged: what the node publishes."""
    node = graph.node
    info, images = graph.publisher(CameraInfo, "camera_info"), graph.publisher(Image, "image")
    odom = graph.publisher(Odometry, "odom")
    pose = load_checkpoint(checkpoint_path).build_networks().pose
    track = OdometryTrack()
    settings = node.settings
    expected = OdometryScaleEstimator(
        min_translation=settings.min_translation, min_samples=settings.min_samples, tolerance=settings.tolerance
    )
    converged = 0
    pending = list(odometry_messages)
    previous = None
    for index in range(FRAMES):
        frame = world.render_frame(index)
        while pending and stamp_seconds(pending[0].header) <= frame.time + 0.05:
            msg = pending.pop(0)
            odom.publish(msg)
            track.add(stamp_seconds(msg.header), message_pose(msg))
        newest = track.newest_stamp
        assert graph.spin_until(lambda newest=newest: node.track.covers(newest))
        message = numpy_to_image(frame.left_rgb, "rgb8", header(frame.time))
        graph.process(lambda message=message: (info.publish(camera_info(world)), images.publish(message)))
        pixels = image_to_device(frame.left_rgb, "rgb8", torch.device("cpu"))
        current = to_network_input(pixels, "rgb8", (WIDTH, HEIGHT), channels_last=False)
        if previous is not None:
            motion = track.motion(previous[0], frame.time, world.base_from_left_camera)
            if motion is not None:
                with torch.inference_mode():
                    network = torch.linalg.inv(pose(previous[1], current).transform()[0].double()).numpy()
                interval, angle = frame.time - previous[0], rotation_angle(motion)
                expected.add(frame.time, network[:3, 3], motion[:3, 3], interval_s=interval, rotation=angle)
                converged += expected.estimate().converged
        previous = (frame.time, current)
    return expected, converged


def odometry_graph(make_graph: Callable[..., Graph], checkpoint_path: Path, world: SyntheticWorld, **extra: object):
    return make_graph(
        checkpoint=str(checkpoint_path), device="cpu", base_to_camera=base_from_camera(world), rate_hz=1000.0,
        tolerance=10.0, **{"odometry_method": "pose", **extra},
    )  # fmt: skip


def test_odometry_mode_publishes_the_core_estimate(
    make_graph: Callable[..., Graph], checkpoint_path: Path, world: SyntheticWorld
) -> None:
    graph = odometry_graph(make_graph, checkpoint_path, world, min_samples=3)
    messages = [odometry(world, stamp) for stamp in world.odometry_times()]
    core, converged = drive_with_odometry(graph, world, checkpoint_path, messages)
    estimate = core.estimate()
    assert estimate.samples == FRAMES - 1
    assert converged == FRAMES - 1 - 2  # from the third sample on
    assert graph.spin_until(lambda: len(graph.scales) == converged)
    assert graph.scales[-1] == pytest.approx(estimate.scale, rel=1e-6)
    status = graph.last_status()
    assert status["state"] == "converged"
    assert status["mode"] == "odometry"
    assert float(status["scale"]) == pytest.approx(estimate.scale, rel=1e-3)
    assert status["samples"] == str(FRAMES - 1)
    assert status["count_used"] == str(FRAMES - 1)
    assert graph.diagnostics[-1].status[0].level == b"\x00"


def test_odometry_by_reprojection_the_default_needs_no_pose_network(
    make_graph: Callable[..., Graph], checkpoint_path: Path, world: SyntheticWorld
) -> None:
    graph = odometry_graph(make_graph, checkpoint_path, world, min_samples=1, odometry_method="reprojection")
    node = graph.node
    assert node.pipeline.networks.pose is None  # the depth network is what it uses
    drive_with_odometry(graph, world, checkpoint_path, [odometry(world, stamp) for stamp in world.odometry_times()])
    assert node.verdicts["used"] + node.verdicts["no_reprojection_fit"] == FRAMES - 1
    assert node.verdicts["used"] >= 1
    assert graph.spin_until(lambda: len(graph.scales) == node.verdicts["used"])
    assert graph.scales[-1] == pytest.approx(node.estimate.scale, rel=1e-6)
    assert graph.last_status()["state"] == "converged"


def test_odometry_resets_jumps_and_time_going_back_are_survived(
    make_graph: Callable[..., Graph], checkpoint_path: Path, world: SyntheticWorld
) -> None:
    graph = odometry_graph(make_graph, checkpoint_path, world, min_samples=2)
    # The odometry restarts at its origin at 0.26 s (between frames 2 and 3) and jumps 30 m sideways for one
    # sample at 0.47 s (between frames 4 and 5): the frame pairs spanning them get no motion, in the node and core.
    origin = np.linalg.inv(world.base_pose(0.26))
    messages = []
    for stamp in sorted([*world.odometry_times(), 0.47]):
        msg = odometry(world, stamp)
        reported = origin @ world.base_pose(stamp) if stamp >= 0.26 else world.base_pose(stamp)
        if stamp == 0.47:
            reported[1, 3] += 30.0
        set_pose(msg, reported)
        messages.append(msg)
    core, converged = drive_with_odometry(graph, world, checkpoint_path, messages)
    node = graph.node
    assert node.verdicts["odom_reset"] == 1
    assert node.verdicts["odom_jump"] == 2  # away and back
    assert node.verdicts["no_odometry"] == 2
    assert node.verdicts["used"] == 3
    assert converged >= 1
    assert graph.spin_until(lambda: len(graph.scales) == converged)
    assert graph.scales[-1] == pytest.approx(core.estimate().scale, rel=1e-6)
    # A bag that loops: time goes back, the estimate starts over; an unusable image is skipped; nothing more is
    # published (the latched scale stays).
    frame = world.render_frame(0)
    images = graph.publisher(Image, "image")
    graph.process(lambda: images.publish(numpy_to_image(frame.left_rgb, "rgb8", header(0.0))))
    assert node.estimate is None
    graph.process(lambda: images.publish(numpy_to_image(frame.depth, "32FC1", header(0.1))))
    assert node.worker.failed == 0
    status = graph.last_status()
    assert status["state"] == "collecting"
    assert status["samples"] == "0"
    assert len(graph.scales) == converged


def set_pose(msg: Odometry, pose: np.ndarray) -> None:
    msg.pose.pose.position.x, msg.pose.pose.position.y, msg.pose.pose.position.z = (float(v) for v in pose[:3, 3])
    x, y, z, w = Rotation.from_matrix(pose[:3, :3]).as_quat()
    msg.pose.pose.orientation.x, msg.pose.pose.orientation.y = float(x), float(y)
    msg.pose.pose.orientation.z, msg.pose.pose.orientation.w = float(z), float(w)


def test_stereo_mode_publishes_the_core_estimate(
    make_graph: Callable[..., Graph], checkpoint_path: Path, world: SyntheticWorld
) -> None:
    graph = make_graph(
        mode="stereo", checkpoint=str(checkpoint_path), device="cpu", rate_hz=1000.0, tolerance=10.0, min_samples=2
    )
    left_info, right_info = (
        graph.publisher(CameraInfo, "left/camera_info"),
        graph.publisher(CameraInfo, "right/camera_info"),
    )
    left, right = graph.publisher(Image, "left/image"), graph.publisher(Image, "right/image")
    estimator = DepthEstimator(load_checkpoint(checkpoint_path), device="cpu", warmup=False)
    expected = StereoScaleEstimator(window=100, min_samples=2, tolerance=10.0)
    baseline, fx = world.config.baseline, world.intrinsics.fx
    for index in range(3):
        frame = world.render_frame(index)
        messages = (
            numpy_to_image(frame.left_rgb, "rgb8", header(frame.time)),
            numpy_to_image(frame.right_rgb, "rgb8", header(frame.time)),
        )

        def publish(messages: tuple[Image, Image] = messages) -> None:
            left_info.publish(camera_info(world))
            right_info.publish(camera_info(world, baseline))
            left.publish(messages[0])
            right.publish(messages[1])

        graph.process(publish)
        relative = estimator.predict(frame.left_rgb, scale=1.0).relative_depth
        assert expected.add(stereo_depth(frame.left_rgb, frame.right_rgb, fx, baseline), relative) > 0
    assert graph.spin_until(lambda: len(graph.scales) == 2)
    assert graph.scales[-1] == pytest.approx(expected.estimate().scale, rel=1e-6)
    status = graph.last_status()
    assert status["state"] == "converged"
    assert status["samples"] == "3"


def test_ground_mode_survives_bad_input_and_publishes_nothing_without_a_ground_plane(
    make_graph: Callable[..., Graph], checkpoint_path: Path, world: SyntheticWorld
) -> None:
    graph = make_graph(mode="ground", checkpoint=str(checkpoint_path), device="cpu", rate_hz=1000.0, camera_height=1.65)
    info, images = graph.publisher(CameraInfo, "camera_info"), graph.publisher(Image, "image")
    frame = world.render_frame(0)
    # No camera_info yet, then an encoding without a colour meaning, then an image of another size: all skipped.
    graph.process(lambda: images.publish(numpy_to_image(frame.left_rgb, "rgb8", header(1.0))))
    graph.process(
        lambda: (info.publish(camera_info(world)), images.publish(numpy_to_image(frame.depth, "32FC1", header(1.1))))
    )
    graph.process(lambda: images.publish(numpy_to_image(frame.left_rgb[:32], "rgb8", header(1.2))))
    assert node_counts(graph) == {}
    # Good frames: the untrained network's depth has no ground plane, and the core agrees.
    relative = (
        DepthEstimator(load_checkpoint(checkpoint_path), device="cpu", warmup=False)
        .predict(frame.left_rgb, scale=1.0)
        .relative_depth
    )
    assert ground_scale(relative, world.intrinsics.as_array(), 1.65) is None
    graph.process(lambda: images.publish(numpy_to_image(frame.left_rgb, "rgb8", header(1.3))))
    # Time going back (a bag loop) is survived too.
    graph.process(lambda: images.publish(numpy_to_image(frame.left_rgb, "rgb8", header(0.5))))
    assert node_counts(graph) == {"no_ground_plane": 2}
    assert graph.node.worker.failed == 0
    status = graph.last_status()
    assert status["state"] == "collecting"
    assert status["samples"] == "0"
    assert graph.diagnostics[-1].status[0].level == b"\x01"
    assert not graph.scales


def node_counts(graph: Graph) -> dict[str, int]:
    return dict(graph.node.verdicts)


def test_a_checkpoint_that_does_not_load_is_survived_until_a_good_one_is_set(
    make_graph: Callable[..., Graph], checkpoint_path: Path, world: SyntheticWorld, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.pt"
    graph = make_graph(
        mode="ground", checkpoint=str(missing), device="cpu", rate_hz=1000.0, image_transport="compressed"
    )
    node = graph.node
    assert node.networks is None
    info, images = graph.publisher(CameraInfo, "camera_info"), graph.publisher(CompressedImage, "image/compressed")
    frame = world.render_frame(0)
    image = numpy_to_compressed_image(frame.left_rgb, "png", header(1.0))
    graph.process(lambda: (info.publish(camera_info(world)), images.publish(image)))
    assert node_counts(graph) == {}
    status = graph.last_status()
    assert status["state"] == "no_model"
    assert graph.diagnostics[-1].status[0].level == b"\x02"
    assert f"checkpoint {missing}: does not exist" in graph.diagnostics[-1].status[0].message
    # A good checkpoint loads at run time; a bad one is refused and the good one stays.
    assert node.set_parameters([Parameter("checkpoint", value=str(checkpoint_path))])[0].successful
    result = node.set_parameters([Parameter("checkpoint", value=str(missing))])[0]
    assert not result.successful
    assert result.reason == f"checkpoint {missing}: does not exist"
    assert node.networks.checkpoint_path == checkpoint_path
    graph.process(lambda: images.publish(numpy_to_compressed_image(frame.left_rgb, "png", header(1.1))))
    assert node_counts(graph) == {"no_ground_plane": 1}
    assert not graph.scales


def test_freeze_when_converged_stops_estimating_until_it_is_turned_off(
    make_graph: Callable[..., Graph], checkpoint_path: Path, world: SyntheticWorld
) -> None:
    graph = make_graph(
        mode="stereo", checkpoint=str(checkpoint_path), device="cpu", rate_hz=1000.0, tolerance=10.0, min_samples=1,
        freeze_when_converged=True,
    )  # fmt: skip
    node = graph.node
    publishers = (
        graph.publisher(CameraInfo, "left/camera_info"),
        graph.publisher(CameraInfo, "right/camera_info"),
        graph.publisher(Image, "left/image"),
        graph.publisher(Image, "right/image"),
    )

    def publish(index: int) -> None:
        frame = world.render_frame(index)
        publishers[0].publish(camera_info(world))
        publishers[1].publish(camera_info(world, world.config.baseline))
        publishers[2].publish(numpy_to_image(frame.left_rgb, "rgb8", header(frame.time)))
        publishers[3].publish(numpy_to_image(frame.right_rgb, "rgb8", header(frame.time)))

    graph.process(lambda: publish(0))
    assert graph.spin_until(lambda: len(graph.scales) == 1)
    assert node.frozen
    processed = node.worker.processed
    publish(1)
    graph.spin_until(lambda: False, timeout_s=0.3)
    assert node.worker.processed == processed  # frozen: frames are not even handed to the worker
    assert graph.last_status()["state"] == "frozen"
    assert node.set_parameters([Parameter("freeze_when_converged", value=False)])[0].successful
    graph.process(lambda: publish(2))
    assert graph.spin_until(lambda: len(graph.scales) == 2)


def test_parameters_have_descriptions_and_ranges_and_bad_values_are_refused(
    context: Context, checkpoint_path: Path
) -> None:
    node = CalibrationNode(
        context=context,
        parameter_overrides=[Parameter("checkpoint", value=str(checkpoint_path)), Parameter("device", value="cpu")],
    )
    try:
        for spec in CALIBRATION_PARAMETERS:
            assert node.describe_parameter(spec.name).description == spec.description
        assert node.describe_parameter("rate_hz").floating_point_range[0].from_value == pytest.approx(0.01)
        assert node.describe_parameter("window").integer_range[0].from_value == 1
        assert node.describe_parameter("mode").additional_constraints == "one of: odometry, stereo, ground"
        refused = {
            "mode": ("stereo", "read-only"),
            "window": (0, "window"),
            "base_to_camera": (
                [1.0, 2.0, 3.0],
                "parameter 'base_to_camera' must be [x, y, z, qx, qy, qz, qw] with a non-zero quaternion, "
                "got [1.0, 2.0, 3.0]",
            ),
            "min_translation": (float("nan"), "min_translation"),
            "device": ("tpu", "parameter 'device'"),
        }
        for name, (value, reason) in refused.items():
            result = node.set_parameters([Parameter(name, value=value)])[0]
            assert not result.successful, name
            assert reason in result.reason, result.reason
        assert node.settings == CalibrationSettings(checkpoint=str(checkpoint_path), device="cpu")
        # An accepted change of the estimator settings starts the estimate over with them.
        assert node.set_parameters([Parameter("window", value=10), Parameter("min_translation", value=0.5)])[
            0
        ].successful
        assert node._estimator.window.size == 10
        assert node._estimator.min_translation == 0.5
    finally:
        node.destroy_node()


def test_a_node_without_a_checkpoint_does_not_start(context: Context) -> None:
    with pytest.raises(ParameterError, match=r"parameter 'checkpoint' is empty: name a mono_depth_ros checkpoint"):
        CalibrationNode(context=context)


def test_the_params_file_sets_every_parameter_to_its_default() -> None:
    values = yaml.safe_load((PROJECT_ROOT / "config" / "calibration.yaml").read_text())["/**"]["ros__parameters"]
    assert values == {spec.name: spec.default for spec in CALIBRATION_PARAMETERS}
    assert CalibrationSettings.from_values(values) == CalibrationSettings()
