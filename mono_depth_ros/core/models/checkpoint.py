"""Checkpoint files: one `torch.load(weights_only=True)`-safe file with everything needed to rebuild the networks.

Layout (format version 1), nothing but tensors, numbers, strings, None, lists and dicts:

    format          "mono_depth_ros.checkpoint"
    format_version  1
    model           ModelConfig.to_dict(): encoder depth, scales, two-stream, depth range, which networks exist
    input_size      {"width", "height"}: the resolution the networks were trained at
    training        {"mode", "stereo_baseline" (metres or None), "step", "epoch"}
    metric_scale    {"source": none|stereo|global|per_image, "factor"}: how relative depth becomes metres
    state_dicts     {"depth": ..., "pose": ..., "scale_cnn": ...} (the networks present)
    training_state  optimiser, scheduler and RNG states for resuming (empty for released models)
    metadata        {str: str}: who wrote it, when, from what
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import torch

from mono_depth_ros.atomic import atomic_write
from mono_depth_ros.core.models.config import ModelConfig
from mono_depth_ros.core.models.depth_network import MIN_INPUT_SIZE, SIZE_MULTIPLE, valid_input_size
from mono_depth_ros.core.models.errors import CheckpointError, ModelConfigError
from mono_depth_ros.core.models.networks import NETWORK_NAMES, Networks
from mono_depth_ros.core.models.weights import load_weights_only, state_dict_problem
from mono_depth_ros.core.numbers import is_positive_number

FORMAT_NAME = "mono_depth_ros.checkpoint"
FORMAT_VERSION = 1


class TrainingMode(str, Enum):
    MONO = "mono"
    STEREO = "stereo"
    MONO_STEREO = "mono_stereo"
    SIAMESE_STEREO = "siamese_stereo"

    @property
    def uses_stereo(self) -> bool:
        return self is not TrainingMode.MONO


class ScaleSource(str, Enum):
    """What turns the network's relative depth into metres."""

    NONE = "none"
    """Monocular, up to scale: a scale must come from elsewhere (calibration, a given factor)."""
    STEREO = "stereo"
    """Stereo-trained: metric for a rig with the training baseline; scale = real baseline / training baseline."""
    GLOBAL = "global"
    """One global factor transferred from a set with ground truth (One Scalar)."""
    PER_IMAGE = "per_image"
    """The per-image scale CNN (adaptive scaling)."""


