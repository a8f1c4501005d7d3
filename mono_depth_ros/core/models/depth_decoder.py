"""The depth decoder: a U-Net over the encoder's pyramid giving a sigmoid disparity at up to four scales."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from mono_depth_ros.core.models.layers import Conv3x3, ConvBlock, upsample_nearest

DECODER_CHANNELS = (16, 32, 64, 128, 256)


class DecoderStage(nn.Module):
    """Reduce channels, upsample x2, concatenate the encoder's skip feature (if any), fuse."""

    def __init__(self, in_channels: int, out_channels: int, skip_channels: int) -> None:
        super().__init__()
        self.reduce = ConvBlock(in_channels, out_channels)
        self.fuse = ConvBlock(out_channels + skip_channels, out_channels)

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None) -> torch.Tensor:
        x = upsample_nearest(self.reduce(x))
        if skip is not None:
            x = torch.cat((x, skip), dim=1)
        return self.fuse(x)


class DepthDecoder(nn.Module):
    """Encoder features (five, finest first) -> sigmoid disparities in (0, 1), one per requested scale.

    Output `disparities[i]` is (B, 1, H / 2^s, W / 2^s) for `s = scales[i]`, H x W being the encoder's input size.
    ELU activations, reflection-padded 3x3 convolutions and nearest upsampling, as in Monodepth2.
    """

    def __init__(self, encoder_channels: Sequence[int], scales: Sequence[int] = (0, 1, 2, 3)) -> None:
        super().__init__()
        self.scales = tuple(scales)
        encoder_channels = tuple(encoder_channels)
        # Stage k (k = 4 .. 0) upsamples to the resolution of encoder feature k - 1 (the input's for k = 0).
        stages = []
        in_channels = encoder_channels[-1]
        for level in range(4, -1, -1):
            skip = encoder_channels[level - 1] if level > 0 else 0
            stages.append(DecoderStage(in_channels, DECODER_CHANNELS[level], skip))
            in_channels = DECODER_CHANNELS[level]
        self.stages = nn.ModuleList(stages)
        self.heads = nn.ModuleDict({str(s): Conv3x3(DECODER_CHANNELS[s], 1) for s in self.scales})

    def forward(self, features: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        by_scale: dict[int, torch.Tensor] = {}
        x = features[-1]
        for stage, level in zip(self.stages, range(4, -1, -1), strict=True):
            x = stage(x, features[level - 1] if level > 0 else None)
            if level in self.scales:
                by_scale[level] = torch.sigmoid(self.heads[str(level)](x))
        return [by_scale[s] for s in self.scales]
