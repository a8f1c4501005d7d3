"""Checkpoint files: round trip, weights_only safety, atomic writes and every refusal naming the file."""

from __future__ import annotations

import pickle

import pytest
import torch

from mono_depth_ros.core.models import (
    FORMAT_VERSION,
    Checkpoint,
    CheckpointError,
    MetricScale,
    ModelConfig,
    Networks,
    ScaleSource,
    TrainingMode,
    load_checkpoint,
    save_checkpoint,
)
from mono_depth_ros.core.models.errors import ModelConfigError


def small_checkpoint(**config) -> tuple[Networks, Checkpoint]:
    torch.manual_seed(0)
    networks = Networks.build(ModelConfig(**config)).eval()
    return networks, Checkpoint.from_networks(networks, 96, 64)


class NotAllowed:
    """A class the weights-only unpickler must refuse to construct."""


def test_round_trip_keeps_every_field_and_the_predictions(tmp_path):
    networks, checkpoint = small_checkpoint(two_stream=True, scale_cnn=True, scales=(0, 1))
    checkpoint.training_mode = TrainingMode.MONO_STEREO
    checkpoint.stereo_baseline = 0.54
    checkpoint.metric_scale = MetricScale(ScaleSource.STEREO, 1.0)
    checkpoint.step, checkpoint.epoch = 1200, 3
    checkpoint.training_state = {"optimizer": {"state": {0: {"step": torch.tensor(3.0)}}, "param_groups": []}}
    checkpoint.metadata = {"created_by": "test"}
    path = save_checkpoint(checkpoint, tmp_path / "model.pt")
    loaded = load_checkpoint(path)
    assert loaded.path == path
    assert loaded.model == checkpoint.model
    assert (loaded.input_width, loaded.input_height) == (96, 64)
    assert (loaded.training_mode, loaded.stereo_baseline, loaded.metric_scale) == (
        TrainingMode.MONO_STEREO,
        0.54,
        MetricScale(ScaleSource.STEREO, 1.0),
    )
    assert (loaded.step, loaded.epoch, loaded.metadata) == (1200, 3, {"created_by": "test"})
    assert torch.equal(loaded.training_state["optimizer"]["state"][0]["step"], torch.tensor(3.0))
    rebuilt = loaded.build_networks()
    images = torch.rand(2, 3, 64, 96)
    with torch.no_grad():
        for expected, actual in zip(networks.depth(images).depths, rebuilt.depth(images).depths, strict=True):
            assert torch.equal(expected, actual)
        assert torch.equal(networks.pose(images, images).translation, rebuilt.pose(images, images).translation)
        assert torch.equal(networks.scale_cnn(images), rebuilt.scale_cnn(images))


def test_file_is_loadable_with_weights_only_and_holds_plain_values(tmp_path):
    _, checkpoint = small_checkpoint(pose=False)
    path = save_checkpoint(checkpoint, tmp_path / "model.pt")
    contents = torch.load(path, weights_only=True)
    assert contents["format_version"] == FORMAT_VERSION
    assert sorted(contents) == [
        "format",
        "format_version",
        "input_size",
        "metadata",
        "metric_scale",
        "model",
        "state_dicts",
        "training",
        "training_state",
    ]
    assert sorted(contents["state_dicts"]) == ["depth"]


def test_half_precision_file_is_smaller_and_loads_as_float32(tmp_path):
    networks, checkpoint = small_checkpoint(pose=False)
    full = save_checkpoint(checkpoint, tmp_path / "full.pt")
    half = save_checkpoint(checkpoint, tmp_path / "half.pt", half=True)
    assert half.stat().st_size < 0.55 * full.stat().st_size
    rebuilt = load_checkpoint(half).build_networks()
    assert rebuilt.depth.encoder.conv1.weight.dtype == torch.float32
    images = torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt.depth(images).depths[0], networks.depth(images).depths[0], rtol=2e-2, atol=0)


def test_failed_write_keeps_the_previous_file_and_leaves_no_partial_file(tmp_path):
    _, checkpoint = small_checkpoint(pose=False)
    path = save_checkpoint(checkpoint, tmp_path / "model.pt")
    before = path.read_bytes()
    checkpoint.training_state = {"unpicklable": lambda: None}
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        save_checkpoint(checkpoint, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]


def edit_and_save(tmp_path, edit) -> object:
    _, checkpoint = small_checkpoint(pose=False)
    contents = checkpoint.to_dict()
    edit(contents)
    path = tmp_path / "edited.pt"
    torch.save(contents, path)
    return path


