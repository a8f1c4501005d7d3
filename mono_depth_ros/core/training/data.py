"""What the trainer reads: the `TrainingDataset` protocol, its `TrainingSample` record, and `collate` into a batch.

A dataset is anything with `info`, `__len__` and `__getitem__` returning `TrainingSample`s: the synthetic world
(`core.training.synthetic`) now, users' rosbag2 recordings next. A sample is one target frame t with what the
training mode needs around it:

    image           (H, W, 3) uint8 RGB, frame t of the (left) camera, at the training size
    camera_matrix   (3, 3) K of that image at the training size (shared by every image of the sample)
    previous_image  frame t - stride of the same camera       (temporal modes: mono, mono_stereo)
    next_image      frame t + stride                          (temporal modes)
    right_image     the rectified right camera at time t      (stereo modes)
    depth           (H, W) float32 ground-truth z-depth in metres of `image`; NaN, inf or <= 0 where unknown
    stereo_baseline metres: the right camera sits at +baseline along the left camera's x axis

Images of a rectified pair share K. Everything optional is None when the dataset does not have it; `info` says
which parts every sample has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np
import torch

from mono_depth_ros.core.numbers import is_positive_number
from mono_depth_ros.core.training.errors import TrainingDataError

__all__ = ["DatasetInfo", "Frames", "TrainingBatch", "TrainingDataset", "TrainingSample", "collate"]


@dataclass(frozen=True)
class DatasetInfo:
    """What every sample of a dataset carries."""

    width: int
    height: int
    temporal: bool
    """previous_image and next_image are present."""
    right: bool
    """right_image and stereo_baseline are present."""
    depth: bool
    """Ground-truth depth is present."""
    stereo_baseline: float | None = None
    """The rig's baseline in metres (when `right`)."""
    name: str = "dataset"
    """For messages: where the data comes from."""


@dataclass(frozen=True)
class TrainingSample:
    """One target frame and its neighbours; see the module docstring for shapes and units."""

    image: np.ndarray
    camera_matrix: np.ndarray
    previous_image: np.ndarray | None = None
    next_image: np.ndarray | None = None
    right_image: np.ndarray | None = None
    depth: np.ndarray | None = None
    stereo_baseline: float | None = None


@runtime_checkable
class TrainingDataset(Protocol):
    """A finite, indexable set of `TrainingSample`s of one size (the bag dataset implements the same)."""

    @property
    def info(self) -> DatasetInfo: ...

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> TrainingSample: ...


