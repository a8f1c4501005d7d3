"""depth_node on a real rclpy graph (ros.depth_graph.DepthGraph: a driver node publishing camera frames best effort and
subscribing to the outputs reliably, as RViz does; one MultiThreadedExecutor): frames replayed from a
`mono-depth-ros simulate` bag, bad input, parameters and a checkpoint swap at run time. Tiny untrained models
(96x64), 160x64 frames."""

from __future__ import annotations

import math
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from rclpy.parameter import Parameter
from rclpy.qos import ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Float64, Header

from mono_depth_ros.core.inference import DepthEstimator
from mono_depth_ros.core.models import ModelConfig, save_checkpoint
from mono_depth_ros.core.wire import XYZRGB_FIELDS, CameraModel
from mono_depth_ros.data.bag import iter_messages
from mono_depth_ros.data.bag.frames import message_to_rgb
from mono_depth_ros.data.recording import SIM_TOPICS, RecordingOptions, record_drive
from mono_depth_ros.ros.conversions import (
    camera_info_to_model,
    camera_model_to_camera_info,
    image_to_numpy,
    numpy_to_image,
    pointcloud2_to_numpy,
)
from mono_depth_ros.ros.depth_graph import DepthGraph, Outputs, stamp_ns

pytestmark = pytest.mark.ros

WIDTH, HEIGHT = 160, 64
FRAMES = 3


@dataclass(frozen=True)
class BagFrame:
    image: Image | CompressedImage
    info: CameraInfo
    rgb: np.ndarray  # what the node decodes, as RGB


def _header(message: object) -> Header:
    header = Header(frame_id=message.header.frame_id)
    header.stamp.sec = int(message.header.stamp.sec)
    header.stamp.nanosec = int(message.header.stamp.nanosec)
    return header


def _replay(path: Path, compressed: bool) -> list[BagFrame]:
    """The bag's left camera frames as rclpy messages."""
    image_topic = SIM_TOPICS.compressed(SIM_TOPICS.left_image) if compressed else SIM_TOPICS.left_image
    images, infos = {}, {}
    for item in iter_messages(path, [image_topic, SIM_TOPICS.left_info]):
        stamp = stamp_ns(item.message.header)
        if item.topic == SIM_TOPICS.left_info:
            infos[stamp] = camera_model_to_camera_info(CameraModel.from_message(item.message), _header(item.message))
        elif compressed:
            msg = CompressedImage(header=_header(item.message), format=item.message.format)
            msg.data = item.message.data.tobytes()
            images[stamp] = (msg, message_to_rgb(item.message))
        else:
            rgb = message_to_rgb(item.message)
            images[stamp] = (numpy_to_image(rgb, "rgb8", _header(item.message)), rgb)
    return [BagFrame(images[s][0], infos[s], images[s][1]) for s in sorted(images)]


@pytest.fixture(scope="module")
def bags(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[BagFrame]]:
    root = tmp_path_factory.mktemp("bags")
    out = {}
    for transport in ("raw", "compressed"):
        path = root / transport
        record_drive(
            RecordingOptions(out=path, frames=FRAMES, width=WIDTH, height=HEIGHT, compressed=transport != "raw")
        )
        out[transport] = _replay(path, transport == "compressed")
    return out


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoint) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    """Two relative (monocular) checkpoints with different random weights."""
    root = tmp_path_factory.mktemp("models")
    return {
        name: save_checkpoint(tiny_checkpoint(ModelConfig(pose=False), 96, 64, seed=seed), root / f"{name}.pt")
        for seed, name in enumerate(("a", "b"))
    }


def relative_depth(checkpoint: Path, rgb: np.ndarray) -> np.ndarray:
    """The checkpoint's relative depth on `rgb` (scale 1, no depth range)."""
    return DepthEstimator(checkpoint, warmup=False).predict(rgb, scale=1.0).metric_depth.copy()


