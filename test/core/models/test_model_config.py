"""ModelConfig: defaults, plain-dict round trip, every refusal."""

from __future__ import annotations

import pytest

from mono_depth_ros.core.models import ModelConfig, ModelConfigError
from mono_depth_ros.errors import ConfigError


def test_defaults_are_monodepth2s():
    config = ModelConfig()
    assert (config.encoder_layers, config.scales, config.min_depth, config.max_depth) == (18, (0, 1, 2, 3), 0.1, 100)
    assert config.pose
    assert not config.two_stream
    assert not config.scale_cnn


def test_round_trip_through_plain_values():
    config = ModelConfig(encoder_layers=50, scales=(0, 1), two_stream=True, scale_cnn=True, scale_cnn_input=(32, 96))
    values = config.to_dict()
    assert values["scales"] == [0, 1]
    assert values["scale_cnn_input"] == [32, 96]
    assert all(isinstance(v, (bool, int, float, list)) for v in values.values())
    assert ModelConfig.from_dict(values) == config


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"encoder_layers": 101}, r"encoder_layers must be one of \(18, 34, 50\), got 101"),
        ({"pose_encoder_layers": "18"}, r"pose_encoder_layers must be one of \(18, 34, 50\), got '18'"),
        ({"scales": [1, 2]}, r"scales must be increasing values from 0..3 that include 0, got \(1, 2\)"),
        ({"scales": [0, 4]}, r"got \(0, 4\)"),
        ({"scales": [2, 0]}, r"got \(2, 0\)"),
        ({"min_depth": 0.0}, "depth range must satisfy 0 < min_depth < max_depth, got 0.0, 100.0"),
        ({"min_depth": 10.0, "max_depth": 5.0}, "got 10.0, 5.0"),
        ({"max_depth": float("nan")}, "got 0.1, nan"),
        ({"two_stream_scale_range": -1.0}, "two_stream_scale_range must be positive, got -1.0"),
        ({"scale_cnn_input": [8, 8]}, r"scale_cnn_input must be \(height, width\), each >= 16, got \(8, 8\)"),
        ({"colour": True}, r"unknown model configuration keys \['colour'\]"),
    ],
)
def test_bad_values_are_refused_with_the_value(values, message):
    with pytest.raises(ModelConfigError, match=message) as caught:
        ModelConfig.from_dict(values)
    assert isinstance(caught.value, ConfigError)
