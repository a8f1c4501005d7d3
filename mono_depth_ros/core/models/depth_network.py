"""The depth network: ResNet encoder + U-Net decoder, optionally with the SAG scale stream (two-stream)."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from mono_depth_ros.core.models.config import ModelConfig
from mono_depth_ros.core.models.depth_decoder import DepthDecoder
from mono_depth_ros.core.models.disparity import disparity_to_depth
from mono_depth_ros.core.models.errors import ModelError
from mono_depth_ros.core.models.resnet import ResnetEncoder
from mono_depth_ros.core.models.scale_stream import ScaleStream
from mono_depth_ros.core.shapes import check_shape

SIZE_MULTIPLE = 32
"""Input height and width must be multiples of the encoder's total stride..."""
MIN_INPUT_SIZE = 64
"""...and at least 64, so the coarsest feature (1/32) is 2 pixels wide: reflection padding needs 2."""


def valid_input_size(size: int) -> bool:
    return isinstance(size, int) and size >= MIN_INPUT_SIZE and size % SIZE_MULTIPLE == 0


class DepthOutput(NamedTuple):
    """What the depth network predicts for a batch of B images of H x W pixels."""

    disparities: list[torch.Tensor]
    """Per scale s of `scales`: (B, 1, H / 2^s, W / 2^s) sigmoid output of the decoder."""
    depths: list[torch.Tensor]
    """Per scale: (B, 1, h, w) relative depth (metric for stereo-trained models)."""
    scales: tuple[int, ...]
    mu: torch.Tensor | None
    """(B,) the scale stream's per-image scale (two-stream networks), else None."""


class DepthNetwork(nn.Module):
    """(B, 3, H, W) RGB in [0, 1], H and W multiples of 32 -> `DepthOutput`.

    Plain: depth = 1 / (1/max + (1/min - 1/max) * sigmoid). Two-stream (SAG): that depth divided by its per-image
    mean, times mu from the scale stream, so shape and scale are learnt separately.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = ResnetEncoder(config.encoder_layers)
        self.decoder = DepthDecoder(self.encoder.channels, config.scales)
        self.scale_stream = (
            ScaleStream(self.encoder.channels[-1], config.two_stream_scale_range) if config.two_stream else None
        )

    def forward(self, images: torch.Tensor) -> DepthOutput:
        # While traced or compiled (ONNX export, torch.compile) the sizes are symbolic: the caller checked them.
        if not (torch.jit.is_tracing() or torch.compiler.is_compiling()):
            sizes = check_shape(images, "images", ["B", 3, "H", "W"])
            if not (valid_input_size(sizes["H"]) and valid_input_size(sizes["W"])):
                raise ModelError(
                    f"depth network input must be a multiple of {SIZE_MULTIPLE} and at least {MIN_INPUT_SIZE} in "
                    f"height and width, got {sizes['W']}x{sizes['H']}"
                )
        features = self.encoder(images)
        disparities = self.decoder(features)
        depths = [disparity_to_depth(d, self.config.min_depth, self.config.max_depth) for d in disparities]
        mu = None
        if self.scale_stream is not None:
            mu = self.scale_stream(features[-1])
            depths = [mu[:, None, None, None] * d / d.mean(dim=(1, 2, 3), keepdim=True) for d in depths]
        return DepthOutput(disparities, depths, self.config.scales, mu)
