"""depth_node's parameter specs and settings: combinations refused with reasons, and config/depth.yaml in sync."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mono_depth_ros.ros.depth_config import DEPTH_PARAMETERS, DepthSettings, ScaleMode
from mono_depth_ros.ros.errors import ParameterError
from mono_depth_ros.ros.parameters import check_parameter

CONFIG = Path(__file__).resolve().parents[2] / "config" / "depth.yaml"
SPECS = {spec.name: spec for spec in DEPTH_PARAMETERS}


def test_config_file_lists_every_parameter_with_its_default() -> None:
    values = yaml.safe_load(CONFIG.read_text())["/**"]["ros__parameters"]
    assert set(values) == set(SPECS)
    for name, value in values.items():
        assert value == SPECS[name].default, name
        assert type(value) is type(SPECS[name].default), name


def test_defaults_are_valid_settings() -> None:
    defaults = {spec.name: spec.default for spec in DEPTH_PARAMETERS}
    settings = DepthSettings.from_values(defaults)
    assert settings.scale_source is ScaleMode.TOPIC
    assert settings.checkpoint_path is None
    assert (
        DepthSettings.from_values({**defaults, "checkpoint": "~/m.pt"}).checkpoint_path == Path("~/m.pt").expanduser()
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {"min_depth": 50.0, "max_depth": 10.0},
            r"min_depth must be below max_depth, got min_depth 50.0 and max_depth 10.0",
        ),
        (
            {"input_width": 100},
            r"parameter 'input_width' must be 0 \(the checkpoint's\) or a multiple of 32 of at least 64, got 100",
        ),
        ({"input_height": 32}, r"parameter 'input_height' must be 0 .* got 32"),
        ({"device": "tpu"}, r"parameter 'device': device must be auto, cpu, cuda or cuda:N, got 'tpu'"),
        (
            {"scale_source": "lidar"},
            r"parameter 'scale_source' must be one of topic, fixed, baseline, model, got 'lidar'",
        ),
    ],
)
def test_bad_combinations_are_refused_with_a_reason(changes: dict, reason: str) -> None:
    with pytest.raises(ParameterError, match=reason):
        DepthSettings().with_changes(changes)


def test_with_changes_keeps_the_rest() -> None:
    settings = DepthSettings(scale=2.0).with_changes({"points_stride": 4, "scale_source": "fixed"})
    assert settings.points_stride == 4
    assert settings.scale == 2.0
    assert settings.scale_source is ScaleMode.FIXED


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("points_stride", 0, r"parameter 'points_stride' must be at least 1, got 0"),
        ("points_stride", 65, r"parameter 'points_stride' must be at most 64, got 65"),
        ("scale", float("nan"), r"parameter 'scale' must be a finite number, got nan"),
        ("scale", 0.0, r"parameter 'scale' must be at least 1e-06, got 0.0"),
        ("min_depth", -1.0, r"parameter 'min_depth' must be at least 0.001, got -1.0"),
        ("precision", "fp64", r"parameter 'precision' must be one of fp32, fp16, bf16, got 'fp64'"),
        ("image_transport", "theora", r"parameter 'image_transport' must be one of raw, compressed, got 'theora'"),
        ("input_qos", "fast", r"parameter 'input_qos' must be one of sensor, reliable, got 'fast'"),
    ],
)
def test_out_of_range_values_have_reasons(name: str, value: object, reason: str) -> None:
    got = check_parameter(SPECS[name], value)
    assert got is not None

    assert re.fullmatch(reason, got), got
