"""calibration_node's parameters (shared/DESIGN.md section 4) as specs, and the validated settings they map to.

ROS-free apart from the spec records: `CalibrationSettings.with_changes` checks what a single parameter's range
cannot (`base_to_camera` as a pose, the device string), so a bad combination is refused with a reason before
anything is rebuilt; the settings build the mode's core estimator (core.scale).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np
import torch

from mono_depth_ros.core.geometry import transform_from_translation_quaternion
from mono_depth_ros.core.scale import GroundScaleEstimator, OdometryScaleEstimator, StereoScaleEstimator
from mono_depth_ros.ros.depth_config import IMAGE_TRANSPORTS, check_device
from mono_depth_ros.ros.errors import ParameterError
from mono_depth_ros.ros.parameters import NodeSettings, ParameterSpec
from mono_depth_ros.ros.qos import QOS_CHOICES

__all__ = [
    "CALIBRATION_PARAMETERS",
    "DEFAULT_MIN_SAMPLES",
    "ESTIMATOR_PARAMETERS",
    "MODEL_PARAMETERS",
    "MODES",
    "ODOMETRY_METHODS",
    "CalibrationSettings",
    "Estimator",
    "checkpoint_file",
    "pose_matrix",
]

MODES: tuple[str, ...] = ("odometry", "stereo", "ground")
ODOMETRY_METHODS: tuple[str, ...] = ("reprojection", "pose")
DEFAULT_MIN_SAMPLES = {"odometry": 20, "stereo": 5, "ground": 5}

CALIBRATION_PARAMETERS: tuple[ParameterSpec, ...] = (
    ParameterSpec("mode", "odometry", "scale from odometry, stereo or ground (camera height)", choices=MODES,
                  read_only=True),
    ParameterSpec("odometry_method", "reprojection", "mode odometry: reprojection (the scale whose depth best "
                  "explains the image motion the odometry measured; any checkpoint) or pose (the pose network's "
                  "translation against the odometry's)", choices=ODOMETRY_METHODS, read_only=True),
    ParameterSpec("checkpoint", "", "mono_depth_ros checkpoint (.pt) whose relative depth is calibrated"),
    ParameterSpec("device", "auto", "network device: auto (CUDA when present), cpu, cuda or cuda:N"),
    ParameterSpec("rate_hz", 2.0, "at most this many frames (pairs) processed per second", minimum=0.01,
                  maximum=1000.0),
    ParameterSpec("window", 100, "samples in the sliding robust estimate", minimum=1, maximum=100000),
    ParameterSpec("min_translation", 0.2, "metres of camera motion for an odometry sample to count", minimum=1e-4,
                  maximum=1000.0),
    ParameterSpec("base_to_camera", [1.0, 0.0, 1.65, -0.5, 0.5, -0.5, 0.5],
                  "x y z qx qy qz qw: pose of the camera optical frame in the odometry child frame", minimum=-1e6,
                  maximum=1e6),
    ParameterSpec("camera_height", 1.65, "metres of the optical centre above the ground (mode ground)",
                  minimum=0.01, maximum=1000.0),
    ParameterSpec("freeze_when_converged", False, "stop estimating once converged (the published scale stays)"),
    ParameterSpec("tolerance", 0.02, "relative uncertainty (standard error / scale) at or below which the estimate "
                  "is published; it keeps improving as the window fills", minimum=1e-6, maximum=10.0),
    ParameterSpec("min_samples", 0, "samples needed before publishing (0: 20 odometry, 5 stereo or ground)",
                  minimum=0, maximum=100000),
    ParameterSpec("image_transport", "raw", "subscribe to image (raw) or image/compressed", choices=IMAGE_TRANSPORTS,
                  read_only=True),
    ParameterSpec("input_qos", "sensor", "QoS of the image and camera_info subscriptions", choices=QOS_CHOICES,
                  read_only=True),
)  # fmt: skip
#: Changing one of these starts the estimate over.
ESTIMATOR_PARAMETERS = frozenset(
    ("window", "min_translation", "base_to_camera", "camera_height", "tolerance", "min_samples")
)
#: Changing one of these reloads the networks.
MODEL_PARAMETERS = frozenset(("checkpoint", "device"))

Estimator = Union[OdometryScaleEstimator, StereoScaleEstimator, GroundScaleEstimator]  # noqa: UP007 (Python 3.10)


def pose_matrix(pose: object) -> np.ndarray:
    """ROS pose [x, y, z, qx, qy, qz, qw] -> (4, 4) float64 transform (the quaternion normalised; zero gives NaN)."""
    return transform_from_translation_quaternion(torch.tensor(pose, dtype=torch.float64)).numpy()


def checkpoint_file(value: str) -> Path:
    """The checkpoint path the `checkpoint` parameter names; ParameterError when it is empty."""
    if not str(value).strip():
        raise ParameterError("parameter 'checkpoint' is empty: name a mono_depth_ros checkpoint")
    return Path(value).expanduser()


@dataclass(frozen=True)
class CalibrationSettings(NodeSettings):
    """The node's parameter values, checked together (`base_to_camera`, `device`)."""

    mode: str = "odometry"
    odometry_method: str = "reprojection"
    checkpoint: str = ""
    device: str = "auto"
    rate_hz: float = 2.0
    window: int = 100
    min_translation: float = 0.2
    base_to_camera: tuple[float, ...] = (1.0, 0.0, 1.65, -0.5, 0.5, -0.5, 0.5)
    camera_height: float = 1.65
    freeze_when_converged: bool = False
    tolerance: float = 0.02
    min_samples: int = 0
    image_transport: str = "raw"
    input_qos: str = "sensor"

    def validated(self) -> CalibrationSettings:
        """base_to_camera a pose (as a tuple of floats) with a non-zero quaternion, a device this machine has."""
        pose = tuple(float(v) for v in self.base_to_camera)
        object.__setattr__(self, "base_to_camera", pose)
        if len(pose) != 7 or not np.linalg.norm(pose[3:]) > 1e-9:
            raise ParameterError(
                f"parameter 'base_to_camera' must be [x, y, z, qx, qy, qz, qw] with a non-zero quaternion, got "
                f"{list(pose)!r}"
            )
        check_device(self.device)
        return self

    def base_from_camera(self) -> np.ndarray:
        """(4, 4) float64 pose of the camera optical frame in the odometry child frame."""
        return pose_matrix(self.base_to_camera)

    def make_estimator(self) -> Estimator:
        """A fresh core estimator for the mode."""
        needed = self.min_samples or DEFAULT_MIN_SAMPLES[self.mode]
        window = {"window": self.window, "min_samples": needed, "tolerance": self.tolerance}
        if self.mode == "odometry":
            return OdometryScaleEstimator(min_translation=self.min_translation, **window)
        if self.mode == "stereo":
            return StereoScaleEstimator(**window)
        return GroundScaleEstimator(self.camera_height, **window)
