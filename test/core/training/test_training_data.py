"""The dataset protocol, the synthetic dataset and collate: shapes, neighbours, ground truth and refusals."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from mono_depth_ros.core.training import (
    DatasetInfo,
    RenderedDrive,
    SyntheticDataset,
    TrainingDataError,
    TrainingDataset,
    TrainingSample,
    collate,
    render_drive,
)

WIDTH, HEIGHT = 64, 64


@pytest.fixture(scope="module")
def drive() -> RenderedDrive:
    return render_drive(WIDTH, HEIGHT, 5, seed=3, stereo=True)


def test_rendered_drive_arrays(drive: RenderedDrive) -> None:
    assert drive.images.shape == (5, HEIGHT, WIDTH, 3)
    assert drive.images.dtype == np.uint8
    assert drive.right_images is not None
    assert drive.right_images.shape == drive.images.shape
    assert drive.depths.dtype == np.float32
    assert np.isinf(drive.depths).any()  # the sky
    assert drive.baseline == pytest.approx(0.54)
    assert drive.camera_matrix[0, 2] == pytest.approx(WIDTH / 2 - 0.5)
    # Consecutive frames differ: the car moves.
    assert np.abs(drive.images[1].astype(int) - drive.images[0]).mean() > 1.0


def test_synthetic_dataset_serves_neighbours(drive: RenderedDrive) -> None:
    dataset = SyntheticDataset(drive, stride=2, depth=True)
    assert isinstance(dataset, TrainingDataset)
    assert len(dataset) == 1  # only t = 2 has frames 0 and 4
    sample = dataset[0]
    assert np.array_equal(sample.image, drive.images[2])
    assert np.array_equal(sample.previous_image, drive.images[0])
    assert np.array_equal(sample.next_image, drive.images[4])
    assert np.array_equal(sample.right_image, drive.right_images[2])
    assert np.array_equal(sample.depth, drive.depths[2])
    assert dataset.info == DatasetInfo(WIDTH, HEIGHT, True, True, True, 0.54, "synthetic world seed 3")
    flat = SyntheticDataset(drive, temporal=False, depth=False)
    assert len(flat) == 5
    assert flat[4].previous_image is None
    assert flat[4].depth is None
    with pytest.raises(TrainingDataError, match=r"sample index must be an integer in \[0, 4\], got 5"):
        flat[5]
    with pytest.raises(TrainingDataError, match=r"a drive of 5 frames has no target frame .*\(frame_stride 3\)"):
        SyntheticDataset(drive, stride=3)


def test_collate_stacks_floats_on_the_device(drive: RenderedDrive) -> None:
    dataset = SyntheticDataset(drive, stride=1, depth=True)
    samples = [dataset[0], dataset[1]]
    samples[1] = dataclasses.replace(samples[1], depth=None)  # a mixed batch: NaN ground truth for this one
    batch = collate(samples, "cpu", is_source=[True, False], channels_last=True)
    assert batch.size == 2
    assert batch.frames.image.shape == (2, 3, HEIGHT, WIDTH)
    assert batch.frames.image.dtype == torch.float32
    assert batch.frames.image.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(batch.frames.image[0].permute(1, 2, 0) * 255, torch.from_numpy(drive.images[1]).float())
    assert batch.frames.next is not None
    assert batch.inputs is batch.frames
    assert batch.camera_matrix.shape == (2, 3, 3)
    assert batch.baseline.tolist() == pytest.approx([0.54, 0.54])
    assert batch.is_source.tolist() == [True, False]
    assert bool(torch.isnan(batch.depth[1]).all())
    assert bool(torch.isfinite(batch.depth[0]).any())


def test_collate_refuses_bad_samples(drive: RenderedDrive) -> None:
    good = SyntheticDataset(drive, stride=1)[0]
    with pytest.raises(
        TrainingDataError, match=r"sample 1: image must be a \(64, 64, 3\) uint8 RGB array, got float32"
    ):
        collate([good, dataclasses.replace(good, image=good.image.astype(np.float32))])
    with pytest.raises(TrainingDataError, match=r"samples 1 and 0 disagree on having right_image"):
        collate([good, dataclasses.replace(good, right_image=None)])
    with pytest.raises(TrainingDataError, match=r"sample 0: camera_matrix must be a finite \(3, 3\) K"):
        collate([dataclasses.replace(good, camera_matrix=np.eye(2))])
    with pytest.raises(
        TrainingDataError, match=r"sample 0: a right image needs a positive stereo_baseline .* got None"
    ):
        collate([dataclasses.replace(good, stereo_baseline=None)])
    with pytest.raises(TrainingDataError, match=r"cannot collate an empty list"):
        collate([])
    with pytest.raises(TrainingDataError, match=r"sample 0: depth must be a \(64, 64\) float array"):
        collate([dataclasses.replace(good, depth=np.zeros((3, 3), np.float32))])


def test_a_plain_class_satisfies_the_protocol() -> None:
    class Frames:
        info = DatasetInfo(64, 64, temporal=False, right=False, depth=False)

        def __len__(self) -> int:
            return 1

        def __getitem__(self, index: int) -> TrainingSample:
            return TrainingSample(np.zeros((64, 64, 3), np.uint8), np.eye(3))

    assert isinstance(Frames(), TrainingDataset)
    assert collate([Frames()[0]]).frames.previous is None
