"""Loading a user's local ImageNet ResNet weights (a torchvision state-dict file) into our encoders."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from mono_depth_ros.core.models.errors import CheckpointError
from mono_depth_ros.core.models.resnet import ResnetEncoder
from mono_depth_ros.core.models.weights import load_weights_only, state_dict_problem

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
        weights = load_weights_only(path)
    if not isinstance(weights, Mapping):
        raise CheckpointError(path, f"ImageNet weights must be a state dict, got {type(weights).__name__}")
    state = {key: value for key, value in weights.items() if not key.startswith(CLASSIFIER_PREFIX)}
    first = state.get("conv1.weight")
    if isinstance(first, torch.Tensor) and encoder.num_input_images > 1 and first.shape[1] == 3:
        state["conv1.weight"] = first.repeat(1, encoder.num_input_images, 1, 1) / encoder.num_input_images
    problem = state_dict_problem(encoder.state_dict(), state)
    if problem:
        raise CheckpointError(path, f"not ResNet-{encoder.num_layers} ImageNet weights: {problem}")
    encoder.load_state_dict(state, strict=True)
