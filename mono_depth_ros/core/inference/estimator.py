"""`DepthEstimator`: an image in, disparity, relative and metric depth (and an organised point cloud) out.

Everything from the uint8 pixels on runs on the estimator's device: resizing, colour conversion, normalisation
(inside the encoder), the network, flip post-processing, resizing back, the metric scale, the depth range and the
point cloud. The outputs are written into one contiguous float32 buffer, so exactly one copy crosses to the host
(none on the CPU), and the returned `DepthPrediction` holds numpy views into it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from mono_depth_ros.core.geometry import PinholeIntrinsics
from mono_depth_ros.core.inference.device import autocast, effective_precision, resolve_device
from mono_depth_ros.core.inference.errors import InferenceConfigError, IntrinsicsMismatchError
from mono_depth_ros.core.inference.points import RayTable, pack_rgb_into, sampled_size
from mono_depth_ros.core.inference.postprocess import blend_flipped, resize_bilinear
from mono_depth_ros.core.inference.prediction import DepthPrediction
from mono_depth_ros.core.inference.preprocess import channel_order, image_to_device, to_network_input
from mono_depth_ros.core.inference.scale import ScalePlan, plan_scale
from mono_depth_ros.core.models import (
    MIN_INPUT_SIZE,
    SIZE_MULTIPLE,
    Checkpoint,
    CheckpointError,
    ScaleSource,
    disparity_to_inverse_depth,
    load_checkpoint,
    valid_input_size,
)
from mono_depth_ros.core.numbers import is_positive_number

__all__ = ["RESOLUTIONS", "DepthEstimator", "Resolution"]

Resolution = Literal["input", "network"]
RESOLUTIONS: tuple[str, ...] = ("input", "network")


class DepthEstimator:
    """Runs a checkpoint's depth network (and its per-image scale CNN, if it has one) on single images.

    Args:
        checkpoint: a `Checkpoint`, or the path of a checkpoint file.
        device: auto (CUDA when present, else the CPU), cpu, cuda or cuda:N.
        precision: fp32, fp16 or bf16; fp16/bf16 autocast on CUDA only: on the CPU they fall back to fp32, recorded
            in `effective_precision` and `warnings` (a robot without a GPU runs the same configuration).
        input_size: (width, height) of the network input, multiples of 32 of at least 64; default the checkpoint's
            training size. Images of any size are resized to it.
        flip_postprocess: also predict on the mirrored image (one batch of two) and blend (`blend_flipped`).
        compile: wrap the depth network in `torch.compile` (compiled during the warm-up).
        channels_last: channels-last memory format for the network and its input.
        warmup: run the network once at construction, so the first frame pays no one-off costs.
        min_depth, max_depth: the metric depth considered valid (metres); outside it depth is NaN and points are
            invalid. None: no bound.
    """

    def __init__(
        self,
        checkpoint: Checkpoint | str | Path,
        *,
        device: str | torch.device = "auto",
        precision: str = "fp32",
        input_size: tuple[int, int] | None = None,
        flip_postprocess: bool = False,
        compile: bool = False,
        channels_last: bool = True,
        warmup: bool = True,
        min_depth: float | None = None,
        max_depth: float | None = None,
    ) -> None:
        self.device = resolve_device(device)
        self.precision = precision
        self.effective_precision, warning = effective_precision(precision, self.device)
        self.warnings: tuple[str, ...] = (warning,) if warning else ()
        self.min_depth = _optional_positive(min_depth, "min_depth")
        self.max_depth = _optional_positive(max_depth, "max_depth")
        if self.min_depth is not None and self.max_depth is not None and self.min_depth >= self.max_depth:
            raise InferenceConfigError(f"min_depth must be below max_depth, got {min_depth!r} and {max_depth!r}")
        if not isinstance(checkpoint, Checkpoint):
            checkpoint = load_checkpoint(checkpoint)
        self.network_size = _network_size(input_size, checkpoint)
        if checkpoint.metric_scale.source is ScaleSource.PER_IMAGE and "scale_cnn" not in checkpoint.state_dicts:
            raise CheckpointError(checkpoint.path, "metric scale source is 'per_image' but it has no scale_cnn network")
        networks = checkpoint.build_networks()
        # Keep what describes the model, not a second copy of its weights.
        self.checkpoint = replace(checkpoint, state_dicts={}, training_state={})
        self.flip_postprocess = bool(flip_postprocess)
        self.channels_last = bool(channels_last)
        memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        self.network = networks.depth.to(self.device, memory_format=memory_format).eval()
        self.scale_network = None
        if networks.scale_cnn is not None:
            self.scale_network = networks.scale_cnn.to(self.device, memory_format=memory_format).eval()
        self.compiled = bool(compile)
        self._depth = torch.compile(self.network, dynamic=False) if self.compiled else self.network
        self._rays = RayTable()
        if warmup:
            self.warm_up()

    def warm_up(self) -> None:
        """One forward pass at the network size (the batch of two with flip post-processing)."""
        width, height = self.network_size
        memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        images = torch.zeros((2 if self.flip_postprocess else 1, 3, height, width), device=self.device).contiguous(
            memory_format=memory_format
        )
        with torch.inference_mode(), autocast(self.effective_precision, self.device):
            self._depth(images)
            if self.scale_network is not None:
                self.scale_network(images[:1])
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def predict(
        self,
        image: Any,
        *,
        encoding: str = "rgb8",
        intrinsics: PinholeIntrinsics | None = None,
        scale: float | None = None,
        real_baseline: float | None = None,
        resolution: Resolution = "input",
        points: bool = False,
        points_stride: int = 1,
        points_rgb: bool = False,
    ) -> DepthPrediction:
        """Depth of one image.

        Args:
            image: (H, W, C) uint8 numpy array or tensor on the estimator's device ((H, W) also for mono8).
            encoding: rgb8, bgr8, mono8 (grey replicated), rgba8 or bgra8 (alpha dropped).
            intrinsics: the camera of `image` (its size); needed for points.
            scale: metric factor to apply; overrides what the checkpoint carries.
            real_baseline: the stereo baseline (metres) of the camera, for stereo-trained checkpoints.
            resolution: "input" (the image's size) or "network" (the network's).
            points: also compute the organised point cloud (`DepthPrediction.cloud`).
            points_stride: keep every n-th pixel of every n-th row in the cloud.
            points_rgb: colour the points with the image (with `points` only).
        """
        if resolution not in RESOLUTIONS:
            raise InferenceConfigError(f"resolution must be one of {', '.join(RESOLUTIONS)}, got {resolution!r}")
        if isinstance(points_stride, bool) or not isinstance(points_stride, int) or points_stride < 1:
            raise InferenceConfigError(f"points_stride must be a positive integer, got {points_stride!r}")
        plan = plan_scale(
            self.checkpoint.metric_scale, self.checkpoint.stereo_baseline, scale=scale, real_baseline=real_baseline
        )
        pixels = image_to_device(image, encoding, self.device)
        height, width = int(pixels.shape[0]), int(pixels.shape[1])
        if intrinsics is not None:
            if not isinstance(intrinsics, PinholeIntrinsics):
                raise InferenceConfigError(f"intrinsics must be PinholeIntrinsics, got {type(intrinsics).__name__}")
            if (intrinsics.width, intrinsics.height) != (width, height):
                raise IntrinsicsMismatchError(
                    f"intrinsics are for a {intrinsics.width}x{intrinsics.height} image, the image is {width}x{height}"
                )
        if points and intrinsics is None:
            raise InferenceConfigError("points need the intrinsics of the input image (intrinsics=...)")
        net_width, net_height = self.network_size
        if resolution == "input":
            out_height, out_width, out_intrinsics = height, width, intrinsics
        else:
            out_height, out_width = net_height, net_width
            out_intrinsics = None if intrinsics is None else intrinsics.resized(net_width, net_height)
        with torch.inference_mode():
            images = to_network_input(pixels, encoding, self.network_size, channels_last=self.channels_last)
            network_planes, log_scale = self._infer(images, plan)
            planes = resize_bilinear(network_planes, out_height, out_width)[0]  # [disparity, inverse depth]
            buffer, views = _allocate(out_height, out_width, points, points_stride, points_rgb, self.device)
            disparity, relative, metric, cloud, scale_slot = views
            disparity.copy_(planes[0])
            torch.reciprocal(planes[1], out=relative)
            if log_scale is None:
                scale_slot.fill_(plan.factor)
                torch.mul(relative, plan.factor, out=metric)
            else:
                torch.exp(log_scale[:1].float(), out=scale_slot)
                torch.mul(relative, scale_slot, out=metric)
            self._mask_range(metric)
            if cloud is not None and out_intrinsics is not None:
                self._rays.write(cloud, metric, out_intrinsics, points_stride)
                if points_rgb:
                    if resolution == "input":
                        red, green, blue = (
                            pixels[::points_stride, ::points_stride, c] for c in channel_order(encoding)
                        )
                    else:
                        sampled = images[0, :, ::points_stride, ::points_stride].mul(255.0).round_()
                        red, green, blue = sampled[0], sampled[1], sampled[2]
                    pack_rgb_into(cloud, red, green, blue)
            host = buffer.cpu().numpy()
        return _prediction(host, out_height, out_width, cloud, plan, out_intrinsics)

    def _infer(self, images: torch.Tensor, plan: ScalePlan) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(1, 2, h, w) float32 [sigmoid disparity, inverse relative depth] at the network size (flip-blended when
        enabled), and the per-image log scale (1,) when the plan needs it."""
        batch = torch.cat((images, images.flip(-1))) if self.flip_postprocess else images
        log_scale = None
        with autocast(self.effective_precision, self.device):
            output = self._depth(batch)
            if plan.factor is None and self.scale_network is not None:
                log_scale = self.scale_network(images)
        disparity = output.disparities[0][:, 0].float()
        if output.mu is None:
            # Plain models: inverse depth is affine in the sigmoid (core.models.disparity), computed in float32 even
            # when the network ran in fp16/bf16.
            config = self.checkpoint.model
            inverse = disparity_to_inverse_depth(disparity, config.min_depth, config.max_depth)
        else:
            inverse = output.depths[0][:, 0].float().reciprocal()
        stacked = torch.stack((disparity, inverse), 1)
        if self.flip_postprocess:
            stacked = blend_flipped(stacked[:1], stacked[1:].flip(-1))
        return stacked, log_scale

    def _mask_range(self, metric: torch.Tensor) -> None:
        """Set metric depth outside [min_depth, max_depth] to NaN, in place."""
        if self.min_depth is None and self.max_depth is None:
            return
        if self.min_depth is None:
            outside = metric > self.max_depth
        elif self.max_depth is None:
            outside = metric < self.min_depth
        else:
            outside = (metric < self.min_depth).logical_or_(metric > self.max_depth)
        metric.masked_fill_(outside, math.nan)


