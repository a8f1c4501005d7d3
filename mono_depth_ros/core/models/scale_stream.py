"""The scale stream of the SAG two-stream network: one depth scale mu per image from the coarsest feature."""

from __future__ import annotations

import torch
from torch import nn


class ScaleStream(nn.Module):
    """(B, C, h, w) coarsest encoder feature -> mu (B,) in (0, scale_range).

    Four 3x3 convolutions (ReLU between them), global average pooling, and a sigmoid as in the paper; the sigmoid is
    multiplied by `scale_range` so the mean relative depth is not capped at 1.
    """

    def __init__(self, in_channels: int, scale_range: float = 10.0, hidden_channels: int = 256) -> None:
        super().__init__()
        self.scale_range = scale_range
        self.convs = nn.Sequential(
            nn.Conv2d(in_channels, hidden_channels, 3, 1, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden_channels, hidden_channels, 3, 1, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden_channels, hidden_channels, 3, 1, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden_channels, 1, 3, 1, 1),
        )

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        pooled = self.convs(feature).mean(dim=(1, 2, 3))
        return self.scale_range * torch.sigmoid(pooled)
