"""Loading a user's local ImageNet ResNet weights (a torchvision state-dict file) into our encoders."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from mono_depth_ros.core.models.errors import CheckpointError
from mono_depth_ros.core.models.resnet import ResnetEncoder

CLASSIFIER_PREFIX = "fc."


def load_imagenet_weights(encoder: ResnetEncoder, weights: Mapping[str, torch.Tensor] | Path | str) -> None:
    """Copy torchvision ResNet weights into `encoder` (the classifier `fc.*` is ignored).

    For a multi-image encoder (the pose network's 6 channels) the first convolution's weights are tiled over the
    stacked images and divided by their number, so the response to identical frames is the single-image response.
    """
    path = None
    if isinstance(weights, (str, Path)):
        path = Path(weights)
        if not path.is_file():
            raise CheckpointError(path, "ImageNet weights file does not exist")
        try:
            weights = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:
            raise CheckpointError(path, f"not a readable torch state dict ({type(error).__name__}: {error})") from None
    if not isinstance(weights, Mapping):
        raise CheckpointError(path, f"ImageNet weights must be a state dict, got {type(weights).__name__}")
    state = {key: value for key, value in weights.items() if not key.startswith(CLASSIFIER_PREFIX)}
    first = state.get("conv1.weight")
    if isinstance(first, torch.Tensor) and encoder.num_input_images > 1 and first.shape[1] == 3:
        state["conv1.weight"] = first.repeat(1, encoder.num_input_images, 1, 1) / encoder.num_input_images
    expected = encoder.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            path,
            f"not ResNet-{encoder.num_layers} ImageNet weights: missing {missing[:5]} ({len(missing)}), "
            f"unexpected {unexpected[:5]} ({len(unexpected)})",
        )
    for key, value in expected.items():
        if tuple(state[key].shape) != tuple(value.shape):
            shapes = f"{tuple(state[key].shape)}, ResNet-{encoder.num_layers} expects {tuple(value.shape)}"
            raise CheckpointError(path, f"{key} has shape {shapes}")
    encoder.load_state_dict(state, strict=True)
