"""calibration_node's ROS-free frame logic with real (tiny, untrained) networks: which frames are skipped (logged
once), what each mode feeds the core estimator, and when a scale is returned for publishing."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch

from mono_depth_ros.core.inference import DepthEstimator
from mono_depth_ros.core.models import (
    CheckpointError,
    ModelConfig,
    load_checkpoint,
    save_checkpoint,
)
from mono_depth_ros.core.scale import (
    OdometryScaleEstimator,
    SampleVerdict,
    StereoScaleEstimator,
    reprojection_scale,
    rotation_angle,
    stereo_depth,
)
from mono_depth_ros.core.wire import CameraModel, image_to_rgb8
from mono_depth_ros.data.sim import SimConfig, SimFrame, SyntheticWorld
from mono_depth_ros.ros.calibration_config import CalibrationSettings, pose_matrix
from mono_depth_ros.ros.calibration_pipeline import (
    REPROJECTION_RANGE,
    CalibrationFrame,
    CalibrationNetworks,
    CalibrationPipeline,
    View,
    frame_images,
)
from mono_depth_ros.ros.errors import ParameterError
from mono_depth_ros.ros.log_once import LogOnce

WIDTH, HEIGHT = 96, 64
LOGGER = "calibration_pipeline_test"


@pytest.fixture(scope="module")
def with_pose(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoint) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("calibration_pipeline") / "pose.pt"
    return save_checkpoint(tiny_checkpoint(ModelConfig(pose=True), WIDTH, HEIGHT), path)


@pytest.fixture(scope="module")
def depth_only(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoint) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("calibration_pipeline") / "depth.pt"
    return save_checkpoint(tiny_checkpoint(ModelConfig(pose=False), WIDTH, HEIGHT), path)


@pytest.fixture(scope="module")
def world() -> SyntheticWorld:
    return SyntheticWorld(SimConfig(width=WIDTH, height=HEIGHT, stereo=True, seed=5), frames=3)


@pytest.fixture
def log() -> LogOnce:
    return LogOnce(logging.getLogger(LOGGER))


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == LOGGER]


def camera(world: SyntheticWorld, baseline: float = 0.0) -> CameraModel:
    return CameraModel.from_intrinsics(world.intrinsics, baseline)


def view(pixels: np.ndarray, cam: CameraModel | None, name: str = "", encoding: str = "rgb8") -> View:
    return View(partial(image_to_rgb8, pixels, encoding), cam, name)


def stereo_frame(world: SyntheticWorld, index: int, stamp: float | None = None) -> CalibrationFrame:
    frame = world.render_frame(index)
    views = (
        view(frame.left_rgb, camera(world), "left/"),
        view(frame.right_rgb, camera(world, world.config.baseline), "right/"),
    )
    return CalibrationFrame(frame.time if stamp is None else stamp, views)


def test_frames_that_cannot_be_used_are_skipped_and_logged_once(
    world: SyntheticWorld, log: LogOnce, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    rgb, depth = world.render_frame(0).left_rgb, world.render_frame(0).depth
    assert frame_images([view(rgb, None)], log) is None
    assert frame_images([view(rgb, None)], log) is None
    assert frame_images([view(depth, camera(world), encoding="32FC1")], log) is None
    assert frame_images([view(rgb[:32], camera(world), "right/")], log) is None
    assert messages(caplog) == [
        "waiting for camera_info: nothing is estimated yet",
        "skipping images that cannot be used: cannot convert 32FC1 to rgb8: only mono, colour (rgb/bgr/rgba/bgra) "
        "and 8UC1/16UC1 images have a defined colour meaning",
        f"skipping a {WIDTH}x32 right/image: right/camera_info describes {WIDTH}x{HEIGHT}",
    ]
    images = frame_images([view(rgb, camera(world), "left/"), view(rgb, camera(world), "right/")], log)
    assert images is not None
    assert len(images) == 2
    np.testing.assert_array_equal(images[1], rgb)


def test_no_checkpoint_is_a_parameter_error_and_one_that_does_not_load_leaves_no_model(
    world: SyntheticWorld, log: LogOnce, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    with pytest.raises(ParameterError, match=r"parameter 'checkpoint' is empty: name a mono_depth_ros checkpoint"):
        CalibrationPipeline(CalibrationSettings(device="cpu"), log)
    missing = tmp_path / "missing.pt"
    pipeline = CalibrationPipeline(CalibrationSettings(mode="stereo", checkpoint=str(missing), device="cpu"), log)
    assert pipeline.networks is None
    assert pipeline.status() == ("no_model", None)
    assert pipeline.model_problem == f"checkpoint {missing}: does not exist"
    assert pipeline.process(stereo_frame(world, 0)) is None
    assert not pipeline.verdicts
    assert messages(caplog) == [f"no model, nothing is estimated: checkpoint {missing}: does not exist"]


def test_the_pose_method_needs_a_pose_network_and_reprojection_does_not(depth_only: Path) -> None:
    with pytest.raises(
        CheckpointError,
        match=r"has no pose network: odometry_method 'pose' needs one \(use odometry_method reprojection\)",
    ):
        CalibrationNetworks(depth_only, "cpu", "odometry", "pose")
    networks = CalibrationNetworks(depth_only, "cpu", "odometry")
    assert networks.pose is None
    assert networks.depth is not None


def test_stereo_mode_returns_each_converged_scale_and_freezes_until_told_not_to(
    world: SyntheticWorld, depth_only: Path, log: LogOnce, caplog: pytest.LogCaptureFixture
) -> None:
    settings = CalibrationSettings(
        mode="stereo", checkpoint=str(depth_only), device="cpu", tolerance=10.0, min_samples=1,
        freeze_when_converged=True,
    )  # fmt: skip
    pipeline = CalibrationPipeline(settings, log)
    frame = world.render_frame(0)
    relative = DepthEstimator(load_checkpoint(depth_only), device="cpu", warmup=False)
    expected = StereoScaleEstimator(min_samples=1, tolerance=10.0)
    metric = stereo_depth(frame.left_rgb, frame.right_rgb, world.intrinsics.fx, world.config.baseline)
    assert expected.add(metric, relative.predict(frame.left_rgb, scale=1.0).relative_depth) > 0
    scale = pipeline.process(stereo_frame(world, 0))
    assert scale == pytest.approx(expected.estimate().scale, rel=1e-6)
    assert pipeline.status() == ("frozen", pipeline.estimate)
    assert pipeline.process(stereo_frame(world, 1)) is None  # frozen: not even looked at
    assert pipeline.verdicts == {"used": 1}
    assert pipeline.apply({"freeze_when_converged": False}) is None
    assert not pipeline.frozen
    # A stamp before the last (a bag loop) starts the estimate over.
    assert pipeline.process(stereo_frame(world, 1, stamp=-1.0)) is not None
    assert pipeline.estimate.samples == 1
    assert pipeline.verdicts == {"used": 2}
    assert pipeline.status()[0] == "converged"
    assert messages(caplog)[-1] == f"time went back {frame.time + 1.0:.3f} s (a bag loop?): starting over"


def test_odometry_mode_feeds_network_and_odometry_motion_between_processed_frames(
    world: SyntheticWorld, with_pose: Path, log: LogOnce, caplog: pytest.LogCaptureFixture
) -> None:
    settings = CalibrationSettings(checkpoint=str(with_pose), device="cpu", odometry_method="pose")
    pipeline = CalibrationPipeline(settings, log)
    assert pipeline.add_odometry(0.0, pose_matrix([0.0] * 7)) is SampleVerdict.NOT_FINITE
    assert messages(caplog) == ["odometry not finite at 0.000 s: no motion is measured across it"]
    for stamp in world.odometry_times():
        assert pipeline.add_odometry(float(stamp), world.base_pose(float(stamp))) is SampleVerdict.USED
    frames = [world.render_frame(index) for index in (0, 1)]
    views = [(view(frame.left_rgb, camera(world)),) for frame in frames]
    assert pipeline.process(CalibrationFrame(frames[0].time, views[0])) is None
    assert pipeline.verdicts == {"odom_not_finite": 1}  # the first frame only starts a pair
    assert pipeline.process(CalibrationFrame(frames[1].time, views[1])) is None  # min_samples 20
    networks = pipeline.networks
    network = networks.motion(networks.network_input(frames[0].left_rgb), networks.network_input(frames[1].left_rgb))
    motion = pipeline.track.motion(frames[0].time, frames[1].time, pipeline.settings.base_from_camera())
    verdict = OdometryScaleEstimator().add(
        frames[1].time, network[:3, 3], motion[:3, 3], interval_s=frames[1].time - frames[0].time,
        rotation=rotation_angle(motion),
    )  # fmt: skip
    assert pipeline.verdicts == {"odom_not_finite": 1, verdict.value: 1}
    assert pipeline.estimate.samples == (verdict is SampleVerdict.USED)


def reprojection_pipeline(world: SyntheticWorld, checkpoint: Path, log: LogOnce) -> CalibrationPipeline:
    """Odometry by reprojection (the default), publishing every sample, with the whole drive's odometry."""
    settings = CalibrationSettings(checkpoint=str(checkpoint), device="cpu", min_samples=1, tolerance=10.0)
    pipeline = CalibrationPipeline(settings, log)
    for stamp in world.odometry_times():
        pipeline.add_odometry(float(stamp), world.base_pose(float(stamp)))
    return pipeline


