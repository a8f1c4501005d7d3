"""Networks and checkpoints: ResNet encoders (torchvision key names), the Monodepth2 depth decoder, the pose network,
the SAG two-stream scale stream and the adaptive-scaling per-image scale CNN, and the checkpoint file format.

Images enter every network as (B, 3, H, W) RGB in [0, 1]; each encoder normalises them itself. ONNX export lives in
`mono_depth_ros.core.models.onnx_export` (it needs the optional onnx and onnxruntime packages).
"""

from mono_depth_ros.core.models.checkpoint import (
    FORMAT_NAME,
    FORMAT_VERSION,
    Checkpoint,
    MetricScale,
    ScaleSource,
    TrainingMode,
    load_checkpoint,
    save_checkpoint,
)
from mono_depth_ros.core.models.config import ENCODER_LAYERS, ModelConfig
from mono_depth_ros.core.models.depth_decoder import DepthDecoder
from mono_depth_ros.core.models.depth_network import (
    MIN_INPUT_SIZE,
    SIZE_MULTIPLE,
    DepthNetwork,
    DepthOutput,
    valid_input_size,
)
from mono_depth_ros.core.models.disparity import depth_to_disparity, disparity_to_depth, disparity_to_inverse_depth
from mono_depth_ros.core.models.errors import CheckpointError, ModelConfigError, ModelError
from mono_depth_ros.core.models.imagenet import load_imagenet_weights
from mono_depth_ros.core.models.monodepth2 import Monodepth2ImportError, import_monodepth2
from mono_depth_ros.core.models.networks import NETWORK_NAMES, Networks
from mono_depth_ros.core.models.pose import PoseDecoder, PoseNetwork, PoseOutput
from mono_depth_ros.core.models.resnet import IMAGE_MEAN, IMAGE_STD, ResnetEncoder
from mono_depth_ros.core.models.scale_cnn import ScaleCNN
from mono_depth_ros.core.models.scale_stream import ScaleStream

__all__ = [
    "ENCODER_LAYERS",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "IMAGE_MEAN",
    "IMAGE_STD",
    "MIN_INPUT_SIZE",
    "NETWORK_NAMES",
    "SIZE_MULTIPLE",
    "Checkpoint",
    "CheckpointError",
    "DepthDecoder",
    "DepthNetwork",
    "DepthOutput",
    "MetricScale",
    "ModelConfig",
    "ModelConfigError",
    "ModelError",
    "Monodepth2ImportError",
    "Networks",
    "PoseDecoder",
    "PoseNetwork",
    "PoseOutput",
    "ResnetEncoder",
    "ScaleCNN",
    "ScaleSource",
    "ScaleStream",
    "TrainingMode",
    "depth_to_disparity",
    "disparity_to_depth",
    "disparity_to_inverse_depth",
    "import_monodepth2",
    "load_checkpoint",
    "load_imagenet_weights",
    "save_checkpoint",
    "valid_input_size",
]
