"""ResNet encoders (18, 34, 50 layers) with torchvision's state-dict key names, so ImageNet weights load as they are.

Written for this project: torchvision has no CPU build on the development machines. The layout (ResNet v1.5: the
stride of a bottleneck sits on its 3x3 convolution) and the parameter names follow torchvision's `resnet18/34/50`,
without the classifier (`fc`), which a dense-prediction encoder does not use.
"""

from __future__ import annotations

import torch
from torch import nn

from mono_depth_ros.core.models.errors import ModelConfigError
from mono_depth_ros.core.shapes import check_shape

IMAGE_MEAN = 0.45
IMAGE_STD = 0.225
"""Monodepth2's input normalisation: (x - 0.45) / 0.225 for images in [0, 1]."""


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_channels: int, channels: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_channels: int, channels: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv3 = nn.Conv2d(channels, channels * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(channels * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


ARCHITECTURES: dict[int, tuple[type[BasicBlock] | type[Bottleneck], tuple[int, int, int, int]]] = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
}


class ResnetEncoder(nn.Module):
    """ResNet feature pyramid for images in [0, 1].

    Input (B, 3 * num_input_images, H, W) with H and W multiples of 32; output five features at 1/2, 1/4, 1/8, 1/16
    and 1/32 of the input resolution with `channels` channels: (64, 64, 128, 256, 512) for 18 and 34 layers,
    (64, 256, 512, 1024, 2048) for 50.
    """

    def __init__(self, num_layers: int = 18, num_input_images: int = 1) -> None:
        super().__init__()
        if num_layers not in ARCHITECTURES:
            raise ModelConfigError(f"ResNet depth must be one of {sorted(ARCHITECTURES)}, got {num_layers!r}")
        if not isinstance(num_input_images, int) or num_input_images < 1:
            raise ModelConfigError(f"num_input_images must be a positive integer, got {num_input_images!r}")
        block, counts = ARCHITECTURES[num_layers]
        self.num_layers = num_layers
        self.num_input_images = num_input_images
        self.conv1 = nn.Conv2d(3 * num_input_images, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self._in_channels = 64
        self.layer1 = self._make_layer(block, 64, counts[0], stride=1)
        self.layer2 = self._make_layer(block, 128, counts[1], stride=2)
        self.layer3 = self._make_layer(block, 256, counts[2], stride=2)
        self.layer4 = self._make_layer(block, 512, counts[3], stride=2)
        self.channels = (64, 64 * block.expansion, 128 * block.expansion, 256 * block.expansion, 512 * block.expansion)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def _make_layer(self, block: type[BasicBlock] | type[Bottleneck], channels: int, count: int, stride: int):
        downsample = None
        out_channels = channels * block.expansion
        if stride != 1 or self._in_channels != out_channels:
            downsample = nn.Sequential(
                nn.Conv2d(self._in_channels, out_channels, 1, stride, bias=False), nn.BatchNorm2d(out_channels)
            )
        blocks = [block(self._in_channels, channels, stride, downsample)]
        self._in_channels = out_channels
        blocks += [block(out_channels, channels) for _ in range(count - 1)]
        return nn.Sequential(*blocks)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        check_shape(images, "images", ["B", 3 * self.num_input_images, "H", "W"])
        x = (images - IMAGE_MEAN) / IMAGE_STD
        first = self.relu(self.bn1(self.conv1(x)))
        features = [first, self.layer1(self.maxpool(first))]
        for layer in (self.layer2, self.layer3, self.layer4):
            features.append(layer(features[-1]))
        return features
