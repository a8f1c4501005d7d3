"""Depth decoder and depth network: scales, ranges, the two-stream normalisation, gradients, size errors."""

from __future__ import annotations

import pytest
import torch

from mono_depth_ros.core.models import (
    DepthDecoder,
    DepthNetwork,
    ModelConfig,
    ModelError,
    ResnetEncoder,
    disparity_to_depth,
)


@pytest.mark.parametrize("scales", [(0, 1, 2, 3), (0,), (0, 2)])
def test_decoder_gives_sigmoid_disparities_at_each_scale(scales):
    encoder = ResnetEncoder(18).eval()
    decoder = DepthDecoder(encoder.channels, scales).eval()
    with torch.no_grad():
        disparities = decoder(encoder(torch.rand(2, 3, 64, 128)))
    assert [tuple(d.shape) for d in disparities] == [(2, 1, 64 // 2**s, 128 // 2**s) for s in scales]
    assert all(((d > 0) & (d < 1)).all() for d in disparities)


def test_decoder_works_with_a_bottleneck_encoder():
    encoder = ResnetEncoder(50).eval()
    with torch.no_grad():
        (disparity,) = DepthDecoder(encoder.channels, (0,)).eval()(encoder(torch.rand(1, 3, 64, 64)))
    assert disparity.shape == (1, 1, 64, 64)


def test_plain_network_depth_is_the_mapped_disparity_within_range():
    config = ModelConfig(min_depth=0.5, max_depth=40.0)
    network = DepthNetwork(config).eval()
    with torch.no_grad():
        output = network(torch.rand(3, 3, 64, 96))
    assert output.scales == (0, 1, 2, 3)
    assert output.mu is None
    for disparity, depth in zip(output.disparities, output.depths, strict=True):
        torch.testing.assert_close(depth, disparity_to_depth(disparity, 0.5, 40.0))
        assert depth.min() >= 0.5
        assert depth.max() <= 40.0


def test_two_stream_depth_has_mean_mu_per_image():
    network = DepthNetwork(ModelConfig(two_stream=True, two_stream_scale_range=5.0)).eval()
    with torch.no_grad():
        output = network(torch.rand(2, 3, 64, 64))
    assert output.mu.shape == (2,)
    assert ((output.mu > 0) & (output.mu < 5.0)).all()
    for depth in output.depths:
        torch.testing.assert_close(depth.mean(dim=(1, 2, 3)), output.mu)


def test_gradients_reach_encoder_decoder_and_scale_stream():
    network = DepthNetwork(ModelConfig(two_stream=True))
    output = network(torch.rand(2, 3, 64, 64))
    # Weighted, because the plain mean of a two-stream depth is mu alone and would not reach the decoder.
    sum((d * torch.rand_like(d)).mean() for d in output.depths).backward()
    for module in (network.encoder.conv1, network.decoder.heads["0"].conv, network.scale_stream.convs[0]):
        assert module.weight.grad is not None
        assert module.weight.grad.abs().sum() > 0


def test_input_size_must_be_a_multiple_of_32():
    network = DepthNetwork(ModelConfig())
    with pytest.raises(ModelError, match="a multiple of 32 and at least 64 in height and width, got 100x64"):
        network(torch.rand(1, 3, 64, 100))
    with pytest.raises(ModelError, match="got 64x32"):
        network(torch.rand(1, 3, 32, 64))
