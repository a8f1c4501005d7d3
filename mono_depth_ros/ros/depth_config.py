"""depth_node's parameters (shared/DESIGN.md section 4) as specs, and the validated settings they map to.

ROS-free apart from the spec records: `DepthSettings.from_values` checks what a single parameter's range cannot
(min_depth < max_depth, input sizes multiples of 32, the device string), so a bad combination is refused with a
reason before anything is rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from mono_depth_ros.core.inference import PRECISIONS, DeviceError, resolve_device
from mono_depth_ros.core.models import MIN_INPUT_SIZE, SIZE_MULTIPLE, valid_input_size
from mono_depth_ros.ros.errors import ParameterError
from mono_depth_ros.ros.parameters import NodeSettings, ParameterSpec
from mono_depth_ros.ros.qos import QOS_CHOICES

__all__ = [
    "DEPTH_PARAMETERS",
    "ESTIMATOR_PARAMETERS",
    "IMAGE_TRANSPORTS",
    "DepthSettings",
    "ScaleMode",
    "check_device",
]

IMAGE_TRANSPORTS: tuple[str, ...] = ("raw", "compressed")
MAX_INPUT_SIDE = 4096


class ScaleMode(str, Enum):
    """Parameter `scale_source`: where the metric scale of the published depth comes from."""

    TOPIC = "topic"
    """The latest `depth_scale` (std_msgs/Float64) from the calibration node."""
    FIXED = "fixed"
    """The `scale` parameter."""
    BASELINE = "baseline"
    """A stereo-trained checkpoint rescaled by real / training baseline (real from `right/camera_info`)."""
    MODEL = "model"
    """What the checkpoint carries: stereo factor, transferred global factor or per-image scale network."""


DEPTH_PARAMETERS: tuple[ParameterSpec, ...] = (
    ParameterSpec("checkpoint", "", "path of a mono_depth_ros checkpoint (.pt); changing it hot-reloads the model"),
    ParameterSpec("device", "auto", "inference device: auto (CUDA when present), cpu, cuda or cuda:N"),
    ParameterSpec("precision", "fp32", "network precision (fp16/bf16 on CUDA only)", choices=PRECISIONS),
    ParameterSpec(
        "input_width", 0, "network input width, a multiple of 32 (0: the checkpoint's)", minimum=0, maximum=4096
    ),
    ParameterSpec(
        "input_height", 0, "network input height, a multiple of 32 (0: the checkpoint's)", minimum=0, maximum=4096
    ),
    ParameterSpec("min_depth", 0.1, "smallest valid depth (m); closer is NaN", minimum=0.001, maximum=1000.0),
    ParameterSpec("max_depth", 100.0, "largest valid depth (m); farther is NaN", minimum=0.01, maximum=100000.0),
    ParameterSpec("scale", 1.0, "metric factor used when scale_source is fixed", minimum=1e-6, maximum=1e6),
    ParameterSpec(
        "scale_source",
        "topic",
        "metric scale: topic (depth_scale), fixed (scale), baseline (stereo model, right/camera_info), model",
        choices=tuple(mode.value for mode in ScaleMode),
    ),
    ParameterSpec(
        "image_transport",
        "raw",
        "subscribe to image (raw) or image/compressed",
        choices=IMAGE_TRANSPORTS,
        read_only=True,
    ),
    ParameterSpec("publish_points", True, "publish the point cloud on `points`"),
    ParameterSpec("points_rgb", True, "colour the points with the image (packed rgb field)"),
    ParameterSpec("points_stride", 1, "keep every n-th pixel of every n-th row in the cloud", minimum=1, maximum=64),
    ParameterSpec("flip_postprocess", False, "blend with the prediction on the mirrored image (2x the compute)"),
    ParameterSpec(
        "input_qos", "sensor", "QoS of image and camera_info subscriptions", choices=QOS_CHOICES, read_only=True
    ),
    ParameterSpec(
        "output_qos",
        "reliable",
        "QoS of the depth, camera_info and points publishers",
        choices=QOS_CHOICES,
        read_only=True,
    ),
)

#: Parameters the estimator is built with: changing one builds a new estimator (swapped in between frames).
ESTIMATOR_PARAMETERS = frozenset(
    ("checkpoint", "device", "precision", "input_width", "input_height", "min_depth", "max_depth", "flip_postprocess")
)


@dataclass(frozen=True)
class DepthSettings(NodeSettings):
    """The node's parameter values, checked together."""

    checkpoint: str = ""
    device: str = "auto"
    precision: str = "fp32"
    input_width: int = 0
    input_height: int = 0
    min_depth: float = 0.1
    max_depth: float = 100.0
    scale: float = 1.0
    scale_source: ScaleMode = ScaleMode.TOPIC
    image_transport: str = "raw"
    publish_points: bool = True
    points_rgb: bool = True
    points_stride: int = 1
    flip_postprocess: bool = False
    input_qos: str = "sensor"
    output_qos: str = "reliable"

    def validated(self) -> DepthSettings:
        """min_depth < max_depth, input sizes 0 or valid, a device this machine has; scale_source as a ScaleMode."""
        object.__setattr__(self, "scale_source", _scale_mode(self.scale_source))
        if not self.min_depth < self.max_depth:
            raise ParameterError(
                f"min_depth must be below max_depth, got min_depth {self.min_depth!r} and max_depth {self.max_depth!r}"
            )
        for name in ("input_width", "input_height"):
            value = getattr(self, name)
            if value != 0 and not valid_input_size(value):
                raise ParameterError(
                    f"parameter {name!r} must be 0 (the checkpoint's) or a multiple of {SIZE_MULTIPLE} of at least "
                    f"{MIN_INPUT_SIZE}, got {value!r}"
                )
        check_device(self.device)
        return self

    @property
    def checkpoint_path(self) -> Path | None:
        return Path(self.checkpoint).expanduser() if self.checkpoint.strip() else None


def check_device(device: str) -> None:
    """ParameterError naming `device` when it is malformed or names a device this machine lacks (both nodes)."""
    try:
        resolve_device(device)
    except DeviceError as exc:
        raise ParameterError(f"parameter 'device': {exc}") from None


def _scale_mode(value: object) -> ScaleMode:
    try:
        return ScaleMode(value)
    except ValueError:
        choices = ", ".join(mode.value for mode in ScaleMode)
        raise ParameterError(f"parameter 'scale_source' must be one of {choices}, got {value!r}") from None
