"""trainer_node's parameter specs and settings: every invalid value refused with a typed error naming it, the bag
selection and the training configuration they give, and config/trainer.yaml in step with the declared parameters."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from mono_depth_ros.core.models import TrainingMode
from mono_depth_ros.core.training.errors import TrainingConfigError
from mono_depth_ros.data.training.errors import BagDataError
from mono_depth_ros.ros.errors import ParameterError
from mono_depth_ros.ros.parameters import check_parameter
from mono_depth_ros.ros.trainer_config import TRAINER_PARAMETERS, TrainerSettings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SPECS = {spec.name: spec for spec in TRAINER_PARAMETERS}


def settings(**values: object) -> TrainerSettings:
    """Settings from the defaults, a bag and an output folder, then `values` (as parameter values)."""
    return TrainerSettings.from_values({"bags": ["/data/drive"], "output_dir": "/runs/a", **values})


def test_the_params_file_sets_every_parameter_to_its_default_and_the_dataclass_agrees() -> None:
    values = yaml.safe_load((PROJECT_ROOT / "config" / "trainer.yaml").read_text())["/**"]["ros__parameters"]
    assert values == {spec.name: spec.default for spec in TRAINER_PARAMETERS}
    defaults = TrainerSettings()
    assert [f.name for f in fields(TrainerSettings)] == list(SPECS)
    for spec in TRAINER_PARAMETERS:
        assert getattr(defaults, spec.name) == (tuple(spec.default) if spec.is_list else spec.default), spec.name
        assert len(spec.description) > 20, spec.name
    assert SPECS["mode"].choices == tuple(mode.value for mode in TrainingMode)


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("mode", "video", "parameter 'mode' must be one of mono, stereo, mono_stereo, siamese_stereo, got 'video'"),
        ("max_steps", 0, "parameter 'max_steps' must be at least 1, got 0"),
        ("max_steps", 2.5, "parameter 'max_steps' must be an integer, got 2.5"),
        ("bags", ["/a", 3], "parameter 'bags'[1] must be a string, got 3 (in ['/a', 3])"),
        ("bags", "/a", "parameter 'bags' must be a list, got '/a'"),
        ("freeze_encoder", "yes", "parameter 'freeze_encoder' must be a boolean, got 'yes'"),
        ("exit_when_done", 1, "parameter 'exit_when_done' must be a boolean, got 1"),
        ("device", 0, "parameter 'device' must be a string, got 0"),
    ],
)
def test_single_values_of_the_wrong_type_or_range_are_refused_by_their_spec(
    name: str, value: object, reason: str
) -> None:
    assert check_parameter(SPECS[name], value) == reason


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"bags": []}, r"parameter 'bags' is empty: name at least one rosbag2 folder or file"),
        ({"bags": ["/a", " "]}, r"parameter 'bags'\[1\] is an empty path \(in \['/a', ' '\]\)"),
        ({"image_topic": ""}, r"parameter 'image_topic' must name the image topic in the bags, got ''"),
        ({"image_topic": "/cam/left image"}, r"parameter 'image_topic' must be a ROS topic name .*'/cam/left image'"),
        ({"camera_info_topic": "/cam//info"}, r"parameter 'camera_info_topic' must be a ROS topic name .*'/cam//info'"),
        ({"right_image_topic": "1right"}, r"parameter 'right_image_topic' must be a ROS topic name .*'1right'"),
        ({"odom_topic": "/odom/"}, r"parameter 'odom_topic' must be a ROS topic name .*'/odom/'"),
        ({"depth_topic": "a b"}, r"parameter 'depth_topic' must be a ROS topic name .*'a b'"),
        ({"output_dir": " "}, r"parameter 'output_dir' is empty: name the folder"),
        ({"init_checkpoint": "/no/such/model.pt"}, r"parameter 'init_checkpoint': '/no/such/model.pt' is not a file"),
        ({"device": "tpu"}, r"parameter 'device': device must be auto, cpu, cuda or cuda:N, got 'tpu'"),
    ],
)  # fmt: skip
def test_invalid_values_are_refused_naming_the_parameter_and_the_value(values: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        settings(**values)


def test_the_bag_selection_follows_the_parameters(tmp_path: Path) -> None:
    selection = settings(
        bags=[str(tmp_path / "a"), str(tmp_path / "b")], image_topic="camera/image_raw/compressed",
        right_image_topic="/camera/right/image_raw", odom_topic="odom", depth_topic="/camera/depth",
    ).selection()  # fmt: skip
    assert selection.bags == (tmp_path / "a", tmp_path / "b")
    assert selection.image_topic == "/camera/image_raw/compressed"
    assert selection.camera_info_topic == "/camera/camera_info"  # beside the image, as image_transport names it
    assert selection.right_camera_info_topic == "/camera/right/camera_info"
    assert (selection.odom_topic, selection.depth_topic) == ("/odom", "/camera/depth")
    assert settings(camera_info_topic="/info").selection().camera_info_topic == "/info"
    with pytest.raises(BagDataError, match=r"a bag is listed twice"):
        settings(bags=["/data/a", "/data/a"]).selection()
    with pytest.raises(BagDataError, match=r"the left and right image topics must differ"):
        settings(right_image_topic="/camera/left/image_raw").selection()


def test_the_training_config_is_the_yaml_with_the_parameters_on_top(tmp_path: Path) -> None:
    config, notes = settings().training_config()
    assert (config.mode, config.max_steps, config.device) == (TrainingMode.MONO, 1000, "auto")
    assert (config.init_checkpoint, config.freeze_encoder) == (None, False)
    assert notes == []
    checkpoint = tmp_path / "model.pt"
    checkpoint.write_bytes(b"")
    path = tmp_path / "train.yaml"
    path.write_text("batch_size: 2\nmax_steps: 20000\ndevice: auto\nfreeze_encoder: true\n")
    config, notes = settings(
        config=str(path), mode="stereo", max_steps=50, device="cpu", init_checkpoint=str(checkpoint)
    ).training_config()
    assert (config.mode, config.max_steps, config.device, config.batch_size) == (TrainingMode.STEREO, 50, "cpu", 2)
    assert (config.init_checkpoint, config.freeze_encoder) == (str(checkpoint), True)  # false keeps the file's
    assert notes == [
        f"parameter 'max_steps' (50) replaces max_steps: 20000 of {path}",
        f"parameter 'device' ('cpu') replaces device: 'auto' of {path}",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, r"training configuration file '.*missing.yaml' does not exist"),
        ("batch_size: 0\n", r"batch_size must be a positive integer, got 0"),
        ("batch: 2\n", r"unknown key 'batch' in training configuration file"),
        ("width: [\n", r"is not valid YAML"),
    ],
)
def test_a_bad_training_yaml_is_a_typed_error_naming_it(tmp_path: Path, text: str | None, message: str) -> None:
    path = tmp_path / "missing.yaml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(TrainingConfigError, match=message):
        settings(config=str(path)).training_config()
