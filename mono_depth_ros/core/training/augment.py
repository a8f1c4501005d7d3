"""Training augmentation (Monodepth2): a horizontal flip of whole samples, and colour jitter of the network inputs.

Flip: every image of the sample is mirrored, and so are its ground truth and camera (cx -> W - 1 - cx; integer
pixel coordinates are pixel centres). A mirrored stereo pair has its cameras on the wrong sides, so:
  - without temporal frames, left and right are swapped (mirrored right becomes the target, mirrored left the
    right image): the right camera is again at +baseline, and every stereo loss is unchanged;
  - with temporal frames (mono_stereo) the neighbours exist for the left camera only, so the sides stay and the
    baseline changes sign: the partner camera is at -baseline along x (`TrainingBatch.baseline`).
Colour: brightness, contrast, saturation and hue factors drawn per sample (with probability `colour_probability`)
and applied alike to every image of the sample; only `inputs` change, the losses compare the original colours.

Random draws come from an explicit generator, so a step's augmentation is a function of the seed and step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch

from mono_depth_ros.core.shapes import check_shape
from mono_depth_ros.core.training.config import TrainingConfig
from mono_depth_ros.core.training.data import Frames, TrainingBatch

__all__ = ["AugmentationOptions", "ColourJitter", "augment", "colour_jitter", "flip_batch", "mirror_camera_matrix"]


@dataclass(frozen=True)
class AugmentationOptions:
    flip_probability: float = 0.5
    colour_probability: float = 0.5
    brightness: float = 0.2
    contrast: float = 0.2
    saturation: float = 0.2
    hue: float = 0.1

    @classmethod
    def from_config(cls, config: TrainingConfig) -> AugmentationOptions:
        return cls(
            config.flip_probability,
            config.colour_probability,
            config.brightness,
            config.contrast,
            config.saturation,
            config.hue,
        )


def mirror_camera_matrix(camera_matrix: torch.Tensor, width: int) -> torch.Tensor:
    """K (*, 3, 3) of the horizontally mirrored image of `width` pixels: cx -> width - 1 - cx."""
    check_shape(camera_matrix, "camera_matrix", ["*", 3, 3])
    mirrored = camera_matrix.clone()
    mirrored[..., 0, 2] = (width - 1) - camera_matrix[..., 0, 2]
    return mirrored


def _where(flags: torch.Tensor, yes: torch.Tensor, no: torch.Tensor) -> torch.Tensor:
    """Per-sample choice between two (B, ...) tensors."""
    return torch.where(flags.view(-1, *([1] * (yes.dim() - 1))), yes, no)


def flip_batch(batch: TrainingBatch, flags: torch.Tensor) -> TrainingBatch:
    """Mirror the samples where `flags` (B,) bool is True (see the module docstring for stereo pairs)."""
    check_shape(flags, "flags", [batch.size])
    flags = flags.to(batch.frames.image.device)
    width = int(batch.frames.image.shape[-1])
    temporal = batch.frames.previous is not None or batch.frames.next is not None
    swap = batch.frames.right is not None and not temporal

    def mirror(frames: Frames) -> Frames:
        mirrored = frames.map(lambda t: _where(flags, t.flip(-1), t))
        if swap and frames.right is not None:
            mirrored = mirrored._replace(
                image=_where(flags, frames.right.flip(-1), frames.image),
                right=_where(flags, frames.image.flip(-1), frames.right),
            )
        return mirrored

    frames = mirror(batch.frames)
    inputs = frames if batch.inputs is batch.frames else mirror(batch.inputs)
    matrix = _where(flags, mirror_camera_matrix(batch.camera_matrix, width), batch.camera_matrix)
    depth = None if batch.depth is None else _where(flags, batch.depth.flip(-1), batch.depth)
    if swap and depth is not None:
        # The ground truth belongs to the left camera, which is no longer the target.
        depth = torch.where(flags.view(-1, 1, 1), torch.full_like(depth, math.nan), depth)
    baseline = batch.baseline
    if baseline is not None and not swap:
        baseline = torch.where(flags, -baseline, baseline)
    return replace(batch, frames=frames, inputs=inputs, camera_matrix=matrix, depth=depth, baseline=baseline)


@dataclass(frozen=True)
class ColourJitter:
    """Per-sample factors (B,): brightness, contrast and saturation multipliers, hue shift in turns; `apply` (B,)
    bool says which samples are jittered at all."""

    brightness: torch.Tensor
    contrast: torch.Tensor
    saturation: torch.Tensor
    hue: torch.Tensor
    apply: torch.Tensor

    @classmethod
    def draw(cls, count: int, options: AugmentationOptions, generator: torch.Generator) -> ColourJitter:
        def uniform(low: float, high: float) -> torch.Tensor:
            return low + (high - low) * torch.rand(count, generator=generator)

        return cls(
            brightness=uniform(1 - options.brightness, 1 + options.brightness),
            contrast=uniform(1 - options.contrast, 1 + options.contrast),
            saturation=uniform(1 - options.saturation, 1 + options.saturation),
            hue=uniform(-options.hue, options.hue),
            apply=torch.rand(count, generator=generator) < options.colour_probability,
        )


_GREY = (0.299, 0.587, 0.114)


def _grey(images: torch.Tensor) -> torch.Tensor:
    red, green, blue = images.unbind(-3)
    return (_GREY[0] * red + _GREY[1] * green + _GREY[2] * blue).unsqueeze(-3)


def _rotate_hue(images: torch.Tensor, turns: torch.Tensor) -> torch.Tensor:
    """Rotate the chroma of RGB images (B, 3, H, W) by `turns` (B,) of a full turn, in YIQ space."""
    to_yiq = images.new_tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    to_rgb = torch.linalg.inv(to_yiq)
    angle = 2 * math.pi * turns.to(images)
    cos, sin = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(cos), torch.zeros_like(cos)
    rotation = torch.stack(
        (torch.stack((one, zero, zero), -1), torch.stack((zero, cos, -sin), -1), torch.stack((zero, sin, cos), -1)),
        -2,
    )
    matrix = to_rgb @ rotation @ to_yiq  # (B, 3, 3)
    return torch.einsum("bij,bjhw->bihw", matrix, images)


def colour_jitter(images: torch.Tensor, jitter: ColourJitter) -> torch.Tensor:
    """Images (B, 3, H, W) in [0, 1] with `jitter` applied (brightness, contrast, saturation, hue), clamped."""
    check_shape(images, "images", ["B", 3, "H", "W"])
    shape = (-1, 1, 1, 1)
    out = images * jitter.brightness.to(images).view(shape)
    mean = _grey(out).mean(dim=(-3, -2, -1), keepdim=True)
    out = (out - mean) * jitter.contrast.to(images).view(shape) + mean
    grey = _grey(out)
    out = (out - grey) * jitter.saturation.to(images).view(shape) + grey
    out = _rotate_hue(out, jitter.hue).clamp_(0.0, 1.0)
    return _where(jitter.apply.to(images.device), out, images).contiguous(memory_format=_format(images))


def _format(images: torch.Tensor) -> torch.memory_format:
    return torch.channels_last if images.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format


def augment(batch: TrainingBatch, options: AugmentationOptions, generator: torch.Generator) -> TrainingBatch:
    """Flip (per sample, probability `flip_probability`) then colour-jitter the network inputs.

    `generator` is a CPU generator; the draws are made on the CPU and moved to the batch's device.
    """
    flags = torch.rand(batch.size, generator=generator) < options.flip_probability
    jitter = ColourJitter.draw(batch.size, options, generator)
    if bool(flags.any()):
        batch = flip_batch(batch, flags)
    if options.colour_probability > 0 and bool(jitter.apply.any()):
        inputs = batch.frames.map(lambda frame: colour_jitter(frame, jitter))
        batch = replace(batch, inputs=inputs)
    return batch
