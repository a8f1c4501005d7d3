"""Training data from the synthetic street (data.sim): frames rendered once into uint8 arrays, then served as
`TrainingSample`s (the same protocol the bag dataset implements).

Three worlds with different seeds: the training drive, a held-out validation drive (another street: frames spread
along it, every `VALIDATION_SPACING`-th), and for scale transfer / adaptive scaling a source drive whose ground
truth is used. Everything is rendered at the training size, so the camera matrix is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from mono_depth_ros.core.training.config import TrainingConfig
from mono_depth_ros.core.training.data import DatasetInfo, TrainingSample
from mono_depth_ros.core.training.errors import TrainingConfigError, TrainingDataError
from mono_depth_ros.core.training.validation import ValidationSet

__all__ = ["VALIDATION_SPACING", "RenderedDrive", "SyntheticData", "SyntheticDataset", "build_synthetic_data"]

VALIDATION_SPACING = 5
"""Validation frames are every 5th frame of their drive (consecutive frames would be near duplicates)."""


@dataclass(frozen=True)
class RenderedDrive:
    """Frames of one synthetic drive, rendered once."""

    images: np.ndarray
    """(N, H, W, 3) uint8 RGB of the left camera."""
    depths: np.ndarray
    """(N, H, W) float32 z-depth in metres of the left camera, +inf for the sky."""
    camera_matrix: np.ndarray
    """(3, 3) float64 K at the rendered size."""
    right_images: np.ndarray | None
    """(N, H, W, 3) uint8 of the right camera (stereo drives), else None."""
    baseline: float
    """Metres between the cameras (the right one at +baseline along the left's x axis)."""
    seed: int

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def validation_set(self) -> ValidationSet:
        return ValidationSet(self.images, self.depths, self.camera_matrix, name=f"synthetic world seed {self.seed}")


def render_drive(
    width: int,
    height: int,
    frames: int,
    *,
    seed: int,
    stereo: bool = False,
    spacing: int = 1,
    device: torch.device | str = "cpu",
    progress: Callable[[int], None] | None = None,
) -> RenderedDrive:
    """Render `frames` frames (every `spacing`-th of the drive) of the world with `seed`; `progress(done)` after
    each."""
    from mono_depth_ros.data.sim import SimConfig, SyntheticWorld  # data.sim builds on core: import on use

    config = SimConfig(width=width, height=height, seed=seed, stereo=stereo)
    world = SyntheticWorld(config, frames=(frames - 1) * spacing + 1, device=device)
    images = np.empty((frames, height, width, 3), dtype=np.uint8)
    depths = np.empty((frames, height, width), dtype=np.float32)
    right = np.empty_like(images) if stereo else None
    for index in range(frames):
        frame = world.render_frame(index * spacing)
        images[index] = frame.left_rgb
        depths[index] = frame.depth
        if right is not None and frame.right_rgb is not None:
            right[index] = frame.right_rgb
        if progress is not None:
            progress(index + 1)
    return RenderedDrive(images, depths, world.intrinsics.as_array(), right, float(config.baseline), seed)


class SyntheticDataset:
    """`TrainingDataset` over a rendered drive: target frames t = stride .. N - 1 - stride with their neighbours
    (or every frame when `temporal` is false), the right image when the drive is stereo, and the ground truth."""

    def __init__(
        self, drive: RenderedDrive, *, stride: int = 1, temporal: bool = True, depth: bool = True, name: str = ""
    ) -> None:
        if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
            raise TrainingConfigError(f"frame_stride must be a positive integer, got {stride!r}")
        self.drive = drive
        self.stride = stride if temporal else 0
        count = len(drive) - 2 * self.stride
        if count < 1:
            raise TrainingDataError(
                f"a drive of {len(drive)} frames has no target frame with neighbours {stride} frames away "
                f"(frame_stride {stride}); render at least {2 * stride + 1} frames"
            )
        self._count = count
        height, width = drive.images.shape[1:3]
        self._info = DatasetInfo(
            width=int(width),
            height=int(height),
            temporal=temporal,
            right=drive.right_images is not None,
            depth=depth,
            stereo_baseline=drive.baseline if drive.right_images is not None else None,
            name=name or f"synthetic world seed {drive.seed}",
        )

    @property
    def info(self) -> DatasetInfo:
        return self._info

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: int) -> TrainingSample:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < self._count:
            raise TrainingDataError(f"sample index must be an integer in [0, {self._count - 1}], got {index!r}")
        drive, stride = self.drive, self.stride
        t = int(index) + stride
        return TrainingSample(
            image=drive.images[t],
            camera_matrix=drive.camera_matrix,
            previous_image=drive.images[t - stride] if stride else None,
            next_image=drive.images[t + stride] if stride else None,
            right_image=None if drive.right_images is None else drive.right_images[t],
            depth=drive.depths[t] if self._info.depth else None,
            stereo_baseline=self._info.stereo_baseline,
        )


@dataclass(frozen=True)
class SyntheticData:
    """What `train --synthetic` trains on."""

    train: SyntheticDataset
    validation: ValidationSet
    source: SyntheticDataset | None
    """The source set with ground truth (scale_transfer, adaptive_scale), else None."""


def build_synthetic_data(
    config: TrainingConfig,
    *,
    stereo: bool,
    device: torch.device | str = "cpu",
    progress: Callable[[int, int], None] | None = None,
) -> SyntheticData:
    """Render the training, validation (and source) drives for `config` at its width x height.

    `progress(done, total)` counts rendered frames over all drives. The training drive has no ground truth in its
    samples (self-supervised); the validation and source drives do.
    """
    width, height = config.width, config.height
    needs_source = config.scale_transfer or config.adaptive_scale
    total = config.synthetic_frames + config.validation_frames + (config.source_frames if needs_source else 0)
    done = 0

    def counter(offset: int) -> Callable[[int], None] | None:
        if progress is None:
            return None
        return lambda count: progress(offset + count, total)

    train = render_drive(
        width, height, config.synthetic_frames, seed=config.synthetic_seed, stereo=stereo, device=device,
        progress=counter(done),
    )  # fmt: skip
    done += config.synthetic_frames
    validation = render_drive(
        width, height, config.validation_frames, seed=config.validation_seed, spacing=VALIDATION_SPACING,
        device=device, progress=counter(done),
    )  # fmt: skip
    done += config.validation_frames
    source = None
    if needs_source:
        drive = render_drive(
            width, height, config.source_frames, seed=config.source_seed, stereo=stereo, device=device,
            progress=counter(done),
        )  # fmt: skip
        source = SyntheticDataset(drive, stride=config.frame_stride, temporal=config.uses_temporal, depth=True)
    dataset = SyntheticDataset(train, stride=config.frame_stride, temporal=config.uses_temporal, depth=False)
    return SyntheticData(dataset, validation.validation_set(), source)
