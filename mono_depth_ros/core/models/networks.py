"""The set of networks a checkpoint describes, built from a `ModelConfig`."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mono_depth_ros.core.models.config import ModelConfig
from mono_depth_ros.core.models.depth_network import DepthNetwork
from mono_depth_ros.core.models.pose import PoseNetwork
from mono_depth_ros.core.models.scale_cnn import ScaleCNN

NETWORK_NAMES = ("depth", "pose", "scale_cnn")


@dataclass
class Networks:
    """The depth network, and the pose network and per-image scale CNN when the configuration has them."""

    config: ModelConfig
    depth: DepthNetwork
    pose: PoseNetwork | None = None
    scale_cnn: ScaleCNN | None = None

    @classmethod
    def build(cls, config: ModelConfig) -> Networks:
        """Freshly initialised networks (ResNet weights random; see `load_imagenet_weights`)."""
        return cls(
            config,
            DepthNetwork(config),
            PoseNetwork(config.pose_encoder_layers) if config.pose else None,
            ScaleCNN(config.scale_cnn_input) if config.scale_cnn else None,
        )

    def modules(self) -> dict[str, nn.Module]:
        """The networks that exist, by checkpoint name ("depth", "pose", "scale_cnn")."""
        present = {"depth": self.depth, "pose": self.pose, "scale_cnn": self.scale_cnn}
        return {name: module for name, module in present.items() if module is not None}

    def state_dicts(self) -> dict[str, dict[str, torch.Tensor]]:
        return {name: module.state_dict() for name, module in self.modules().items()}

    def to(self, device: torch.device | str) -> Networks:
        for module in self.modules().values():
            module.to(device)
        return self

    def train(self, mode: bool = True) -> Networks:
        for module in self.modules().values():
            module.train(mode)
        return self

    def eval(self) -> Networks:
        return self.train(False)
