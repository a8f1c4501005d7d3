"""depth_node's ROS-free frame logic with real (tiny, untrained) estimators: which scale applies, what is published
before a scale is known, and which frames are skipped (logged once)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from mono_depth_ros.core.geometry import PinholeIntrinsics
from mono_depth_ros.core.inference import DepthEstimator, ScaleOrigin
from mono_depth_ros.core.models import (
    Checkpoint,
    CheckpointError,
    MetricScale,
    ModelConfig,
    ScaleSource,
    TrainingMode,
    save_checkpoint,
)
from mono_depth_ros.core.wire import CameraModel, UnsupportedEncodingError
from mono_depth_ros.ros.depth_config import DepthSettings, ScaleMode
from mono_depth_ros.ros.depth_pipeline import (
    ActiveModel,
    DepthPipeline,
    Frame,
    build_model,
    camera_intrinsics,
    choose_scale,
    estimator_input,
    scale_mode_problem,
)
from mono_depth_ros.ros.errors import ParameterError
from mono_depth_ros.ros.log_once import LogOnce

WIDTH, HEIGHT = 96, 64
LOGGER = "depth_pipeline_test"


MONOCULAR = ModelConfig(pose=False)


@pytest.fixture(scope="module")
def relative(tiny_checkpoint) -> Checkpoint:  # type: ignore[no-untyped-def]
    return tiny_checkpoint(MONOCULAR, WIDTH, HEIGHT)


@pytest.fixture(scope="module")
def global_metric(tiny_checkpoint) -> Checkpoint:  # type: ignore[no-untyped-def]
    return tiny_checkpoint(MONOCULAR, WIDTH, HEIGHT, metric_scale=MetricScale(ScaleSource.GLOBAL, 3.0))


@pytest.fixture(scope="module")
def stereo(tiny_checkpoint) -> Checkpoint:  # type: ignore[no-untyped-def]
    return tiny_checkpoint(
        MONOCULAR,
        WIDTH,
        HEIGHT,
        training_mode=TrainingMode.STEREO,
        stereo_baseline=0.5,
        metric_scale=MetricScale(ScaleSource.STEREO, 1.0),
    )


@pytest.fixture
def log() -> LogOnce:
    return LogOnce(logging.getLogger(LOGGER))


def pipeline(ckpt: Checkpoint, log: LogOnce, **settings: object) -> DepthPipeline:
    chosen = DepthSettings(checkpoint="in-memory", **settings).validated()
    estimator = DepthEstimator(ckpt, min_depth=chosen.min_depth, max_depth=chosen.max_depth, warmup=False)
    return DepthPipeline(ActiveModel(chosen, estimator), log)


def camera(width: int = WIDTH, height: int = HEIGHT, baseline: float = 0.0) -> CameraModel:
    return CameraModel.from_intrinsics(PinholeIntrinsics(80.0, 80.0, 47.5, 31.5, width, height), baseline=baseline)


def frame(stamp: int = 1, pixels: np.ndarray | None = None, encoding: str = "rgb8", cam: object = "default") -> Frame:
    if pixels is None:
        pixels = np.random.default_rng(0).integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    return Frame(pixels, encoding, stamp, camera() if cam == "default" else cam)  # type: ignore[arg-type]


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == LOGGER]


def test_choose_scale_per_mode(relative: Checkpoint, global_metric: Checkpoint, stereo: Checkpoint) -> None:
    kwargs = {"topic_scale": None, "fixed_scale": 2.0, "right_baseline": None}
    assert choose_scale(ScaleMode.FIXED, relative, **kwargs).scale == 2.0
    assert choose_scale(ScaleMode.MODEL, global_metric, **kwargs) == (None, None, None)
    waiting = choose_scale(ScaleMode.TOPIC, relative, **kwargs).waiting
    assert waiting is not None
    assert waiting.startswith("waiting for depth_scale")
    assert choose_scale(ScaleMode.TOPIC, global_metric, **kwargs) == (None, None, None)  # its own factor meanwhile
    assert choose_scale(ScaleMode.TOPIC, global_metric, **{**kwargs, "topic_scale": 4.0}).scale == 4.0
    assert choose_scale(ScaleMode.BASELINE, stereo, **kwargs).waiting.startswith("waiting for right/camera_info")
    assert choose_scale(ScaleMode.BASELINE, stereo, **{**kwargs, "right_baseline": 0.25}).real_baseline == 0.25


def test_scale_modes_a_checkpoint_cannot_serve(global_metric: Checkpoint, stereo: Checkpoint, tiny_checkpoint) -> None:  # type: ignore[no-untyped-def]
    assert scale_mode_problem(ScaleMode.BASELINE, stereo) is None
    assert scale_mode_problem(ScaleMode.MODEL, global_metric) is None
    with_path = tiny_checkpoint(MONOCULAR, WIDTH, HEIGHT)
    with_path.path = Path("/models/relative.pt")
    assert scale_mode_problem(ScaleMode.MODEL, with_path) == (
        "scale_source 'model' needs a checkpoint that carries a metric scale (stereo, global or per_image), but "
        "checkpoint /models/relative.pt has none; use topic, fixed or baseline"
    )
    problem = scale_mode_problem(ScaleMode.BASELINE, global_metric)
    assert problem is not None
    assert "needs a stereo-trained checkpoint" in problem
    assert "has source 'global'" in problem


def test_relative_model_on_topic_waits_for_depth_scale(
    log: LogOnce, caplog: pytest.LogCaptureFixture, relative: Checkpoint
) -> None:
    stage = pipeline(relative, log)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert stage.run(frame(1)) is None
        assert stage.run(frame(2)) is None
        for bad in (float("nan"), 0.0, -1.0, float("inf")):
            assert not stage.set_topic_scale(bad)
        assert stage.run(frame(3)) is None
        assert stage.set_topic_scale(2.0)
        result = stage.run(frame(4))
    assert result is not None
    prediction, _ = result
    assert prediction.scale == 2.0
    assert prediction.scale_origin is ScaleOrigin.GIVEN
    assert stage.rejected_scales == 4
    assert stage.skip_reason is None
    assert messages(caplog) == [
        "waiting for depth_scale (the model is relative-only: nothing is published yet)",
        "ignoring depth_scale nan: a scale must be a positive finite number",
    ]


def test_metric_model_on_topic_uses_its_own_scale_until_depth_scale(log: LogOnce, global_metric: Checkpoint) -> None:
    stage = pipeline(global_metric, log)
    result = stage.run(frame())
    assert result is not None
    assert (result[0].scale, result[0].scale_origin) == (3.0, ScaleOrigin.GLOBAL)
    stage.set_topic_scale(5.0)
    result = stage.run(frame(2))
    assert result is not None
    assert (result[0].scale, result[0].scale_origin) == (5.0, ScaleOrigin.GIVEN)


def test_baseline_mode_rescales_by_the_right_camera(
    log: LogOnce, caplog: pytest.LogCaptureFixture, stereo: Checkpoint
) -> None:
    stage = pipeline(stereo, log, scale_source="baseline")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert stage.run(frame()) is None
        assert not stage.set_right_camera(camera(baseline=0.0))
        assert stage.set_right_camera(camera(baseline=0.25))
        result = stage.run(frame(2))
    assert result is not None
    assert result[0].scale == pytest.approx(0.25 / 0.5)
    assert result[0].scale_origin is ScaleOrigin.STEREO_BASELINE
    assert messages(caplog) == [
        "waiting for right/camera_info (scale_source 'baseline' reads the baseline)",
        "ignoring right/camera_info: baseline -P[0,3]/P[0,0] is 0.0, it must be positive (is it the right camera of "
        "the pair?)",
    ]


def test_bad_frames_are_skipped_and_logged_once(
    log: LogOnce, caplog: pytest.LogCaptureFixture, relative: Checkpoint
) -> None:
    stage = pipeline(relative, log, scale_source="fixed", scale=2.0)
    depth_image = np.ones((HEIGHT, WIDTH), np.float32)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for stamp in (1, 2):
            assert stage.run(frame(stamp, cam=None)) is None
            assert stage.run(frame(stamp, depth_image, "32FC1")) is None
            assert stage.run(frame(stamp, cam=camera(WIDTH * 2, HEIGHT))) is None
        assert stage.run(frame(10)) is not None
        assert stage.run(frame(5)) is not None  # time went backwards: logged, and carried on
        assert stage.run(frame(4)) is not None
    got = messages(caplog)
    assert got[0] == "waiting for camera_info: nothing is published until one arrives"
    assert got[1].startswith("skipping images of encoding '32FC1': cannot convert 32FC1 to rgb8")
    assert got[2] == "skipping a 96x64 image: camera_info describes 192x64 images"
    assert got[3] == "input time went backwards by 0.000 s (a bag loop?): carrying on with the new stamps"
    assert len(got) == 4


def test_a_swap_is_checked_against_the_scale_source(
    log: LogOnce, tmp_path: Path, relative: Checkpoint, global_metric: Checkpoint
) -> None:
    stage = pipeline(relative, log, scale_source="fixed")
    path = save_checkpoint(global_metric, tmp_path / "global.pt")
    settings = stage.model.settings.with_changes({"checkpoint": str(path), "scale_source": "model"})
    model = build_model(settings)
    stage.swap(model)
    assert stage.model is model
    with pytest.raises(ParameterError, match=r"scale_source 'model' needs a checkpoint that carries a metric scale"):
        stage.swap(ActiveModel(settings, DepthEstimator(relative, warmup=False)))
    assert stage.model is model
    with pytest.raises(CheckpointError, match=r"checkpoint .*missing.pt: does not exist"):
        build_model(settings.with_changes({"checkpoint": str(tmp_path / "missing.pt")}))
    with pytest.raises(ParameterError, match=r"parameter 'checkpoint' is empty"):
        build_model(DepthSettings())


def test_estimator_input_and_intrinsics() -> None:
    mono16 = np.full((4, 4), 0x1234, np.uint16)
    pixels, encoding = estimator_input(mono16, "mono16")
    assert encoding == "rgb8"
    assert pixels.shape == (4, 4, 3)
    assert int(pixels[0, 0, 0]) == 0x12
    bgr = np.zeros((4, 4, 3), np.uint8)
    assert estimator_input(bgr, "bgr8")[1] == "bgr8"
    with pytest.raises(UnsupportedEncodingError, match=r"cannot convert 8UC3 to rgb8"):
        estimator_input(bgr, "8UC3")
    intrinsics, approximate = camera_intrinsics(camera())
    assert not approximate
    assert intrinsics.fx == 80.0
    distorted = CameraModel(WIDTH, HEIGHT, "plumb_bob", [0.1, 0, 0, 0, 0], camera().K, np.eye(3), camera().P)
    assert camera_intrinsics(distorted)[1]
