"""`mono-depth-ros convert`: a monodepth2 folder becomes a checkpoint; one summary line; one-line failures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from mono_depth_ros.cli import main
from mono_depth_ros.core.models import (
    Checkpoint,
    MetricScale,
    ModelConfig,
    Networks,
    ScaleSource,
    TrainingMode,
    load_checkpoint,
    save_checkpoint,
)

WIDTH, HEIGHT = 128, 64


def monodepth2_files(networks: Networks, use_stereo: bool) -> dict[str, dict]:
    """Our networks laid out as monodepth2 saves them (see test_monodepth2_import.py for the checked layout)."""
    depth = networks.depth.state_dict()
    encoder = {k: v for k, v in depth.items() if k.startswith("encoder.")}
    encoder.update({"encoder.fc.weight": torch.zeros(1000, 512), "encoder.fc.bias": torch.zeros(1000)})
    encoder.update(height=HEIGHT, width=WIDTH, use_stereo=use_stereo)
    decoder = {}
    for key, value in depth.items():
        if key.startswith("decoder.stages."):
            _, _, stage, part, rest = key.split(".", 4)
            decoder[f"decoder.{2 * int(stage) + (part == 'fuse')}.{rest}"] = value
        elif key.startswith("decoder.heads."):
            _, _, scale, rest = key.split(".", 3)
            decoder[f"decoder.{10 + int(scale)}.{rest}"] = value
    pose = networks.pose.state_dict()
    pose_encoder = {k: v for k, v in pose.items() if k.startswith("encoder.")}
    names = {"squeeze": "0", "conv1": "1", "conv2": "2", "output": "3"}
    pose_decoder = {}
    for key, value in pose.items():
        if key.startswith("decoder."):
            _, layer, parameter = key.split(".")
            if layer == "output":
                value = torch.cat((value, torch.zeros_like(value)))
            pose_decoder[f"net.{names[layer]}.{parameter}"] = value
    return {"encoder.pth": encoder, "depth.pth": decoder, "pose_encoder.pth": pose_encoder, "pose.pth": pose_decoder}


@pytest.fixture(scope="module")
def networks() -> Networks:
    torch.manual_seed(0)
    return Networks.build(ModelConfig(encoder_layers=18)).eval()


def write(folder: Path, networks: Networks, use_stereo: bool = False) -> Path:
    folder.mkdir()
    for name, contents in monodepth2_files(networks, use_stereo).items():
        torch.save(contents, folder / name)
    return folder


def test_convert_writes_a_checkpoint_with_the_same_outputs(
    tmp_path: Path, networks: Networks, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write(tmp_path / "mono+stereo_128x64", networks, use_stereo=True)
    out = tmp_path / "model.pt"
    assert main(["convert", str(folder), str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == [
        "converted monodepth2 ResNet-18 128x64, mode mono_stereo, metric x5.4 for a 0.54 m rig, networks depth + pose "
        f"(pose ResNet-18): {folder} -> {out}"
    ]
    checkpoint = load_checkpoint(out)
    assert checkpoint.training_mode is TrainingMode.MONO_STEREO
    assert checkpoint.metric_scale.source is ScaleSource.STEREO
    assert checkpoint.metric_scale.factor == pytest.approx(5.4)
    images = torch.rand(1, 3, HEIGHT, WIDTH, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(
            checkpoint.build_networks().depth(images).disparities[0], networks.depth(images).disparities[0]
        )


def test_rig_baseline_half_and_force(tmp_path: Path, networks: Networks, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write(tmp_path / "stereo", networks, use_stereo=True)
    out = tmp_path / "model.pt"
    out.write_bytes(b"keep me")
    assert main(["convert", str(folder), str(out), "--half"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"mono-depth-ros convert: error: output {out} already exists (use --force to overwrite it)"]
    assert out.read_bytes() == b"keep me"

    assert main(["convert", str(folder), str(out), "--half", "--force", "--rig-baseline", "0.12"]) == 0
    assert "metric x1.2 for a 0.12 m rig" in capsys.readouterr().out
    raw = torch.load(out, weights_only=True)
    assert raw["state_dicts"]["depth"]["decoder.heads.0.conv.weight"].dtype == torch.float16
    checkpoint = load_checkpoint(out)
    assert checkpoint.metric_scale.factor == pytest.approx(1.2)
    images = torch.rand(1, 3, HEIGHT, WIDTH, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        converted = checkpoint.build_networks().depth(images).disparities[0]
        original = networks.depth(images).disparities[0]
    torch.testing.assert_close(converted, original, atol=5e-3, rtol=0)


def test_a_mono_model_is_reported_as_relative(
    tmp_path: Path, networks: Networks, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write(tmp_path / "mono", networks)
    assert main(["convert", str(folder), str(tmp_path / "mono.pt")]) == 0
    assert "mode mono, relative depth (needs a scale)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "monodepth2 model folder {folder}: does not exist"),
        ("empty", "monodepth2 model folder {folder}: encoder.pth and depth.pth missing"),
        ("no_out_folder", "output folder {out_parent} does not exist"),
    ],
)
def test_failures_print_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str, message: str) -> None:
    folder = tmp_path / "model"
    out = tmp_path / "out.pt"
    if setup == "empty":
        folder.mkdir()
    if setup == "no_out_folder":
        folder.mkdir()
        out = tmp_path / "nowhere" / "out.pt"
    assert main(["convert", str(folder), str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("mono-depth-ros convert: error: ")
    assert message.format(folder=folder, out_parent=out.parent) in err[0]
    assert not out.exists()


def test_bad_rig_baseline_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["convert", str(tmp_path), str(tmp_path / "x.pt"), "--rig-baseline", "-1"])
    assert exit_info.value.code == 2
    assert "expected a positive finite number, got -1" in capsys.readouterr().err


def test_help_documents_the_stereo_scale(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["convert", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "usage: mono-depth-ros convert" in out
    assert "STEREO_SCALE_FACTOR 5.4" in out
    assert "0.54" in out
    assert "not implemented" not in out


def test_the_command_default_baseline_is_the_core_constant() -> None:
    from mono_depth_ros.commands import convert
    from mono_depth_ros.core.models.monodepth2 import KITTI_STEREO_BASELINE

    assert convert.KITTI_BASELINE == KITTI_STEREO_BASELINE


def test_a_training_checkpoint_slims_to_its_depth_network(
    tmp_path: Path, tiny_checkpoint: Callable[..., Checkpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    training = tiny_checkpoint(
        training_mode=TrainingMode.MONO_STEREO, stereo_baseline=0.54, metric_scale=MetricScale(ScaleSource.STEREO),
        step=7, training_state={"optimiser": {"state": {"m": torch.zeros(1000)}}},
    )  # fmt: skip
    source = save_checkpoint(training, tmp_path / "training.pt")
    assert main(["convert", str(source), str(tmp_path / "slim.pt"), "--half"]) == 0
    printed = capsys.readouterr().out
    assert (
        f"inference checkpoint of {source} (ResNet-18 96x64, mode mono_stereo, step 7; without pose network" in printed
    )
    slim = load_checkpoint(tmp_path / "slim.pt")
    assert list(slim.state_dicts) == ["depth"]
    assert (slim.model.pose, slim.training_state, slim.step) == (False, {}, 7)
    assert (slim.training_mode, slim.stereo_baseline, slim.metric_scale) == (
        training.training_mode, training.stereo_baseline, training.metric_scale
    )  # fmt: skip
    for key, value in training.state_dicts["depth"].items():
        expected = value.half().float() if value.is_floating_point() else value
        assert torch.equal(slim.state_dicts["depth"][key].float(), expected.float()), key
    assert (tmp_path / "slim.pt").stat().st_size < 0.6 * source.stat().st_size
    slim.build_networks()  # loads without a pose network