@dataclass(frozen=True)
class MetricScale:
    source: ScaleSource = ScaleSource.NONE
    factor: float = 1.0
    """The multiplier to use when nothing else is known: the transferred factor (global), real / training baseline
    for the rig the model was trained for (stereo), 1 otherwise."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", ScaleSource(self.source))
        if not is_positive_number(self.factor):
            raise ModelConfigError(f"metric scale factor must be a positive number, got {self.factor!r}")


@dataclass
class Checkpoint:
    model: ModelConfig
    input_width: int
    input_height: int
    state_dicts: dict[str, dict[str, torch.Tensor]]
    training_mode: TrainingMode = TrainingMode.MONO
    stereo_baseline: float | None = None
    metric_scale: MetricScale = field(default_factory=MetricScale)
    step: int = 0
    epoch: int = 0
    training_state: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    """Where it was loaded from (for error messages); not saved."""

    def __post_init__(self) -> None:
        for name in ("input_width", "input_height"):
            value = getattr(self, name)
            if not valid_input_size(value):
                raise ModelConfigError(
                    f"{name} must be a multiple of {SIZE_MULTIPLE} and at least {MIN_INPUT_SIZE}, got {value!r}"
                )
        self.training_mode = TrainingMode(self.training_mode)

    @classmethod
    def from_networks(cls, networks: Networks, input_width: int, input_height: int, **fields: Any) -> Checkpoint:
        """A checkpoint of `networks` (their current weights, copied to the CPU)."""
        states = {
            name: {key: value.detach().cpu().clone() for key, value in state.items()}
            for name, state in networks.state_dicts().items()
        }
        return cls(networks.config, input_width, input_height, states, **fields)

    def build_networks(self) -> Networks:
        """The networks with this checkpoint's weights (on the CPU, in eval mode)."""
        networks = Networks.build(self.model)
        expected = set(networks.modules())
        stored = set(self.state_dicts)
        if expected != stored:
            raise CheckpointError(
                self.path, f"networks {sorted(stored)} stored, but its model configuration describes {sorted(expected)}"
            )
        for name, module in networks.modules().items():
            _load_strict(module, self.state_dicts[name], name, self.path)
        return networks.eval()

    def for_inference(self) -> Checkpoint:
        """The same model without what only training needs: the pose network, the optimiser and random states.
        Its depth (and per-image scale network) are unchanged; about a tenth of a training checkpoint's size."""
        return dataclasses.replace(
            self,
            model=dataclasses.replace(self.model, pose=False),
            state_dicts={name: state for name, state in self.state_dicts.items() if name != "pose"},
            training_state={},
        )

    def to_dict(self, *, half: bool = False) -> dict[str, Any]:
        """The file's contents; `half` stores floating-point weights as fp16 (half the size, loads as fp32)."""

        def tensor(value: torch.Tensor) -> torch.Tensor:
            value = value.detach().cpu()
            return value.half() if half and value.is_floating_point() else value

        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "model": self.model.to_dict(),
            "input_size": {"width": int(self.input_width), "height": int(self.input_height)},
            "training": {
                "mode": TrainingMode(self.training_mode).value,
                "stereo_baseline": None if self.stereo_baseline is None else float(self.stereo_baseline),
                "step": int(self.step),
                "epoch": int(self.epoch),
            },
            "metric_scale": {"source": self.metric_scale.source.value, "factor": float(self.metric_scale.factor)},
            "state_dicts": {
                name: {key: tensor(value) for key, value in state.items()} for name, state in self.state_dicts.items()
            },
            "training_state": self.training_state,
            "metadata": {str(k): str(v) for k, v in self.metadata.items()},
        }

    @classmethod
    def from_dict(cls, contents: Any, path: Path | str | None = None) -> Checkpoint:
        """Validate a loaded file's contents; every problem is a `CheckpointError` naming `path`."""
        if not isinstance(contents, Mapping) or contents.get("format") != FORMAT_NAME:
            found = sorted(map(str, contents))[:8] if isinstance(contents, Mapping) else type(contents).__name__
            raise CheckpointError(
                path,
                f"not a mono_depth_ros checkpoint (found {found}); "
                "a monodepth2 model folder can be imported with `mono-depth-ros convert`",
            )
        version = contents.get("format_version")
        if version != FORMAT_VERSION:
            raise CheckpointError(
                path, f"format version {version!r} is not supported (this mono_depth_ros reads {FORMAT_VERSION})"
            )
        model = _section(contents, "model", path)
        size = _section(contents, "input_size", path)
        training = _section(contents, "training", path)
        scale = _section(contents, "metric_scale", path)
        states = _section(contents, "state_dicts", path)
        unknown = sorted(set(states) - set(NETWORK_NAMES))
        if unknown:
            raise CheckpointError(path, f"unknown networks {unknown} in state_dicts (known: {list(NETWORK_NAMES)})")
        try:
            checkpoint = cls(
                model=ModelConfig.from_dict(model),
                input_width=_positive_int(size, "width", path),
                input_height=_positive_int(size, "height", path),
                state_dicts={name: dict(state) for name, state in states.items()},
                training_mode=TrainingMode(training.get("mode", TrainingMode.MONO.value)),
                stereo_baseline=_optional_positive(training.get("stereo_baseline"), "stereo_baseline", path),
                metric_scale=MetricScale(ScaleSource(scale.get("source", "none")), scale.get("factor", 1.0)),
                step=int(training.get("step", 0)),
                epoch=int(training.get("epoch", 0)),
                training_state=dict(contents.get("training_state") or {}),
                metadata=dict(contents.get("metadata") or {}),
                path=None if path is None else Path(path),
            )
        except (ModelConfigError, ValueError, TypeError) as error:
            raise CheckpointError(path, f"invalid contents: {error}") from None
        if checkpoint.metric_scale.source is ScaleSource.STEREO and checkpoint.stereo_baseline is None:
            raise CheckpointError(path, "metric scale source is 'stereo' but no training stereo_baseline is stored")
        return checkpoint


def save_checkpoint(checkpoint: Checkpoint, path: Path | str, *, half: bool = False) -> Path:
    """Write atomically: a temporary file in the same folder, flushed to disk, then renamed over `path`.

    A crash at any moment leaves either the previous file or the new one, never a truncated one.
    """
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(path, "is a directory; give a file name such as model.pt")
    if not path.parent.is_dir():
        raise CheckpointError(path, f"folder {path.parent} does not exist")
    with atomic_write(path) as stream:
        torch.save(checkpoint.to_dict(half=half), stream)
    return path


def load_checkpoint(path: Path | str, *, map_location: str | torch.device = "cpu") -> Checkpoint:
    """Read and validate a checkpoint; never executes code from the file (`weights_only=True`)."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(path, "does not exist")
    if path.is_dir():
        raise CheckpointError(
            path, "is a directory (a monodepth2 model folder? import it with `mono-depth-ros convert`)"
        )
    contents = load_weights_only(path, map_location=map_location)
    return Checkpoint.from_dict(contents, path)


def _load_strict(module: torch.nn.Module, state: Mapping[str, Any], name: str, path: Path | None) -> None:
    problem = state_dict_problem(module.state_dict(), state)
    if problem:
        raise CheckpointError(path, f"{name} network: {problem}")
    module.load_state_dict(state, strict=True)


def _section(contents: Mapping[str, Any], key: str, path: Path | str | None) -> Mapping[str, Any]:
    value = contents.get(key)
    if not isinstance(value, Mapping):
        raise CheckpointError(path, f"missing or malformed section {key!r}")
    return value


def _positive_int(values: Mapping[str, Any], key: str, path: Path | str | None) -> int:
    value = values.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise CheckpointError(path, f"input_size {key} must be a positive integer, got {value!r}")
    return value


def _optional_positive(value: Any, key: str, path: Path | str | None) -> float | None:
    if value is None:
        return None
    if not is_positive_number(value):
        raise CheckpointError(path, f"{key} must be a positive number or None, got {value!r}")
    return float(value)