class Frames(NamedTuple):
    """A batch's images, (B, 3, H, W) float in [0, 1]; None where the mode does not use that frame."""

    image: torch.Tensor
    previous: torch.Tensor | None = None
    next: torch.Tensor | None = None
    right: torch.Tensor | None = None

    def map(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> Frames:
        """The same frames with `fn` applied to each present tensor."""
        return Frames(*(None if frame is None else fn(frame) for frame in self))


@dataclass(frozen=True)
class TrainingBatch:
    """B samples on the training device.

    `frames` are what the losses compare (geometry augmentation only); `inputs` are what the networks see
    (colour-augmented too). `baseline` is signed: the right frame's camera sits at +baseline along the target
    camera's x axis (negative after a mirror that could not swap the sides, see `core.training.augment`).
    """

    frames: Frames
    inputs: Frames
    camera_matrix: torch.Tensor
    """(B, 3, 3) float32."""
    depth: torch.Tensor | None = None
    """(B, H, W) float32 ground truth, NaN where unknown (also for whole samples without it)."""
    baseline: torch.Tensor | None = None
    """(B,) float32 metres, when the frames have a right image."""
    is_source: torch.Tensor | None = None
    """(B,) bool: the sample comes from the source set with ground truth (scale transfer)."""

    @property
    def size(self) -> int:
        return int(self.frames.image.shape[0])


def _image(value: object, name: str, index: int, height: int, width: int) -> np.ndarray:
    if not isinstance(value, np.ndarray) or value.dtype != np.uint8 or value.shape != (height, width, 3):
        found = f"{value.dtype} array of shape {value.shape}" if isinstance(value, np.ndarray) else type(value).__name__
        raise TrainingDataError(f"sample {index}: {name} must be a ({height}, {width}, 3) uint8 RGB array, got {found}")
    return value


def _present(samples: list[TrainingSample], name: str) -> bool:
    """Whether the samples have `name`; all or none must (one batch has one layout)."""
    flags = [getattr(sample, name) is not None for sample in samples]
    if any(flags) and not all(flags):
        raise TrainingDataError(f"samples {flags.index(False)} and {flags.index(True)} disagree on having {name}")
    return bool(flags and flags[0])


def collate(
    samples: list[TrainingSample],
    device: torch.device | str = "cpu",
    *,
    is_source: list[bool] | None = None,
    channels_last: bool = False,
) -> TrainingBatch:
    """Stack samples (checked) into a `TrainingBatch` on `device`; uint8 crosses to the device, then becomes float.

    Depth may be missing from some samples (mixed batches): those get NaN. `inputs` is `frames` until augmented.
    """
    if not samples:
        raise TrainingDataError("cannot collate an empty list of samples")
    first = samples[0].image
    if not isinstance(first, np.ndarray) or first.ndim != 3:
        found = getattr(first, "shape", type(first).__name__)
        raise TrainingDataError(f"sample 0: image must be an (H, W, 3) uint8 RGB array, got {found}")
    height, width = int(first.shape[0]), int(first.shape[1])
    device = torch.device(device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format

    def stack(name: str) -> torch.Tensor | None:
        if not _present(samples, name):
            return None
        arrays = [_image(getattr(s, name), name, i, height, width) for i, s in enumerate(samples)]
        pixels = torch.from_numpy(np.stack(arrays)).to(device, non_blocking=True)
        return pixels.permute(0, 3, 1, 2).float().div_(255.0).contiguous(memory_format=memory_format)

    image = stack("image")
    if image is None:
        raise TrainingDataError("sample 0: image must be an (H, W, 3) uint8 RGB array, got None")
    frames = Frames(image, stack("previous_image"), stack("next_image"), stack("right_image"))

    matrices = []
    for index, sample in enumerate(samples):
        matrix = np.asarray(sample.camera_matrix, dtype=np.float64)
        if matrix.shape != (3, 3) or not np.all(np.isfinite(matrix)) or matrix[0, 0] <= 0 or matrix[1, 1] <= 0:
            raise TrainingDataError(
                f"sample {index}: camera_matrix must be a finite (3, 3) K with positive focal lengths, got "
                f"{np.asarray(sample.camera_matrix).tolist()!r}"
            )
        matrices.append(matrix)
    camera_matrix = torch.from_numpy(np.stack(matrices)).float().to(device)

    depth = None
    if any(sample.depth is not None for sample in samples):
        planes = []
        for index, sample in enumerate(samples):
            if sample.depth is None:
                planes.append(np.full((height, width), np.nan, dtype=np.float32))
                continue
            plane = np.asarray(sample.depth)
            if plane.shape != (height, width) or not np.issubdtype(plane.dtype, np.floating):
                raise TrainingDataError(
                    f"sample {index}: depth must be a ({height}, {width}) float array, got {plane.dtype} "
                    f"of shape {plane.shape}"
                )
            planes.append(plane.astype(np.float32, copy=False))
        depth = torch.from_numpy(np.stack(planes)).to(device)

    baseline = None
    if frames.right is not None:
        values = []
        for index, sample in enumerate(samples):
            if not is_positive_number(sample.stereo_baseline):
                raise TrainingDataError(
                    f"sample {index}: a right image needs a positive stereo_baseline in metres, got "
                    f"{sample.stereo_baseline!r}"
                )
            values.append(float(sample.stereo_baseline))  # type: ignore[arg-type]
        baseline = torch.tensor(values, dtype=torch.float32, device=device)

    source = None
    if is_source is not None:
        if len(is_source) != len(samples):
            raise TrainingDataError(f"is_source has {len(is_source)} flags for {len(samples)} samples")
        source = torch.tensor(is_source, dtype=torch.bool, device=device)
    return TrainingBatch(frames, frames, camera_matrix, depth, baseline, source)