def mono_frame(world: SyntheticWorld, frame: SimFrame) -> CalibrationFrame:
    return CalibrationFrame(frame.time, (view(frame.left_rgb, camera(world)),))


def test_the_reprojection_method_searches_the_scale_that_explains_the_odometry_motion(
    world: SyntheticWorld, depth_only: Path, log: LogOnce
) -> None:
    pipeline = reprojection_pipeline(world, depth_only, log)
    frames = [world.render_frame(index) for index in (0, 1)]
    assert pipeline.process(mono_frame(world, frames[0])) is None
    published = pipeline.process(mono_frame(world, frames[1]))
    # The same search by hand: both images and the relative depth at the network's size, the odometry's motion.
    networks = pipeline.networks
    previous, current = (networks.network_input(frame.left_rgb)[0] for frame in frames)
    width, height = networks.size
    depth = torch.from_numpy(networks.relative_depth(frames[1].left_rgb, resolution="network"))
    assert tuple(depth.shape) == (height, width)
    motion = pipeline.track.motion(frames[0].time, frames[1].time, pipeline.settings.base_from_camera())
    fit = reprojection_scale(
        current, previous, depth, torch.from_numpy(motion), world.intrinsics.resized(width, height).matrix(),
        low=REPROJECTION_RANGE[0], high=REPROJECTION_RANGE[1],
    )  # fmt: skip
    assert fit is not None
    assert pipeline.verdicts == {"used": 1}
    assert published == pytest.approx(fit.scale, rel=1e-5)


def test_a_reprojection_search_near_a_wrong_estimate_falls_back_to_the_whole_range(
    world: SyntheticWorld, depth_only: Path, log: LogOnce
) -> None:
    pipeline = reprojection_pipeline(world, depth_only, log)
    frames = [world.render_frame(index) for index in (0, 1, 2)]
    pipeline.process(mono_frame(world, frames[0]))
    first = pipeline.process(mono_frame(world, frames[1]))
    assert first is not None
    # A poor estimate 1000x off: the search around it finds its minimum on the edge, the whole range does not.
    pipeline.estimate = pipeline.estimate._replace(scale=first * 1000.0)
    second = pipeline.process(mono_frame(world, frames[2]))
    assert pipeline.verdicts == {"used": 2}
    assert second == pytest.approx(first, rel=0.5)