def test_missing_key_is_named(tmp_path):
    path = edit_and_save(tmp_path, lambda c: c["state_dicts"]["depth"].pop("decoder.heads.0.conv.bias"))
    checkpoint = load_checkpoint(path)
    with pytest.raises(CheckpointError, match=r"edited\.pt: depth network: missing keys \[decoder\.heads\.0\.conv"):
        checkpoint.build_networks()


def test_unexpected_key_is_named(tmp_path):
    path = edit_and_save(tmp_path, lambda c: c["state_dicts"]["depth"].update(extra=torch.zeros(1)))
    with pytest.raises(CheckpointError, match=r"depth network: unexpected keys \[extra\] \(1\)"):
        load_checkpoint(path).build_networks()


def test_shape_mismatch_is_named(tmp_path):
    def shrink(contents):
        contents["state_dicts"]["depth"]["encoder.conv1.weight"] = torch.zeros(32, 3, 7, 7)

    with pytest.raises(
        CheckpointError,
        match=r"depth network: encoder\.conv1\.weight has shape \(32, 3, 7, 7\), expected \(64, 3, 7, 7\)",
    ):
        load_checkpoint(edit_and_save(tmp_path, shrink)).build_networks()


def test_networks_not_matching_the_configuration(tmp_path):
    path = edit_and_save(tmp_path, lambda c: c["model"].update(pose=True))
    with pytest.raises(CheckpointError, match=r"networks \['depth'\] stored, but .* describes \['depth', 'pose'\]"):
        load_checkpoint(path).build_networks()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c.update(format_version=2), r"format version 2 is not supported \(this mono_depth_ros reads 1\)"),
        (lambda c: c.update(format="other"), "not a mono_depth_ros checkpoint"),
        (lambda c: c.pop("model"), "missing or malformed section 'model'"),
        (lambda c: c["model"].update(encoder_layers=101), r"invalid contents: encoder_layers must be one of"),
        (lambda c: c["input_size"].update(width=100), "input_width must be a multiple of 32 and at least 64, got 100"),
        (lambda c: c["input_size"].update(height=-32), "input_size height must be a positive integer, got -32"),
        (lambda c: c["training"].update(mode="sideways"), "invalid contents: 'sideways' is not a valid TrainingMode"),
        (lambda c: c["metric_scale"].update(factor=0.0), "metric scale factor must be a positive number, got 0.0"),
        (lambda c: c["metric_scale"].update(source="stereo"), "source is 'stereo' but no training stereo_baseline"),
        (lambda c: c["state_dicts"].update(flow={}), r"unknown networks \['flow'\] in state_dicts"),
    ],
)
def test_malformed_contents_are_refused(tmp_path, edit, message):
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(edit_and_save(tmp_path, edit))


def test_a_pickle_that_needs_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "mono_depth_ros.checkpoint", "payload": NotAllowed()}, path)
    with pytest.raises(CheckpointError, match=r"evil\.pt: refused: loading it would run code \(.*NotAllowed\)"):
        load_checkpoint(path)


def test_files_that_are_not_checkpoints(tmp_path):
    with pytest.raises(CheckpointError, match=r"checkpoint .*absent\.pt: does not exist"):
        load_checkpoint(tmp_path / "absent.pt")
    with pytest.raises(CheckpointError, match=r"is a directory .*mono-depth-ros convert"):
        load_checkpoint(tmp_path)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x00" * 64)
    with pytest.raises(CheckpointError, match=r"garbage\.pt: not a readable torch file \(Unsupported operand 0\)"):
        load_checkpoint(garbage)
    plain = tmp_path / "weights.pth"
    torch.save({"encoder.conv1.weight": torch.zeros(1)}, plain)
    with pytest.raises(CheckpointError, match=r"weights\.pth: not a mono_depth_ros checkpoint \(found \['encoder"):
        load_checkpoint(plain)


def test_save_refuses_bad_destinations(tmp_path):
    _, checkpoint = small_checkpoint(pose=False)
    with pytest.raises(CheckpointError, match="is a directory; give a file name"):
        save_checkpoint(checkpoint, tmp_path)
    with pytest.raises(CheckpointError, match=r"folder .*missing does not exist"):
        save_checkpoint(checkpoint, tmp_path / "missing" / "model.pt")


def test_input_size_must_fit_the_network():
    networks = Networks.build(ModelConfig(pose=False))
    with pytest.raises(ModelConfigError, match="input_height must be a multiple of 32 and at least 64, got 30"):
        Checkpoint.from_networks(networks, 64, 30)
    with pytest.raises(ModelConfigError, match="input_width must be a multiple of 32 and at least 64, got 32"):
        Checkpoint.from_networks(networks, 32, 64)
