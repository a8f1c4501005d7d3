"""The configuration of the depth, pose and scale networks, as stored in a checkpoint."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from mono_depth_ros.core.models.errors import ModelConfigError
from mono_depth_ros.core.numbers import is_finite_number, is_positive_number

ENCODER_LAYERS = (18, 34, 50)


@dataclass(frozen=True)
class ModelConfig:
    """What the networks look like. Everything a checkpoint needs to rebuild them before loading the weights."""

    encoder_layers: int = 18
    """ResNet depth of the depth encoder: 18, 34 or 50."""
    pose_encoder_layers: int = 18
    """ResNet depth of the pose encoder (two stacked frames, 6 channels)."""
    scales: tuple[int, ...] = (0, 1, 2, 3)
    """Decoder output scales; scale s has 1/2^s of the input resolution."""
    two_stream: bool = False
    """SAG two-stream network: mean-normalised depth times a per-image scale mu from a scale stream."""
    two_stream_scale_range: float = 10.0
    """mu = range * sigmoid(.): the sigmoid alone would cap the mean relative depth at 1."""
    min_depth: float = 0.1
    max_depth: float = 100.0
    """The sigmoid disparity maps to depth in [min_depth, max_depth] (relative units for monocular models)."""
    pose: bool = True
    """Whether the checkpoint has a pose network (training needs it; inference does not)."""
    scale_cnn: bool = False
    """Whether the checkpoint has the per-image scale CNN of adaptive scaling."""
    scale_cnn_input: tuple[int, int] = (64, 192)
    """(height, width) the scale CNN resizes its input to."""

    def __post_init__(self) -> None:
        for name in ("encoder_layers", "pose_encoder_layers"):
            value = getattr(self, name)
            if value not in ENCODER_LAYERS:
                raise ModelConfigError(f"{name} must be one of {ENCODER_LAYERS}, got {value!r}")
        scales = tuple(self.scales)
        if sorted(set(scales)) != list(scales) or not set(scales) <= {0, 1, 2, 3} or 0 not in scales:
            raise ModelConfigError(f"scales must be increasing values from 0..3 that include 0, got {self.scales!r}")
        object.__setattr__(self, "scales", scales)
        if not (
            is_finite_number(self.min_depth)
            and is_finite_number(self.max_depth)
            and 0 < self.min_depth < self.max_depth
        ):
            raise ModelConfigError(
                f"depth range must satisfy 0 < min_depth < max_depth, got {self.min_depth!r}, {self.max_depth!r}"
            )
        if not is_positive_number(self.two_stream_scale_range):
            raise ModelConfigError(f"two_stream_scale_range must be positive, got {self.two_stream_scale_range!r}")
        size = tuple(self.scale_cnn_input)
        if len(size) != 2 or not all(isinstance(v, int) and v >= 16 for v in size):
            raise ModelConfigError(f"scale_cnn_input must be (height, width), each >= 16, got {self.scale_cnn_input!r}")
        object.__setattr__(self, "scale_cnn_input", size)

    def to_dict(self) -> dict[str, Any]:
        """Plain values only (lists for tuples), as `torch.load(weights_only=True)` accepts."""
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ModelConfig:
        """The inverse of `to_dict`; unknown keys are refused (a newer or foreign configuration)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ModelConfigError(f"unknown model configuration keys {unknown}; known: {sorted(known)}")
        converted = {key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}
        try:
            return cls(**converted)
        except TypeError as error:
            raise ModelConfigError(f"invalid model configuration {dict(values)!r}: {error}") from None
