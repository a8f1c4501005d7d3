"""TrainingConfig: defaults, YAML loading with unknown keys rejected, and every bad value named in the message."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mono_depth_ros.core.models import ModelConfig, TrainingMode
from mono_depth_ros.core.training import TrainingConfig, TrainingConfigError, load_training_config
from mono_depth_ros.errors import ConfigError

PROJECT = Path(__file__).resolve().parents[3]


def test_documented_defaults_file_matches_the_dataclass() -> None:
    """config/train.yaml lists every key with the dataclass's default value."""
    documented = yaml.safe_load((PROJECT / "config" / "train.yaml").read_text(encoding="utf-8"))
    assert documented == TrainingConfig().to_dict()
    assert load_training_config(PROJECT / "config" / "train.yaml") == TrainingConfig()


@pytest.mark.parametrize("path", sorted((PROJECT / "docs" / "benchmarks").glob("*.yaml")), ids=lambda path: path.name)
def test_benchmark_configs_load(path: Path) -> None:
    """The configurations docs/BENCHMARKS.md trains with still load (no key renamed or removed since)."""
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    config = load_training_config(path)
    assert {key: config.to_dict()[key] for key in written} == written


def test_yaml_values_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("mode: stereo\nlearning_rate: 0.001\nscales: [0, 1]\nbatch_size: 3\n", encoding="utf-8")
    config = load_training_config(path, batch_size=5, width=None)
    assert config.mode is TrainingMode.STEREO
    assert config.learning_rate == pytest.approx(1e-3)
    assert config.scales == (0, 1)
    assert config.batch_size == 5  # the override wins over the file
    assert config.width == 320  # None means "not given"
    assert config.model_config() == ModelConfig(scales=(0, 1), pose=False)


def test_round_trip_through_plain_values() -> None:
    config = TrainingConfig(mode=TrainingMode.MONO_STEREO, two_stream=True, sag=True, scale_range=(0.5, 1.5))
    assert TrainingConfig.from_dict(config.to_dict()) == config
    assert config.model_config().two_stream


def test_unknown_key_names_key_and_value(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("learning_rate: 0.0001\nlearnig_rate: 0.5\n", encoding="utf-8")
    with pytest.raises(
        TrainingConfigError,
        match=r"unknown key 'learnig_rate' in training configuration file .*bad\.yaml.* \(value 0\.5\)",
    ):
        load_training_config(path)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"learning_rate": -0.001}, r"learning_rate must be a positive number, got -0\.001"),
        ({"batch_size": 0}, r"batch_size must be a positive integer, got 0"),
        ({"batch_size": 2.5}, r"batch_size must be an integer, got 2\.5"),
        ({"mode": "triple"}, r"mode must be one of mono, stereo, mono_stereo, siamese_stereo, got 'triple'"),
        ({"width": 100}, r"width must be a multiple of 32 and at least 64, got 100"),
        ({"amp": "yes"}, r"amp must be true or false, got 'yes'"),
        ({"min_depth": 5.0, "max_depth": 1.0}, r"min_depth \(5\.0\) must be below max_depth \(1\.0\)"),
        ({"sag": True, "mode": "stereo"}, r"sag needs temporal frames .* got mode 'stereo'"),
        ({"scale_range": [2.0, 1.0]}, r"scale_range must be \[low, high\] with 0 < low < high, got \(2\.0, 1\.0\)"),
        ({"scale_transfer": True, "adaptive_scale": True}, r"enable one"),
        ({"encoder_layers": 20}, r"encoder_layers must be one of \(18, 34, 50\), got 20"),
        ({"stereo_baseline": 0}, r"stereo_baseline must be a positive number of metres or null, got 0"),
        ({"time_limit_minutes": -1.0}, r"time_limit_minutes must be a positive number of minutes or null, got -1.0"),
        ({"source_fraction": 1.0}, r"source_fraction must be in \(0, 1\), got 1\.0"),
        ({"learning_rate": None}, r"learning_rate must not be null"),
    ],
)
def test_bad_values_are_named(values: dict, message: str) -> None:
    with pytest.raises(TrainingConfigError, match=message):
        TrainingConfig.from_dict(values)


def test_errors_are_config_errors(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- mode\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"must hold a mapping of keys to values, got list"):
        load_training_config(path)
    broken = tmp_path / "broken.yaml"
    broken.write_text("mode: [mono\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.yaml' is not valid YAML"):
        load_training_config(broken)
    with pytest.raises(ConfigError, match=r"missing\.yaml' does not exist"):
        load_training_config(tmp_path / "missing.yaml")


def test_derived_needs() -> None:
    assert TrainingConfig(mode=TrainingMode.MONO).uses_temporal
    assert not TrainingConfig(mode=TrainingMode.MONO).uses_right
    assert TrainingConfig(mode=TrainingMode.MONO_STEREO).uses_right
    assert TrainingConfig(mode=TrainingMode.MONO_STEREO).uses_temporal
    siamese = TrainingConfig(mode=TrainingMode.SIAMESE_STEREO)
    assert not siamese.uses_temporal
    assert not siamese.model_config().pose
    assert TrainingConfig(adaptive_scale=True).model_config().scale_cnn
