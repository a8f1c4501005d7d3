"""The pose network: a ResNet over two stacked frames and a small decoder giving the relative camera motion."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from mono_depth_ros.core.geometry import pose_vector_to_transform
from mono_depth_ros.core.models.resnet import ResnetEncoder
from mono_depth_ros.core.shapes import check_shape

TRANSLATION_SCALE = 0.01
"""Outputs are scaled down so the network starts near the identity motion (Monodepth2)."""


class PoseOutput(NamedTuple):
    axis_angle: torch.Tensor
    """(B, 3) rotation vector, radians."""
    translation: torch.Tensor
    """(B, 3) translation in the depth network's (relative) units."""

    def transform(self) -> torch.Tensor:
        """(B, 4, 4) rigid transform [R(axis_angle) | translation]."""
        return pose_vector_to_transform(self.axis_angle, self.translation)


class PoseDecoder(nn.Module):
    """The coarsest encoder feature (B, C, h, w) -> axis-angle (B, 3) and translation (B, 3)."""

    def __init__(self, encoder_channels: int, hidden_channels: int = 256) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(encoder_channels, hidden_channels, 1)
        self.conv1 = nn.Conv2d(hidden_channels, hidden_channels, 3, 1, 1)
        self.conv2 = nn.Conv2d(hidden_channels, hidden_channels, 3, 1, 1)
        self.output = nn.Conv2d(hidden_channels, 6, 1)
        self.relu = nn.ReLU()

    def forward(self, feature: torch.Tensor) -> PoseOutput:
        x = self.relu(self.squeeze(feature))
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        motion = TRANSLATION_SCALE * self.output(x).mean(dim=(2, 3))
        return PoseOutput(motion[:, :3], motion[:, 3:])


class PoseNetwork(nn.Module):
    """Two frames (B, 3, H, W) each, in [0, 1] -> the camera motion between them (`PoseOutput`).

    The frames are stacked in the order given; which way the motion points (first-to-second or its inverse) is the
    training loss's convention, documented there.
    """

    def __init__(self, num_layers: int = 18) -> None:
        super().__init__()
        self.encoder = ResnetEncoder(num_layers, num_input_images=2)
        self.decoder = PoseDecoder(self.encoder.channels[-1])

    def forward(self, first: torch.Tensor, second: torch.Tensor) -> PoseOutput:
        bound = check_shape(first, "first", ["B", 3, "H", "W"])
        check_shape(second, "second", ["B", 3, "H", "W"], bound)
        return self.decoder(self.encoder(torch.cat((first, second), dim=1))[-1])
