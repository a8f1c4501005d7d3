"""The per-image scale CNN of adaptive scaling: an RGB image -> the log of the factor that makes its depth metric."""

from __future__ import annotations

import torch
from torch import nn

from mono_depth_ros.core.models.resnet import IMAGE_MEAN, IMAGE_STD
from mono_depth_ros.core.shapes import check_shape


class ScaleCNN(nn.Module):
    """(B, 3, H, W) images in [0, 1], any size -> log scale (B,).

    conv 64 + ReLU + max-pool, conv 128 + ReLU + max-pool, FC 512 (ReLU), linear -> log s, as in the paper. The
    image is first resized to `input_size` (height, width) so the fully connected layer has a fixed input.
    """

    def __init__(self, input_size: tuple[int, int] = (64, 192)) -> None:
        super().__init__()
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 3, 1, 1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, 1, 1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        # A further 4x average pooling keeps the FC layer small (3 M weights at 64x192 rather than 50 M).
        self.pool = nn.AdaptiveAvgPool2d((self.input_size[0] // 16, self.input_size[1] // 16))
        flat = 128 * (self.input_size[0] // 16) * (self.input_size[1] // 16)
        self.head = nn.Sequential(nn.Linear(flat, 512), nn.ReLU(inplace=True), nn.Linear(512, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        check_shape(images, "images", ["B", 3, "H", "W"])
        x = nn.functional.interpolate(images, size=self.input_size, mode="bilinear", align_corners=False)
        x = self.pool(self.features((x - IMAGE_MEAN) / IMAGE_STD))
        return self.head(x.flatten(1)).squeeze(1)
