"""Loading a user's torchvision ImageNet file into the encoders (depth: 3 channels, pose: 6 channels)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mono_depth_ros.core.models import CheckpointError, ResnetEncoder, load_imagenet_weights

DATA = Path(__file__).parent / "data"


def torchvision_like_weights(layers: int) -> dict[str, torch.Tensor]:
    """A file like torchvision's resnet*.pth: the published keys and shapes (classifier included), random values."""
    generator = torch.Generator().manual_seed(layers)
    weights = {}
    for line in (DATA / f"torchvision_resnet{layers}_state_dict.txt").read_text().splitlines():
        if line.startswith("#"):
            continue
        key, shape = line.split()
        if shape == "scalar":
            weights[key] = torch.tensor(7)
        else:
            size = tuple(int(v) for v in shape.split("x"))
            values = torch.rand(size, generator=generator)
            weights[key] = values + 0.5 if key.endswith("running_var") else values
    return weights


@pytest.mark.parametrize("layers", [18, 50])
def test_loads_a_torchvision_file(tmp_path, layers):
    weights = torchvision_like_weights(layers)
    path = tmp_path / f"resnet{layers}.pth"
    torch.save(weights, path)
    encoder = ResnetEncoder(layers)
    load_imagenet_weights(encoder, path)
    state = encoder.state_dict()
    assert all(torch.equal(state[key], weights[key]) for key in state)


def test_pose_encoder_tiles_the_first_convolution_so_identical_frames_match_one_frame():
    weights = torchvision_like_weights(18)
    single, pair = ResnetEncoder(18), ResnetEncoder(18, num_input_images=2)
    load_imagenet_weights(single, weights)
    load_imagenet_weights(pair, weights)
    torch.testing.assert_close(pair.conv1.weight, torch.cat([weights["conv1.weight"]] * 2, dim=1) / 2)
    frame = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        expected = single.eval()(frame)[-1]
        actual = pair.eval()(torch.cat((frame, frame), dim=1))[-1]
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-4)


def test_errors_name_the_file_and_the_problem(tmp_path):
    encoder = ResnetEncoder(18)
    with pytest.raises(CheckpointError, match=r"checkpoint .*absent\.pth: ImageNet weights file does not exist"):
        load_imagenet_weights(encoder, tmp_path / "absent.pth")
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a torch file")
    with pytest.raises(CheckpointError, match=r"garbage\.pth: not a readable torch file"):
        load_imagenet_weights(encoder, garbage)
    with pytest.raises(
        CheckpointError, match=r"not ResNet-18 ImageNet weights: unexpected keys \[layer1\.2\.conv1\.weight, "
    ):
        load_imagenet_weights(encoder, torchvision_like_weights(34))
    wrong = torchvision_like_weights(18)
    wrong["layer1.0.conv1.weight"] = torch.zeros(64, 64, 1, 1)
    with pytest.raises(
        CheckpointError,
        match=r"weights: layer1\.0\.conv1\.weight has shape \(64, 64, 1, 1\), expected",
    ):
        load_imagenet_weights(encoder, wrong)
    with pytest.raises(CheckpointError, match="ImageNet weights must be a state dict, got list"):
        load_imagenet_weights(encoder, [1, 2])