@pytest.fixture
def graph_factory() -> Iterator:
    graphs: list[DepthGraph] = []

    def make(**parameters: object) -> DepthGraph:
        graph = DepthGraph(parameters, namespace=f"/depth_test_{len(graphs)}")
        graphs.append(graph)
        assert graph.wait_connected(), "the driver and the depth node never matched"
        return graph

    try:
        yield make
    finally:
        for graph in graphs:
            graph.close()


def assert_depth_matches(depth_msg: Image, expected: np.ndarray, min_depth: float, max_depth: float) -> None:
    """32FC1 metres equal to `expected` inside [min_depth, max_depth], NaN outside (pixels within 1e-4 of a bound
    may go either way)."""
    assert depth_msg.encoding == "32FC1"
    depth = image_to_numpy(depth_msg)
    assert depth.shape == expected.shape
    inside = (expected >= min_depth * (1 + 1e-4)) & (expected <= max_depth * (1 - 1e-4))
    outside = (expected < min_depth * (1 - 1e-4)) | (expected > max_depth * (1 + 1e-4))
    np.testing.assert_allclose(depth[inside], expected[inside], rtol=1e-4)
    assert np.isnan(depth[outside]).all()
    assert not (depth <= 0).any()


@pytest.mark.parametrize("transport", ["raw", "compressed"])
def test_replayed_bag_gives_depth_camera_info_and_points(
    graph_factory, bags: dict[str, list[BagFrame]], checkpoints: dict[str, Path], transport: str
) -> None:
    frames = bags[transport]
    scale, stride = 2.5, 2
    references = [scale * relative_depth(checkpoints["a"], frame.rgb) for frame in frames]
    # A depth range that cuts both ends, so invalid pixels exist.
    min_depth, max_depth = (float(np.quantile(references[0], q)) for q in (0.1, 0.9))
    graph = graph_factory(
        checkpoint=str(checkpoints["a"]),
        scale_source="fixed",
        scale=scale,
        min_depth=min_depth,
        max_depth=max_depth,
        points_stride=stride,
        image_transport=transport,
    )
    for frame, expected in zip(frames, references, strict=True):
        out = graph.exchange(frame.image, frame.info)
        stamp, frame_id = frame.image.header.stamp, frame.image.header.frame_id
        for msg in (out.depth, out.info, out.points):
            assert (msg.header.stamp.sec, msg.header.stamp.nanosec) == (stamp.sec, stamp.nanosec)
            assert msg.header.frame_id == frame_id == SIM_TOPICS.left_frame
        assert (out.depth.width, out.depth.height) == (WIDTH, HEIGHT)
        assert_depth_matches(out.depth, expected, min_depth, max_depth)
        assert np.isnan(image_to_numpy(out.depth)).any()

        info = camera_info_to_model(out.info)
        assert info.image_size == (out.depth.width, out.depth.height)
        assert info == camera_info_to_model(frame.info)

        check_points(out, frame, image_to_numpy(out.depth), info, stride)


