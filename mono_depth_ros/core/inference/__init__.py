"""Inference: `DepthEstimator`, an image -> disparity, relative and metric depth and an organised point cloud, on
the chosen device (CUDA when present). ROS-free: torch, numpy and OpenCV only.

    estimator = DepthEstimator("model.pt", device="auto", flip_postprocess=True)
    prediction = estimator.predict(rgb, intrinsics=camera, points=True, points_rgb=True)
    prediction.metric_depth  # (H, W) float32 metres, NaN where invalid
"""

from mono_depth_ros.core.inference.device import PRECISIONS, Precision, autocast, effective_precision, resolve_device
from mono_depth_ros.core.inference.errors import (
    DeviceError,
    InferenceConfigError,
    InferenceError,
    InputImageError,
    IntrinsicsMismatchError,
)
from mono_depth_ros.core.inference.estimator import RESOLUTIONS, DepthEstimator, Resolution
from mono_depth_ros.core.inference.postprocess import EDGE_FRACTION, blend_flipped, flip_blend_weights, resize_bilinear
from mono_depth_ros.core.inference.prediction import DepthPrediction
from mono_depth_ros.core.inference.preprocess import (
    ENCODINGS,
    MAX_IMAGE_SIDE,
    MIN_IMAGE_SIDE,
    image_to_device,
    to_network_input,
)
from mono_depth_ros.core.inference.scale import ScaleOrigin, ScalePlan, plan_scale

__all__ = [
    "EDGE_FRACTION",
    "ENCODINGS",
    "MAX_IMAGE_SIDE",
    "MIN_IMAGE_SIDE",
    "PRECISIONS",
    "RESOLUTIONS",
    "DepthEstimator",
    "DepthPrediction",
    "DeviceError",
    "InferenceConfigError",
    "InferenceError",
    "InputImageError",
    "IntrinsicsMismatchError",
    "Precision",
    "Resolution",
    "ScaleOrigin",
    "ScalePlan",
    "autocast",
    "blend_flipped",
    "effective_precision",
    "flip_blend_weights",
    "image_to_device",
    "plan_scale",
    "resize_bilinear",
    "resolve_device",
    "to_network_input",
]
