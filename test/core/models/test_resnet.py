"""ResNet encoders: torchvision's published state-dict layout, feature pyramid shapes, normalisation, gradients."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mono_depth_ros.core.models import IMAGE_MEAN, IMAGE_STD, ModelConfigError, ResnetEncoder
from mono_depth_ros.core.shapes import ShapeError

DATA = Path(__file__).parent / "data"
# Published totals of torchvision's resnet18/34/50 (parameters, classifier included).
PUBLISHED_PARAMETERS = {18: 11_689_512, 34: 21_797_672, 50: 25_557_032}
CLASSIFIER_PARAMETERS = {18: 512 * 1000 + 1000, 34: 512 * 1000 + 1000, 50: 2048 * 1000 + 1000}


def published_state_dict(layers: int) -> dict[str, tuple[int, ...]]:
    entries = {}
    for line in (DATA / f"torchvision_resnet{layers}_state_dict.txt").read_text().splitlines():
        if line.startswith("#"):
            continue
        key, shape = line.split()
        entries[key] = () if shape == "scalar" else tuple(int(v) for v in shape.split("x"))
    return entries


@pytest.mark.parametrize("layers", [18, 34, 50])
def test_keys_and_shapes_are_torchvisions_without_the_classifier(layers):
    published = published_state_dict(layers)
    expected = {key: shape for key, shape in published.items() if not key.startswith("fc.")}
    ours = {key: tuple(value.shape) for key, value in ResnetEncoder(layers).state_dict().items()}
    assert list(ours) == list(expected)
    assert ours == expected


@pytest.mark.parametrize("layers", [18, 34, 50])
def test_parameter_count_matches_the_published_total(layers):
    count = sum(p.numel() for p in ResnetEncoder(layers).parameters())
    assert count == PUBLISHED_PARAMETERS[layers] - CLASSIFIER_PARAMETERS[layers]


@pytest.mark.parametrize(("layers", "channels"), [(18, (64, 64, 128, 256, 512)), (50, (64, 256, 512, 1024, 2048))])
@pytest.mark.parametrize("batch", [1, 3])
def test_feature_pyramid_shapes(layers, channels, batch):
    encoder = ResnetEncoder(layers).eval()
    with torch.no_grad():
        features = encoder(torch.rand(batch, 3, 64, 96))
    assert encoder.channels == channels
    assert [tuple(f.shape) for f in features] == [
        (batch, c, 64 // 2**k, 96 // 2**k) for k, c in zip(range(1, 6), channels, strict=True)
    ]
    assert all(f.dtype == torch.float32 and torch.isfinite(f).all() for f in features)


def test_input_is_normalised_before_the_first_convolution():
    encoder = ResnetEncoder(18).eval()
    seen = []
    encoder.conv1.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
    images = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        encoder(images)
    torch.testing.assert_close(seen[0], (images - IMAGE_MEAN) / IMAGE_STD)


def test_multi_image_encoder_takes_stacked_frames():
    encoder = ResnetEncoder(18, num_input_images=2)
    assert encoder.conv1.weight.shape == (64, 6, 7, 7)
    with torch.no_grad():
        features = encoder.eval()(torch.rand(1, 6, 64, 64))
    assert features[-1].shape == (1, 512, 2, 2)
    with pytest.raises(ShapeError, match=r"images must have shape \(B, 6, H, W\), got \(1, 3, 64, 64\)"):
        encoder(torch.rand(1, 3, 64, 64))


def test_gradients_reach_the_first_layer():
    encoder = ResnetEncoder(18)
    images = torch.rand(2, 3, 64, 64, requires_grad=True)
    sum(f.mean() for f in encoder(images)).backward()
    assert encoder.conv1.weight.grad is not None
    assert encoder.conv1.weight.grad.abs().sum() > 0
    assert images.grad is not None
    assert torch.isfinite(images.grad).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_layers": 101}, r"ResNet depth must be one of \[18, 34, 50\], got 101"),
        ({"num_layers": 18, "num_input_images": 0}, "num_input_images must be a positive integer, got 0"),
    ],
)
def test_bad_configuration_is_refused(kwargs, message):
    with pytest.raises(ModelConfigError, match=message):
        ResnetEncoder(**kwargs)
