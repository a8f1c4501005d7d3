"""DepthEstimator end to end on tiny networks: shapes, dtypes, values, encodings, resolutions, flip, points."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn import functional

from mono_depth_ros.core.geometry import PinholeIntrinsics, depth_to_point_cloud
from mono_depth_ros.core.inference import (
    DepthEstimator,
    DepthPrediction,
    ScaleOrigin,
    blend_flipped,
)
from mono_depth_ros.core.models import Checkpoint, save_checkpoint
from mono_depth_ros.core.wire import XYZ_FIELDS, XYZRGB_FIELDS

NETWORK = (96, 64)


@pytest.fixture(scope="module")
def estimator(checkpoint: Checkpoint) -> DepthEstimator:
    """Shared by the tests that only call `predict` (it keeps no state between calls but its ray cache)."""
    return DepthEstimator(checkpoint, device="cpu", warmup=False)


def _expected_size(resolution: str, image: np.ndarray) -> tuple[int, int]:
    return tuple(image.shape[:2]) if resolution == "input" else (NETWORK[1], NETWORK[0])


@pytest.mark.parametrize("resolution", ["input", "network"])
@pytest.mark.parametrize("encoding", ["rgb8", "bgr8", "mono8"])
def test_outputs_have_the_documented_shapes_dtypes_and_ranges(
    estimator: DepthEstimator, image: np.ndarray, encoding: str, resolution: str
) -> None:
    pixels = {"rgb8": image, "bgr8": image[..., ::-1], "mono8": image[..., 1]}[encoding]
    prediction = estimator.predict(pixels, encoding=encoding, resolution=resolution)
    size = _expected_size(resolution, image)
    for array in (prediction.disparity, prediction.relative_depth, prediction.metric_depth):
        assert array.shape == size
        assert array.dtype == np.float32
        assert np.isfinite(array).all()
    assert (prediction.height, prediction.width) == size
    assert 0.0 < prediction.disparity.min() <= prediction.disparity.max() < 1.0
    config = estimator.checkpoint.model
    assert config.min_depth * (1 - 1e-5) <= prediction.relative_depth.min()
    assert prediction.relative_depth.max() <= config.max_depth * (1 + 1e-5)
    assert prediction.scale == 1.0
    assert prediction.scale_origin is ScaleOrigin.NONE
    assert not prediction.is_metric
    np.testing.assert_array_equal(prediction.metric_depth, prediction.relative_depth)
    assert prediction.cloud is None
    assert prediction.points is None
    assert prediction.colours is None
    assert prediction.cloud_fields is None
    assert prediction.intrinsics is None


def test_depth_is_the_inverse_of_the_sigmoid_disparity_mapping(estimator: DepthEstimator, image: np.ndarray) -> None:
    """Plain models: 1 / depth = 1/max + (1/min - 1/max) * disparity, at both resolutions (resizing keeps it)."""
    config = estimator.checkpoint.model
    for resolution in ("input", "network"):
        prediction = estimator.predict(image, resolution=resolution)
        inverse = 1 / config.max_depth + (1 / config.min_depth - 1 / config.max_depth) * prediction.disparity
        np.testing.assert_allclose(1.0 / prediction.relative_depth, inverse, rtol=1e-4)


def test_input_resolution_is_the_bilinear_resize_of_inverse_depth(estimator: DepthEstimator, image: np.ndarray) -> None:
    network = estimator.predict(image, resolution="network")
    full = estimator.predict(image, resolution="input")
    inverse = torch.from_numpy(1.0 / network.relative_depth)[None, None]
    resized = functional.interpolate(inverse, size=image.shape[:2], mode="bilinear", align_corners=False)[0, 0]
    np.testing.assert_allclose(full.relative_depth, 1.0 / resized.numpy(), rtol=1e-5)


def test_an_image_at_the_network_size_gives_the_same_depth_at_both_resolutions(estimator: DepthEstimator) -> None:
    image = np.random.default_rng(1).integers(0, 256, (NETWORK[1], NETWORK[0], 3), dtype=np.uint8)
    full = estimator.predict(image, resolution="input")
    network = estimator.predict(image, resolution="network")
    np.testing.assert_array_equal(full.metric_depth, network.metric_depth)


def test_bgr8_is_rgb8_on_the_swapped_image(estimator: DepthEstimator, image: np.ndarray) -> None:
    rgb = estimator.predict(image, encoding="rgb8")
    bgr = estimator.predict(np.ascontiguousarray(image[..., ::-1]), encoding="bgr8")
    np.testing.assert_allclose(bgr.metric_depth, rgb.metric_depth, rtol=1e-6)
    np.testing.assert_allclose(bgr.disparity, rgb.disparity, atol=1e-6)


def test_alpha_is_dropped(estimator: DepthEstimator, image: np.ndarray) -> None:
    alpha = np.full((*image.shape[:2], 1), 17, dtype=np.uint8)
    rgb = estimator.predict(image).metric_depth
    rgba = estimator.predict(np.concatenate([image, alpha], axis=-1), encoding="rgba8").metric_depth
    bgra = estimator.predict(np.concatenate([image[..., ::-1], alpha], axis=-1), encoding="bgra8").metric_depth
    np.testing.assert_allclose(rgba, rgb, rtol=1e-6)
    np.testing.assert_allclose(bgra, rgb, rtol=1e-6)


def test_mono8_is_grey_replicated_to_three_channels(estimator: DepthEstimator, image: np.ndarray) -> None:
    grey = image[..., 0].copy()
    replicated = estimator.predict(np.repeat(grey[..., None], 3, axis=-1)).metric_depth
    np.testing.assert_allclose(estimator.predict(grey, encoding="mono8").metric_depth, replicated, rtol=1e-6)
    np.testing.assert_allclose(estimator.predict(grey[..., None], encoding="mono8").metric_depth, replicated, rtol=1e-6)


def test_numpy_and_tensor_inputs_agree(estimator: DepthEstimator, image: np.ndarray) -> None:
    from_numpy = estimator.predict(image)
    from_tensor = estimator.predict(torch.from_numpy(image.copy()))
    np.testing.assert_array_equal(from_numpy.metric_depth, from_tensor.metric_depth)


def test_strided_and_read_only_arrays_are_accepted(estimator: DepthEstimator, image: np.ndarray) -> None:
    expected = estimator.predict(np.ascontiguousarray(image)).metric_depth
    read_only = image.copy()
    read_only.flags.writeable = False
    np.testing.assert_array_equal(estimator.predict(read_only).metric_depth, expected)
    reversed_twice = image[:, ::-1][:, ::-1]  # negative strides
    np.testing.assert_array_equal(estimator.predict(reversed_twice).metric_depth, expected)


def _root(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def test_outputs_are_views_of_one_buffer(estimator: DepthEstimator, image: np.ndarray) -> None:
    intrinsics = PinholeIntrinsics(100.0, 100.0, 74.5, 34.5, image.shape[1], image.shape[0])
    prediction = estimator.predict(image, intrinsics=intrinsics, points=True, points_rgb=True)
    arrays = (prediction.disparity, prediction.relative_depth, prediction.metric_depth, prediction.cloud)
    root = _root(prediction.disparity)
    assert root.ndim == 1
    assert root.dtype == np.float32
    assert root.size == 3 * image.shape[0] * image.shape[1] + prediction.cloud.size + 1  # + the scale
    for array in arrays:
        assert _root(array) is root
        assert array.flags.c_contiguous


def test_flip_postprocessing_blends_the_mirrored_prediction(checkpoint: Checkpoint, image: np.ndarray) -> None:
    plain = DepthEstimator(checkpoint, device="cpu", warmup=False)
    flipped = DepthEstimator(checkpoint, device="cpu", warmup=False, flip_postprocess=True)
    direct = plain.predict(image, resolution="network").disparity
    mirrored = plain.predict(image[:, ::-1], resolution="network").disparity[:, ::-1]
    expected = blend_flipped(torch.from_numpy(direct), torch.from_numpy(mirrored.copy())).numpy()
    np.testing.assert_allclose(flipped.predict(image, resolution="network").disparity, expected, atol=1e-5)


def test_flip_postprocessing_makes_a_symmetric_image_symmetric(checkpoint: Checkpoint, image: np.ndarray) -> None:
    half = image[:, :75]
    symmetric = np.concatenate([half, half[:, ::-1]], axis=1)
    plain = DepthEstimator(checkpoint, device="cpu", warmup=False).predict(symmetric).disparity
    flipped = DepthEstimator(checkpoint, device="cpu", warmup=False, flip_postprocess=True).predict(symmetric)
    assert np.abs(plain - plain[:, ::-1]).max() > 1e-2  # the network alone is not symmetric...
    np.testing.assert_allclose(flipped.disparity, flipped.disparity[:, ::-1], atol=1e-5)  # ...the blend is
    np.testing.assert_allclose(flipped.metric_depth, flipped.metric_depth[:, ::-1], rtol=1e-4)


@pytest.mark.parametrize("stride", [1, 3])
@pytest.mark.parametrize("resolution", ["input", "network"])
def test_points_are_the_back_projection_of_metric_depth(
    checkpoint: Checkpoint, image: np.ndarray, intrinsics: PinholeIntrinsics, stride: int, resolution: str
) -> None:
    estimator = DepthEstimator(checkpoint, device="cpu", warmup=False, max_depth=60.0)
    prediction = estimator.predict(
        image, intrinsics=intrinsics, scale=20.0, points=True, points_stride=stride, resolution=resolution
    )
    height, width = _expected_size(resolution, image)
    rows, columns = math.ceil(height / stride), math.ceil(width / stride)
    assert prediction.cloud.shape == (rows, columns, 3)
    assert prediction.cloud.dtype == np.float32
    assert prediction.cloud_fields == XYZ_FIELDS
    assert prediction.colours is None
    camera = intrinsics if resolution == "input" else intrinsics.resized(*NETWORK)
    assert prediction.intrinsics == camera
    metric = torch.from_numpy(prediction.metric_depth.copy())
    reference = depth_to_point_cloud(metric, camera.matrix(), stride=stride, max_depth=60.0)
    np.testing.assert_allclose(prediction.points, reference.points.numpy(), rtol=1e-5, atol=1e-5)
    assert np.array_equal(np.isnan(prediction.points).any(axis=-1), ~reference.valid.numpy())


def test_coloured_points_carry_the_image_colours_packed_as_pcl_rgb(
    estimator: DepthEstimator, image: np.ndarray, intrinsics: PinholeIntrinsics
) -> None:
    bgr = np.ascontiguousarray(image[..., ::-1])
    prediction = estimator.predict(bgr, encoding="bgr8", intrinsics=intrinsics, points=True, points_rgb=True)
    assert prediction.cloud.shape == (*image.shape[:2], 4)
    assert prediction.cloud_fields == XYZRGB_FIELDS
    np.testing.assert_array_equal(prediction.colours, image)
    packed = np.ascontiguousarray(prediction.cloud[..., 3]).view(np.uint32)
    expected = (image[..., 0].astype(np.uint32) << 16) | (image[..., 1].astype(np.uint32) << 8) | image[..., 2]
    np.testing.assert_array_equal(packed, expected)
    # The bytes are a PointCloud2 payload: x, y, z, rgb little-endian float32 at offsets 0, 4, 8, 12.
    record = np.frombuffer(prediction.cloud.tobytes(), dtype="<f4").reshape(-1, 4)
    np.testing.assert_array_equal(record[:, 2], prediction.metric_depth.reshape(-1))


def test_coloured_points_at_network_resolution_use_the_resized_image(
    estimator: DepthEstimator, image: np.ndarray, intrinsics: PinholeIntrinsics
) -> None:
    prediction = estimator.predict(
        image, intrinsics=intrinsics, points=True, points_rgb=True, points_stride=2, resolution="network"
    )
    resized = functional.interpolate(
        torch.from_numpy(image).permute(2, 0, 1)[None], size=(64, 96), mode="bilinear", antialias=True
    )[0].permute(1, 2, 0)
    assert prediction.colours.shape == (32, 48, 3)
    np.testing.assert_allclose(prediction.colours.astype(int), resized.numpy()[::2, ::2].astype(int), atol=1)


def test_depth_outside_the_valid_range_is_nan_and_gives_invalid_points(
    checkpoint: Checkpoint, image: np.ndarray, intrinsics: PinholeIntrinsics
) -> None:
    unbounded = DepthEstimator(checkpoint, device="cpu", warmup=False).predict(image, scale=10.0).metric_depth
    low, high = np.percentile(unbounded, (20, 80))
    estimator = DepthEstimator(checkpoint, device="cpu", warmup=False, min_depth=float(low), max_depth=float(high))
    prediction = estimator.predict(image, scale=10.0, intrinsics=intrinsics, points=True, points_rgb=True)
    outside = (unbounded < low) | (unbounded > high)
    assert 0.3 < outside.mean() < 0.5
    np.testing.assert_array_equal(np.isnan(prediction.metric_depth), outside)
    np.testing.assert_array_equal(prediction.metric_depth[~outside], unbounded[~outside])
    assert np.isnan(prediction.points[outside]).all()
    assert np.isfinite(prediction.points[~outside]).all()
    np.testing.assert_array_equal(prediction.colours, image)  # colours stay, even where the point is invalid
    assert np.isfinite(prediction.relative_depth).all()
    for bound in ("min_depth", "max_depth"):
        only = DepthEstimator(checkpoint, device="cpu", warmup=False, **{bound: float(np.median(unbounded))})
        assert 0.4 < np.isnan(only.predict(image, scale=10.0).metric_depth).mean() < 0.6


def test_a_checkpoint_file_path_is_loaded(checkpoint: Checkpoint, image: np.ndarray, tmp_path: Path) -> None:
    path = save_checkpoint(checkpoint, tmp_path / "model.pt")
    from_path = DepthEstimator(path, device="cpu", warmup=False).predict(image).metric_depth
    from_object = DepthEstimator(checkpoint, device="cpu", warmup=False).predict(image).metric_depth
    np.testing.assert_array_equal(from_path, from_object)
    assert DepthEstimator(str(path), device="cpu", warmup=False).checkpoint.path == path


def test_estimator_describes_its_setup_and_keeps_no_second_copy_of_the_weights(checkpoint: Checkpoint) -> None:
    estimator = DepthEstimator(checkpoint, device="cpu")
    assert estimator.device == torch.device("cpu")
    assert estimator.network_size == NETWORK
    assert estimator.precision == estimator.effective_precision == "fp32"
    assert estimator.warnings == ()
    assert estimator.checkpoint.state_dicts == {}
    assert checkpoint.state_dicts  # the caller's checkpoint is untouched
    assert not estimator.network.training
    assert estimator.network.encoder.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    contiguous = DepthEstimator(checkpoint, device="cpu", warmup=False, channels_last=False)
    assert contiguous.network.encoder.conv1.weight.is_contiguous()


def test_channels_last_does_not_change_the_result(checkpoint: Checkpoint, image: np.ndarray) -> None:
    last = DepthEstimator(checkpoint, device="cpu", warmup=False).predict(image).metric_depth
    first = DepthEstimator(checkpoint, device="cpu", warmup=False, channels_last=False).predict(image).metric_depth
    np.testing.assert_allclose(last, first, rtol=1e-4)


def test_input_size_overrides_the_checkpoint_size(checkpoint: Checkpoint, image: np.ndarray) -> None:
    estimator = DepthEstimator(checkpoint, device="cpu", warmup=False, input_size=(128, 64))
    assert estimator.network_size == (128, 64)
    assert estimator.predict(image, resolution="network").metric_depth.shape == (64, 128)


def test_fp16_and_bf16_fall_back_to_fp32_on_the_cpu(checkpoint: Checkpoint, image: np.ndarray) -> None:
    reference = DepthEstimator(checkpoint, device="cpu", warmup=False).predict(image).metric_depth
    for precision in ("fp16", "bf16"):
        estimator = DepthEstimator(checkpoint, device="cpu", precision=precision)
        assert estimator.precision == precision
        assert estimator.effective_precision == "fp32"
        assert estimator.warnings == (f"precision {precision} needs CUDA; running fp32 on cpu",)
        np.testing.assert_array_equal(estimator.predict(image).metric_depth, reference)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's own, on importing dynamo
def test_compile_wraps_the_network(checkpoint: Checkpoint) -> None:
    """Compiling on the CPU takes about a minute (C++ code generation), so only the wrapping is checked here; the
    compiled network runs in the GPU test below and in `mono-depth-ros bench`."""
    estimator = DepthEstimator(checkpoint, device="cpu", warmup=False, compile=True)
    assert estimator.compiled
    assert isinstance(estimator._depth, torch._dynamo.eval_frame.OptimizedModule)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("precision", ["fp32", "fp16", "bf16"])
def test_cuda_predictions_match_the_cpu(
    checkpoint: Checkpoint, image: np.ndarray, intrinsics: PinholeIntrinsics, precision: str
) -> None:
    cpu = DepthEstimator(checkpoint, device="cpu", warmup=False).predict(image, intrinsics=intrinsics, points=True)
    cuda = DepthEstimator(checkpoint, device="cuda", precision=precision, compile=precision == "fp32")
    assert cuda.effective_precision == precision
    assert cuda.warnings == ()
    on_device = torch.from_numpy(image).cuda()
    for pixels in (image, on_device):
        prediction = cuda.predict(pixels, intrinsics=intrinsics, points=True)
        tolerance = 1e-3 if precision == "fp32" else 5e-2
        np.testing.assert_allclose(prediction.metric_depth, cpu.metric_depth, rtol=tolerance)
        np.testing.assert_allclose(prediction.points, cpu.points, rtol=tolerance, atol=tolerance)


def test_prediction_is_frozen(estimator: DepthEstimator, image: np.ndarray) -> None:
    prediction = estimator.predict(image)
    assert isinstance(prediction, DepthPrediction)
    with pytest.raises(AttributeError):
        prediction.scale = 2.0  # type: ignore[misc]