def _allocate(
    height: int, width: int, points: bool, stride: int, rgb: bool, device: torch.device
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor]]:
    """The one output buffer and its views: disparity, relative, metric (height, width), cloud (rows, columns, C)
    or None, and the scale (1,)."""
    pixels = height * width
    rows, columns = sampled_size(height, width, stride) if points else (0, 0)
    channels = 4 if rgb else 3
    cloud_size = rows * columns * channels
    buffer = torch.empty(3 * pixels + cloud_size + 1, dtype=torch.float32, device=device)
    planes = buffer[: 3 * pixels].view(3, height, width)
    cloud = buffer[3 * pixels : 3 * pixels + cloud_size].view(rows, columns, channels) if points else None
    return buffer, (planes[0], planes[1], planes[2], cloud, buffer[-1:])


def _prediction(
    host: np.ndarray,
    height: int,
    width: int,
    cloud: torch.Tensor | None,
    plan: ScalePlan,
    intrinsics: PinholeIntrinsics | None,
) -> DepthPrediction:
    pixels = height * width
    planes = host[: 3 * pixels].reshape(3, height, width)
    cloud_array = None
    if cloud is not None:
        cloud_array = host[3 * pixels : 3 * pixels + cloud.numel()].reshape(tuple(cloud.shape))
    return DepthPrediction(
        disparity=planes[0],
        relative_depth=planes[1],
        metric_depth=planes[2],
        scale=float(host[-1]) if plan.factor is None else plan.factor,
        scale_origin=plan.origin,
        intrinsics=intrinsics,
        cloud=cloud_array,
    )


def _optional_positive(value: object, name: str) -> float | None:
    if value is None:
        return None
    if not is_positive_number(value):
        raise InferenceConfigError(f"{name} must be a positive finite number (metres) or None, got {value!r}")
    return float(value)


def _network_size(input_size: object, checkpoint: Checkpoint) -> tuple[int, int]:
    if input_size is None:
        return checkpoint.input_width, checkpoint.input_height
    if not isinstance(input_size, (tuple, list)) or len(input_size) != 2:
        raise InferenceConfigError(f"input_size must be (width, height), got {input_size!r}")
    if not all(not isinstance(value, bool) and valid_input_size(value) for value in input_size):
        raise InferenceConfigError(
            f"input_size must be (width, height), multiples of {SIZE_MULTIPLE} of at least {MIN_INPUT_SIZE}, "
            f"got {tuple(input_size)!r}"
        )
    return int(input_size[0]), int(input_size[1])
