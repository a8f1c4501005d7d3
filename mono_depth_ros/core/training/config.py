"""`TrainingConfig`: every setting of a training run, validated once, loaded from YAML with unknown keys rejected.

Precedence when the CLI builds one: command-line options > the YAML file (`--config`) > these defaults. The
documented defaults live in config/train.yaml; a value that is out of range raises `TrainingConfigError` naming the
key and the value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from mono_depth_ros.core.models import ENCODER_LAYERS, MIN_INPUT_SIZE, SIZE_MULTIPLE, ModelConfig, TrainingMode
from mono_depth_ros.core.models.errors import ModelConfigError
from mono_depth_ros.core.numbers import is_finite_number, is_positive_number
from mono_depth_ros.core.training.errors import TrainingConfigError

__all__ = ["IMAGE_FITS", "RECTIFY_CHOICES", "TrainingConfig", "load_training_config"]

IMAGE_FITS = ("resize", "crop")
RECTIFY_CHOICES = ("auto", "always", "never")


@dataclass(frozen=True)
class TrainingConfig:
    """A training run: what is trained, on what, how, and how often it is saved and validated."""

    # What is trained ------------------------------------------------------------------------------------------
    mode: TrainingMode = TrainingMode.MONO
    """mono (triplets t-1, t, t+1 and the pose net), stereo (left/right pair, fixed baseline transform),
    mono_stereo (both), siamese_stereo (left and mirrored right through the same network)."""
    two_stream: bool = False
    """SAG two-stream depth network: mean-normalised depth times a per-image scale mu."""
    sag: bool = False
    """Add the scale-aware geometric loss: L = L_P + sag_weight * L_SAG + L_S (needs temporal frames)."""
    scale_transfer: bool = False
    """One Scalar: mix a source set with ground truth into each batch; store median(GT / prediction) over it."""
    adaptive_scale: bool = False
    """Adaptive scaling: after depth training, fit the per-image scale CNN to Wasserstein-optimal scales."""

    # Networks -------------------------------------------------------------------------------------------------
    width: int = 320
    height: int = 96
    """Training resolution (multiples of 32, at least 64); the checkpoint's input size."""
    encoder_layers: int = 18
    pose_encoder_layers: int = 18
    scales: tuple[int, ...] = (0, 1, 2, 3)
    min_depth: float = 0.1
    max_depth: float = 100.0
    imagenet_weights: str | None = None
    """Optional local torchvision ResNet state-dict file for the encoders (nothing is downloaded)."""
    init_checkpoint: str | None = None
    """Start from this checkpoint's weights (a new run; resuming from --out takes precedence)."""
    freeze_encoder: bool = False
    """Keep the depth encoder's weights fixed (fine-tuning the decoder only)."""
    stereo_initial_depth: float = 10.0
    """Stereo modes: the disparity heads start at this depth (metres). The sigmoid's midpoint is 0.2 m, where a real
    baseline puts every correspondence out of view (no gradient); monocular runs keep Monodepth2's start."""
    forward_motion_prior: float = 0.05
    """Temporal modes without stereo: the pose network starts predicting this forward translation per frame pair
    (relative units; 0 disables). From Monodepth2's near-zero start, the near scene would need depths below
    min_depth for the tiny motion, so the sigmoid saturates there and learning stalls; a camera on a vehicle moves
    mostly forward, and the network learns the actual motion from here."""
    pose_max_width: int = 320
    """The pose network sees its frame pairs resized to at most this width (aspect kept; 0: the training size).
    Its 6 outputs come from globally pooled features, so 320 px suffice, and at 640x192 this makes it 4x cheaper."""

    # Data and augmentation ------------------------------------------------------------------------------------
    frame_stride: int = 1
    """Temporal neighbours are frames t - stride and t + stride (10 Hz synthetic drive: 0.5-1.5 m per frame)."""
    batch_size: int = 6
    stereo_baseline: float | None = None
    """Metres; None: the dataset's real baseline (synthetic 0.54 m). The checkpoint stores the one used."""
    source_fraction: float = 0.5
    """scale_transfer: the share of each batch drawn from the source set (at least one sample each side)."""
    flip_probability: float = 0.5
    colour_probability: float = 0.5
    brightness: float = 0.2
    contrast: float = 0.2
    saturation: float = 0.2
    hue: float = 0.1
    """Colour jitter (Monodepth2): factors in [1 - x, 1 + x], hue shift in [-hue, hue] of a turn."""

    # Optimisation ---------------------------------------------------------------------------------------------
    learning_rate: float = 4e-4
    lr_step_size: int = 1500
    """The learning rate is multiplied by lr_gamma every lr_step_size steps (Adam + step schedule)."""
    lr_gamma: float = 0.1
    weight_decay: float = 0.0
    max_steps: int = 2000
    time_limit_minutes: float | None = None
    """Also end (validate, save) once this much wall-clock time has passed since this invocation started; null:
    no limit. A rerun resumes and gets the same allowance again."""
    automask: bool = True
    mask_out_of_view: bool = True
    """A warped source competes at a pixel only where the pixel lands inside that source image: border-replicated
    colours otherwise reward 'infinitely near' depth at the image sides (the sigmoid then saturates for good)."""
    smoothness_weight: float = 1e-3
    """Edge-aware smoothness weight at scale 0 (divided by 2^s at scale s); TV weight for siamese stereo."""
    sag_weight: float = 0.05

    # Adaptive scale (per-image scale CNN) ---------------------------------------------------------------------
    scale_range: tuple[float, float] = (0.1, 2.0)
    """Search interval of the Wasserstein-optimal per-image scale (around the set's global factor)."""
    scale_cnn_epochs: int = 30
    scale_cnn_batch_size: int = 30
    scale_cnn_learning_rate: float = 1e-3
    scale_cnn_step_epochs: int = 10
    scale_cnn_gamma: float = 0.5

    # Run ------------------------------------------------------------------------------------------------------
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    """Mixed precision (bf16 where supported, else fp16 with loss scaling) on CUDA; ignored on the CPU."""
    channels_last: bool = True
    """Channels-last memory format on CUDA (on the CPU the contiguous layout measured faster)."""
    checkpoint_every: int = 250
    keep_checkpoints: int = 3
    validate_every: int = 250
    log_every: int = 1
    """Write every n-th step's loss terms to the CSV (and TensorBoard)."""

    # Synthetic data (`train --synthetic`) ---------------------------------------------------------------------
    synthetic_frames: int = 300
    synthetic_seed: int = 0
    validation_frames: int = 24
    validation_seed: int = 1000
    source_frames: int = 120
    source_seed: int = 2000
    """The source set with ground truth (scale_transfer, adaptive_scale): a world with another seed."""

    # Recorded bags (`train --bag`) ----------------------------------------------------------------------------
    image_fit: str = "resize"
    """resize: scale whole frames to the training size (as depth_node does); crop: cut the centred region of the
    training aspect ratio first (no stretching)."""
    rectify: str = "auto"
    """auto: undistort frames whose camera_info has distortion unless the topic is rectified ('rect' in its
    name); always; never."""
    static_threshold: float = 0.01
    """Skip frames whose mean absolute difference from the previous kept frame (intensities in [0, 1], at the
    training size) is below this: the camera did not move (0 keeps every frame)."""
    stereo_tolerance_ms: float = 0.0
    """Left and right frames pair when their stamps differ by at most this (0: identical stamps)."""
    validation_fraction: float = 0.1
    """The last part of each bag (by time) held out for validation."""
    frame_cache_dir: str | None = None
    """Folder of the decoded-frame cache; null: $XDG_CACHE_HOME/mono_depth_ros/frames (~/.cache/...)."""

    def __post_init__(self) -> None:
        _check_types(self)
        try:
            object.__setattr__(self, "mode", TrainingMode(self.mode))
        except ValueError:
            choices = ", ".join(mode.value for mode in TrainingMode)
            raise TrainingConfigError(f"mode must be one of {choices}, got {self.mode!r}") from None
        for name in ("width", "height"):
            value = getattr(self, name)
            if value < MIN_INPUT_SIZE or value % SIZE_MULTIPLE:
                raise TrainingConfigError(
                    f"{name} must be a multiple of {SIZE_MULTIPLE} and at least {MIN_INPUT_SIZE}, got {value!r}"
                )
        for name in ("encoder_layers", "pose_encoder_layers"):
            if getattr(self, name) not in ENCODER_LAYERS:
                raise TrainingConfigError(f"{name} must be one of {ENCODER_LAYERS}, got {getattr(self, name)!r}")
        positive_ints = (
            "frame_stride",
            "batch_size",
            "lr_step_size",
            "max_steps",
            "scale_cnn_epochs",
            "scale_cnn_batch_size",
            "scale_cnn_step_epochs",
            "checkpoint_every",
            "keep_checkpoints",
            "validate_every",
            "log_every",
            "synthetic_frames",
            "validation_frames",
            "source_frames",
        )
        for name in positive_ints:
            if getattr(self, name) < 1:
                raise TrainingConfigError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        for name in ("seed", "synthetic_seed", "validation_seed", "source_seed", "pose_max_width"):
            if getattr(self, name) < 0:
                raise TrainingConfigError(f"{name} must be a non-negative integer, got {getattr(self, name)!r}")
        for name in ("learning_rate", "scale_cnn_learning_rate", "min_depth", "max_depth", "stereo_initial_depth"):
            if not is_positive_number(getattr(self, name)):
                raise TrainingConfigError(f"{name} must be a positive number, got {getattr(self, name)!r}")
        if self.min_depth >= self.max_depth:
            raise TrainingConfigError(f"min_depth ({self.min_depth!r}) must be below max_depth ({self.max_depth!r})")
        for name in ("lr_gamma", "scale_cnn_gamma"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise TrainingConfigError(f"{name} must be in (0, 1], got {value!r}")
        for name in ("flip_probability", "colour_probability", "brightness", "contrast", "saturation"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise TrainingConfigError(f"{name} must be in [0, 1], got {value!r}")
        if not 0 <= self.hue <= 0.5:
            raise TrainingConfigError(f"hue must be in [0, 0.5], got {self.hue!r}")
        for name in ("weight_decay", "smoothness_weight", "sag_weight", "forward_motion_prior"):
            if getattr(self, name) < 0:
                raise TrainingConfigError(f"{name} must be a non-negative number, got {getattr(self, name)!r}")
        if not 0 < self.source_fraction < 1:
            raise TrainingConfigError(f"source_fraction must be in (0, 1), got {self.source_fraction!r}")
        if self.time_limit_minutes is not None and not is_positive_number(self.time_limit_minutes):
            raise TrainingConfigError(
                f"time_limit_minutes must be a positive number of minutes or null, got {self.time_limit_minutes!r}"
            )
        if self.stereo_baseline is not None and not is_positive_number(self.stereo_baseline):
            raise TrainingConfigError(
                f"stereo_baseline must be a positive number of metres or null, got {self.stereo_baseline!r}"
            )
        if 0 < self.pose_max_width < 64:
            raise TrainingConfigError(
                f"pose_max_width must be 0 (no limit) or at least 64, got {self.pose_max_width!r}"
            )
        self._check_bag_settings()
        self._check_scale_range()
        self._check_combinations()
        try:
            self.model_config()
        except ModelConfigError as error:
            raise TrainingConfigError(str(error)) from None

    def _check_bag_settings(self) -> None:
        for name, choices in (("image_fit", IMAGE_FITS), ("rectify", RECTIFY_CHOICES)):
            if getattr(self, name) not in choices:
                raise TrainingConfigError(f"{name} must be one of {', '.join(choices)}, got {getattr(self, name)!r}")
        if not 0 <= self.static_threshold < 1:
            raise TrainingConfigError(f"static_threshold must be in [0, 1), got {self.static_threshold!r}")
        if self.stereo_tolerance_ms < 0:
            raise TrainingConfigError(
                f"stereo_tolerance_ms must be a non-negative number, got {self.stereo_tolerance_ms!r}"
            )
        if not 0 <= self.validation_fraction <= 0.5:
            raise TrainingConfigError(f"validation_fraction must be in [0, 0.5], got {self.validation_fraction!r}")

    def _check_scale_range(self) -> None:
        low_high = tuple(self.scale_range)
        if len(low_high) != 2 or not all(is_positive_number(v) for v in low_high) or low_high[0] >= low_high[1]:
            raise TrainingConfigError(f"scale_range must be [low, high] with 0 < low < high, got {self.scale_range!r}")
        object.__setattr__(self, "scale_range", (float(low_high[0]), float(low_high[1])))

    def _check_combinations(self) -> None:
        if self.sag and not self.uses_temporal:
            raise TrainingConfigError(
                f"sag needs temporal frames (mode mono or mono_stereo), got mode {self.mode.value!r}"
            )
        if self.two_stream and self.mode is TrainingMode.SIAMESE_STEREO:
            raise TrainingConfigError(
                "two_stream is not supported with mode 'siamese_stereo' (its disparities come from the plain "
                "sigmoid), got two_stream true"
            )
        if self.scale_transfer and self.adaptive_scale:
            raise TrainingConfigError(
                "scale_transfer and adaptive_scale both set the checkpoint's metric scale: enable one, "
                "got scale_transfer true and adaptive_scale true"
            )
        if self.scale_transfer and self.batch_size < 2:
            raise TrainingConfigError(
                f"scale_transfer mixes source and target samples in each batch: batch_size must be >= 2, "
                f"got {self.batch_size!r}"
            )

    # Derived --------------------------------------------------------------------------------------------------

    @property
    def uses_temporal(self) -> bool:
        """Whether the mode needs frames t-1 and t+1 (and a pose network)."""
        return self.mode in (TrainingMode.MONO, TrainingMode.MONO_STEREO)

    @property
    def uses_right(self) -> bool:
        """Whether the mode needs the right image of a rectified pair."""
        return self.mode is not TrainingMode.MONO

    def model_config(self) -> ModelConfig:
        """The networks this run trains."""
        return ModelConfig(
            encoder_layers=self.encoder_layers,
            pose_encoder_layers=self.pose_encoder_layers,
            scales=self.scales,
            two_stream=self.two_stream,
            min_depth=self.min_depth,
            max_depth=self.max_depth,
            pose=self.uses_temporal,
            scale_cnn=self.adaptive_scale,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain values (str for the mode, lists for tuples): YAML- and checkpoint-ready."""
        values: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, TrainingMode):
                value = value.value
            elif isinstance(value, tuple):
                value = list(value)
            values[item.name] = value
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], *, where: str = "training configuration") -> TrainingConfig:
        """Build from plain values; unknown keys are refused with the key named."""
        if not isinstance(values, Mapping):
            raise TrainingConfigError(f"{where} must be a mapping of keys to values, got {type(values).__name__}")
        known = [item.name for item in fields(cls)]
        unknown = [str(key) for key in values if key not in known]
        if unknown:
            raise TrainingConfigError(
                f"unknown key {unknown[0]!r} in {where} (value {values[unknown[0]]!r}); known keys: {', '.join(known)}"
            )
        converted = {key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}
        return cls(**converted)

    def updated(self, **changes: Any) -> TrainingConfig:
        """A copy with `changes` applied (validated again); None values are ignored (an option not given)."""
        given = {key: value for key, value in changes.items() if value is not None}
        return self.from_dict({**self.to_dict(), **given})


def load_training_config(path: Path | str | None = None, **overrides: Any) -> TrainingConfig:
    """The defaults, updated by the YAML file at `path` (if given), then by `overrides` that are not None."""
    import yaml

    values: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise TrainingConfigError(f"training configuration file {str(path)!r} does not exist")
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            problem = " ".join(str(error).split())
            raise TrainingConfigError(
                f"training configuration file {str(path)!r} is not valid YAML: {problem}"
            ) from None
        if loaded is not None:
            if not isinstance(loaded, Mapping):
                raise TrainingConfigError(
                    f"training configuration file {str(path)!r} must hold a mapping of keys to values, "
                    f"got {type(loaded).__name__}"
                )
            TrainingConfig.from_dict(loaded, where=f"training configuration file {str(path)!r}")
            values.update(loaded)
    given = {key: value for key, value in overrides.items() if value is not None}
    return TrainingConfig.from_dict({**values, **given})


_TYPE_NAMES = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string"}


def _check_types(config: TrainingConfig) -> None:
    """Every field holds a value of its declared kind (YAML gives strings, ints, floats, bools, lists)."""
    for item in fields(config):
        value = getattr(config, item.name)
        kind = str(item.type)
        optional = "| None" in kind
        if value is None:
            if optional:
                continue
            raise TrainingConfigError(f"{item.name} must not be null, got None")
        base = kind.replace(" | None", "")
        if base == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            raise TrainingConfigError(f"{item.name} must be {_TYPE_NAMES['int']}, got {value!r}")
        if base == "float":
            if not is_finite_number(value):
                raise TrainingConfigError(f"{item.name} must be a finite number, got {value!r}")
            object.__setattr__(config, item.name, float(value))
        if base == "bool" and not isinstance(value, bool):
            raise TrainingConfigError(f"{item.name} must be true or false, got {value!r}")
        if base == "str" and not isinstance(value, str):
            raise TrainingConfigError(f"{item.name} must be a string, got {value!r}")
        if base.startswith("tuple"):
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                raise TrainingConfigError(f"{item.name} must be a list, got {value!r}")
            items = tuple(value)
            element = int if "int" in base else float
            for entry in items:
                if isinstance(entry, bool) or not isinstance(entry, (int, float)) or not math.isfinite(entry):
                    raise TrainingConfigError(f"{item.name} must be a list of numbers, got {value!r}")
                if element is int and not isinstance(entry, int):
                    raise TrainingConfigError(f"{item.name} must be a list of integers, got {value!r}")
            object.__setattr__(config, item.name, items)