def check_points(out: Outputs, frame: BagFrame, depth: np.ndarray, camera: CameraModel, stride: int) -> None:
    cloud = out.points
    rows, columns = math.ceil(HEIGHT / stride), math.ceil(WIDTH / stride)
    assert (cloud.height, cloud.width) == (rows, columns)
    assert [(f.name, f.offset, f.datatype, f.count) for f in cloud.fields] == [
        (f.name, f.offset, int(f.datatype), f.count) for f in XYZRGB_FIELDS
    ]
    assert cloud.point_step == 16
    assert cloud.row_step == 16 * columns
    assert not cloud.is_bigendian
    assert not cloud.is_dense  # the depth range made some points invalid
    xyz, rgb = pointcloud2_to_numpy(cloud)
    xyz = xyz.reshape(rows, columns, 3)
    z = depth[::stride, ::stride]
    np.testing.assert_array_equal(np.isnan(xyz[..., 2]), np.isnan(z))
    valid = ~np.isnan(z)
    # Each point lies on the ray of its pixel (u, v) = (stride * column, stride * row), at the pixel's depth.
    intrinsics = camera.rectified_intrinsics()
    v, u = np.mgrid[0:HEIGHT:stride, 0:WIDTH:stride].astype(np.float64)
    np.testing.assert_allclose(xyz[..., 2][valid], z[valid], rtol=1e-6)
    np.testing.assert_allclose(
        xyz[..., 0][valid], ((u - intrinsics.cx) * z / intrinsics.fx)[valid], rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(
        xyz[..., 1][valid], ((v - intrinsics.cy) * z / intrinsics.fy)[valid], rtol=1e-4, atol=1e-5
    )
    assert rgb is not None
    np.testing.assert_array_equal(rgb.reshape(rows, columns, 3), frame.rgb[::stride, ::stride])


def test_best_effort_publisher_and_reliable_subscriber_connect(
    graph_factory, bags: dict[str, list[BagFrame]], checkpoints: dict[str, Path]
) -> None:
    graph = graph_factory(checkpoint=str(checkpoints["a"]), scale_source="fixed", publish_points=False)
    namespace = graph.node.get_namespace()
    camera_publishers = graph.driver.get_publishers_info_by_topic(f"{namespace}/image")
    node_inputs = graph.driver.get_subscriptions_info_by_topic(f"{namespace}/image")
    assert [p.qos_profile.reliability for p in camera_publishers] == [ReliabilityPolicy.BEST_EFFORT]
    assert [s.qos_profile.reliability for s in node_inputs] == [ReliabilityPolicy.BEST_EFFORT]
    rviz = graph.driver.get_subscriptions_info_by_topic(f"{namespace}/depth/image")
    node_outputs = graph.driver.get_publishers_info_by_topic(f"{namespace}/depth/image")
    assert [s.qos_profile.reliability for s in rviz] == [ReliabilityPolicy.RELIABLE]
    assert [p.qos_profile.reliability for p in node_outputs] == [ReliabilityPolicy.RELIABLE]
    frame = bags["raw"][0]
    out = graph.exchange(frame.image, frame.info, points=False)
    assert out.points is None
    assert out.depth.encoding == "32FC1"

    # Diagnostics: input and output rates, latency.
    def reported() -> dict[str, str] | None:
        for status in reversed(graph.inbox.diagnostics):
            values = {kv.key: kv.value for kv in status.values}
            if values.get("latency_ms", "n/a") != "n/a":
                return values
        return None

    assert graph.wait_for(lambda: reported() is not None, 5.0), "no diagnostics after a frame"
    values = reported()
    assert values is not None
    assert float(values["latency_ms"]) > 0
    assert float(values["inference_ms"]) > 0
    assert {"input_rate_hz", "output_rate_hz", "frames_dropped", "scale", "scale_origin"} <= set(values)
    assert (values["scale"], values["scale_origin"], values["scale_source"]) == ("1", "given", "fixed")
    status = graph.inbox.diagnostics[-1]
    assert status.name == f"{graph.node.get_name()}: depth"
    assert status.level == b"\x00"


def _image(rgb: np.ndarray, stamp: int, encoding: str = "rgb8") -> Image:
    header = Header(frame_id=SIM_TOPICS.left_frame)
    header.stamp.sec, header.stamp.nanosec = divmod(stamp, 1_000_000_000)
    return numpy_to_image(rgb, encoding, header)


def test_bad_input_is_logged_once_and_survived(
    graph_factory, bags: dict[str, list[BagFrame]], checkpoints: dict[str, Path]
) -> None:
    graph = graph_factory(checkpoint=str(checkpoints["a"]), scale_source="topic", publish_points=False)
    node = graph.node
    frame = bags["raw"][0]
    base = stamp_ns(frame.image.header)
    processed = 0

    def feed(image: Image) -> None:
        """Send one image and wait until the node has handled it."""
        nonlocal processed
        processed += 1
        deadline = time.monotonic() + 10
        graph.send(image)
        while not graph.wait_processed(processed, timeout_s=1.0):
            assert time.monotonic() < deadline, "the node never processed the image"
            graph.send(image)  # best effort: resend until it arrived

    # No camera_info yet.
    feed(_image(frame.rgb, base + 1))
    feed(_image(frame.rgb, base + 2))
    # A camera_info with a zero focal length is refused; then a valid one.
    broken = camera_model_to_camera_info(CameraModel.from_message(frame.info), frame.info.header)
    broken.k[0] = 0.0
    graph.info_pub.publish(broken)
    assert graph.wait_for(lambda: bool(graph.logs_containing("ignoring camera_info")))
    while not graph.wait_for(lambda: node.camera is not None, 0.5):
        graph.info_pub.publish(frame.info)
    # An encoding the network cannot take, and an image whose size disagrees with camera_info; each twice.
    for stamp in (base + 3, base + 4):
        feed(_image(np.ones((HEIGHT, WIDTH), np.float32), stamp, "32FC1"))
        feed(_image(np.ascontiguousarray(frame.rgb[: HEIGHT // 2, : WIDTH // 2]), stamp + 10))
    # A relative model and no depth_scale yet: nothing is published.
    feed(_image(frame.rgb, base + 5))
    # NaN, zero and negative scales are ignored.
    for count, bad in enumerate((math.nan, 0.0, -1.0), start=1):
        graph.scale_pub.publish(Float64(data=bad))
        assert graph.wait_for(lambda count=count: node.pipeline.rejected_scales == count)
    feed(_image(frame.rgb, base + 6))
    assert node.pipeline.topic_scale is None
    graph.scale_pub.publish(Float64(data=2.0))
    assert graph.wait_for(lambda: node.pipeline.topic_scale == 2.0)
    good = graph.exchange(_image(frame.rgb, base + 7), frame.info, points=False)
    assert_depth_matches(good.depth, 2.0 * relative_depth(checkpoints["a"], frame.rgb), 0.1, 100.0)
    # Time goes backwards (a bag loop): logged once, and the frames are still published with their own stamps.
    earlier = graph.exchange(_image(frame.rgb, base - 10_000_000_000), frame.info, points=False)
    graph.exchange(_image(frame.rgb, base - 20_000_000_000), frame.info, points=False)
    assert stamp_ns(earlier.depth.header) == base - 10_000_000_000
    assert graph.wait_for(lambda: bool(graph.logs_containing("time went backwards")))

    published = sorted(graph.inbox.outputs)
    assert published == [base - 20_000_000_000, base - 10_000_000_000, base + 7]
    for text in (
        "waiting for camera_info",
        "ignoring camera_info: K focal length fx is 0.0",
        "skipping images of encoding '32FC1'",
        "skipping a 80x32 image: camera_info describes 160x64 images",
        "waiting for depth_scale",
        "ignoring depth_scale nan",
        "time went backwards",
    ):
        assert len(graph.logs_containing(text)) == 1, (text, [log.msg for log in graph.inbox.logs])
    assert not graph.logs_containing("ignoring depth_scale 0.0")
    assert node.worker.failed == 0


def test_parameters_are_checked_and_a_checkpoint_swap_takes_effect_between_frames(
    graph_factory, bags: dict[str, list[BagFrame]], checkpoints: dict[str, Path], tmp_path: Path
) -> None:
    graph = graph_factory(checkpoint=str(checkpoints["a"]), scale_source="fixed", publish_points=False)
    node = graph.node
    frame = bags["raw"][0]
    expected = {name: relative_depth(path, frame.rgb) for name, path in checkpoints.items()}
    base = stamp_ns(frame.image.header)
    missing = tmp_path / "missing.pt"
    refused = [
        (Parameter("checkpoint", value=str(missing)), rf"checkpoint {re.escape(str(missing))}: does not exist"),
        (Parameter("points_stride", value=0), r"Parameter points_stride out of range"),
        (Parameter("min_depth", value=-1.0), r"Parameter min_depth out of range"),
        (Parameter("scale", value=math.nan), r"Parameter scale out of range"),
        (Parameter("precision", value="fp64"), r"parameter 'precision' must be one of fp32, fp16, bf16, got 'fp64'"),
        (Parameter("device", value="tpu"), r"device must be auto, cpu, cuda or cuda:N, got 'tpu'"),
        (Parameter("input_width", value=100), r"'input_width' must be 0 \(the checkpoint's\) or a multiple of 32"),
        (
            Parameter("min_depth", value=200.0),
            r"min_depth must be below max_depth, got min_depth 200.0 and max_depth 100",
        ),
        (Parameter("scale_source", value="model"), r"scale_source 'model' needs a checkpoint that carries a metric"),
        (Parameter("scale_source", value="baseline"), r"scale_source 'baseline' needs a stereo-trained checkpoint"),
        (Parameter("image_transport", value="compressed"), r"read-only"),
    ]
    for parameter, reason in refused:
        result = node.set_parameters([parameter])[0]
        assert not result.successful, parameter.name
        assert re.search(reason, result.reason), (parameter.name, result.reason)
    assert node.get_parameter("checkpoint").value == str(checkpoints["a"])
    out = graph.exchange(_image(frame.rgb, base + 1), frame.info, points=False)
    assert_depth_matches(out.depth, expected["a"], 0.1, 100.0)  # the old model is kept

    # Frames stream in while the checkpoint is swapped back and forth: every output is wholly one model's.
    stop = threading.Event()

    def stream() -> None:
        stamp = base + 100
        while not stop.is_set():
            graph.send(_image(frame.rgb, stamp), frame.info)
            stamp += 1
            time.sleep(0.02)

    streamer = threading.Thread(target=stream, daemon=True)
    streamer.start()
    try:
        for name in ("b", "a", "b"):
            result = node.set_parameters([Parameter("checkpoint", value=str(checkpoints[name]))])[0]
            assert result.successful, result.reason
            time.sleep(0.1)
    finally:
        stop.set()
        streamer.join(5)
    assert graph.wait_for(lambda: node.worker.idle)
    after = graph.exchange(_image(frame.rgb, base + 10_000), frame.info, points=False)
    assert_depth_matches(after.depth, expected["b"], 0.1, 100.0)
    with graph.inbox.condition:
        depths = [o.depth for s, o in graph.inbox.outputs.items() if s >= base + 100 and o.depth is not None]
    seen = set()
    for depth_msg in depths:
        depth = image_to_numpy(depth_msg)
        matches = [
            name
            for name, reference in expected.items()
            if np.allclose(
                depth, np.where((reference >= 0.1) & (reference <= 100.0), reference, np.nan), rtol=1e-4, equal_nan=True
            )
        ]
        assert len(matches) == 1, f"frame {stamp_ns(depth_msg.header)} matches {matches}"
        seen.update(matches)
    assert seen == {"a", "b"}, f"the streamed frames came from {seen} only"
    assert node.worker.failed == 0


def run_entry_point(*args: str) -> subprocess.Popen[str]:
    code = "import sys; from mono_depth_ros.ros.entry_points import depth_node; sys.exit(depth_node())"
    return subprocess.Popen([sys.executable, "-c", code, *args], stderr=subprocess.PIPE, text=True)


def test_the_entry_point_runs_until_sigint(checkpoints: dict[str, Path]) -> None:
    process = run_entry_point("--ros-args", "-r", "__ns:=/entry_point_test", "-p", f"checkpoint:={checkpoints['a']}")
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert f"model {checkpoints['a']} on cpu (fp32, 96x64), scale_source topic" in line
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((), "error: parameter 'checkpoint' is empty: name a mono_depth_ros checkpoint"),
        (("-p", "points_stride:=0"), "error: parameter 'points_stride': "),
        (("-p", "checkpoint:=/no/such/model.pt"), "error: checkpoint /no/such/model.pt: does not exist"),
    ],
)
def test_the_entry_point_refuses_bad_parameters(args: tuple[str, ...], error: str) -> None:
    process = run_entry_point("--ros-args", *args)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert stderr.strip().splitlines()[-1].startswith(error), stderr
