"""Every way an image or an option can be wrong gives a typed error naming the offending value."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from mono_depth_ros.core.geometry import IntrinsicsError, PinholeIntrinsics
from mono_depth_ros.core.inference import (
    MAX_IMAGE_SIDE,
    MIN_IMAGE_SIDE,
    DepthEstimator,
    InferenceConfigError,
    InferenceError,
    InputImageError,
    IntrinsicsMismatchError,
    image_to_device,
    to_network_input,
)
from mono_depth_ros.core.models import Checkpoint, CheckpointError, MetricScale, ScaleSource
from mono_depth_ros.errors import ConfigError

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def estimator(checkpoint: Checkpoint) -> DepthEstimator:
    return DepthEstimator(checkpoint, device="cpu", warmup=False)


def _image(height: int = 20, width: int = 30, channels: int | None = 3) -> np.ndarray:
    shape = (height, width) if channels is None else (height, width, channels)
    return np.zeros(shape, dtype=np.uint8)


@pytest.mark.parametrize(
    ("image", "encoding", "message"),
    [
        (np.zeros((0, 30, 3), np.uint8), "rgb8", "image is empty: shape (0, 30, 3)"),
        (np.zeros((20, 0), np.uint8), "mono8", "image is empty: shape (20, 0)"),
        (_image(1, 1), "rgb8", f"image of 1x1 pixels is too small: each side must be at least {MIN_IMAGE_SIDE} pixels"),
        (_image(7, 300), "rgb8", "image of 300x7 pixels is too small"),
        (
            np.lib.stride_tricks.as_strided(np.zeros(3, np.uint8), (8, MAX_IMAGE_SIDE + 1, 3), (0, 0, 1)),
            "rgb8",
            f"image of {MAX_IMAGE_SIDE + 1}x8 pixels is too large: each side must be at most {MAX_IMAGE_SIDE} pixels",
        ),
        (
            _image(channels=4),
            "rgb8",
            "image with 4 channel(s) (shape (20, 30, 4)) does not match encoding rgb8, which has 3; pass encoding "
            "rgba8 or bgra8",
        ),
        (_image(channels=None), "rgb8", "image with 1 channel(s) (shape (20, 30, 1)) does not match encoding rgb8"),
        (_image(channels=1), "bgr8", "pass encoding mono8"),
        (_image(), "mono8", "image with 3 channel(s) (shape (20, 30, 3)) does not match encoding mono8, which has 1"),
        (_image(channels=2), "rgb8", "image with 2 channel(s) (shape (20, 30, 2)) does not match encoding rgb8"),
        (_image(), "RGB8", "image encoding must be one of rgb8, bgr8, mono8, rgba8, bgra8, got 'RGB8'"),
        (_image(), "mono16", "got 'mono16'"),
        (np.zeros((20, 30, 3), np.uint16), "rgb8", "image array of dtype uint16 (shape (20, 30, 3)) is not supported"),
        (np.zeros((20, 30, 3), np.float32), "rgb8", "dtype float32"),
        (torch.zeros((20, 30, 3)), "rgb8", "image tensor of dtype float32"),
        (np.zeros((2, 20, 30, 3), np.uint8), "rgb8", "image must have shape (H, W, C) (or (H, W) for mono8), got"),
        (np.zeros(30, np.uint8), "mono8", "got (30,)"),
        ([[1, 2], [3, 4]], "mono8", "image must be a numpy array or a torch tensor (H, W, C) uint8, got list"),
        (torch.zeros((20, 30, 3), dtype=torch.uint8, device="meta"), "rgb8", "image tensor is on meta, the"),
    ],
)
def test_bad_images_are_refused_with_what_is_wrong(
    estimator: DepthEstimator, image: object, encoding: str, message: str
) -> None:
    with pytest.raises(InputImageError, match=re.escape(message)):
        estimator.predict(image, encoding=encoding)


def test_input_errors_are_inference_errors_and_value_errors() -> None:
    assert issubclass(InputImageError, InferenceError)
    assert issubclass(InputImageError, ValueError)
    assert issubclass(InferenceConfigError, ConfigError)
    assert issubclass(IntrinsicsMismatchError, IntrinsicsError)
    assert issubclass(IntrinsicsMismatchError, InferenceError)


def test_smallest_and_largest_accepted_sizes(estimator: DepthEstimator) -> None:
    assert estimator.predict(_image(MIN_IMAGE_SIDE, MIN_IMAGE_SIDE)).metric_depth.shape == (8, 8)
    tall = np.lib.stride_tricks.as_strided(np.zeros(3, np.uint8), (MAX_IMAGE_SIDE, 8, 3), (0, 0, 1))
    assert image_to_device(tall, "rgb8", CPU).shape == (MAX_IMAGE_SIDE, 8, 3)


def test_intrinsics_of_another_size_are_refused(estimator: DepthEstimator) -> None:
    camera = PinholeIntrinsics(50.0, 50.0, 15.0, 10.0, 31, 20)
    message = "intrinsics are for a 31x20 image, the image is 30x20"
    with pytest.raises(IntrinsicsMismatchError, match=re.escape(message)):
        estimator.predict(_image(), intrinsics=camera)
    with pytest.raises(InferenceConfigError, match="intrinsics must be PinholeIntrinsics, got tuple"):
        estimator.predict(_image(), intrinsics=(50.0, 50.0, 15.0, 10.0))  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["fx", "fy", "cx", "cy"])
def test_nan_intrinsics_cannot_even_be_made(field: str) -> None:
    values = {"fx": 50.0, "fy": 50.0, "cx": 15.0, "cy": 10.0, "width": 30, "height": 20, field: math.nan}
    with pytest.raises(IntrinsicsError, match=f"intrinsics {field} must be finite, got nan"):
        PinholeIntrinsics(**values)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"points": True}, InferenceConfigError, "points need the intrinsics of the input image"),
        ({"resolution": "full"}, InferenceConfigError, "resolution must be one of input, network, got 'full'"),
        ({"points_stride": 0}, InferenceConfigError, "points_stride must be a positive integer, got 0"),
        ({"points_stride": 1.5}, InferenceConfigError, "points_stride must be a positive integer, got 1.5"),
        ({"points_stride": True}, InferenceConfigError, "points_stride must be a positive integer, got True"),
        ({"scale": -2.0}, InferenceConfigError, "scale must be a positive finite number, got -2.0"),
        ({"scale": math.inf}, InferenceConfigError, "scale must be a positive finite number, got inf"),
        ({"scale": "2"}, InferenceConfigError, "scale must be a positive finite number, got '2'"),
        (
            {"real_baseline": 0.3},
            InferenceConfigError,
            "real_baseline 0.3 applies to stereo-trained checkpoints (metric scale source 'stereo'), but this "
            "checkpoint's is 'none'",
        ),
        ({"scale": 2.0, "real_baseline": 0.3}, InferenceConfigError, "give either scale (2.0) or real_baseline (0.3)"),
    ],
)
def test_bad_prediction_options_are_refused(
    estimator: DepthEstimator, options: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        estimator.predict(_image(), **options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"precision": "fp8"}, "precision must be one of fp32, fp16, bf16, got 'fp8'"),
        (
            {"input_size": (100, 64)},
            "input_size must be (width, height), multiples of 32 of at least 64, got (100, 64)",
        ),
        ({"input_size": (64, 32)}, "got (64, 32)"),
        ({"input_size": 640}, "input_size must be (width, height), got 640"),
        ({"input_size": (64.0, 64)}, "got (64.0, 64)"),
        ({"min_depth": 0.0}, "min_depth must be a positive finite number (metres) or None, got 0.0"),
        ({"max_depth": math.nan}, "max_depth must be a positive finite number (metres) or None, got nan"),
        ({"min_depth": 5.0, "max_depth": 5.0}, "min_depth must be below max_depth, got 5.0 and 5.0"),
        ({"device": "gpu"}, "device must be auto, cpu, cuda or cuda:N, got 'gpu'"),
    ],
)
def test_bad_estimator_options_are_refused(checkpoint: Checkpoint, options: dict[str, object], message: str) -> None:
    with pytest.raises(InferenceConfigError, match=re.escape(message)):
        DepthEstimator(checkpoint, warmup=False, **options)


def test_checkpoint_problems_are_checkpoint_errors(checkpoint: Checkpoint, tmp_path: Path) -> None:
    missing = tmp_path / "missing.pt"
    with pytest.raises(CheckpointError, match=re.escape(f"checkpoint {missing}: does not exist")):
        DepthEstimator(missing)
    per_image = Checkpoint(
        checkpoint.model,
        checkpoint.input_width,
        checkpoint.input_height,
        checkpoint.state_dicts,
        metric_scale=MetricScale(ScaleSource.PER_IMAGE),
    )
    with pytest.raises(CheckpointError, match="metric scale source is 'per_image' but it has no scale_cnn network"):
        DepthEstimator(per_image, device="cpu", warmup=False)


def test_network_input_is_rgb_in_unit_range_at_the_network_size() -> None:
    pixels = torch.tensor([[[10, 20, 30]]], dtype=torch.uint8).expand(16, 24, 3)
    images = to_network_input(pixels, "bgr8", (64, 32))
    assert images.shape == (1, 3, 32, 64)
    assert images.dtype == torch.float32
    assert images.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(images[0, :, 0, 0], torch.tensor([30, 20, 10]) / 255.0)
    same_size = to_network_input(pixels, "rgb8", (24, 16), channels_last=False)
    assert same_size.is_contiguous()
    torch.testing.assert_close(same_size[0, :, 5, 5], torch.tensor([10, 20, 30]) / 255.0)
    with pytest.raises(InferenceConfigError, match="network input size must be positive, got 0x32"):
        to_network_input(pixels, "rgb8", (0, 32))
